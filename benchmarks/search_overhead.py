"""Overhead of a DDAS search step over the bare passes it needs.

A search step (``DDASSearchLoop.search_step``) costs L-hat + 1 train
forward/backward passes and one validation forward/backward pass; everything
else (drawing policies, the ops, flattening and combining gradients, the
optimizer and policy updates) is overhead. This prints the median time of a
search step divided by the median time of those bare passes, both measured in
the same run, alternately, on the same batches, and what the difference is
spent on.

The bare passes are timed twice: on the batches as the dataloader gives them
(a list of images each, which plain training collates in every pass), and as
the search step runs them, the train batch moved and stacked once
(``batch_on_device``) for its L-hat + 1 passes. The first ratio is what a
search step costs over plain training passes; the second is the overhead
alone, which the parts below add up to.

Examples:
    python benchmarks/search_overhead.py                        # CPU default
    python benchmarks/search_overhead.py --device cuda --model wrn40-2 \
        --train-batch 32 --val-batch 256
"""
import argparse
import statistics
import tempfile
import time

import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

import ddas_mm  # noqa: F401 (registers the loop, the hook and WideResNet)
from ddas_mm.engine.batch_augment import augment_batch, batch_on_device
from ddas_mm.testing import load_fashion_mnist

# name: (backbone, neck, feature channels)
MODELS = {
    'lenet5': (dict(type='LeNet5',
                    num_classes=-1), dict(type='GlobalAveragePooling'), 120),
    'wrn16-2': (dict(type='WideResNet', depth=16,
                     widen_factor=2), dict(type='GlobalAveragePooling'), 128),
    'wrn40-2': (dict(type='WideResNet', depth=40,
                     widen_factor=2), dict(type='GlobalAveragePooling'), 128),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--model', choices=sorted(MODELS), default='wrn16-2')
    parser.add_argument('--train-batch', type=int, default=32)
    parser.add_argument('--val-batch', type=int, default=128)
    parser.add_argument('--num-policies', type=int, default=3)
    parser.add_argument('--space', default='cifar')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--amp', action='store_true', help='AmpOptimWrapper (GPU only)')
    return parser.parse_args()


def fashion_batches(batch_size: int, channels: int, offset: int):
    """Real images: Fashion-MNIST items padded to 32x32, C channels, uint8,
    as mmpretrain's PackInputs gives them (a list of (C, H, W))."""
    images, labels = load_fashion_mnist('train')
    images = torch.nn.functional.pad(
        torch.from_numpy(images[offset:offset + 4 * batch_size]), (2, 2, 2, 2))
    return classification_batches(
        images[:, None].expand(-1, channels, -1, -1),
        labels[offset:offset + len(images)], batch_size)


def classification_batches(images: torch.Tensor, labels, batch_size: int):
    """Batches of uint8 (N, C, H, W) images and their labels, as
    mmpretrain's PackInputs and the default collate give them."""
    samples = [
        dict(
            inputs=image.contiguous(),
            data_samples=DataSample().set_gt_label(int(label)))
        for image, label in zip(images, labels)
    ]
    return DataLoader(
        samples,
        batch_size=batch_size,
        shuffle=False,
        collate_fn=pseudo_collate)


def classifier(model: str) -> dict:
    """An mmpretrain classifier of ``MODELS`` for 10 classes."""
    backbone, neck, channels = MODELS[model]
    in_channels = 1 if model == 'lenet5' else 3
    if in_channels == 3:
        backbone = dict(backbone, in_channels=3)
    return dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=neck,
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=channels,
            loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(
            mean=[72.94] * in_channels, std=[90.02] * in_channels))


def build_loop(model: dict,
               train_loader,
               val_loader,
               work_dir: str,
               device: str = 'cpu',
               amp: bool = False,
               space: str = 'cifar',
               num_policies: int = 3,
               channel_order: str = 'rgb',
               scope: str = 'mmpretrain'):
    """A Runner whose DDASSearchLoop is ready for ``search_step`` calls.

    Args:
        model (dict): the model config.
        train_loader, val_loader (DataLoader): batches of S_train / S_val.
        work_dir (str): the runner's work dir.
        device (str): where the model runs.
        amp (bool): AmpOptimWrapper (CUDA only) instead of OptimWrapper.
        space (str): the search space preset.
        num_policies (int): L-hat.
        channel_order (str): of the batches' images.
        scope (str): the default scope ('mmpretrain' or 'mmdet').

    Returns:
        tuple: the runner and its loop.
    """
    init_default_scope(scope)
    runner = Runner(
        model=model,
        work_dir=work_dir,
        train_dataloader=train_loader,
        train_cfg=dict(
            type='DDASSearchLoop',
            max_epochs=1,
            policy_dataloader=val_loader,
            space=dict(preset=space),
            num_policies=num_policies,
            channel_order=channel_order),
        optim_wrapper=dict(
            type='AmpOptimWrapper' if amp else 'OptimWrapper',
            optimizer=dict(
                type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)),
        default_scope=scope,
        randomness=dict(seed=0),
        log_level='WARNING')
    runner.model.to(device)
    loop = runner.train_loop
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.model.train()
    return runner, loop


