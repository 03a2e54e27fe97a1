"""DynamicDDASAugment in mmdet train pipelines on a generated COCO set.

Each object's pixels are known (its annotated polygons). A second copy of
the set has, instead of the photo, image channel j = object j's mask, and
object j gets class j (object 1 is a crowd: ignore flag). The geometric ops
move pixels, boxes and masks by separate code paths, so after the pipeline
every surviving box must still enclose its own channel's object pixels, its
mask (bitmap or polygon) and a semantic map must cover them, and instances
that were dropped must take their labels, ignore flags and masks with them.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmdet.datasets import CocoDataset
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.registry import TRANSFORMS, init_default_scope

from ddas_mm.datasets import set_replay_progress
from ddas_mm.ops import SearchSpace
from ddas_mm.ops.polygons import rasterise
from ddas_mm.testing import make_coco_detection_set
from ddas_mm.testing.toy_data import FASHION_MNIST_CLASSES

GEOMETRIC_OPS = [('Rotate_BBox', 10), ('ShearX_BBox', 10), ('ShearY_BBox', 6),
                 ('TranslateX_BBox', 10), ('TranslateY_BBox', 10),
                 ('Rotate_Only_BBoxes', 10), ('TranslateX_Only_BBoxes', 10)]
OBJECT = 200  # a moved mask pixel above this is object (fill value is 128)
# Above the fill value: object, or object blended with the fill where an op
# uncovered pixels next to it (object / background edges blend to 127.5).
FILL = 128
# Two ops in a row on objects about 56 pixels wide: each moves the mask by
# the nearest pixel and blurs the image's edges (tests/ops/test_ops_masks.py
# holds one op to 0.9).
MIN_IOU = 0.85
TOLERANCE = 1.5  # px: bilinear resampling blurs edges by about a pixel
CROWD = 1  # object index (= class) marked iscrowd
REPEATS = 6


@pytest.fixture(scope='module')
def mask_set(tmp_path_factory):
    """Photo set + mask set sharing boxes; returns (root, ann_file)."""
    root = str(tmp_path_factory.mktemp('coco'))
    ann_file = make_coco_detection_set(
        root, num_images=8, image_size=(160, 120), objects_per_image=(2, 3),
        object_scale=1, seed=3)
    with open(ann_file) as f:
        coco = json.load(f)
    os.makedirs(osp.join(root, 'masks'))
    for image in coco['images']:
        anns = [a for a in coco['annotations']
                if a['image_id'] == image['id']]
        masks = rasterise(
            [[np.array(p) for p in a['segmentation']] for a in anns],
            image['height'], image['width'])
        channels = np.zeros(masks.shape[1:] + (3, ), np.uint8)
        for j, mask in enumerate(masks):
            channels[mask > 0, j] = 255
        image['file_name'] = image['file_name'].replace('.jpg', '.png')
        cv2.imwrite(osp.join(root, 'masks', image['file_name']), channels)
        for j, ann in enumerate(anns):  # file order = mask order
            ann['category_id'] = j + 1
            ann['iscrowd'] = int(j == CROWD)
    mask_ann = osp.join(root, 'mask_annotations.json')
    with open(mask_ann, 'w') as f:
        json.dump(coco, f)
    return root, ann_file, mask_ann


def retinanet_dataset(root, ann_file, prefix, policy):
    init_default_scope('mmdet')
    return CocoDataset(
        data_root=root,
        ann_file=ann_file,
        data_prefix=dict(img=prefix),
        metainfo=dict(classes=FASHION_MNIST_CLASSES),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', scale=(1333, 800), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='DynamicDDASAugment', policy=policy),
            dict(type='PackDetInputs',
                 meta_keys=('img_id', 'img_shape', 'ddas_ops')),
        ])


def geometric_policy(policy_file):
    return policy_file(
        SearchSpace(ops=GEOMETRIC_OPS, num_ops=2),
        [(1.0, np.full(len(GEOMETRIC_OPS), 1 / len(GEOMETRIC_OPS)))])


def outside(pixels_yx, box):
    """How far the pixel centres lie outside an xyxy box (0 if inside)."""
    x, y = pixels_yx[:, 1] + 0.5, pixels_yx[:, 0] + 0.5
    return np.maximum.reduce([box[0] - x, x - box[2], box[1] - y,
                              y - box[3], np.zeros_like(x)])


def test_boxes_enclose_objects_and_stay_aligned(mask_set, policy_file):
    root, _, mask_ann = mask_set
    dataset = retinanet_dataset(root, mask_ann, 'masks/',
                                geometric_policy(policy_file))
    assert set_replay_progress(dataset, 0.0) == 1
    np.random.seed(0)
    dropped = kept = 0
    for _ in range(REPEATS):
        for i in range(len(dataset)):
            num_objects = len(dataset.get_data_info(i)['instances'])
            packed = dataset[i]
            sample = packed['data_samples']
            assert len(sample.ddas_ops) == 2
            channels = packed['inputs'].permute(1, 2, 0).numpy()
            gt, ignored = sample.gt_instances, sample.ignored_instances
            # Ignore flags followed their objects: only the crowd is ignored.
            assert CROWD not in gt.labels.tolist()
            assert set(ignored.labels.tolist()) <= {CROWD}
            boxes = {int(label): box for label, box in zip(
                list(gt.labels) + list(ignored.labels),
                list(gt.bboxes.tensor.numpy()) +
                list(ignored.bboxes.tensor.numpy()))}
            assert len(boxes) == len(gt.labels) + len(ignored.labels)
            for j in range(num_objects):
                pixels = np.argwhere(channels[..., j] > OBJECT)
                if j in boxes:
                    kept += 1
                    assert outside(pixels, boxes[j]).max(initial=0) \
                        <= TOLERANCE, (sample.ddas_ops, j)
                else:  # dropped: its object left the image
                    dropped += 1
                    assert len(pixels) <= 2 * max(channels.shape), \
                        (sample.ddas_ops, j, len(pixels))
    assert dropped > 0 and kept > dropped


@pytest.mark.parametrize('poly2mask', [True, False])
def test_masks_and_maps_follow_their_objects(mask_set, policy_file,
                                             poly2mask):
    """Mask R-CNN's loading: bitmap (poly2mask) or polygon masks, and a
    semantic map of the objects' classes (what panoptic pipelines load)."""
    root, _, mask_ann = mask_set
    init_default_scope('mmdet')
    dataset = CocoDataset(
        data_root=root,
        ann_file=mask_ann,
        data_prefix=dict(img='masks/'),
        metainfo=dict(classes=FASHION_MNIST_CLASSES),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True,
                 poly2mask=poly2mask),
            dict(type='Resize', scale=(320, 240), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ])
    augment = TRANSFORMS.build(
        dict(type='DynamicDDASAugment',
             policy=geometric_policy(policy_file)))
    augment.replay_progress.set(0.0)
    mask_type = BitmapMasks if poly2mask else PolygonMasks
    np.random.seed(0)
    dropped = kept = 0
    for _ in range(REPEATS):
        for i in range(len(dataset)):
            results = dataset[i]
            channels = results['img']
            num_objects = len(results['gt_masks'])
            before = (channels > FILL).sum((0, 1))
            # Class j + 1 on object j's pixels (the crowd's too).
            results['gt_seg_map'] = (np.argmax(channels > FILL, -1) +
                                     1) * (channels > FILL).any(-1)
            results['gt_seg_map'] = results['gt_seg_map'].astype(np.uint8)
            results = augment(results)
            channels = results['img']
            masks = results['gt_masks']
            assert isinstance(masks, mask_type)
            labels = results['gt_bboxes_labels'].tolist()
            assert (len(masks) == len(labels) == len(results['gt_bboxes'])
                    == len(results['gt_ignore_flags']))
            assert results['gt_ignore_flags'].tolist() == [
                label == CROWD for label in labels]
            bitmaps = masks.to_ndarray()
            seg_map = results['gt_seg_map']
            assert set(np.unique(seg_map)) <= set(range(num_objects + 1)) | {
                255}
            for j in range(num_objects):
                pixels = channels[..., j] > FILL
                if j in labels:
                    kept += 1
                    for moved in (bitmaps[labels.index(j)], seg_map == j + 1):
                        assert_covers(moved, pixels, before[j],
                                      results['ddas_ops'])
                else:
                    dropped += 1
                    assert pixels.sum() <= 2 * max(pixels.shape)
    assert dropped > 0 and kept > dropped


