"""An experiment's search_cfg_options: nested dicts and dotted keys reach
the search tools/train.py runs as they reach the config the harness reads."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from ddas_mm.experiment import Experiment, ToolLauncher, run_search
from ddas_mm.experiment.cfg_options import (cfg_options_arguments,
                                            dotted_options)
from ddas_mm.ops import SearchSpace
from ddas_mm.policy import PolicySchedule
from ddas_mm.tools import train
from tool_runner import REPO

EXPERIMENT = osp.join(REPO, 'tests', 'configs', 'experiment_tiny.py')
SEARCH = osp.join(REPO, 'tests', 'configs', 'search_lenet5_tiny.py')
# The tiny search runs 2 epochs of 4 steps of 16 images.
NESTED = dict(train_cfg=dict(max_epochs=1),
              train_dataloader=dict(batch_size=8))


def _experiment(tmp_path, monkeypatch, search_cfg_options) -> Experiment:
    """The tiny experiment with these search options, its paths relative
    to the repository, as the tool runs there."""
    monkeypatch.chdir(REPO)
    path = tmp_path / 'experiment.py'
    path.write_text(open(EXPERIMENT).read() +
                    f'\nsearch_cfg_options = {search_cfg_options!r}\n')
    return Experiment(str(path), str(tmp_path / 'work'))


def _train_tool_args(monkeypatch, *args):
    """The arguments tools/train.py parses from this command line."""
    monkeypatch.setattr(sys, 'argv', ['train.py', *args])
    return train.parse_args()


class TrainToolConfigs:
    """A launcher that builds the config tools/train.py would run from the
    arguments it is given, and writes the policy file of a finished search
    of that config's length."""

    def __init__(self, monkeypatch, policy_file, path: str):
        self.monkeypatch = monkeypatch
        self.policy_file = policy_file
        self.path = path
        self.configs = []

    def run(self, tool: str, *args, log: str) -> None:
        assert tool == 'train'
        cfg = train.build_config(_train_tool_args(self.monkeypatch, *args))
        self.configs.append(cfg)
        self.policy_file(SearchSpace(ops=[('Invert', None)], num_ops=1),
                         [(0.5, [1.0])] * cfg.train_cfg.max_epochs,
                         path=self.path)


def test_nested_options_reach_the_search_as_the_harness_reads_them(
        tmp_path, monkeypatch, policy_file):
    options = dict(NESTED, **{'default_hooks.logger.interval': 2})
    experiment = _experiment(tmp_path, monkeypatch, options)
    launcher = TrainToolConfigs(monkeypatch, policy_file,
                                experiment.policy_file)
    run_search(experiment, launcher)

    [ran] = launcher.configs
    expected = Config.fromfile(SEARCH)
    expected.merge_from_dict(options)  # recursively, as mmengine merges
    assert ran.train_cfg.type == 'DDASSearchLoop'
    assert ran.train_cfg.max_epochs == 1
    for key in ('train_cfg', 'train_dataloader', 'default_hooks'):
        assert ran[key] == expected[key], key
    assert ran.train_dataloader.batch_size == 8
    assert ran.default_hooks.logger.interval == 2
    # The harness reads the same length: 1 epoch is the whole search.
    assert experiment.search_done()
    assert run_search(experiment, launcher) == 0.0
    assert len(launcher.configs) == 1


def test_dotted_options_merge_as_the_nested_ones():
    nested = {
        'train_cfg': dict(max_epochs=3, space=dict(_delete_=True,
                                                   preset='sanity')),
        'train_dataloader.dataset': dict(num_train=32),
        'custom_hooks': {'0': dict(interval=7)},
        'optim_wrapper': dict(optimizer=dict(lr=0.5, momentum=0.0)),
        'env_cfg': dict(),
    }
    assert dotted_options(nested) == {
        'train_cfg.max_epochs': 3,
        'train_cfg.space._delete_': True,
        'train_cfg.space.preset': 'sanity',
        'train_dataloader.dataset.num_train': 32,
        'custom_hooks.0.interval': 7,
        'optim_wrapper.optimizer.lr': 0.5,
        'optim_wrapper.optimizer.momentum': 0.0,
        'env_cfg': {},
    }
    merged, dotted = Config.fromfile(SEARCH), Config.fromfile(SEARCH)
    dotted.merge_from_dict(dotted_options(nested))
    merged.merge_from_dict(nested)  # pops the _delete_ keys of nested
    assert dotted.to_dict() == merged.to_dict()
    assert merged.train_cfg.space == dict(preset='sanity')


@pytest.mark.parametrize('value', [
    2, 0.05, 1e-05, -3, True, False, None, 'DDASSearchLoop', 'a/b.json',
    [1, 2], (160, 120), [(1, 2), [0.5, 'x']], (7, ), []
])
def test_the_command_line_carries_each_value_as_it_is(monkeypatch, value):
    [argument] = cfg_options_arguments({'a.b': value})
    parsed = _train_tool_args(monkeypatch, SEARCH, '--cfg-options',
                              argument).cfg_options
    assert parsed == {'a.b': value}
    assert type(parsed['a.b']) is type(value)


@pytest.mark.parametrize('value, shown', [
    ('two words', "'twowords'"),
    ('a,b', "['a', 'b']"),
    ('2', '2'),
    ('None', 'None'),
    ([dict(type='DDASPolicyHook')], "[\"{'type':'DDASPolicyHook'}\"]"),
    (dict(), "'{}'"),
])
def test_options_the_command_line_changes_fail_before_any_run(
        tmp_path, monkeypatch, value, shown):
    with pytest.raises(ValueError) as error:
        _experiment(tmp_path, monkeypatch, {'train_cfg.x': value})
    message = str(error.value)
    assert '"search_cfg_options"' in message
    assert f'train_cfg.x={value!r} reads back as {shown}' in message
    assert not osp.exists(tmp_path / 'work')


@pytest.mark.slow
def test_a_search_with_a_nested_option_runs(tmp_path, monkeypatch):
    """The issue's case: train_cfg=dict(max_epochs=...) through the real
    tools/train.py."""
    experiment = _experiment(tmp_path, monkeypatch, NESTED)
    run_search(experiment, ToolLauncher(env=dict(OMP_NUM_THREADS='1')))
    assert len(PolicySchedule.load(experiment.policy_file)) == 1
