"""One figure of a searched policy: p_tp, p_o over the epochs, top ops.

The three panels show what paper Fig. 4-5 show: the total augmentation
probability per search epoch, the op probabilities over the epochs (a heat
map, one row per candidate op) and the most likely ops at the end.
"""
from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# At most this many rows of the heat map get a label; with more candidate ops
# (e.g. the 68 of the cifar preset) every n-th row is labelled, so that the
# labels do not overlap.
MAX_LABELLED_ROWS = 40


def plot_policy(schedule,
                out_file: Optional[str] = None,
                top_k: int = 10) -> Figure:
    """Plot a policy schedule; optionally save the figure.

    Args:
        schedule (PolicySchedule): the per-epoch policies of a search.
        out_file (str, optional): where to save the figure (PNG, ...).
        top_k (int): how many of the most likely ops (last epoch) to show.
            Defaults to 10.

    Returns:
        matplotlib.figure.Figure: the figure (not attached to pyplot).

    Raises:
        ValueError: if the schedule has no epochs.
    """
    if not len(schedule):
        raise ValueError('The policy has no epochs to plot yet.')
    p_tp, p_o = schedule.p_tp, schedule.p_o  # (T,), (T, K)
    labels = schedule.space.labels()
    epochs = np.arange(1, len(p_tp) + 1)
    k = p_o.shape[1]

    fig = Figure(figsize=(14, max(4.5, 0.16 * min(k, MAX_LABELLED_ROWS))))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 1.6))

    ax = fig.add_subplot(grid[0, 0])
    ax.plot(epochs, p_tp, marker='o')
    ax.set_xlabel('search epoch')
    ax.set_ylabel('p_tp')
    ax.set_title('total augmentation probability')
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(grid[1, 0])
    last = p_o[-1]
    top = np.argsort(-last, kind='stable')[:top_k]
    ax.barh(np.arange(len(top))[::-1], last[top])
    ax.set_yticks(np.arange(len(top))[::-1], [labels[i] for i in top])
    ax.axvline(1.0 / k, color='grey', linestyle='--', label='uniform')
    ax.set_xlabel('p_o')
    ax.set_title(f'top {len(top)} ops after epoch {len(p_tp)}')
    ax.legend(loc='lower right')

    ax = fig.add_subplot(grid[:, 1])
    image = ax.imshow(
        p_o.T,
        aspect='auto',
        interpolation='nearest',
        extent=(0.5, len(p_tp) + 0.5, k - 0.5, -0.5))
    rows = np.arange(0, k, int(np.ceil(k / MAX_LABELLED_ROWS)))
    ax.set_yticks(rows, [labels[i] for i in rows], fontsize=7)
    ax.set_xlabel('search epoch')
    ax.set_ylabel('candidate op')
    ax.set_title('p_o per epoch')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.colorbar(image, ax=ax, label='p_o')
    fig.tight_layout()
    if out_file is not None:
        fig.savefig(out_file, dpi=100)
    return fig
