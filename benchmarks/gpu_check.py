"""One prepared check of ddas_mm on an accelerator: ops, search, replay.

Prints one table and exits with 1 if any check failed. Generated images
only, no data sets, no downloads.

1. ops: every candidate of every preset on the device against the CPU path
   (the kernels ``apply_op`` picks there) on the same uint8 batch and the
   same random draws, at 32x32 and 800x1333: pixels within the bounds of
   ``ddas_mm.testing.kernel_agreement`` (what the CPU tests hold the two
   kernel sets to), boxes within 1e-3 px; the geometric candidates' masks
   and semantic maps too;
2. search: WRN-40-2 search steps (train batch 32, S_val batch 256, the
   CIFAR setting), without and with AMP: search step / bare passes (as
   loaded / as the search runs them, see ``search_overhead.py``), and the
   hours a 20-epoch search on 2000 / 2000 images takes at that speed;
3. the same for RetinaNet R50 at 800x1333, 4 images, where mmdet and mmcv's
   compiled ops import (else: skipped);
4. replay: DynamicDDASAugment on 1067x800 images with boxes (a COCO image
   after the RetinaNet Resize), samples per second with each kernel set.

On a GPU machine::

    python benchmarks/gpu_check.py                 # --device cuda
    python benchmarks/gpu_check.py --device cpu --quick   # CI, < 1 minute

``--quick`` shrinks every part (small images, small batches, few steps):
it checks that the script runs, not the speeds.
"""
import argparse
import math
import sys
import tempfile
import time
import traceback
from typing import List

import numpy as np
import torch

from ddas_mm.datasets import DynamicDDASAugment
from ddas_mm.ops import (OPS, PRESETS, SearchSpace, Targets, apply_op,
                         apply_op_to_targets)
from ddas_mm.policy import PolicySchedule
from ddas_mm.testing.kernel_agreement import (box_disagreement,
                                              image_disagreement,
                                              mask_disagreement)

ROWS: List[tuple] = []  # (section, item, value, status)
# The paper's CIFAR search: 20 epochs over 2000 S_train images, batches of 32.
SEARCH_EPOCHS, SEARCH_IMAGES = 20, 2000


def row(section: str, item: str, value: str, status: str = 'ok') -> None:
    ROWS.append((section, item, value, status))
    print(f'{section:8s} {item:44s} {value:40s} {status}', flush=True)


def photo_batch(count: int, height: int, width: int) -> torch.Tensor:
    """uint8 (N, 3, H, W) with smooth and sharp structure: gradients, edges
    and noise, the same for every run."""
    gen = torch.Generator().manual_seed(0)
    y = torch.linspace(0, 1, height)[:, None]
    x = torch.linspace(0, 1, width)[None, :]
    base = torch.stack(torch.broadcast_tensors(255 * x * y, 255 * (1 - x),
                                               255 * y)).expand(
                                                   count, -1, -1, -1)
    noise = torch.randint(0, 40, (count, 3, height, width), generator=gen)
    blocks = (torch.rand(count, 1, 8, 8, generator=gen) > 0.5).float()
    blocks = torch.nn.functional.interpolate(blocks, size=(height, width))
    return (base + noise + 80 * blocks).clamp(0, 255).to(torch.uint8)


def random_boxes(count: int, height: int, width: int) -> list:
    gen = torch.Generator().manual_seed(1)
    boxes = []
    for _ in range(count):
        xy = torch.rand(3, 2, generator=gen) * torch.tensor([width, height])
        wh = (torch.rand(3, 2, generator=gen) * 0.4 + 0.1) * torch.tensor(
            [width, height])
        boxes.append(torch.cat([xy, torch.minimum(xy + wh, torch.tensor(
            [width, height]))], 1))
    return boxes


