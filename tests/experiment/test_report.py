"""The comparison's paired differences against scipy's paired t-test."""
import numpy as np
import pytest
from scipy.stats import ttest_rel

from ddas_mm.experiment import markdown_table, paired_table, summarize


def _results(values: dict) -> list:
    return [dict(arm=arm, seed=seed, value=value, train_value=0.0,
                 failure=None if value is not None else 'no value')
            for arm, per_seed in values.items()
            for seed, value in enumerate(per_seed)]


def _row(table: str, label: str) -> list:
    [line] = [line for line in table.splitlines()
              if line.startswith(f'| {label} |')]
    return [cell.strip() for cell in line.strip('|').split('|')]


def test_paired_differences_match_a_paired_t_test():
    rng = np.random.default_rng(0)
    values = {arm: 80 + rng.normal(size=8)
              for arm in ('none', 'ddas', 'trivialaugment', 'uniform')}
    arms = list(values)
    table = paired_table(_results(values), arms)
    # ddas against its starting point first, then the arms in order.
    labels = [line.split('|')[1].strip() for line in table.splitlines()[2:]]
    assert labels == ['ddas − uniform', 'ddas − none',
                      'ddas − trivialaugment']
    for other in ('uniform', 'none', 'trivialaugment'):
        test = ttest_rel(values['ddas'], values[other])
        interval = test.confidence_interval(0.95)
        _, seeds, diff, bounds = _row(table, f'ddas − {other}')
        assert int(seeds) == 8
        assert float(diff) == pytest.approx(
            np.mean(values['ddas'] - values[other]), abs=1e-4)
        low, high = map(float, bounds.strip('[]').split(','))
        assert (low, high) == pytest.approx(
            (interval.low, interval.high), abs=1e-4)
    # The per-arm table's difference to none is the same computation.
    [row] = [r for r in summarize(_results(values), arms)
             if r['arm'] == 'uniform']
    interval = ttest_rel(values['uniform'], values['none']).confidence_interval()
    assert (row['low'], row['high']) == pytest.approx(
        (interval.low, interval.high))


def test_only_common_seeds_are_paired():
    values = {'ddas': [1.0, 2.0, 4.0], 'uniform': [0.5, 1.0]}
    table = paired_table(_results(values), list(values))
    assert _row(table, 'ddas − uniform')[1:3] == ['2', '+0.7500']
    assert paired_table(_results({'none': [1.0]}), ['none', 'ddas']) == ''


def test_failed_runs_are_counted_and_left_out():
    """A run without a value (its test gave no metric) pairs with nothing
    and enters no mean; its arm's row and the table say so."""
    values = {'none': [1.0, 2.0, 3.0], 'uniform': [2.0, 2.5, None],
              'ddas': [1.5, 3.0, 3.5]}
    results = _results(values)
    results[5]['failure'] = 'its training diverged'
    table = paired_table(results, list(values))
    assert _row(table, 'ddas − uniform')[1:3] == ['2', '+0.0000']
    assert _row(table, 'ddas − none')[1:3] == ['3', '+0.6667']
    rows = {row['arm']: row for row in summarize(results, list(values))}
    assert rows['uniform']['n'] == 2
    assert rows['uniform']['mean'] == pytest.approx(2.25)
    assert rows['uniform']['diff'] == pytest.approx(0.75)
    assert rows['uniform']['failed'] == [(2, 'its training diverged')]
    text = markdown_table(list(rows.values()), 'accuracy', None)
    assert _row(text, 'uniform')[1] == '2 (+1 failed)'
    assert '- uniform, seed 2: its training diverged' in text


def test_a_failed_run_with_a_value_is_left_out():
    """A run with a value that failed all the same (a detector whose
    classification branch died) enters no mean, training mean or pair."""
    values = {'none': [1.0, 2.0, 3.0], 'uniform': [2.0, 2.5, 0.1]}
    results = _results(values)
    for result, train_value in zip(results, [5, 6, 7, 8, 9, 100]):
        result['train_value'] = float(train_value)
    results[5]['failure'] = 'its classification branch is dead at the end'
    rows = {row['arm']: row for row in summarize(results, list(values))}
    assert rows['uniform']['n'] == 2
    assert rows['uniform']['mean'] == pytest.approx(2.25)
    assert rows['uniform']['train'] == pytest.approx(8.5)
    assert rows['uniform']['diff'] == pytest.approx(0.75)
    assert rows['uniform']['failed'] == [
        (2, 'its classification branch is dead at the end')]
