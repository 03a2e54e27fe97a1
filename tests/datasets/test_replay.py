"""Replaying a per-epoch policy through real DataLoaders and a real Runner.

Fashion-MNIST images; a hand-written 4-epoch policy whose epochs each put
all mass on a different op that numpy reproduces exactly, so every sample
says which epoch's policy made it.
"""
import numpy as np
import pytest
import torch
from mmengine.dataset import (ClassBalancedDataset, ConcatDataset,
                              RepeatDataset)
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import IterBasedTrainLoop, Runner
from mmpretrain.datasets import FashionMNIST

from ddas_mm.datasets import (ProxySplit, disable_replay,
                              find_replay_progress, set_replay_progress)
from ddas_mm.ops import SearchSpace
from ddas_mm.testing import fashion_mnist_root, load_fashion_mnist

# Search epoch e puts all mass on OPS[e - 1]; numpy computes each exactly.
OPS = {
    'Invert': lambda x: 255 - x,
    'FlipLR': lambda x: x[:, ::-1],
    'FlipUD': lambda x: x[::-1],
    'Rotate90': lambda x: np.rot90(x, 1),  # counter-clockwise
}
NUM_SAMPLES = 16
# Each test here trains (slow).
pytestmark = [
    pytest.mark.filterwarnings(
        'ignore::DeprecationWarning:mmpretrain.datasets.mnist'),
    pytest.mark.slow
]


@pytest.fixture(scope='module', autouse=True)
def mmpretrain_scope():
    init_default_scope('mmpretrain')


@pytest.fixture(scope='module')
def raw_images():
    return load_fashion_mnist('test')[0][:NUM_SAMPLES]


def ops_space(num_ops=1):
    return SearchSpace(ops=[(name, None) for name in OPS], num_ops=num_ops)


def one_op_per_epoch_policy(policy_file):
    return policy_file(ops_space(),
                       [(1.0, np.eye(len(OPS))[i]) for i in range(len(OPS))])


def dataset_cfg(policy, pipeline_head=None, num_samples=NUM_SAMPLES):
    augment = dict(type='DynamicDDASAugment', policy=policy)
    return dict(
        type='FashionMNIST',
        data_root=fashion_mnist_root(),
        split='test',  # 10k images load faster than the 60k of 'train'
        test_mode=True,
        download=False,
        indices=num_samples,
        pipeline=(pipeline_head or [augment]) + [
            # LeNet-5 takes 32x32: pad at the bottom/right, so [:28, :28]
            # is the augmented image.
            dict(type='Pad', size=(32, 32)),
            dict(type='PackInputs', meta_keys=('sample_idx', 'ddas_ops')),
        ])


def loader_cfg(dataset, num_workers=2, persistent=True, **overrides):
    cfg = dict(
        batch_size=4,
        num_workers=num_workers,
        persistent_workers=persistent and num_workers > 0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset)
    cfg.update(overrides)
    return cfg


class Recorder(Hook):
    """Keeps what the model received: (epoch or iter, sample, ops, image)."""

    def __init__(self):
        self.train, self.val, self.test, self.workers = [], [], [], []

    @staticmethod
    def _samples(step, data_batch):
        for img, sample in zip(data_batch['inputs'],
                               data_batch['data_samples']):
            yield (step, sample.sample_idx, sample.ddas_ops,
                   img[0, :28, :28].numpy().copy())

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        by_iter = isinstance(runner.train_loop, IterBasedTrainLoop)
        step = runner.iter if by_iter else runner.epoch
        self.train.extend(self._samples(step, data_batch))

    def after_train_epoch(self, runner):
        iterator = runner.train_dataloader._iterator  # persistent workers
        if iterator is not None:
            self.workers.append((id(iterator),
                                 tuple(w.pid for w in iterator._workers)))

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.val.extend(self._samples(None, data_batch))

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self.test.extend(self._samples(None, data_batch))


def make_runner(tmp_path, train_dataloader, hooks, max_epochs=12,
                **kwargs):
    cfg = dict(
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='LeNet5', num_classes=10),
            head=dict(type='ClsHead', loss=dict(type='CrossEntropyLoss')),
            data_preprocessor=dict(
                type='ClsDataPreprocessor', mean=[73.0], std=[90.0],
                num_classes=10)),
        work_dir=str(tmp_path / 'work_dir'),
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=None, logger=dict(type='LoggerHook', interval=1000)),
        custom_hooks=hooks,
        default_scope='mmpretrain',
        log_level='WARNING',
        experiment_name=f'replay_{tmp_path.name}')
    cfg.update(kwargs)
    return Runner(**cfg)