def check_ops(device: str, sizes, count: int) -> None:
    """Every candidate of every preset: device against the CPU path."""
    candidates = sorted(
        {c
         for preset in PRESETS for c in SearchSpace(preset).candidates},
        key=str)
    for height, width in sizes:
        img = photo_batch(count, height, width)
        boxes = random_boxes(count, height, width)
        # On the CPU itself, compare the torch kernels with the OpenCV ones.
        backend = 'torch' if device == 'cpu' else None
        failures = []
        for name, level in candidates:
            results = []
            for where, kernels in (('cpu', 'cv2'), (device, backend)):
                out, out_boxes = apply_op(
                    name, img.to(where), [b.to(where) for b in boxes], level,
                    generator=torch.Generator().manual_seed(0),
                    backend=kernels, box_prob=1.0)
                results.append((out, out_boxes))
            (cpu_img, cpu_boxes), (dev_img, dev_boxes) = results
            problem = (image_disagreement(name, cpu_img, dev_img)
                       or box_disagreement(cpu_boxes, dev_boxes))
            if problem:
                failures.append(f'{name}@{level}: {problem}')
        status = 'ok' if not failures else 'FAIL'
        row('ops', f'{len(candidates)} candidates, {count}x{height}x{width}',
            f'{len(candidates) - len(failures)} agree', status)
        for failure in failures:
            print(f'         {failure}')
        check_masks(device, candidates, img, boxes)


def check_masks(device: str, candidates, img: torch.Tensor,
                boxes: list) -> None:
    """The geometric candidates' instance masks (one filling each box) and
    semantic maps: device against the CPU path."""
    height, width = img.shape[-2:]
    masks = [torch.zeros(len(b), height, width, dtype=torch.uint8)
             for b in boxes]
    for image_masks, image_boxes in zip(masks, boxes):
        for mask, (x1, y1, x2, y2) in zip(image_masks,
                                          image_boxes.int().tolist()):
            mask[y1:y2, x1:x2] = 1
    seg_maps = torch.stack([m.amax(0) * 3 for m in masks])
    geometric = [(n, lv) for n, lv in candidates if OPS[n].moves_targets]
    failures = []
    for name, level in geometric:
        results = [
            apply_op_to_targets(
                name, img.to(where),
                Targets(boxes=[b.to(where) for b in boxes],
                        masks=[m.to(where) for m in masks],
                        seg_maps=seg_maps.to(where)),
                level, generator=torch.Generator().manual_seed(0),
                backend=kernels, box_prob=1.0)[1]
            for where, kernels in (('cpu', 'cv2'), (device, 'torch'))
        ]
        problem = (mask_disagreement(results[0].masks, results[1].masks)
                   or mask_disagreement(results[0].seg_maps,
                                        results[1].seg_maps))
        if problem:
            failures.append(f'{name}@{level}: {problem}')
    row('ops', f'masks and maps, {len(geometric)} geometric candidates',
        f'{len(geometric) - len(failures)} agree',
        'ok' if not failures else 'FAIL')
    for failure in failures:
        print(f'         {failure}')


def search_speed(section: str, item: str, runner, loop, steps: int,
                 device: str, per_epoch: int) -> None:
    from search_overhead import measure  # benchmarks/, beside this file
    med = measure(runner, loop, steps, 1, device)
    ratios = med['search'] / med['bare'], med['search'] / med['passes']
    hours = med['search'] * per_epoch * SEARCH_EPOCHS / 3600
    row(section, item, 'ratio {:.3f} / {:.3f}, step {:.1f} ms'.format(
        *ratios, 1e3 * med['search']))
    row(section, f'  {SEARCH_EPOCHS} epochs x {per_epoch} steps at that speed',
        f'{hours:.3f} h')


def check_search(device: str, quick: bool) -> None:
    """WRN-40-2 on the CIFAR setting, with and without AMP."""
    from search_overhead import (build_loop, classification_batches,
                                 classifier)
    model = 'wrn16-2' if quick else 'wrn40-2'
    train_batch, val_batch = (8, 16) if quick else (32, 256)

    def batches(size):
        images = photo_batch(size, 32, 32)
        return classification_batches(images, torch.arange(size) % 10, size)

    steps = 2 if quick else 10
    per_epoch = math.ceil(SEARCH_IMAGES / 32)
    for amp in (False, True):
        item = f'{model}, batches {train_batch}/{val_batch}' + (
            ', AMP' if amp else '')
        if amp and not device.startswith('cuda'):
            row('search', item, 'AMP needs CUDA', 'skipped')
            continue
        with tempfile.TemporaryDirectory() as work_dir:
            runner, loop = build_loop(
                classifier(model), batches(train_batch), batches(val_batch),
                work_dir,
                device=device, amp=amp)
            search_speed('search', item, runner, loop, steps, device,
                         per_epoch)