def bare_passes(runner, loop, train_batch, val_batch) -> None:
    """L-hat + 1 train forward/backward passes on one batch and one
    validation pass, the calls the search step makes, nothing else."""
    for batch in [train_batch] * (loop.num_policies + 1) + [val_batch]:
        loop.forward_backward(runner.model, runner.optim_wrapper, batch)
    runner.optim_wrapper.zero_grad()


def timed(fn, device) -> float:
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(runner, loop, steps: int, warmup: int, device: str) -> dict:
    """Median seconds of a search step (``search``), of its bare passes on
    the batches as loaded (``bare``) and as the search runs them
    (``passes``), of the ops on the L-hat copies (``augment``) and of the
    network optimizer step (``step``), measured alternately on the
    loaders' first batches."""
    train_batch = next(iter(loop.dataloader))
    val_batch = next(iter(loop.policy_dataloader))
    loop._val_batches = iter(lambda: val_batch, None)
    model = runner.model
    data, targets = batch_on_device(train_batch, model.data_preprocessor)
    policies = loop.policy.sample(loop.num_policies, torch.Generator())

    def augment_all():
        for policy in policies.tolist():
            augment_batch(loop.space, policy, data, targets, torch.Generator(),
                          loop.channel_order)

    def optimizer_step():
        for p in loop.gradients.params:
            p.grad = torch.zeros_like(p)
        runner.optim_wrapper.step()
        runner.optim_wrapper.zero_grad()

    def search_step():
        loop.search_step(train_batch)
        loop._iter += 1  # as run_iter does: the next step draws new policies

    parts = dict(
        search=search_step,
        bare=lambda: bare_passes(runner, loop, train_batch, val_batch),
        passes=lambda: bare_passes(runner, loop, data, val_batch),
        augment=augment_all,
        step=optimizer_step)
    times = {name: [] for name in parts}
    for i in range(warmup + steps):
        for name, part in parts.items():
            seconds = timed(part, device)
            if i >= warmup:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory() as work_dir:
        channels = 1 if args.model == 'lenet5' else 3
        runner, loop = build_loop(
            classifier(args.model),
            fashion_batches(args.train_batch, channels, 0),
            fashion_batches(args.val_batch, channels, 10000),
            work_dir,
            device=args.device,
            amp=args.amp,
            space=args.space,
            num_policies=args.num_policies)
        med = measure(runner, loop, args.steps, args.warmup, args.device)
    rest = med['search'] - med['passes'] - med['augment'] - med['step']
    print(f'{args.model} on {args.device}, train batch {args.train_batch}, '
          f'val batch {args.val_batch}, L-hat {args.num_policies}, space '
          f'{args.space} (K={loop.space.K}), {args.steps} steps')
    print(f'median search step        {1e3 * med["search"]:9.2f} ms')
    print(f'median bare passes        {1e3 * med["bare"]:9.2f} ms '
          f'(batches as loaded)')
    print(f'ratio                     {med["search"] / med["bare"]:9.3f}')
    print(f'median bare passes        {1e3 * med["passes"]:9.2f} ms '
          f'(as the search runs them: the train batch stacked once)')
    print(f'ratio to those            {med["search"] / med["passes"]:9.3f}')
    print('overhead over those, median of each part measured alone:')
    print(f'  ops on {loop.num_policies} copies        '
          f'{1e3 * med["augment"]:9.2f} ms')
    print(f'  network optimizer step  {1e3 * med["step"]:9.2f} ms')
    print(f'  the rest (gradient buffers, Eq. 12-17, policy update) '
          f'{1e3 * rest:.2f} ms')


if __name__ == '__main__':
    main()
