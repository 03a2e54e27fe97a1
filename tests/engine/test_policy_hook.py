"""DDASPolicyHook in a search: the policy file after every epoch, the
search state in checkpoints, the plot (its retraining side is tested with
DynamicDDASAugment in test_replay.py)."""
import glob
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from ddas_mm.engine import (DDASPolicyHook, DDASReplayHook,
                            DDASSearchRecordHook, add_checkpoint_safety_hook)
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

CONFIG = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')
PLAIN = (dict, list, tuple, str, int, float, bool, type(None), torch.Tensor)


class EpochEnds(Hook):
    """Keeps p at the end of every epoch, the policy file seen at the start
    of the next one, and which hook DDASPolicyHook chose for each epoch."""
    priority = 'LOWEST'

    def __init__(self, runner):
        self.policies, self.files, self.chosen = [], [], []
        [self.policy_hook] = [
            hook for hook in runner.hooks
            if isinstance(hook, DDASPolicyHook)
        ]

    def after_train_epoch(self, runner):
        self.chosen.append(self.policy_hook.chosen(runner))
        policy = runner.train_loop.policy
        self.policies.append((policy.p_tp.item(), policy.p_o.tolist()))

    def before_train_epoch(self, runner):
        path = osp.join(runner.work_dir, 'ddas_policy.json')
        self.files.append(
            json.load(open(path)) if osp.exists(path) else None)


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(map(_plain, value.keys())) and all(
            map(_plain, value.values()))
    if isinstance(value, (list, tuple)):
        return all(map(_plain, value))
    return isinstance(value, PLAIN)


@pytest.fixture(scope='module')
def search(tmp_path_factory):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path_factory.mktemp('search'))
    cfg.log_level = 'WARNING'
    cfg.visualizer = dict(type='Visualizer',
                          vis_backends=[dict(type='LocalVisBackend')])
    # The policy hook logs the top ops every 3 iterations, LoggerHook every
    # one: the visualizer must still get every iteration's values.
    cfg.custom_hooks = [dict(type='DDASPolicyHook', interval=3),
                        dict(type='DDASSignalHook')]
    add_checkpoint_safety_hook(cfg)  # as tools/train.py does
    runner = Runner.from_cfg(cfg)
    ends = EpochEnds(runner)
    runner.register_hook(ends)
    runner.train()
    return cfg.work_dir, ends


def test_policy_hook_records_a_search(search):
    _, ends = search
    hook = ends.policy_hook
    assert ends.chosen == [hook.search_hook] * 2
    assert isinstance(hook.search_hook, DDASSearchRecordHook)
    assert len(hook.search_hook.schedule) == 2


def test_policy_hook_stages_are_its_inner_hooks():
    # mmengine lists a hook under, and calls it at, the stages it
    # overrides: DDASPolicyHook's are those of its two hooks, not every
    # val/test iteration.
    hook = DDASPolicyHook()
    inner = (set(hook.search_hook.get_triggered_stages())
             | set(hook.replay_hook.get_triggered_stages()))
    assert set(hook.get_triggered_stages()) == inner
    assert 'after_val_iter' not in inner and 'after_test_iter' not in inner


def test_record_hook_refuses_a_retraining(tmp_path):
    cfg = Config.fromfile(
        osp.join(REPO, 'tests', 'configs', 'lenet5_fashion-mnist_tiny.py'))
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train_loop  # built, as train() builds it
    with pytest.raises(TypeError, match='name DDASPolicyHook'):
        DDASSearchRecordHook().before_train(runner)
    assert isinstance(DDASPolicyHook().chosen(runner), DDASReplayHook)


def test_policy_file_every_epoch(search):
    work_dir, ends = search
    assert ends.files[0] is None
    assert len(ends.files[1]['epochs']) == 1  # written after epoch 1
    # The budget spent so far, in policy steps (4 batches an epoch).
    assert ends.files[1]['meta']['policy_steps'] == 4
    content = json.load(open(osp.join(work_dir, 'ddas_policy.json')))
    assert content['format'] == 'ddas-policy/1'
    assert content['meta'] == dict(
        config=CONFIG, num_policies=2, init_tp=0.35, seed=0, policy_steps=8)
    assert content['space']['num_ops'] == 2
    assert [op['name'] for op in content['space']['ops']][:3] == [
        'FlipLR', 'Invert', 'Rotate90'
    ]
    # epochs[e-1] is the policy at the end of search epoch e.
    for e, (record, (p_tp, p_o)) in enumerate(
            zip(content['epochs'], ends.policies), 1):
        assert record['epoch'] == e
        assert record['p_tp'] == pytest.approx(p_tp, abs=1e-7)
        assert record['p_o'] == pytest.approx(p_o, abs=1e-7)
    assert osp.exists(osp.join(work_dir, 'ddas_policy.png'))


