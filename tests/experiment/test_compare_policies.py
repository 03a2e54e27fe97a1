"""tools/analysis/compare_policies.py: search, retrain every arm, compare.

The whole harness runs once on a miniature experiment (one arm of each kind,
one seed, one epoch on 64 images, through tools/train.py and tools/test.py),
is killed after its first finished run and started again; a run stopped
after its first epoch resumes from its checkpoint; every arm's pipeline is
checked on its own, in this process, against a hand-written policy.
"""
import collections
import csv
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from scipy.stats import chisquare

from ddas_mm.experiment import (Experiment, HeadActivity, ToolLauncher,
                                run_one)
from ddas_mm.experiment.harness import _failure
from ddas_mm.ops import SearchSpace
from ddas_mm.policy import PolicySchedule
from tool_runner import REPO

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

TOOL = osp.join(REPO, 'tools', 'analysis', 'compare_policies.py')
EXPERIMENT = osp.join('tests', 'configs', 'experiment_tiny.py')
OPS = ('Invert', 'FlipLR', 'FlipUD', 'Rotate90')


def _start(work_dir, experiment=EXPERIMENT):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    return subprocess.Popen(
        [sys.executable, TOOL, experiment, '--work-dir', work_dir],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


# One arm of each kind a run goes through: no policy, no random transform,
# the searched policy replayed per epoch and at its last record, the
# search's start, a library policy. The other arms differ from these only in
# the transforms the tests below build and run in this process.
RUN_ARMS = ['none', 'bare', 'ddas', 'ddas-fixed', 'uniform', 'randaugment']


def test_the_arms_run_and_an_interrupted_experiment_continues(tmp_path):
    work_dir = str(tmp_path / 'experiment')
    first = osp.join(work_dir, 'runs', 'none', 'seed0', 'result.json')
    experiment = _write(tmp_path, arms=RUN_ARMS)
    harness = _start(work_dir, experiment)
    deadline = time.time() + 300
    while not osp.exists(first) and harness.poll() is None:
        assert time.time() < deadline, 'no run finished in 5 minutes'
        time.sleep(0.5)
    harness.send_signal(signal.SIGKILL)
    harness.communicate()
    finished_before = os.stat(first).st_mtime_ns
    searched_before = os.stat(osp.join(work_dir, 'search',
                                       'ddas_policy.json')).st_mtime_ns

    harness = _start(work_dir, experiment)
    out, _ = harness.communicate(timeout=1800)
    assert harness.returncode == 0, out[-3000:]
    started = [line for line in out.splitlines()
               if re.match(r'\[compare\] \S+, seed \d+$', line)]
    arms = RUN_ARMS
    # The killed run (the second, if it had started) runs again; the
    # finished one does not.
    assert [line.split()[1].rstrip(',') for line in started] == arms[1:]
    assert os.stat(first).st_mtime_ns == finished_before
    assert os.stat(osp.join(work_dir, 'search',
                            'ddas_policy.json')).st_mtime_ns == searched_before

    with open(osp.join(work_dir, 'results.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [r['arm'] for r in rows] == arms
    assert all(0 <= float(r['value']) <= 100 for r in rows)
    table = open(osp.join(work_dir, 'results.md')).read()
    for arm in arms:
        assert f'| {arm} | 1 |' in table
    assert 'Search:' in table
    # The searched policy against its own start first.
    assert table.splitlines()[2].startswith('| ddas − uniform | 1 |')
    assert os.path.getsize(osp.join(work_dir, 'results.png')) > 1000
    # Each run trained with its arm: the dumped configs say so.
    config = open(osp.join(work_dir, 'runs', 'ddas-fixed', 'seed0',
                           'config.py')).read()
    assert "replay='last'" in config
    config = open(osp.join(work_dir, 'runs', 'none', 'seed0',
                           'config.py')).read()
    assert 'DynamicDDASAugment' not in config
    # The training-data column is the trained network's accuracy on its
    # training images, as computed here from the checkpoint.
    for row in rows:
        run_dir = osp.join(work_dir, 'runs', row['arm'], 'seed0')
        if row['arm'] in ('bare', 'ddas'):
            assert float(row['train_value']) == pytest.approx(
                _accuracy_on_training_images(run_dir), abs=1e-3)
    assert '| on the training data |' in table


class StoppedAfterOneEpoch(ToolLauncher):
    """Its first training stops after the first epoch, as a session's end
    stops a run: with that epoch's checkpoint and no result."""

    stopped = False

    def run(self, tool, *args, log):
        if tool != 'train' or self.stopped:
            return super().run(tool, *args, log=log)
        self.stopped = True
        super().run(tool, *args, '--cfg-options', 'train_cfg.max_epochs=1',
                    log=log)
        raise KeyboardInterrupt


def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    """A two-epoch run stopped after its first epoch goes on from that
    epoch's checkpoint, its log kept; under a changed config the same folder
    is trained again from the start."""
    monkeypatch.chdir(REPO)
    options = dict(Config.fromfile(EXPERIMENT).retrain_cfg_options,
                   **{'train_cfg.max_epochs': 2,
                      'default_hooks.checkpoint.interval': 1})
    experiment = Experiment(
        _write(tmp_path, arms=['none'], retrain_cfg_options=options),
        str(tmp_path / 'work'))
    run = experiment.runs[0]
    env = dict(OMP_NUM_THREADS='1')
    with pytest.raises(KeyboardInterrupt):
        run_one(experiment, run, StoppedAfterOneEpoch(env=env))
    first_epoch = osp.join(run.work_dir, 'epoch_1.pth')
    saved = os.stat(first_epoch).st_mtime_ns

    result = run_one(experiment, run, ToolLauncher(env=env))

    assert result['resumed'] and result['failure'] is None
    train_log = open(osp.join(run.work_dir, 'train.log')).read()
    assert 'resumed epoch: 1,' in train_log
    trained = re.findall(r'Epoch\(train\) +\[(\d)\]', train_log)
    assert trained.count('1') == 1 and '2' in trained, trained
    assert train_log.index('resumed epoch') > train_log.index('Epoch(train)')
    assert os.stat(first_epoch).st_mtime_ns == saved
    assert open(osp.join(run.work_dir, 'last_checkpoint')).read().strip(
    ).endswith('epoch_2.pth')

    os.remove(osp.join(run.work_dir, 'result.json'))
    changed = Experiment(
        _write(tmp_path, arms=['none'],
               retrain_cfg_options=dict(options, **{
                   'train_dataloader.batch_size': 32})),
        str(tmp_path / 'work'))
    result = run_one(changed, run, ToolLauncher(env=env))
    assert not result['resumed']
    assert 'resumed epoch' not in open(osp.join(run.work_dir,
                                                'train.log')).read()


def _accuracy_on_training_images(run_dir):
    """Top-1 accuracy (%) of a run's last checkpoint on the Fashion-MNIST
    training images it trained on, through the test pipeline."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import MODELS
    from mmengine.runner import load_checkpoint

    from ddas_mm.testing import load_fashion_mnist
    cfg = Config.fromfile(osp.join(run_dir, 'config.py'))
    init_default_scope('mmpretrain')
    # As the Runner builds it: mmpretrain configs set the normalisation at
    # the top level.
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        load_checkpoint(model, f.read().strip(), map_location='cpu')
    count = cfg.train_dataloader.dataset.indices
    images, labels = load_fashion_mnist('train')
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    batch = pseudo_collate([
        pipeline({'img': image.copy(), 'gt_label': int(label)})
        for image, label in zip(images[:count], labels[:count])
    ])
    with torch.no_grad():
        predictions = model.test_step(batch)
    correct = [int(p.pred_label) == int(label)
               for p, label in zip(predictions, labels[:count])]
    return 100 * sum(correct) / count


@pytest.fixture
def experiment(tmp_path, policy_file):
    """The miniature experiment with a hand-written 3-epoch policy over 4
    exactly computable ops: epoch e puts 0.7 on op e, and p_tp rises."""
    experiment = Experiment(osp.join(REPO, EXPERIMENT), str(tmp_path))
    p_o = np.where(np.eye(3, len(OPS)), 0.7, 0.1)
    policy_file(SearchSpace(ops=[(name, None) for name in OPS], num_ops=1),
                zip((0.5, 0.6, 0.8), p_o), path=experiment.policy_file,
                meta=dict(init_tp=0.35))
    init_default_scope('mmpretrain')
    return experiment, PolicySchedule.load(experiment.policy_file)


def _draws(experiment, arm, progress, samples=2000):
    """The ops the arm's train pipeline applies to ``samples`` images."""
    cfg = experiment.arm_config(arm, 0)
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    augment = [t for t in pipeline.transforms
               if type(t).__name__ == 'DynamicDDASAugment']
    for transform in augment:
        transform.replay_progress.set(progress)
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    return [tuple(pipeline({'img': img.copy(), 'gt_label': 0})
                  ['data_samples'].get('ddas_ops', ()))
            for _ in range(samples)], pipeline


def _chi_square_p(counts, probabilities):
    total = sum(counts)
    return chisquare(counts, np.asarray(probabilities) * total).pvalue


STANDARD = ['RandomCrop', 'RandomFlip']  # the retraining config's own


def _types(experiment, arm):
    cfg = experiment.arm_config(arm, 0)
    return [t['type'] for t in cfg.train_dataloader.dataset.pipeline]


def test_bare_has_no_random_transform(experiment):
    experiment, _ = experiment
    drawn, pipeline = _draws(experiment, 'bare', 0.0, samples=5)
    assert [type(t).__name__ for t in pipeline.transforms] == [
        'Resize', 'PackInputs']
    assert set(drawn) == {()}
    # Deterministic: one image gives one result, every time.
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    outs = [pipeline({'img': img.copy(), 'gt_label': 0})['inputs']
            for _ in range(20)]
    assert all(torch.equal(out, outs[0]) for out in outs)


def test_none_keeps_crop_and_flip_and_no_policy(experiment):
    experiment, _ = experiment
    drawn, _ = _draws(experiment, 'none', 0.0, samples=5)
    assert _types(experiment, 'none') == STANDARD + ['Resize', 'PackInputs']
    assert set(drawn) == {()}


def test_policy_arms_add_their_policy_after_crop_and_flip(experiment):
    experiment, _ = experiment
    policies = {
        'ddas': 'DynamicDDASAugment', 'ddas-fixed': 'DynamicDDASAugment',
        'ddas-tp=0.2': 'DynamicDDASAugment', 'uniform': 'DynamicDDASAugment',
        'trivialaugment': 'GreyAsColour', 'randaugment': 'GreyAsColour',
        'autoaugment': 'GreyAsColour'
    }
    for arm, policy in policies.items():
        assert _types(experiment, arm) == STANDARD + [
            policy, 'Resize', 'PackInputs'], arm


def test_ddas_fixed_draws_from_the_last_record_at_every_stage(experiment):
    experiment, schedule = experiment
    for progress in (0.0, 0.5, 0.99):
        drawn, _ = _draws(experiment, 'ddas-fixed', progress)
        augmented = [ops[0] for ops in drawn if ops]
        assert abs(len(augmented) / len(drawn) - 0.8) < 0.04
        counts = collections.Counter(augmented)
        assert _chi_square_p([counts[name] for name in OPS],
                             schedule.p_o[-1]) > 0.001
    # The dynamic arm, for contrast, follows the epochs.
    drawn, _ = _draws(experiment, 'ddas', 0.0)
    counts = collections.Counter(ops[0] for ops in drawn if ops)
    assert counts.most_common(1)[0][0] == OPS[0]


def test_constant_p_tp_augments_that_share(experiment):
    experiment, _ = experiment
    for progress in (0.0, 0.99):
        drawn, _ = _draws(experiment, 'ddas-tp=0.2', progress)
        share = sum(bool(ops) for ops in drawn) / len(drawn)
        assert abs(share - 0.2) < 0.03  # 3.4 standard deviations


def test_uniform_draws_ops_uniformly_at_the_initial_p_tp(experiment):
    experiment, _ = experiment
    drawn, _ = _draws(experiment, 'uniform', 0.99)
    augmented = [ops[0] for ops in drawn if ops]
    assert abs(len(augmented) / len(drawn) - 0.35) < 0.04
    counts = collections.Counter(augmented)
    assert _chi_square_p([counts[name] for name in OPS],
                         [0.25] * 4) > 0.001


def test_library_arms_run_on_grey_images(experiment):
    experiment, _ = experiment
    for arm in ('trivialaugment', 'randaugment', 'autoaugment'):
        _, pipeline = _draws(experiment, arm, 0.0, samples=20)
        assert 'GreyAsColour' in [type(t).__name__
                                  for t in pipeline.transforms]


def _write(tmp_path, **changes):
    text = open(osp.join(REPO, EXPERIMENT)).read()
    for key, value in changes.items():
        text += f'\n{key} = {value!r}\n'
    path = tmp_path / 'experiment.py'
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('changes, message', [
    (dict(arms=['none', 'ddas', 'cutmix']), "Unknown arm 'cutmix'"),
    (dict(search='configs/ddas/no_such_search.py'),
     'search config configs/ddas/no_such_search.py does not exist'),
    (dict(metric='accuracy/top5'), "not \"metric\" = 'accuracy/top5'"),
    (dict(seeds=[]), '"arms" and "seeds" must not be empty'),
    (dict(retrain='tests/configs/lenet5_fashion-mnist_tiny.py'),
     'has no DynamicDDASAugment in its train pipeline'),
    (dict(check_dead_head=True),
     '"check_dead_head" is for single-stage detectors'),
])
def test_bad_experiments_fail_before_any_training(tmp_path, changes,
                                                  message):
    work_dir = str(tmp_path / 'work')
    harness = _start(work_dir, _write(tmp_path, **changes))
    out, _ = harness.communicate(timeout=300)
    assert harness.returncode == 2, out[-2000:]
    assert message in out
    assert not osp.exists(osp.join(work_dir, 'search'))
    assert not osp.exists(osp.join(work_dir, 'runs'))


def test_detection_arms_keep_the_config_as_it_was(tmp_path):
    """Arms change the DynamicDDASAugment alone: the rest of the config,
    tuples included (mmcv's Resize refuses a list), stays as it was; mmdet's
    AutoAugment moves the boxes, and no TrivialAugment does."""
    path = osp.join(REPO, 'configs', 'ddas', 'experiments',
                    'retinanet-tiny_fashion-det.py')
    experiment = Experiment(path, str(tmp_path))
    assert experiment.task == 'detection'
    cfg = experiment.arm_config('autoaugment', 0)
    train = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert train == ['LoadImageFromFile', 'LoadAnnotations', 'Resize',
                     'RandomFlip', 'AutoAugment', 'PackDetInputs']
    for pipeline in (cfg.train_dataloader.dataset.pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        resize = [t for t in pipeline if t['type'] == 'Resize'][0]
        assert resize['scale'] == (160, 120)
    with pytest.raises(ValueError, match='no detection library'):
        experiment.arm_config('trivialaugment', 0)


def _detection_experiment(tmp_path, **changes):
    """The tiny RetinaNet experiment on 8 generated training images and 4
    test images, with ``changes`` to the experiment file."""
    data = tmp_path / 'fashion-det'
    for split, count in (('train', 8), ('test', 4)):
        subprocess.run([
            sys.executable, 'tools/misc/make_detection_set.py',
            str(data / split), '--num-images', str(count)
        ], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    options = changes.pop('retrain_cfg_options', {})
    return _write(
        tmp_path,
        search='configs/ddas/retinanet-tiny_fashion-det_search.py',
        retrain='configs/ddas/retinanet-tiny_fashion-det_retrain.py',
        metric='coco/bbox_mAP',
        retrain_cfg_options={
            **{
                f'{split}_dataloader.{key}': value
                for split in ('train', 'val', 'test')
                for key, value in (('dataset.data_root', f'{data}/'),
                                   ('num_workers', 0),
                                   ('persistent_workers', False))
            },
            **{
                f'{split}_evaluator.ann_file': f'{data}/test/annotations.json'
                for split in ('val', 'test')
            },
            'param_scheduler': [],
            **options,
        },
        **changes)


def test_a_diverged_run_is_reported_and_the_others_go_on(tmp_path):
    """A detector whose training diverges (here by a learning rate of 1e4)
    detects nothing, and mmdet's CocoMetric then gives no mAP: the run is
    recorded as failed, with why, left out of the figures and listed under
    the table, and the experiment goes on to the next run."""
    experiment = _detection_experiment(
        tmp_path,
        arms=['none', 'bare'],
        retrain_cfg_options={
            # One batch an epoch: the loss is no longer finite by the third.
            'train_cfg.max_epochs': 4,
            'optim_wrapper.optimizer.lr': 1e4,
        })
    work_dir = str(tmp_path / 'work')
    out, _ = _start(work_dir, experiment).communicate(timeout=600)
    assert 'failed: the test gave no coco/bbox_mAP: its training diverged' \
        in out, out[-3000:]
    with open(osp.join(work_dir, 'results.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [(row['arm'], row['value']) for row in rows] == [('none', ''),
                                                            ('bare', '')]
    assert all('a loss of nan' in row['failure'] for row in rows)
    table = open(osp.join(work_dir, 'results.md')).read()
    assert '| none | 0 (+1 failed) | – ± – |' in table
    assert '- bare, seed 0: the test gave no coco/bbox_mAP' in table


def test_a_run_whose_classification_branch_died_is_failed(tmp_path):
    """With ``check_dead_head``, a detector whose classification convs give
    nothing above 0 (here from their init: weights 0, bias -1, and a
    learning rate of 0) still gives an mAP, but its scores no longer depend
    on the image: the run is failed, its mAP kept in its result."""
    experiment = _detection_experiment(
        tmp_path,
        arms=['none'],
        check_dead_head=True,
        retrain_cfg_options={
            'train_cfg.max_epochs': 1,
            'optim_wrapper.optimizer.lr': 0.0,
            'model.bbox_head.init_cfg': dict(
                type='Constant', layer='Conv2d', val=0.0, bias=-1.0),
        })
    work_dir = str(tmp_path / 'work')
    out, _ = _start(work_dir, experiment).communicate(timeout=600)
    assert 'failed: its classification branch is dead at the end' in out, \
        out[-3000:]
    with open(osp.join(work_dir, 'runs', 'none', 'seed0',
                       'result.json')) as f:
        result = json.load(f)
    assert result['value'] is not None
    assert result['head']['dead_share'] == [1.0]
    assert result['head']['score_spread'] == 0.0
    table = open(osp.join(work_dir, 'results.md')).read()
    assert '| none | 0 (+1 failed) | – ± – |' in table
    # A run that finished before the key was set is checked when the
    # harness starts again, from its checkpoint.
    result_file = osp.join(work_dir, 'runs', 'none', 'seed0', 'result.json')
    with open(result_file, 'w') as f:
        json.dump(dict(result, head=None, failure=None), f)
    out, _ = _start(work_dir, experiment).communicate(timeout=600)
    assert 'none, seed 0, finished before: failed: its classification ' \
        'branch is dead' in out, out[-3000:]
    with open(result_file) as f:
        assert json.load(f)['head']['dead_share'] == [1.0]


def test_only_a_dead_branch_fails_a_run_with_a_value(tmp_path):
    """The failure recorded for each outcome of a run."""
    (tmp_path / 'train.log').write_text('loss: nan\n')
    metric = 'coco/bbox_mAP'
    live = HeadActivity([0.6], 1.2)
    dead = HeadActivity([1.0], 0.0)
    assert _failure(str(tmp_path), metric, 0.3, live) is None
    assert _failure(str(tmp_path), metric, 0.3, None) is None
    assert _failure(str(tmp_path), metric, 0.3, dead).startswith(
        'its classification branch is dead at the end')
    assert 'its training diverged (a loss of nan' in _failure(
        str(tmp_path), metric, None, None)