def assert_replayed(records, raw_images, op_at_step):
    """Every sample carries, and shows, the op of its step's record."""
    assert records
    for step, idx, ops, img in records:
        name = op_at_step(step)
        assert ops == [name], (step, ops)
        np.testing.assert_array_equal(img, OPS[name](raw_images[idx]))


@pytest.mark.parametrize('start_method', ['fork', 'spawn'])
def test_epoch_mapping_with_persistent_workers(tmp_path, policy_file,
                                               raw_images, start_method):
    """4 search epochs over 12 training epochs: op 1 in epochs 1-3, op 2 in
    4-6, ... in samples from 2 persistent workers that are never
    restarted; the progress comes from DDASPolicyHook."""
    recorder = Recorder()
    runner = make_runner(
        tmp_path,
        loader_cfg(
            dataset_cfg(one_op_per_epoch_policy(policy_file)),
            multiprocessing_context=start_method),
        [dict(type='DDASPolicyHook'), recorder])
    runner.train()
    names = list(OPS)
    assert_replayed(recorder.train, raw_images, lambda e: names[e // 3])
    assert sorted({r[0] for r in recorder.train}) == list(range(12))
    assert len(recorder.train) == 12 * NUM_SAMPLES
    # The same iterator and worker processes served all 12 epochs.
    assert len(set(recorder.workers)) == 1
    assert len(recorder.workers[0][1]) == 2


def test_iteration_based_training(tmp_path, policy_file, raw_images):
    """Under IterBasedTrainLoop the progress is iter / max_iters. The hook
    sets it after each iteration, before the next batch is fetched, so
    (without prefetching workers) every batch replays its own iteration's
    record."""
    recorder = Recorder()
    runner = make_runner(
        tmp_path,
        loader_cfg(dataset_cfg(one_op_per_epoch_policy(policy_file)),
                   num_workers=0, batch_size=2,
                   sampler=dict(type='InfiniteSampler', shuffle=True)),
        [dict(type='DDASPolicyHook'), recorder],
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=24,
                       val_interval=1000))
    runner.train()
    names = list(OPS)
    for step, idx, ops, img in recorder.train:
        assert ops[0] == names[step * 4 // 24], (step, ops)
        np.testing.assert_array_equal(img, OPS[ops[0]](raw_images[idx]))
    assert {r[2][0] for r in recorder.train} == set(names)


@pytest.mark.parametrize('persistent', [True, False])
def test_iteration_based_training_with_workers(tmp_path, policy_file,
                                               raw_images, persistent):
    """An iteration-based loop starts its workers when it is built, before
    any hook runs: the hook must restart the iteration once the progress is
    set (else the first batches fail without a progress). Workers prepare
    up to num_workers * prefetch_factor batches ahead, so a batch replays
    the record of its own iteration or of one up to that many before."""
    recorder = Recorder()
    runner = make_runner(
        tmp_path,
        loader_cfg(dataset_cfg(one_op_per_epoch_policy(policy_file)),
                   num_workers=2, persistent=persistent, batch_size=2,
                   sampler=dict(type='InfiniteSampler', shuffle=True)),
        [dict(type='DDASPolicyHook'), recorder],
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=48,
                       val_interval=1000))
    runner.train()
    names = list(OPS)
    prefetched = 2 * 2  # num_workers * the default prefetch_factor
    assert len(recorder.train) == 48 * 2
    for step, idx, ops, img in recorder.train:
        allowed = {
            names[i * 4 // 48]
            for i in range(max(step - prefetched, 0), step + 1)
        }
        assert ops[0] in allowed, (step, ops)
        np.testing.assert_array_equal(img, OPS[ops[0]](raw_images[idx]))
    assert {r[2][0] for r in recorder.train} == set(names)


def test_without_the_hook_training_fails_naming_it(tmp_path, policy_file):
    runner = make_runner(
        tmp_path,
        loader_cfg(dataset_cfg(one_op_per_epoch_policy(policy_file)),
                   num_workers=0), [])
    with pytest.raises(RuntimeError, match=r"DDASPolicyHook"):
        runner.train()


def test_validation_and_testing_do_not_augment(tmp_path, policy_file,
                                               raw_images):
    """Val/test pipelines containing the transform (same config as the
    training one) give the original images, during training and in a
    test-only run."""
    policy = one_op_per_epoch_policy(policy_file)
    evaluation = dict(
        val_dataloader=loader_cfg(dataset_cfg(policy), num_workers=0),
        val_cfg=dict(),
        val_evaluator=dict(type='Accuracy'),
        test_dataloader=loader_cfg(dataset_cfg(policy), num_workers=0),
        test_cfg=dict(),
        test_evaluator=dict(type='Accuracy'))
    recorder = Recorder()
    runner = make_runner(
        tmp_path,
        loader_cfg(dataset_cfg(policy), num_workers=0),
        [dict(type='DDASPolicyHook'), recorder],
        max_epochs=2,
        **evaluation)
    runner.train()
    runner.test()
    assert len(recorder.val) == 2 * NUM_SAMPLES
    assert len(recorder.test) == NUM_SAMPLES
    for _, idx, ops, img in recorder.val + recorder.test:
        assert ops == []
        np.testing.assert_array_equal(img, raw_images[idx])
    names = list(OPS)  # 4 records over 2 epochs: records 0 and 2
    assert_replayed(recorder.train, raw_images, lambda e: names[e * 2])

    test_only = Recorder()
    make_runner(tmp_path, None, [dict(type='DDASPolicyHook'), test_only],
                train_cfg=None, optim_wrapper=None, **evaluation).test()
    assert [r[2] for r in test_only.test] == [[]] * NUM_SAMPLES


def ops_per_worker_and_epoch(loader, epochs=2):
    """{(epoch, worker): [ops of each sample, in order]} for a loader
    without shuffling (2 workers take batches alternately)."""
    drawn = {}
    for epoch in range(epochs):
        for b, batch in enumerate(loader):
            drawn.setdefault((epoch, b % 2), []).extend(
                tuple(s.ddas_ops) for s in batch['data_samples'])
    return drawn


@pytest.mark.parametrize('persistent', [False, True])
def test_epochs_and_workers_draw_differently(policy_file, persistent):
    """mmengine reseeds restarted workers identically every epoch; the
    draws must still differ between epochs and between workers."""
    policy = policy_file(ops_space(num_ops=3), [(1.0, [0.25] * 4)])
    loader = Runner.build_dataloader(
        loader_cfg(dataset_cfg(policy), persistent=persistent,
                   batch_size=2,
                   sampler=dict(type='DefaultSampler', shuffle=False)),
        seed=0)
    assert set_replay_progress(loader.dataset, 0.0) == 1
    drawn = ops_per_worker_and_epoch(loader)
    for worker in (0, 1):
        assert drawn[0, worker] != drawn[1, worker]
    for epoch in (0, 1):
        assert drawn[epoch, 0] != drawn[epoch, 1]
    # 64 equally likely sequences per sample: not all the same either.
    assert len(set(drawn[0, 0])) > 1


def test_finds_transforms_in_wrappers_and_nested_transforms(policy_file):
    policy = one_op_per_epoch_policy(policy_file)
    augment = dict(type='DynamicDDASAugment', policy=policy)
    nested = [
        dict(type='RandomChoice', transforms=[
            [augment], [dict(type='RandomApply', transforms=[augment])]]),
        dict(type='mmdet.MultiBranch', branch_field=['a', 'b'], a=[augment],
             b=[augment]),
        dict(type='KeyMapper', mapping={'img': 'img'}, transforms=[augment]),
        dict(type='mmdet.AutoAugment', policies=[[augment]]),
    ]
    nested_set = FashionMNIST(**{
        k: v for k, v in dataset_cfg(policy, nested, 8).items()
        if k != 'type'})
    plain_cfg = dataset_cfg(policy, num_samples=40)
    plain_set = FashionMNIST(**{k: v for k, v in plain_cfg.items()
                                if k != 'type'})
    wrapped = torch.utils.data.ConcatDataset([
        RepeatDataset(nested_set, times=2),
        ClassBalancedDataset(plain_set, oversample_thr=0.1),
        ConcatDataset([plain_set, plain_set]),  # the same ones: counted once
    ])
    assert set_replay_progress(wrapped, 0.5) == 6 + 1
    choice, branch, mapper, auto = nested_set.pipeline.transforms[:4]
    reached = [
        choice.transforms[0].transforms[0],
        choice.transforms[1].transforms[0].transforms.transforms[0],
        branch.branch_pipelines['a'].transforms[0],
        branch.branch_pipelines['b'].transforms[0],
        mapper.transforms.transforms[0],
        auto.transforms[0].transforms[0],
        plain_set.pipeline.transforms[0],
    ]
    assert all(t.replay_progress.value == 0.5 for t in reached)
    assert disable_replay(wrapped) == 7
    assert not any(t.replay_progress.enabled for t in reached)

    proxy = ProxySplit(plain_cfg, split='train', num_train=8, num_val=8)
    assert set_replay_progress(proxy, 0.25) == 1
    assert find_replay_progress(proxy)[0].value == 0.25
    assert set_replay_progress(proxy, np.float32(0.75)) == 1
    assert set_replay_progress(torch.utils.data.Subset(proxy, [0]), 1) == 1
    with pytest.raises(ValueError, match='progress'):
        set_replay_progress(proxy, -1)
