"""Throughput of the RetinaNet and Mask R-CNN train pipelines:
DynamicDDASAugment vs mmdet's AutoAugment.

The pipelines load the same generated COCO-format images (640x480; boxes,
and for Mask R-CNN the instance masks as bitmaps, mmdet's default), resize
to 1333x800 (keep ratio), flip with p=0.5, augment, and pack; one process,
one thread (like a dataloader worker: mmengine sets OpenCV to 0 threads and
OMP to 1). DynamicDDASAugment replays a policy over the ``coco`` op set with
a realistic ``p_tp`` (0.5 -> 0.7 over the search) and a near-uniform ``p_o``;
AutoAugment runs mmdet's default policies. Repeats are interleaved in one
run; per pipeline the medians and the ratio ours / mmdet are printed (goal:
>= 1.0)::

    python benchmarks/replay_throughput.py --num-images 200 --repeats 5
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import ddas_mm.datasets  # noqa: F401  (registers DynamicDDASAugment)
from ddas_mm.ops import SearchSpace
from ddas_mm.policy import PolicySchedule
from ddas_mm.testing import make_coco_detection_set

SEARCH_EPOCHS = 30  # the paper's COCO search (§4.4)
REPLAY_PROGRESS = 0.5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def write_policy(path: str, seed: int) -> None:
    """A realistic replayed policy: p_tp rising 0.5 -> 0.7, p_o near uniform.
    """
    rng = np.random.default_rng(seed)
    schedule = PolicySchedule(
        SearchSpace(preset='coco'), meta={'note': 'benchmark policy'})
    for p_tp in np.linspace(0.5, 0.7, SEARCH_EPOCHS):
        logits = rng.normal(0, 0.2, schedule.space.K)
        p_o = np.exp(logits) / np.exp(logits).sum()
        schedule.append(float(p_tp), p_o)
    schedule.dump(path)


# The annotations each model's pipeline loads.
MODELS = {
    'RetinaNet': dict(with_bbox=True),
    'Mask R-CNN': dict(with_bbox=True, with_mask=True),
}


def pipeline(augment: dict, annotations: dict) -> Compose:
    return Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', **annotations),
        dict(type='Resize', scale=(1333, 800), keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        augment,
        dict(
            type='PackDetInputs',
            meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                       'scale_factor', 'flip', 'flip_direction', 'ddas_ops')),
    ])


def samples_per_second(transforms: Compose, infos) -> float:
    start = time.perf_counter()
    for info in infos:
        transforms(copy.deepcopy(info))
    return len(infos) / (time.perf_counter() - start)


def main():
    args = parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(0)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    init_default_scope('mmdet')
    from mmdet.datasets import CocoDataset

    with tempfile.TemporaryDirectory() as root:
        ann_file = make_coco_detection_set(
            root,
            num_images=args.num_images,
            image_size=(640, 480),
            object_scale=4,
            seed=args.seed)
        policy = osp.join(root, 'ddas_policy.json')
        write_policy(policy, args.seed)
        dataset = CocoDataset(
            data_root=root,
            ann_file=ann_file,
            data_prefix=dict(img='images/'),
            pipeline=[])
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        print(f'{len(infos)} images 640x480, {args.repeats} interleaved '
              f'repeats, 1 thread')
        for model, annotations in MODELS.items():
            measure(model, annotations, policy, infos, args.repeats)


def measure(model: str, annotations: dict, policy: str, infos: list,
            repeats: int) -> None:
    """Print one model's samples/s with each augmentation and their ratio.
    """
    pipelines = {
        'DynamicDDASAugment':
        pipeline(dict(type='DynamicDDASAugment', policy=policy),
                 annotations),
        'mmdet AutoAugment':
        pipeline(dict(type='AutoAugment'), annotations),
    }
    pipelines['DynamicDDASAugment'].transforms[4].replay_progress.set(
        REPLAY_PROGRESS)
    rates = {name: [] for name in pipelines}
    for repeat in range(repeats):
        order = list(pipelines)
        if repeat % 2:
            order.reverse()
        for name in order:
            rates[name].append(samples_per_second(pipelines[name], infos))
    augmented = sum(
        bool(pipelines['DynamicDDASAugment'](copy.deepcopy(info))
             ['data_samples'].ddas_ops) for info in infos)
    print(f'{model} train pipeline ({", ".join(annotations)}); '
          f'DynamicDDASAugment augmented {augmented / len(infos):.0%} of the '
          f'samples')
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, median in medians.items():
        runs = ', '.join(f'{r:.1f}' for r in rates[name])
        print(f'{name:>20}: median {median:.1f} samples/s ({runs})')
    ratio = medians['DynamicDDASAugment'] / medians['mmdet AutoAugment']
    print(f'{model} ratio ours / mmdet: {ratio:.2f} (goal >= 1.0)')


if __name__ == '__main__':
    main()
