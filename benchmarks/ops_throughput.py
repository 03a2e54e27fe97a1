"""Time ``ddas_mm.ops.apply_op`` against mmdet 3.3's own transforms.

One 640x480 BGR photo (matplotlib's ``grace_hopper.jpg``) on the CPU, one
thread for torch and OpenCV (a dataloader worker's budget), the same op at
the same magnitude (level 6, positive direction) on both sides. Both sides
start from and end with what a pipeline transform holds: an (H, W, C) numpy
image. Ours therefore includes wrapping it as a (C, H, W) tensor view and
handing back a contiguous (H, W, C) array (no copy when the kernel's result
already is one); mmdet's includes building its results dict. Timings are
interleaved (ours and mmdet, next op, ...) over the repeats and the median is
reported; which of the two runs first alternates.

Usage:
    python benchmarks/ops_throughput.py [--repeats 50]
"""
import argparse
import math
import os.path as osp
import time

import cv2
import matplotlib
import numpy as np
import torch
from mmdet.datasets import transforms as mmdet_transforms

from ddas_mm.ops import apply_op

LEVEL = 6
HEIGHT, WIDTH = 480, 640


def our_magnitudes(level):
    """The magnitude our ops use at ``level`` (RandAugment's ranges), in the
    unit mmdet's transform of the same op takes."""
    shear = 0.3 * level / 10
    return {
        'Rotate': 30.0 * level / 10,  # degrees
        'ShearX': math.degrees(math.atan(shear)),  # mmdet takes an angle
        'TranslateX': 0.45 * level / 10,  # fraction of the width
        'Color': 1 + 0.9 * level / 10,
        'Contrast': 1 + 0.9 * level / 10,
        'Brightness': 1 + 0.9 * level / 10,
        'Sharpness': 1 + 0.9 * level / 10,
        'Posterize': float(math.ceil(4 - 4 * level / 10)),  # bits
        'Solarize': 256 - 256 * level / 10,  # threshold
        'Equalize': None,
        'AutoContrast': None,
    }


def mmdet_transform(name, magnitude):
    """mmdet's transform of the op, forced to apply at ``magnitude``."""
    cls = getattr(mmdet_transforms, name)
    if magnitude is None:
        return cls(prob=1.0)
    kwargs = dict(prob=1.0, level=LEVEL, min_mag=magnitude, max_mag=magnitude)
    if name in ('Rotate', 'ShearX', 'TranslateX'):
        # The direction of our sign=1: mmdet negates the magnitude when a
        # uniform draw exceeds reversal_prob, and its positive angle turns
        # clockwise, ours counter-clockwise.
        kwargs['reversal_prob'] = 0.0 if name == 'Rotate' else 1.0
    return cls(**kwargs)


def load_image():
    path = osp.join(matplotlib.get_data_path(), 'sample_data',
                    'grace_hopper.jpg')
    img = cv2.imread(path)  # BGR, as mmdet's LoadImageFromFile
    return cv2.resize(img, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def run_ours(name, img):
    level = None if name in ('Equalize', 'AutoContrast') else LEVEL
    out, _ = apply_op(name,
                      torch.from_numpy(img).permute(2, 0, 1),
                      level=level,
                      sign=1)
    return np.ascontiguousarray(out.permute(1, 2, 0).numpy())


def run_mmdet(transform, img):
    return transform({'img': img, 'img_shape': img.shape[:2]})['img']


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    img = load_image()
    magnitudes = our_magnitudes(LEVEL)
    transforms = {
        name: mmdet_transform(name, mag)
        for name, mag in magnitudes.items()
    }
    times = {name: ([], []) for name in magnitudes}
    for name, transform in transforms.items():  # warm-up
        run_ours(name, img)
        run_mmdet(transform, img)
    for repeat in range(args.repeats):
        for name, transform in transforms.items():
            ours, theirs = times[name]
            runs = [(ours, lambda: run_ours(name, img)),
                    (theirs, lambda: run_mmdet(transform, img))]
            # Alternate who goes first: the first one finds the caches as
            # the previous op left them.
            for record, run in runs[::1 if repeat % 2 else -1]:
                record.append(seconds(run))

    print(f'apply_op vs mmdet 3.3 transforms: {WIDTH}x{HEIGHT} BGR photo, '
          f'CPU, 1 thread (torch and cv2), level {LEVEL}, median of '
          f'{args.repeats} interleaved runs;')
    print('both sides from numpy HWC in to contiguous numpy HWC out '
          '(tensor wrapping counted for ours).')
    print(f'{"op":<14}{"ours ms":>10}{"mmdet ms":>10}{"ours/mmdet":>12}')
    ratios = []
    for name, (ours, theirs) in times.items():
        ours_ms, theirs_ms = np.median(ours) * 1e3, np.median(theirs) * 1e3
        ratios.append(ours_ms / theirs_ms)
        print(f'{name:<14}{ours_ms:>10.3f}{theirs_ms:>10.3f}'
              f'{ratios[-1]:>12.2f}')
    geometric_mean = math.exp(np.mean(np.log(ratios)))
    print(f'{"geometric mean":<34}{geometric_mean:>12.2f}  (goal <= 1.0)')


if __name__ == '__main__':
    main()
