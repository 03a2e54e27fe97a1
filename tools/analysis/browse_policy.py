"""Browse a dataset augmented by a searched DDAS policy.

Runs the training pipeline of a retraining config (the transforms before its
``Pack*`` transform) at chosen points of the training, and writes one image
per sample and point with the boxes and class names drawn and the applied
DDAS ops written on top::

    python tools/analysis/browse_policy.py \\
        configs/ddas/retinanet_r50_retrain.py \\
        --policy work_dirs/retinanet_r50_search/ddas_policy.json \\
        --progress 0 0.5 0.99 --num-images 8 --output-dir work_dirs/browse
"""
import argparse
import os
import os.path as osp
from typing import List

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import DATASETS, init_default_scope

from ddas_mm.datasets import set_replay_progress

BOX_COLOUR = (0, 255, 0)  # BGR
BOX_THICKNESS = 2
TEXT_COLOUR = (255, 255, 255)
BANNER_HEIGHT = 18


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write images of a dataset augmented by a DDAS policy')
    parser.add_argument('config', help='a retraining config')
    parser.add_argument(
        '--policy',
        help='policy file to use in every DynamicDDASAugment of the config '
        '(default: the config\'s own)')
    parser.add_argument(
        '--progress',
        type=float,
        nargs='+',
        default=[0.0, 0.5, 0.99],
        help='points of the training (fraction done, e.g. epoch / '
        'max_epochs) to show the policy at')
    parser.add_argument(
        '--num-images', type=int, default=8, help='samples to show')
    parser.add_argument(
        '--output-dir', default='work_dirs/browse_policy',
        help='where the images go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    return parser.parse_args()


def set_policy(cfg_node, policy: str) -> int:
    """Point every DynamicDDASAugment in a config (sub)tree at ``policy``.

    Returns:
        int: how many were changed.
    """
    changed = 0
    if isinstance(cfg_node, dict):
        if cfg_node.get('type') == 'DynamicDDASAugment':
            cfg_node['policy'] = policy
            changed += 1
        children = cfg_node.values()
    elif isinstance(cfg_node, (list, tuple)):
        children = cfg_node
    else:
        return 0
    return changed + sum(set_policy(child, policy) for child in children)


def innermost(dataset):
    """Follow dataset wrappers (``.dataset``) down to the one with data."""
    while not hasattr(dataset, 'pipeline') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return dataset


def run_until_packing(dataset, index: int) -> dict:
    """Run the dataset's pipeline on one sample, stopping before Pack*."""
    results = dataset.get_data_info(index)
    for transform in dataset.pipeline.transforms:
        if type(transform).__name__.startswith('Pack'):
            break
        results = transform(results)
        if results is None:
            return None
    return results


def draw(results: dict, classes: List[str]) -> np.ndarray:
    """Draw the boxes, class names and applied ops of one sample."""
    img = results['img']
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
    canvas = np.ascontiguousarray(img).copy()
    boxes = results.get('gt_bboxes')
    if boxes is not None:
        boxes = np.asarray(getattr(boxes, 'tensor', boxes)).reshape(-1, 4)
        labels = results.get('gt_bboxes_labels', [None] * len(boxes))
        for box, label in zip(boxes.round().astype(int), labels):
            cv2.rectangle(canvas, tuple(box[:2]), tuple(box[2:]), BOX_COLOUR,
                          BOX_THICKNESS)
            if label is not None and classes:
                cv2.putText(canvas, str(classes[label]),
                            (box[0], max(box[1] - 2, 8)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.35, BOX_COLOUR, 1)
    ops = results.get('ddas_ops', [])
    banner = np.zeros((BANNER_HEIGHT, canvas.shape[1], 3), np.uint8)
    cv2.putText(banner, ', '.join(ops) or '(not augmented)', (2, 13),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, TEXT_COLOUR, 1)
    return np.concatenate([banner, canvas])


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.policy and not set_policy(cfg.train_dataloader, args.policy):
        raise ValueError(f'{args.config} has no DynamicDDASAugment in its '
                         f'train_dataloader: nothing to browse.')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if not set_replay_progress(dataset, 0.0):
        raise ValueError(f'{args.config} has no DynamicDDASAugment in its '
                         f'training pipeline: nothing to browse.')
    data = innermost(dataset)
    classes = data.metainfo.get('classes') or []
    os.makedirs(args.output_dir, exist_ok=True)
    for progress in args.progress:
        set_replay_progress(dataset, progress)
        for index in range(min(args.num_images, len(data))):
            results = run_until_packing(data, index)
            if results is None:
                continue
            path = osp.join(args.output_dir,
                            f'{index:05d}_progress{progress:.2f}.jpg')
            cv2.imwrite(path, draw(results, classes))
    print(f'Wrote {len(args.progress)} x {args.num_images} images to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
