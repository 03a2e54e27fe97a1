"""benchmarks/search_signal.py at a small setting: the tiny LeNet-5 search
(2 epochs of 4 policy steps), two seeds, the paper's estimator and the
random-sign noise floor."""
import json
import os.path as osp
import re
import sys

import pytest
from tool_runner import run_tool

# Each test here runs searches in subprocesses.
pytestmark = pytest.mark.slow

CONFIG = 'tests/configs/search_lenet5_tiny.py'


def _rows(out: str, first_column: str) -> list:
    return [line.strip('|').split('|') for line in out.splitlines()
            if line.startswith(f'| {first_column} ')]


def test_seeds_and_noise_floor(tmp_path):
    command = [sys.executable, 'benchmarks/search_signal.py', CONFIG,
               '--seeds', '0', '1', '--work-dir', str(tmp_path)]
    out = run_tool(command, timeout=600).stdout
    runs = _rows(out, 'paper') + _rows(out, 'random-sign')
    # Per run: estimator, seed, steps, p_tp, two correlations; then one
    # summary row per estimator.
    per_run = [row for row in runs if len(row) == 6 and
               re.fullmatch(r' \d+ ', row[2])]
    assert [(r[0].strip(), int(r[1])) for r in per_run] == [
        ('paper', 0), ('paper', 1), ('random-sign', 0), ('random-sign', 1)]
    assert all(int(r[2]) == 8 for r in per_run), out  # 2 epochs x 4 batches
    p_tp = [float(r[3]) for r in per_run]
    assert all(0 < p < 1 for p in p_tp) and len(set(p_tp)) == 4, out
    summaries = [row for row in runs if row not in per_run]
    assert [r[0].strip() for r in summaries] == ['paper', 'random-sign']
    for row in summaries:
        assert -1 <= float(row[1]) <= 1, out  # mean pairwise Spearman

    # The noise floor really replaced d_l: with L-hat = 2 random signs,
    # every d_l / Z_g is +-1/2; the paper's are not.
    def scaled_d(estimator):
        path = osp.join(tmp_path, estimator, 'seed0', 'ddas_signal.json')
        with open(path) as f:
            return [b['d'] for b in json.load(f)['branches']]

    assert {abs(d) for d in scaled_d('random-sign')} == {0.5}
    assert len({round(abs(d), 6) for d in scaled_d('paper')}) > 2

    # Finished runs are reused: a second call searches nothing.
    again = run_tool(command, timeout=120).stdout
    assert again == out
    untouched = osp.getmtime(osp.join(tmp_path, 'paper', 'seed0',
                                      'ddas_policy.json'))

    # A run stopped after its first epoch (its signal file is written after
    # every epoch) is not finished: it resumes from its checkpoint and ends
    # where the uninterrupted run ended.
    stopped = tmp_path / 'paper' / 'seed1'
    policy = stopped / 'ddas_policy.json'
    record = json.loads(policy.read_text())
    record['epochs'] = record['epochs'][:1]
    policy.write_text(json.dumps(record))
    (stopped / 'epoch_2.pth').unlink()
    (stopped / 'last_checkpoint').write_text(str(stopped / 'epoch_1.pth'))
    resumed = run_tool(command, timeout=600).stdout
    assert resumed == out
    assert len(json.loads(policy.read_text())['epochs']) == 2
    assert 'resumed epoch: 1,' in (stopped / 'search.log').read_text()
    assert osp.getmtime(osp.join(tmp_path, 'paper', 'seed0',
                                 'ddas_policy.json')) == untouched