def detection_batches(count: int, height: int, width: int, batches: int):
    """A DataLoader of generated detection samples, as PackDetInputs packs
    them."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.dataset import pseudo_collate
    from mmengine.structures import InstanceData
    samples = []
    images = photo_batch(count * batches, height, width)
    for image, boxes in zip(images, random_boxes(len(images), height,
                                                 width)):
        sample = DetDataSample(metainfo=dict(
            img_shape=(height, width), ori_shape=(height, width),
            scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=HorizontalBoxes(boxes),
            labels=torch.arange(len(boxes)) % 80)
        samples.append(dict(inputs=image, data_samples=sample))
    return torch.utils.data.DataLoader(
        samples, batch_size=count, collate_fn=pseudo_collate)


def check_retinanet(device: str, quick: bool) -> None:
    """RetinaNet R50 search steps, where mmdet and mmcv's ops import."""
    try:
        import mmcv.ops  # noqa: F401
        import mmdet  # noqa: F401
    except ImportError as err:
        row('search', 'RetinaNet', f'no mmcv ops ({err.name})',
            'skipped')
        return
    from mmengine.hub import get_config
    from search_overhead import build_loop
    model = get_config('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py').model
    model.backbone.init_cfg = None  # no downloads: random weights
    depth = 50
    if quick:  # the same detector on a ResNet-18, a tenth of the work
        depth = model.backbone.depth = 18
        model.neck.in_channels = [64, 128, 256, 512]
    height, width, count = (96, 160, 2) if quick else (800, 1333, 4)
    steps = 1 if quick else 5
    item = f'RetinaNet R{depth}, {count} images {height}x{width}'
    with tempfile.TemporaryDirectory() as work_dir:
        runner, loop = build_loop(
            model, detection_batches(count, height, width, 1),
            detection_batches(count, height, width, 1), work_dir,
            device=device, space='coco', channel_order='bgr',
            scope='mmdet')
        # The paper's COCO search: 3000 images, 4 per GPU on 4 GPUs.
        search_speed('search', item, runner, loop, steps, device,
                     math.ceil(3000 / 16))


def check_replay(quick: bool) -> None:
    """DynamicDDASAugment samples per second with each kernel set."""
    height, width, count = (120, 160, 8) if quick else (800, 1067, 40)
    with tempfile.TemporaryDirectory() as folder:
        schedule = PolicySchedule(SearchSpace(preset='coco'))
        schedule.append(0.7, np.full(schedule.space.K, 1 / schedule.space.K))
        schedule.dump(f'{folder}/policy.json')
        images = photo_batch(count, height, width).permute(0, 2, 3,
                                                           1).numpy()
        boxes = random_boxes(count, height, width)
        for backend in ('cv2', 'torch'):
            transform = DynamicDDASAugment(f'{folder}/policy.json',
                                           backend=backend)
            transform.replay_progress.set(0.0)
            start = time.perf_counter()
            for image, box in zip(images, boxes):
                transform(dict(img=image.copy(), gt_bboxes=box.numpy()))
            rate = count / (time.perf_counter() - start)
            row('replay', f'{count} images {height}x{width}, {backend} '
                f'kernels', f'{rate:.1f} samples/s')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    print(f'ddas_mm GPU check on {args.device}'
          f'{" (" + torch.cuda.get_device_name() + ")" if args.device.startswith("cuda") else ""}'  # noqa: E501
          f', torch {torch.__version__}{", quick" if args.quick else ""}')
    sizes = [(32, 32), (64, 96)] if args.quick else [(32, 32), (800, 1333)]
    checks = [
        lambda: check_ops(args.device, sizes, 2 if args.quick else 4),
        lambda: check_search(args.device, args.quick),
        lambda: check_retinanet(args.device, args.quick),
        lambda: check_replay(args.quick),
    ]
    for check in checks:
        try:
            check()
        except Exception:  # a broken part is a failed row, not the end
            traceback.print_exc()
            row('error', traceback.format_exc().splitlines()[-1][:44], '',
                'FAIL')
    counts = {
        s: sum(r[3] == s for r in ROWS)
        for s in ('ok', 'skipped', 'FAIL')
    }
    print(f'{counts["ok"]} ok, {counts["skipped"]} skipped, '
          f'{counts["FAIL"]} FAIL')
    return 1 if counts['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
