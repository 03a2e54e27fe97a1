"""PolicySchedule: replay mapping, smoothing, the policy file and its checks.
"""
import json
import os
import stat

import numpy as np
import pytest
import torch

from ddas_mm.ops import SearchSpace
from ddas_mm.policy import POLICY_FORMAT, PolicySchedule

OPS = [{'name': 'Invert', 'level': None}, {'name': 'FlipLR', 'level': None},
       {'name': 'Rotate', 'level': 4}]


def policy_content(**overrides):
    content = {
        'format': POLICY_FORMAT,
        'space': {'num_ops': 2, 'ops': [dict(op) for op in OPS]},
        'epochs': [{'epoch': 1, 'p_tp': 0.3, 'p_o': [0.2, 0.3, 0.5]},
                   {'epoch': 2, 'p_tp': 0.5, 'p_o': [0.1, 0.1, 0.8]}],
        'meta': {'seed': 0},
    }
    content.update(overrides)
    return content


def write(path, content):
    with open(path, 'w') as f:
        if isinstance(content, str):
            f.write(content)
        else:
            json.dump(content, f)
    return str(path)


def make_schedule(p_tp):
    schedule = PolicySchedule(SearchSpace.from_dict(policy_content()['space']))
    for i, p in enumerate(p_tp):
        p_o = np.zeros(3)
        p_o[i % 3] = 1.0
        schedule.append(p, p_o)
    return schedule


def test_roundtrip(tmp_path):
    path = write(tmp_path / 'p.json', policy_content())
    schedule = PolicySchedule.load(path)
    assert len(schedule) == 2 and schedule.space.K == 3
    np.testing.assert_allclose(schedule.p_tp, [0.3, 0.5])
    np.testing.assert_allclose(schedule.p_o, [[0.2, 0.3, 0.5],
                                              [0.1, 0.1, 0.8]])
    out = tmp_path / 'sub' / 'again.json'
    schedule.dump(str(out))
    assert json.loads(out.read_text()) == policy_content()
    assert os.listdir(out.parent) == ['again.json']  # no temp file left


