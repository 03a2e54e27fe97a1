"""The results of a policy comparison: a CSV, a Markdown table, a plot."""
import csv
import io
import math
from typing import Dict, List, Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ddas_mm.fileio import write_atomically

CSV_COLUMNS = ('arm', 'seed', 'metric', 'value', 'train_value', 'failure',
               'wall_time', 'policy')
BASELINE = 'none'
# The searched policy, and the policy it starts from.
SEARCHED, START = 'ddas', 'uniform'


def paired_difference(values: Dict[int, float],
                      baseline: Dict[int, float]) -> dict:
    """The mean difference of two arms over their common seeds, with its
    95 % t-interval.

    Args:
        values (dict[int, float]): the metric of one arm per seed.
        baseline (dict[int, float]): the other arm's.

    Returns:
        dict: ``seeds`` (how many are shared), ``diff``, ``low``, ``high``
        (None where there are too few seeds).
    """
    from scipy.stats import t
    seeds = sorted(set(values) & set(baseline))
    diffs = np.array([values[s] - baseline[s] for s in seeds])
    out = dict(seeds=len(seeds), diff=None, low=None, high=None)
    if len(diffs):
        out['diff'] = diffs.mean()
    if len(diffs) > 1:
        half = t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / math.sqrt(
            len(diffs))
        out['low'], out['high'] = out['diff'] - half, out['diff'] + half
    return out


def _measured(results: List[dict]) -> List[dict]:
    """The results of the runs that did not fail."""
    return [result for result in results if result.get('failure') is None]


def _by_arm(results: List[dict], arms: List[str]) -> Dict[str, dict]:
    by_arm: Dict[str, Dict[int, float]] = {arm: {} for arm in arms}
    for result in _measured(results):
        by_arm.setdefault(result['arm'], {})[result['seed']] = result['value']
    return by_arm


def summarize(results: List[dict], arms: List[str]) -> List[dict]:
    """Per arm: runs, mean and standard deviation of the metric, its mean on
    the training data, and the difference to ``none`` paired by seed with
    its 95 % t-interval; failed runs are counted and left out.

    Args:
        results (list[dict]): one result per finished run.
        arms (list[str]): the arms, in the order of the table.

    Returns:
        list[dict]: one row per arm with runs (``n``, ``mean``, ``std``,
        ``train``, ``diff``, ``low``, ``high``; None where there are too few
        runs) and ``failed``, the ``(seed, failure)`` of its failed runs.
    """
    by_arm = _by_arm(results, arms)
    train: Dict[str, List[float]] = {arm: [] for arm in arms}
    failed: Dict[str, list] = {arm: [] for arm in arms}
    for result in results:
        if result.get('failure') is not None:
            failed.setdefault(result['arm'], []).append(
                (result['seed'], result['failure']))
        elif result['train_value'] is not None:
            train.setdefault(result['arm'], []).append(result['train_value'])
    baseline = by_arm.get(BASELINE, {})
    rows = []
    for arm in arms:
        values = np.array(list(by_arm[arm].values()))
        if not len(values) and not failed[arm]:
            continue
        row = dict(arm=arm, n=len(values),
                   mean=values.mean() if len(values) else None,
                   std=values.std(ddof=1) if len(values) > 1 else None,
                   train=float(np.mean(train[arm])) if train[arm] else None,
                   diff=None, low=None, high=None, failed=failed[arm])
        if arm != BASELINE:
            difference = paired_difference(by_arm[arm], baseline)
            row.update((key, difference[key])
                       for key in ('diff', 'low', 'high'))
        rows.append(row)
    return rows


def paired_table(results: List[dict], arms: List[str],
                 reference: str = SEARCHED) -> str:
    """``reference`` minus every other arm, paired by seed, as a Markdown
    table: its own starting point ``uniform`` first, then the arms in
    order. Empty when ``reference`` has no runs.

    Args:
        results (list[dict]): one result per finished run.
        arms (list[str]): the arms.
        reference (str): the arm compared. Defaults to ``'ddas'``.

    Returns:
        str: the table.
    """
    by_arm = _by_arm(results, arms)
    if not by_arm.get(reference):
        return ''
    others = sorted((arm for arm in arms if arm != reference),
                    key=lambda arm: arm != START)
    lines = ['| paired by seed | seeds | difference | 95 % interval |',
             '|---|---|---|---|']
    for arm in others:
        difference = paired_difference(by_arm[reference], by_arm[arm])
        if not difference['seeds']:
            continue
        lines.append(f'| {reference} − {arm} | {difference["seeds"]} | '
                     f'{difference["diff"]:+.4f} | {_interval(difference)} |')
    return '\n'.join(lines) + '\n'


def write_csv(path: str, results: List[dict]) -> None:
    """One row per run."""
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_COLUMNS, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(results)
    write_atomically(path, text.getvalue())


def _interval(row: dict) -> str:
    return ('–' if row['low'] is None else
            f'[{row["low"]:+.4f}, {row["high"]:+.4f}]')


def _number(value: Optional[float], digits: int = 4) -> str:
    return '–' if value is None else f'{value:.{digits}f}'


def markdown_table(summary: List[dict], metric: str,
                   search_seconds: Optional[float]) -> str:
    """The summary as a Markdown table, with the search's cost."""
    lines = [
        f'| arm | runs | {metric} mean ± std | difference to none | 95 % '
        f'interval | on the training data |', '|---|---|---|---|---|---|'
    ]
    failures = []
    for row in summary:
        interval = _interval(row)
        diff = '–' if row['diff'] is None else f'{row["diff"]:+.4f}'
        runs = str(row['n'])
        if row['failed']:
            runs += f' (+{len(row["failed"])} failed)'
        lines.append(f'| {row["arm"]} | {runs} | {_number(row["mean"])} '
                     f'± {_number(row["std"])} | {diff} | {interval} | '
                     f'{_number(row["train"])} |')
        failures += [f'- {row["arm"]}, seed {seed}: {failure}'
                     for seed, failure in row['failed']]
    if failures:
        lines += ['', 'Failed runs, left out of every figure above:',
                  *failures]
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
        values = [r['value'] for r in _measured(results) if r['arm'] == arm]
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