def assert_covers(mask, pixels, count_before, ops):
    """A moved mask covers the moved object's pixels: each lies within two
    pixels of the other (mmdet's Resize and our ops resample the image
    bilinearly, the masks by the nearest pixel), and while the object keeps
    half its pixels their IoU is at least MIN_IOU."""
    mask = np.asarray(mask, np.uint8)
    pixels = pixels.astype(np.uint8)
    near = np.ones((3, 3), np.uint8)
    assert not (mask & ~cv2.dilate(pixels, near, iterations=2)).any(), ops
    assert not (pixels & ~cv2.dilate(mask, near, iterations=2)).any(), ops
    if pixels.sum() >= count_before / 2:
        iou = (mask & pixels).sum() / (mask | pixels).sum()
        assert iou >= MIN_IOU, (ops, iou)


def test_coco_preset_in_retinanet_pipeline(mask_set, policy_file):
    """Every op of the coco preset runs on real photos with their boxes."""
    root, ann_file, _ = mask_set
    space = SearchSpace(preset='coco')
    dataset = retinanet_dataset(
        root, ann_file, 'images/',
        policy_file(space, [(1.0, np.full(space.K, 1 / space.K))]))
    set_replay_progress(dataset, 0.0)
    seen = set()
    for _ in range(4):
        for i in range(len(dataset)):
            packed = dataset[i]
            sample = packed['data_samples']
            height, width = sample.img_shape
            assert packed['inputs'].shape == (3, height, width)
            boxes = sample.gt_instances.bboxes.tensor
            assert len(boxes) == len(sample.gt_instances.labels)
            assert (boxes[:, 2:] - boxes[:, :2] >= 1).all()
            assert (boxes >= 0).all() and (boxes[:, 2] <= width).all() and \
                (boxes[:, 3] <= height).all()
            seen.update(sample.ddas_ops)
    assert len(seen) > space.K // 2
