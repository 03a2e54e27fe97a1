"""The results of a policy comparison: a CSV, a Markdown table, a plot."""
import csv
import io
import math
from typing import Dict, List, Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ddas_mm.fileio import write_atomically

CSV_COLUMNS = ('arm', 'seed', 'metric', 'value', 'train_value', 'wall_time',
               'policy')
BASELINE = 'none'


def summarize(results: List[dict], arms: List[str]) -> List[dict]:
    """Per arm: runs, mean and standard deviation of the metric, its mean on
    the training data, and the difference to ``none`` paired by seed with
    its 95 % t-interval.

    Args:
        results (list[dict]): one result per finished run.
        arms (list[str]): the arms, in the order of the table.

    Returns:
        list[dict]: one row per arm with runs (``n``, ``mean``, ``std``,
        ``train``, ``diff``, ``low``, ``high``; None where there are too few
        runs).
    """
    from scipy.stats import t
    by_arm: Dict[str, Dict[int, float]] = {arm: {} for arm in arms}
    train: Dict[str, List[float]] = {arm: [] for arm in arms}
    for result in results:
        by_arm.setdefault(result['arm'], {})[result['seed']] = result['value']
        train.setdefault(result['arm'], []).append(result['train_value'])
    baseline = by_arm.get(BASELINE, {})
    rows = []
    for arm in arms:
        values = np.array(list(by_arm[arm].values()))
        if not len(values):
            continue
        row = dict(arm=arm, n=len(values), mean=values.mean(),
                   std=values.std(ddof=1) if len(values) > 1 else None,
                   train=float(np.mean(train[arm])), diff=None, low=None,
                   high=None)
        seeds = sorted(set(by_arm[arm]) & set(baseline))
        if arm != BASELINE and seeds:
            diffs = np.array([by_arm[arm][s] - baseline[s] for s in seeds])
            row['diff'] = diffs.mean()
            if len(diffs) > 1:
                half = t.ppf(0.975, len(diffs) - 1) * diffs.std(
                    ddof=1) / math.sqrt(len(diffs))
                row['low'] = row['diff'] - half
                row['high'] = row['diff'] + half
        rows.append(row)
    return rows


def write_csv(path: str, results: List[dict]) -> None:
    """One row per run."""
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_COLUMNS, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(results)
    write_atomically(path, text.getvalue())


def _number(value: Optional[float], digits: int = 4) -> str:
    return '–' if value is None else f'{value:.{digits}f}'


def markdown_table(summary: List[dict], metric: str,
                   search_seconds: Optional[float]) -> str:
    """The summary as a Markdown table, with the search's cost."""
    lines = [
        f'| arm | runs | {metric} mean ± std | difference to none | 95 % '
        f'interval | on the training data |', '|---|---|---|---|---|---|'
    ]
    for row in summary:
        interval = ('–' if row['low'] is None else
                    f'[{row["low"]:+.4f}, {row["high"]:+.4f}]')
        diff = '–' if row['diff'] is None else f'{row["diff"]:+.4f}'
        lines.append(f'| {row["arm"]} | {row["n"]} | {_number(row["mean"])} '
                     f'± {_number(row["std"])} | {diff} | {interval} | '
                     f'{_number(row["train"])} |')
    if search_seconds is not None:
        lines.append('')
        lines.append(f'Search: {search_seconds / 60:.1f} min (wall time, '
                     f'once for all arms).')
    return '\n'.join(lines) + '\n'


def plot_results(path: str, results: List[dict], arms: List[str],
                 metric: str) -> None:
    """One dot per run per arm, the arm's mean marked."""
    fig = Figure(figsize=(1.1 * len(arms) + 2, 4))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for x, arm in enumerate(arms):
        values = [r['value'] for r in results if r['arm'] == arm]
        if not values:
            continue
        ax.scatter([x] * len(values), values, color='tab:blue', alpha=0.6,
                   zorder=2)
        ax.hlines(np.mean(values), x - 0.3, x + 0.3, color='tab:red',
                  zorder=3)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(arms, rotation=30, ha='right')
    ax.set_ylabel(metric)
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