def test_visualizer_gets_p_tp_entropy_and_top_ops(search):
    """LoggerHook (interval 1) hands every visualizer backend p_tp, the
    entropy of p_o and the top 3 op probabilities of every iteration, also
    between the policy hook's own log intervals (3): at the end of each
    epoch those of the epoch's record."""
    work_dir, _ = search
    [path] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        rows = {row['step']: row for row in map(json.loads, f)}
    assert sorted(rows) == list(range(1, 9))  # 2 epochs of 4 iterations
    top = [f'p_o_top{k}' for k in (1, 2, 3)]
    for row in rows.values():
        assert {'p_tp', 'entropy_p_o', *top} <= row.keys()
        assert 'p_o_top4' not in row  # top_k = 3 of K = 6
    with open(osp.join(work_dir, 'ddas_policy.json')) as f:
        records = json.load(f)['epochs']
    for step, record in zip((4, 8), records):
        p_o = np.asarray(record['p_o'])
        assert rows[step]['p_tp'] == pytest.approx(record['p_tp'], abs=1e-7)
        assert rows[step]['entropy_p_o'] == pytest.approx(
            -(p_o * np.log(p_o)).sum(), abs=1e-5)
        assert [rows[step][key] for key in top] == pytest.approx(
            np.sort(p_o)[::-1][:3], abs=1e-7)
    # Each iteration's own values, not the first ones again.
    assert rows[1]['p_o_top1'] != rows[8]['p_o_top1']


def test_signal_hook_records_every_branch(search):
    """DDASSignalHook: one record per branch and step (8 steps x 2
    policies), d_l / Z_g summing to 1 in magnitude per step, and the
    first epoch's records in the first checkpoint."""
    work_dir, _ = search
    with open(osp.join(work_dir, 'ddas_signal.json')) as f:
        content = json.load(f)
    assert content['estimator'] == 'paper'
    assert content['candidates'][:3] == ['FlipLR', 'Invert', 'Rotate90']
    assert len(content['candidates']) == 6
    branches = content['branches']
    assert [r['iter'] for r in branches] == [i for i in range(1, 9)
                                              for _ in range(2)]
    for step in range(8):
        pair = branches[2 * step:2 * step + 2]
        assert sum(abs(r['d']) for r in pair) == pytest.approx(1.0)
        for record in pair:
            assert record['norm_ratio'] > 0
            assert len(record['ops']) == 2  # num_ops
            assert all(0 <= op < 6 for op in record['ops'])
    checkpoint = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), weights_only=True)
    assert checkpoint['ddas_signal'] == branches[:8]


def test_checkpoint_holds_plain_search_state(search):
    work_dir, ends = search
    checkpoint = torch.load(
        osp.join(work_dir, 'epoch_2.pth'), weights_only=True)
    state = checkpoint['ddas_search']
    assert _plain(state)
    assert set(state['loop']) == {
        'policy', 'policy_optim', 'tp_optim', 'num_skipped'
    }
    assert len(state['epochs']) == 2
    assert state['epochs'][1]['p_o'] == pytest.approx(
        ends.policies[1][1], abs=1e-7)


def test_resume_needs_the_search_state(search, tmp_path):
    work_dir, _ = search
    checkpoint = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), weights_only=True)
    del checkpoint['ddas_search']
    torch.save(checkpoint, tmp_path / 'no_state.pth')
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.resume, cfg.load_from = True, str(tmp_path / 'no_state.pth')
    add_checkpoint_safety_hook(cfg)
    with pytest.raises(ValueError, match='no DDAS search state'):
        Runner.from_cfg(cfg).train()


def test_plot_policy_tool(search, tmp_path, capsys):
    work_dir, _ = search
    spec = importlib.util.spec_from_file_location(
        'plot_policy', osp.join(REPO, 'tools', 'analysis', 'plot_policy.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'policy.png')
    assert tool.main(
        [osp.join(work_dir, 'ddas_policy.json'), '--out', out]) == 0
    assert osp.getsize(out) > 10000
    assert 'Plotted 2 epochs' in capsys.readouterr().out
    assert tool.main([str(tmp_path / 'missing.json')]) == 1
    assert 'does not exist' in capsys.readouterr().err


def test_testing_a_searched_checkpoint(search, tmp_path):
    """tools/test.py on a search checkpoint: the hook neither builds the
    search nor asks for its state."""
    work_dir, _ = search
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.load_from = osp.join(work_dir, 'epoch_2.pth')
    cfg.test_dataloader = dict(
        cfg.train_cfg.policy_dataloader, sampler=dict(type='DefaultSampler',
                                                      shuffle=False))
    cfg.test_cfg, cfg.test_evaluator = dict(), dict(type='Accuracy')
    add_checkpoint_safety_hook(cfg)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert 'accuracy/top1' in metrics
    assert isinstance(runner._train_loop, dict)  # never built
    [hook] = [h for h in runner.hooks if isinstance(h, DDASPolicyHook)]
    assert hook.chosen(runner) is hook.replay_hook
