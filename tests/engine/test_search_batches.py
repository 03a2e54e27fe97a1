"""How the search augments a batch: boxes move with their image, degenerate
boxes go with their labels, images of any size, images left without boxes;
the box rule of every op, and bad annotations refused before anything
changes."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config
from mmengine.model import BaseDataPreprocessor
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmpretrain.structures import DataSample

from mmdet.structures.mask import BitmapMasks
from ops_samples import (EDGE_BOXES, EDGE_HEIGHT, EDGE_WIDTH,
                         assert_box_rule, edge_masks)
from tool_runner import REPO

from ddas_mm.engine.batch_augment import (augment_batch, batch_on_device,
                                         branch_batches)
from ddas_mm.ops import OPS, PRESETS, SearchSpace
from ddas_mm.ops.constants import TRANSLATE_BBOX_MAX_PIXELS

CONFIGS = osp.join(REPO, 'tests', 'configs')


def _detection_sample(boxes, labels, box_type=HorizontalBoxes):
    sample = DetDataSample()
    sample.gt_instances = InstanceData(
        bboxes=box_type(torch.tensor(boxes, dtype=torch.float32)),
        labels=torch.tensor(labels))
    return sample


def _image(height, width, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(256, (3, height, width), generator=gen,
                         dtype=torch.uint8)


def _augment(space, policy, data, generator, channel_order):
    """The search's two steps on a collated batch: to the device (the CPU
    here), then the policy."""
    data, groups = batch_on_device(data, BaseDataPreprocessor())
    return augment_batch(space, policy, data, groups, generator, channel_order)


def test_degenerate_boxes_dropped_with_their_labels():
    # Shifted by 50 px (Zoph et al.'s pixels on a 640 px long image), left
    # or right (a random direction): the left box leaves the image on a left
    # shift, the right box on a right shift; the middle box stays either way.
    level = 2
    assert TRANSLATE_BBOX_MAX_PIXELS * level / 10 == 50
    space = SearchSpace(ops=[('TranslateX_BBox', level)], num_ops=1)
    from mmdet.structures.mask import BitmapMasks
    boxes = [[0, 0, 10, 10], [60, 40, 90, 70], [620, 100, 630, 110]]
    sample = _detection_sample(boxes, [3, 7, 5])
    # Each instance's mask fills its box, and holds its label.
    masks = np.zeros((3, 120, 640), np.uint8)
    for mask, (x1, y1, x2, y2), label in zip(masks, boxes, [3, 7, 5]):
        mask[y1:y2, x1:x2] = label
    sample.gt_instances.masks = BitmapMasks(masks, 120, 640)
    data = dict(inputs=[_image(120, 640)], data_samples=[sample])
    for seed in range(4):
        out = _augment(space, [0], data, torch.Generator().manual_seed(seed),
                       'bgr')
        instances = out['data_samples'][0].gt_instances
        assert isinstance(instances.bboxes, HorizontalBoxes)
        boxes, labels = instances.bboxes.tensor, instances.labels.tolist()
        assert len(boxes) == 2
        shift = boxes[labels.index(7), 0].item() - 60
        assert abs(shift) == 50
        assert labels == ([3, 7] if shift > 0 else [7, 5])
        assert (boxes[:, 2:] - boxes[:, :2] >= 1).all()
        # The masks went with their instances.
        assert [int(m.max()) for m in instances.masks.masks] == labels
    # The input batch is untouched.
    assert len(sample.gt_instances) == 3
    assert out['data_samples'][0] is not sample


def test_an_image_left_without_boxes_still_trains(tmp_path):
    # 250 px of a 640 px long image: 125 px here, more than the height.
    space = SearchSpace(ops=[('TranslateY_BBox', 10)], num_ops=1)
    samples = [_detection_sample([[20, 30, 60, 70]], [2]),
               _detection_sample([[5, 5, 40, 50], [80, 60, 120, 100]], [1, 4])]
    for s in samples:
        s.set_metainfo(dict(img_shape=(120, 320), pad_shape=(120, 320),
                            scale_factor=(1.0, 1.0)))
    data = dict(inputs=[_image(120, 320, s) for s in (1, 2)],
                data_samples=samples)
    out = _augment(space, [0], data, torch.Generator(), 'bgr')
    assert [len(s.gt_instances) for s in out['data_samples']] == [0, 0]
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(CONFIGS, 'search_retinanet_tiny.py'))
    model = MODELS.build(cfg.model)
    batch = model.data_preprocessor(out, True)
    loss, _ = model.parse_losses(model(**batch, mode='loss'))
    loss.backward()
    assert torch.isfinite(loss)
    assert model.bbox_head.retina_cls.weight.grad.abs().sum() > 0


def test_images_of_different_sizes_keep_their_boxes():
    space = SearchSpace(ops=[('FlipLR', None)], num_ops=1)
    sizes = [(120, 160), (96, 128), (120, 160)]
    images = [_image(h, w, i) for i, (h, w) in enumerate(sizes)]
    samples = [_detection_sample([[10, 20, 30, 40]], [i], box_type=lambda t: t)
               for i in range(3)]
    out = _augment(space, [0], dict(inputs=images, data_samples=samples),
                   torch.Generator(), 'rgb')
    for image, (h, w), new, sample in zip(images, sizes, out['inputs'],
                                          out['data_samples']):
        torch.testing.assert_close(new, image.flip(-1))
        torch.testing.assert_close(sample.gt_instances.bboxes,
                                   torch.tensor([[w - 30., 20, w - 10, 40]]))


def test_stacked_classification_batch():
    space = SearchSpace(ops=[('Rotate90', None), ('Invert', None)], num_ops=2)
    images = torch.stack([_image(32, 32, i) for i in range(4)])
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    out = _augment(space, [0, 1], dict(inputs=images, data_samples=samples),
                   torch.Generator(), 'bgr')
    torch.testing.assert_close(out['inputs'],
                               255 - torch.rot90(images, 1, (2, 3)))
    assert out['data_samples'] is samples  # labels do not move


def test_images_of_one_size_are_stacked_once():
    """A collated list of images of one size becomes one tensor for all the
    passes of a step; images of several sizes stay a list."""
    preprocessor = BaseDataPreprocessor()
    same = [_image(32, 32, i) for i in range(3)]
    data, groups = batch_on_device(dict(inputs=same), preprocessor)
    assert torch.equal(data['inputs'], torch.stack(same))
    # One group, nothing moving with it.
    assert [(g.members, g.targets.is_empty) for g in groups] == [([0, 1, 2],
                                                                  True)]
    mixed = same[:2] + [_image(32, 48)]
    data, groups = batch_on_device(dict(inputs=mixed), preprocessor)
    assert isinstance(data['inputs'], list)
    assert all(a is b for a, b in zip(data['inputs'], mixed))
    assert [g.members for g in groups] == [[0, 1], [2]]


@pytest.mark.parametrize('field', ['gt_panoptic_seg'])
def test_per_pixel_annotations_are_refused(field):
    """The ops do not move panoptic maps; every sample is checked, not only
    the first."""
    from mmengine.structures import PixelData
    samples = [
        _detection_sample([[0, 0, 10, 10]], [1]),
        _detection_sample([[0, 0, 10, 10]], [1])
    ]
    setattr(samples[1], field,
            PixelData(sem_seg=torch.zeros(1, 120, 160, dtype=torch.uint8)))
    with pytest.raises(ValueError, match=field):
        _augment(
            SearchSpace(ops=[('FlipLR', None)], num_ops=1), [0],
            dict(inputs=[_image(120, 160)] * 2, data_samples=samples),
            torch.Generator(), 'bgr')


def test_masks_other_than_mmdets_are_refused():
    sample = _detection_sample([[0, 0, 10, 10]], [1])
    sample.gt_instances.masks = torch.zeros(1, 120, 160, dtype=torch.bool)
    with pytest.raises(TypeError, match='BitmapMasks or PolygonMasks'):
        _augment(
            SearchSpace(ops=[('FlipLR', None)], num_ops=1), [0],
            dict(inputs=[_image(120, 160)], data_samples=[sample]),
            torch.Generator(), 'bgr')


def test_crowd_boxes_move_like_object_boxes():
    """``ignored_instances`` (COCO's crowd regions) follow a rotation as the
    object boxes do, and keep their own fields."""
    space = SearchSpace(ops=[('Rotate_BBox', 10)], num_ops=1)
    objects = [[20, 30, 60, 70], [90, 10, 130, 50]]
    crowds = [[40, 60, 100, 110]]
    with_crowd = _detection_sample(objects, [1, 2])
    with_crowd.ignored_instances = InstanceData(
        bboxes=HorizontalBoxes(torch.tensor(crowds, dtype=torch.float32)),
        labels=torch.tensor([9]))
    all_objects = _detection_sample(objects + crowds, [1, 2, 9])
    outs = [
        _augment(space, [0],
                 dict(inputs=[_image(120, 160)], data_samples=[sample]),
                 torch.Generator().manual_seed(3), 'bgr')
        for sample in (with_crowd, all_objects)
    ]
    moved = outs[0]['data_samples'][0]
    reference = outs[1]['data_samples'][0].gt_instances.bboxes.tensor
    torch.testing.assert_close(moved.gt_instances.bboxes.tensor,
                               reference[:2])
    torch.testing.assert_close(moved.ignored_instances.bboxes.tensor,
                               reference[2:])
    assert not torch.equal(moved.ignored_instances.bboxes.tensor,
                           torch.tensor(crowds, dtype=torch.float32))
    assert moved.ignored_instances.labels.tolist() == [9]
    assert isinstance(moved.ignored_instances.bboxes, HorizontalBoxes)


def _two_objects(height=120, width=160):
    """Two polygon objects, white in their own channel on black (object 0 in
    channel 0, a crowd in channel 1), and their annotations."""
    from ddas_mm.ops.polygons import rasterise
    polygons = [np.array([20.3, 15.2, 65.6, 21.1, 50.4, 43.8, 68.2, 63.5,
                          24.7, 65.3, 32.1, 42.4]),
                np.array([90.5, 50.5, 140.2, 60.1, 120.7, 100.3])]
    bitmaps = rasterise([[p] for p in polygons], height, width)
    image = np.zeros((3, height, width), np.uint8)
    image[:2] = bitmaps * 255
    boxes = [[p[0::2].min(), p[1::2].min(), p[0::2].max(), p[1::2].max()]
             for p in polygons]
    return torch.from_numpy(image), bitmaps, polygons, boxes


@pytest.mark.parametrize('polygon_masks', [False, True])
def test_masks_and_map_move_with_each_copy(polygon_masks):
    """Mask R-CNN's and panoptic models' samples: the masks of the objects
    and of the crowd regions, and the semantic map, follow each copy's
    pixels."""
    from mmdet.structures.mask import BitmapMasks, PolygonMasks
    from mmengine.structures import PixelData
    image, bitmaps, polygons, boxes = _two_objects()
    height, width = bitmaps.shape[1:]
    mask_type = PolygonMasks if polygon_masks else BitmapMasks
    masks = [
        PolygonMasks([[p]], height, width) if polygon_masks else
        BitmapMasks(b[None], height, width)
        for p, b in zip(polygons, bitmaps)
    ]
    sample = _detection_sample(boxes[:1], [0])
    sample.gt_instances.masks = masks[0]
    sample.ignored_instances = InstanceData(
        bboxes=HorizontalBoxes(torch.tensor(boxes[1:], dtype=torch.float32)),
        labels=torch.tensor([1]),
        masks=masks[1])
    classes = bitmaps[0] * 1 + bitmaps[1] * 2
    sample.gt_sem_seg = PixelData(
        sem_seg=torch.from_numpy(classes[None].astype(np.uint8)))
    space = SearchSpace(ops=[('Rotate_BBox', 10), ('ShearX_BBox', 10),
                             ('TranslateY_BBox', 6),
                             ('Rotate_Only_BBoxes', 10)], num_ops=2)
    data = dict(inputs=[image], data_samples=[sample])
    for seed, policy in enumerate([[0, 1], [2, 0], [3, 1], [1, 3]]):
        out = _augment(space, policy, data, torch.Generator().manual_seed(
            seed), 'bgr')
        moved_image = out['inputs'][0].numpy()
        moved = out['data_samples'][0]
        seg_map = moved.gt_sem_seg.sem_seg[0].numpy()
        assert set(np.unique(seg_map)) <= {0, 1, 2, 255}
        for j, field in enumerate(('gt_instances', 'ignored_instances')):
            instances = getattr(moved, field)
            assert isinstance(instances.masks, mask_type)
            assert len(instances.masks) == len(instances.bboxes) == 1
            pixels = moved_image[j] > 128
            for mask in (instances.masks.to_ndarray()[0], seg_map == j + 1):
                iou = (mask & pixels).sum() / (mask | pixels).sum()
                assert iou >= 0.85, (policy, field, iou)
    # The batch as loaded is left as it was.
    assert sample.gt_instances.masks is masks[0]


def test_a_map_on_some_samples_only_is_refused():
    from mmengine.structures import PixelData
    samples = [_detection_sample([[0, 0, 10, 10]], [1]) for _ in range(2)]
    samples[1].gt_sem_seg = PixelData(
        sem_seg=torch.zeros(1, 120, 160, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"only some have \['gt_sem_seg'\]"):
        batch_on_device(dict(inputs=[_image(120, 160)] * 2,
                             data_samples=samples), BaseDataPreprocessor())


def _edge_sample(img_path=None):
    """The edge boxes: objects and a box outside in ``gt_instances``, the
    inverted and zero-width ones in ``ignored_instances``; masks in both."""
    masks = edge_masks()
    sample = _detection_sample([EDGE_BOXES[i] for i in range(4)], [0, 1, 2, 3])
    sample.gt_instances.masks = BitmapMasks(masks[:4], EDGE_HEIGHT,
                                            EDGE_WIDTH)
    sample.ignored_instances = InstanceData(
        bboxes=HorizontalBoxes(
            torch.tensor([EDGE_BOXES[i] for i in range(4, 7)])),
        labels=torch.tensor([4, 5, 6]),
        masks=BitmapMasks(masks[4:], EDGE_HEIGHT, EDGE_WIDTH))
    if img_path is not None:
        sample.set_metainfo(dict(img_path=img_path))
    return sample


@pytest.mark.parametrize('name', PRESETS['coco'].ops)
def test_every_coco_op_follows_the_box_rule(name):
    """The replay's rule (tests/datasets/test_dynamic_augment_bad_input.py)
    in the search: boxes clipped, boxes without an object dropped with
    their labels and masks, from either instance field."""
    level = None if OPS[name].magnitude is None else 10
    space = SearchSpace(ops=[(name, level)], num_ops=1)
    data = dict(inputs=[_image(EDGE_HEIGHT, EDGE_WIDTH, i) for i in range(2)],
                data_samples=[_edge_sample(), _edge_sample()])
    out = _augment(space, [0], data, torch.Generator().manual_seed(0), 'bgr')
    for sample in out['data_samples']:
        objects = sample.gt_instances
        assert len(sample.ignored_instances) == 0
        assert len(objects.masks) == len(objects)
        assert_box_rule(name, objects.bboxes.tensor, objects.labels.tolist())
    assert len(data['data_samples'][0].gt_instances) == 4  # input untouched


def test_the_clean_batch_follows_the_box_rule_too():
    """D_0 of a search step: its images as they are, its boxes under the
    rule an op that moves nothing leaves them under, so that the clean and
    the augmented batches differ by the ops alone."""
    space = SearchSpace(ops=[('Brightness', 10)], num_ops=1)
    images = [_image(EDGE_HEIGHT, EDGE_WIDTH, i) for i in range(2)]
    data, groups = batch_on_device(
        dict(inputs=images, data_samples=[_edge_sample(), _edge_sample()]),
        BaseDataPreprocessor())
    clean, copy = branch_batches(space, [[0]], data, groups,
                                 torch.Generator().manual_seed(0), 'bgr')
    # Images of one size: stacked by batch_on_device.
    assert torch.equal(clean['inputs'], torch.stack(images))
    assert not torch.equal(copy['inputs'], torch.stack(images))
    for batch in (clean, copy):
        for sample in batch['data_samples']:
            objects = sample.gt_instances
            assert len(sample.ignored_instances) == 0
            assert len(objects.masks) == len(objects)
            assert_box_rule('Identity', objects.bboxes.tensor,
                            objects.labels.tolist())
    assert len(data['data_samples'][0].gt_instances) == 4  # input untouched


def _bad(field, value):
    sample = _edge_sample('images/bad.jpg')
    getattr(sample, field).bboxes = value
    return sample


@pytest.mark.parametrize('make_bad,message', [
    (lambda: _bad('gt_instances', HorizontalBoxes(torch.tensor(
        [[0., 0., 5., 5.], [1., float('nan'), 9., 9.], [0., 0., 4., 4.],
         [0., 0., 3., float('inf')]]))),
     r'batch sample 1 \(images/bad.jpg\): gt_instances.bboxes holds NaN or '
     r'inf in box\(es\) \[1, 3\]: fix or remove those annotations'),
    (lambda: _bad('ignored_instances', torch.zeros(3, 5)),
     r'batch sample 1 \(images/bad.jpg\): ignored_instances.bboxes must hold '
     r'\(N, 4\) x1, y1, x2, y2 boxes, got shape \(3, 5\)'),
])
def test_bad_boxes_are_refused_naming_the_sample(make_bad, message):
    """Before, NaN failed deep in the box ops and (N, 5) boxes were read as
    (5N / 4, 4)."""
    bad = make_bad()
    before = bad.gt_instances.bboxes.tensor.clone()
    data = dict(inputs=[_image(EDGE_HEIGHT, EDGE_WIDTH, i) for i in range(2)],
                data_samples=[_edge_sample(), bad])
    with pytest.raises(ValueError, match=message):
        _augment(SearchSpace(ops=[('BBox_Cutout', 10)], num_ops=1), [0],
                 data, torch.Generator(), 'bgr')
    torch.testing.assert_close(bad.gt_instances.bboxes.tensor, before,
                               equal_nan=True)


def test_masks_of_another_size_are_refused():
    sample = _edge_sample('images/small.jpg')
    sample.gt_instances.masks = BitmapMasks(edge_masks()[:4, :-1],
                                            EDGE_HEIGHT - 1, EDGE_WIDTH)
    with pytest.raises(ValueError,
                       match=r'batch sample 0 \(images/small.jpg\): '
                       r'gt_instances.masks are 63 x 96 but the image is '
                       r'64 x 96'):
        batch_on_device(dict(inputs=[_image(EDGE_HEIGHT, EDGE_WIDTH)],
                             data_samples=[sample]), BaseDataPreprocessor())
