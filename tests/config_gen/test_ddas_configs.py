"""tools/misc/ddas_configs.py on zoo configs the project does not ship: the
search settings it takes from the task (search space, channel order, proxy
split, schedule, seed), and the configs it stops at with the line to change
and the fix.

The families of zoo configs that are generated and trained (one search step
and one retraining step each, with the policy checked where the search
applied its ops): tests/config_gen/test_zoo_families.py.
"""
import math
import re
import sys

import pytest
from mmengine.config import Config

import ddas_mm  # noqa: F401 (registers the transform and datasets)
from ddas_mm.config_gen import ConfigError, generate_ddas_configs
from ddas_mm.policy.defaults import POLICY_STEPS
from ddas_mm.testing import write_child_config
from tool_runner import run_tool

# Each test here generates configs from zoo configs (seconds each), or runs
# a tool in a subprocess.
pytestmark = pytest.mark.slow

ATSS = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
RESNET18_CIFAR = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'
RESNET50_IN1K = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'


def test_search_settings_follow_the_task(tmp_path):
    cifar = Config.fromfile(
        generate_ddas_configs(RESNET18_CIFAR,
                              out_dir=str(tmp_path / 'cifar')).search)
    in1k = Config.fromfile(
        generate_ddas_configs(RESNET50_IN1K,
                              out_dir=str(tmp_path / 'in1k')).search)
    atss = Config.fromfile(
        generate_ddas_configs(ATSS, out_dir=str(tmp_path / 'atss')).search)
    assert [c.train_cfg.space.preset
            for c in (cifar, in1k, atss)] == ['cifar', 'imagenet', 'coco']
    # mmpretrain's CIFAR10 holds RGB arrays; files load as BGR.
    assert [c.train_cfg.channel_order
            for c in (cifar, in1k, atss)] == ['rgb', 'bgr', 'bgr']
    # The paper's proxy tasks: CIFAR 2000 / 2000, COCO 3000 / 1500.
    assert (cifar.proxy.num_train, cifar.proxy.num_val) == (2000, 2000)
    assert (atss.proxy.num_train, atss.proxy.num_val) == (3000, 1500)
    # ATSS: 12 epochs, steps at 8 and 11 -> 30 search epochs, 20 and 28.
    steps = [s for s in atss.param_scheduler if s.type == 'MultiStepLR'][0]
    assert (steps.end, steps.milestones) == (30, [20, 28])
    # The paper's lengths, where they reach its policy steps: 30 epochs of
    # 3000 / 2 for ATSS, 20 of ceil(2000 / 16) for CIFAR.
    assert (atss.train_cfg.max_epochs, cifar.train_cfg.max_epochs) == (30, 20)
    # A small proxy split gets the epochs for the same policy steps: 100
    # images in batches of 16 are 7 steps an epoch.
    small = Config.fromfile(
        generate_ddas_configs(RESNET18_CIFAR, num_train=100,
                              out_dir=str(tmp_path / 'small')).search)
    batches = math.ceil(100 / small.train_dataloader.batch_size)
    assert small.train_cfg.max_epochs == math.ceil(POLICY_STEPS / batches)
    assert (small.train_cfg.max_epochs - 1) * batches < POLICY_STEPS
    # Boxes load before the resize in S_val, so they are at image scale.
    kinds = [t['type'] for t in atss.search_val_pipeline]
    assert kinds.index('LoadAnnotations') < kinds.index('Resize')
    # The generated configs inherit the zoo config: nothing copied of the
    # model.
    with open(generate_ddas_configs(
            ATSS, out_dir=str(tmp_path / 'atss')).search) as f:
        text = f.read()
    assert "_base_ = ['mmdet::atss/atss_r50_fpn_1x_coco.py']" in text
    assert 'ATSSHead' not in text
    # Seeded (the zoo configs set no seed), so that --resume repeats it.
    assert [c.randomness.get('seed')
            for c in (cifar, in1k, atss)] == [0, 0, 0]


def _assert_names_line(message, expected_text):
    """The error names a file and line that holds ``expected_text``."""
    match = re.search(r'at (\S+?):(\d+):', message)
    assert match, message
    with open(match.group(1)) as f:
        line = f.readlines()[int(match.group(2)) - 1]
    assert expected_text in line.replace(' ', '')


def test_adamw_stops_with_the_line_and_fix(tmp_path):
    zoo = 'mmdet::detr/detr_r50_8xb2-150e_coco.py'
    result = run_tool([
        sys.executable, 'tools/misc/ddas_configs.py', zoo, '--out-dir',
        str(tmp_path)
    ], check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_names_line(result.stderr, "type='AdamW'")
    assert '--sgd-lr' in result.stderr
    # The fix works: the search uses SGD, the retraining keeps AdamW.
    generated = generate_ddas_configs(zoo, out_dir=str(tmp_path), sgd_lr=0.01)
    optimizer = Config.fromfile(generated.search).optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr) == ('SGD', 0.01)
    assert Config.fromfile(
        generated.retrain).optim_wrapper.optimizer.type == 'AdamW'


def test_unknown_dataset_wrapper_stops(tmp_path):
    # The proxy split takes a dataset or a ConcatDataset of datasets, not
    # of wrapped ones.
    leaf = dict(type='CocoDataset', pipeline=[])
    user_config = write_child_config(
        tmp_path / 'concat.py', ATSS,
        dict(train_dataloader=dict(dataset=dict(
            type='ConcatDataset', _delete_=True, datasets=[
                leaf, dict(type='RepeatDataset', times=2, dataset=leaf)]))))
    with pytest.raises(ConfigError, match='ConcatDataset') as error:
        generate_ddas_configs(user_config, out_dir=str(tmp_path / 'out'))
    _assert_names_line(str(error.value), "'ConcatDataset'")