def test_dump_gives_an_ordinary_files_permissions(tmp_path):
    plain = tmp_path / 'plain.txt'
    plain.write_text('x')
    path = tmp_path / 'ddas_policy.json'
    make_schedule([0.1]).dump(str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IMODE(
        os.stat(plain).st_mode)


def test_dump_is_atomic(tmp_path, monkeypatch):
    path = str(tmp_path / 'ddas_policy.json')
    make_schedule([0.1]).dump(path)
    before = open(path).read()

    def disk_full(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', disk_full)  # fails mid-write
    with pytest.raises(OSError):
        make_schedule([0.1, 0.2]).dump(path)
    assert open(path).read() == before
    assert os.listdir(tmp_path) == ['ddas_policy.json']


def test_append_accepts_tensors_and_checks():
    schedule = make_schedule([])
    schedule.append(torch.tensor(0.25, requires_grad=True),
                    torch.tensor([0.5, 0.25, 0.25], requires_grad=True))
    assert schedule.to_dict()['epochs'] == [
        {'epoch': 1, 'p_tp': 0.25, 'p_o': [0.5, 0.25, 0.25]}]
    with pytest.raises(ValueError, match='search epoch 2.*sum to 1'):
        schedule.append(0.25, [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match='K=3'):
        schedule.append(0.25, [0.5, 0.5])


@pytest.mark.parametrize('num_records', [1, 2, 3, 4, 7, 30])
@pytest.mark.parametrize('max_epochs', [1, 3, 12, 13, 150, 270])
def test_nearest_neighbour_index(num_records, max_epochs):
    schedule = make_schedule([0.5] * num_records)
    for epoch in range(max_epochs):
        # Integer arithmetic: record floor(epoch * T / max_epochs).
        assert schedule.index(epoch / max_epochs) == \
            epoch * num_records // max_epochs


def test_four_records_over_twelve_epochs():
    schedule = make_schedule([0.5] * 4)
    assert [schedule.index(e / 12) for e in range(12)] == \
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert schedule.index(1.0) == schedule.index(7.5) == 3
    with pytest.raises(ValueError, match='progress'):
        schedule.index(-0.1)
    with pytest.raises(ValueError, match='progress'):
        schedule.index(float('nan'))
    p_tp, p_o = schedule.policy_at(5 / 12)
    assert p_tp == 0.5 and p_o.tolist() == [0, 1, 0]


def test_mean_filter_on_p_tp_only():
    schedule = make_schedule([0.1, 0.5, 0.3, 0.7])
    # Window i..i+F_s-1; past the end, the last full window, as the
    # authors' process_npy.py pads (hand-computed).
    np.testing.assert_allclose(schedule.smoothed(2).p_tp,
                               [0.3, 0.4, 0.5, 0.5])
    np.testing.assert_allclose(schedule.smoothed(3).p_tp,
                               [0.3, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(schedule.smoothed(10).p_tp, [0.4] * 4)
    assert schedule.smoothed(1).p_tp.tolist() == schedule.p_tp.tolist()
    np.testing.assert_array_equal(schedule.smoothed(3).p_o, schedule.p_o)
    np.testing.assert_allclose(schedule.p_tp, [0.1, 0.5, 0.3, 0.7])
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match='F_s'):
            schedule.smoothed(bad)


def test_replay_variants_hold_what_they_name():
    """The paper's Table 6 (the last epoch's p_tp and/or p_o for all of
    training), the search's starting policy, and Table 5's constant p_tp."""
    schedule = make_schedule([0.1, 0.5, 0.3, 0.7])  # p_o one-hot 0, 1, 2, 0
    last_p_o = [1, 0, 0]
    held = schedule.replayed('last')
    assert held.p_tp.tolist() == [0.7] * 4
    assert held.p_o.tolist() == [last_p_o] * 4
    held_tp = schedule.replayed('last_p_tp')
    assert held_tp.p_tp.tolist() == [0.7] * 4
    np.testing.assert_array_equal(held_tp.p_o, schedule.p_o)
    held_po = schedule.replayed('last_p_o')
    assert held_po.p_tp.tolist() == schedule.p_tp.tolist()
    assert held_po.p_o.tolist() == [last_p_o] * 4
    assert schedule.replayed('dynamic').p_tp.tolist() == [0.1, 0.5, 0.3, 0.7]
    constant = schedule.with_p_tp(0.2)
    assert constant.p_tp.tolist() == [0.2] * 4
    np.testing.assert_array_equal(constant.p_o, schedule.p_o)
    # The schedule itself is untouched.
    assert schedule.p_tp.tolist() == [0.1, 0.5, 0.3, 0.7]

    with pytest.raises(ValueError, match='init_tp'):
        schedule.replayed('initial')
    schedule.meta['init_tp'] = 0.35
    initial = schedule.replayed('initial')
    assert initial.p_tp.tolist() == [0.35] * 4
    np.testing.assert_allclose(initial.p_o, np.full((4, 3), 1 / 3))
    with pytest.raises(ValueError, match="'dynamic', 'last'"):
        schedule.replayed('fixed')
    with pytest.raises(ValueError, match='p_tp must be a probability'):
        schedule.with_p_tp(1.5)


def _epochs(**record):
    base = {'epoch': 1, 'p_tp': 0.3, 'p_o': [0.2, 0.3, 0.5]}
    base.update(record)
    return [base]


BAD_FILES = {
    'corrupt': ('{"format": "ddas-policy/1", "epochs": [', 'JSON'),
    'not an object': ('[1, 2]', 'JSON object'),
    'format': (policy_content(format='ddas-policy/0'), 'ddas-policy/0'),
    'no format': ({k: v for k, v in policy_content().items()
                   if k != 'format'}, 'format'),
    'unknown op': (policy_content(space={'num_ops': 2, 'ops': [
        {'name': 'Rotate', 'level': 4}, {'name': 'Twirl', 'level': None}]}),
        'Twirl'),
    'no epochs': (policy_content(epochs=[]), 'empty'),
    'numbering': (policy_content(epochs=_epochs(epoch=2)), 'numbered'),
    'short p_o': (policy_content(epochs=_epochs(p_o=[0.5, 0.5])), 'K=3'),
    'negative': (policy_content(epochs=_epochs(p_o=[-0.2, 0.7, 0.5])),
                 'negative'),
    'not normalised': (policy_content(epochs=_epochs(p_o=[0.2, 0.3, 0.6])),
                       'sum to 1'),
    'p_tp > 1': (policy_content(epochs=_epochs(p_tp=1.2)), r'\[0, 1\]'),
    'p_tp negative': (policy_content(epochs=_epochs(p_tp=-0.1)), r'\[0, 1\]'),
    'p_tp nan': (policy_content(epochs=_epochs(p_tp=float('nan'))),
                 r'\[0, 1\]'),
    'p_o nan': (policy_content(epochs=_epochs(p_o=[0.5, float('nan'), 0.5])),
                'non-finite'),
    'p_o strings': (policy_content(epochs=_epochs(p_o=['a', 'b', 'c'])),
                    'list of numbers'),
}


@pytest.mark.parametrize('case', sorted(BAD_FILES))
def test_bad_files_name_file_and_problem(tmp_path, case):
    content, problem = BAD_FILES[case]
    path = write(tmp_path / 'bad_policy.json', content)
    with pytest.raises(ValueError, match=problem) as err:
        PolicySchedule.load(path)
    assert path in str(err.value)


def test_unknown_op_lists_valid_choices(tmp_path):
    path = write(tmp_path / 'p.json', BAD_FILES['unknown op'][0])
    with pytest.raises(ValueError) as err:
        PolicySchedule.load(path)
    assert 'Equalize' in str(err.value)  # one of the valid op names


def test_missing_file(tmp_path):
    path = str(tmp_path / 'nowhere' / 'ddas_policy.json')
    with pytest.raises(ValueError, match='does not exist') as err:
        PolicySchedule.load(path)
    assert path in str(err.value)
