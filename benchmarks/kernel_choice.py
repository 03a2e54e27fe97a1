"""Which kernel set is faster on the CPU, by image size: OpenCV or torch.

``apply_op`` runs the OpenCV kernels one image at a time and the torch
kernels on the whole batch. On large images OpenCV wins (see
``ddas_mm/ops/kernels_cv2.py``); on small ones the per-image calls and
conversions cost more than the work. This times every op of the sanity and
cifar spaces (level 6, random directions) on uint8 batches of Fashion-MNIST
images resized to each size, both kernel sets interleaved, one thread, and
prints per size the median time of each set summed over the ops, their
ratio, and the ops where torch is slower.

Usage:
    python benchmarks/kernel_choice.py [--sizes 32 48 64 96] [--batch 32]
"""
import argparse
import statistics
import time

import torch

from ddas_mm.ops import OPS, apply_op
from ddas_mm.ops.space import PRESETS
from ddas_mm.testing import load_fashion_mnist


def batch_of(size: int, batch: int, channels: int) -> torch.Tensor:
    images = torch.from_numpy(load_fashion_mnist('test')[0][:batch])
    images = torch.nn.functional.interpolate(
        images[:, None].float(), size=(size, size), mode='bilinear')
    return images.round().clamp(0, 255).to(torch.uint8).expand(
        -1, channels, -1, -1).contiguous()


def timed(name, img, backend) -> float:
    level = None if OPS[name].magnitude is None else 6
    start = time.perf_counter()
    apply_op(name, img, None, level, backend=backend,
             generator=torch.Generator().manual_seed(0))
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[32, 48, 64, 96, 128])
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--channels', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = sorted(set(PRESETS['sanity'].ops + PRESETS['cifar'].ops))
    print(f'batch {args.batch}, {args.channels} channel(s), one thread, '
          f'{len(names)} ops, median of {args.repeats}')
    print(f'{"size":>5s} {"cv2 ms":>8s} {"torch ms":>9s} {"torch/cv2":>10s}'
          f'  ops where torch is slower')
    for size in args.sizes:
        img = batch_of(size, args.batch, args.channels)
        times = {(n, b): [] for n in names for b in ('cv2', 'torch')}
        for repeat in range(args.repeats):
            order = ('cv2', 'torch') if repeat % 2 else ('torch', 'cv2')
            for name in names:
                for backend in order:
                    times[name, backend].append(timed(name, img, backend))
        median = {key: statistics.median(v) for key, v in times.items()}
        cv2_ms = 1e3 * sum(median[n, 'cv2'] for n in names)
        torch_ms = 1e3 * sum(median[n, 'torch'] for n in names)
        slower = [
            f'{n} {median[n, "torch"] / median[n, "cv2"]:.1f}x'
            for n in names if median[n, 'torch'] > median[n, 'cv2']
        ]
        print(f'{size:5d} {cv2_ms:8.2f} {torch_ms:9.2f} '
              f'{torch_ms / cv2_ms:10.2f}  {", ".join(slower)}')


if __name__ == '__main__':
    main()
