"""DynamicDDASAugment on bad or awkward detection data: each op of the coco,
cifar and imagenet presets, forced (p_tp 1), either returns boxes the box
rule allows or the sample is refused, untouched, by a message that names
it, the key and the fix."""
import copy

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.registry import TRANSFORMS
from ops_samples import (EDGE_BOXES, EDGE_HEIGHT, EDGE_WIDTH,
                         assert_box_rule, edge_masks, random_image)

from ddas_mm.ops import OPS, PRESETS, SearchSpace
from ddas_mm.policy import PolicySchedule

IMG_PATH = 'images/edge.jpg'
OP_NAMES = sorted({
    name
    for preset in ('coco', 'cifar', 'imagenet') for name in PRESETS[preset].ops
})


def forced(tmp_path, name, level=None, p_tp=None):
    """DynamicDDASAugment with a policy of the one op ``name``, at its
    highest level."""
    if level is None and OPS[name].magnitude is not None:
        level = 10
    schedule = PolicySchedule(SearchSpace(ops=[(name, level)], num_ops=1))
    schedule.append(1.0, np.ones(1))
    path = str(tmp_path / f'{name}.json')
    schedule.dump(path)
    transform = TRANSFORMS.build(
        dict(type='DynamicDDASAugment', policy=path, p_tp=p_tp))
    transform.replay_progress.set(0.0)
    return transform


def edge_results(labels=tuple(EDGE_BOXES), masks=True, **extra):
    """A sample with the edge boxes of ``labels`` (label = box number),
    ignore flags on the odd ones, and bitmap masks."""
    boxes = np.array([EDGE_BOXES[label] for label in labels], np.float32)
    results = dict(
        img=random_image(EDGE_HEIGHT, EDGE_WIDTH, 3).numpy(),
        img_path=IMG_PATH,
        img_shape=(EDGE_HEIGHT, EDGE_WIDTH),
        gt_bboxes=HorizontalBoxes(torch.from_numpy(boxes)),
        gt_bboxes_labels=np.array(labels, np.int64),
        gt_ignore_flags=np.array([label % 2 == 1 for label in labels]))
    if masks:
        results['gt_masks'] = BitmapMasks(
            edge_masks()[list(labels)], EDGE_HEIGHT, EDGE_WIDTH)
    results.update(extra)
    return results


@pytest.mark.parametrize('name', OP_NAMES)
def test_every_op_follows_the_box_rule(tmp_path, name):
    """Boxes partly or wholly outside, inverted and zero-width: after any op
    the boxes are inside the image, the ones without an object are gone,
    and labels, ignore flags and masks went with their boxes."""
    transform = forced(tmp_path, name)
    for _ in range(3):  # symmetric ops draw their direction
        results = transform(edge_results())
        assert len(results['ddas_ops']) == 1
        labels = results['gt_bboxes_labels'].tolist()
        assert_box_rule(name, results['gt_bboxes'].tensor, labels)
        assert results['gt_ignore_flags'].tolist() == [
            label % 2 == 1 for label in labels]
        assert len(results['gt_masks']) == len(labels)
        assert isinstance(results['gt_bboxes'], HorizontalBoxes)


@pytest.mark.parametrize('name', ['Rotate_BBox', 'TranslateX_BBox',
                                  'FlipLR', 'Brightness', 'BBox_Cutout'])
def test_box_arrays_follow_the_rule_too(tmp_path, name):
    """Boxes as a float64 array, polygon masks: the same rule, the same
    types back."""
    results = edge_results(masks=False)
    results['gt_bboxes'] = results['gt_bboxes'].numpy().astype(np.float64)
    results['gt_masks'] = PolygonMasks(
        [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float64)]
         for x1, y1, x2, y2 in EDGE_BOXES.values()], EDGE_HEIGHT, EDGE_WIDTH)
    results = forced(tmp_path, name)(results)
    assert results['gt_bboxes'].dtype == np.float64
    assert isinstance(results['gt_masks'], PolygonMasks)
    labels = results['gt_bboxes_labels'].tolist()
    assert_box_rule(name, results['gt_bboxes'], labels)
    assert len(results['gt_masks']) == len(labels)


def assert_refused_untouched(transform, results, message):
    before = copy.deepcopy(results)
    with pytest.raises(ValueError, match=message) as error:
        transform(results)
    assert IMG_PATH in str(error.value)
    assert results.keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, HorizontalBoxes):
            value, now = value.tensor.numpy(), results[key].tensor.numpy()
        elif isinstance(value, BitmapMasks):
            value, now = value.masks, results[key].masks
        else:
            now = results[key]
        assert np.array_equal(np.asarray(value), np.asarray(now),
                              equal_nan=np.asarray(value).dtype.kind == 'f')


@pytest.mark.parametrize('value', [float('nan'), float('inf'),
                                   float('-inf')])
@pytest.mark.parametrize('name', ['BBox_Cutout', 'Rotate_Only_BBoxes',
                                  'Cutout_Only_BBoxes', 'Brightness',
                                  'Rotate_BBox', 'FlipLR'])
def test_non_finite_boxes_are_refused(tmp_path, name, value):
    results = edge_results(labels=(0, 1, 3))
    results['gt_bboxes'].tensor[1, 2] = value
    assert_refused_untouched(
        forced(tmp_path, name), results,
        r'gt_bboxes holds NaN or inf in box\(es\) \[1\]: fix or remove')


def test_bad_samples_are_refused_even_when_not_augmented(tmp_path):
    """The check does not depend on the draw: p_tp = 0 refuses too."""
    results = edge_results(labels=(0, 1, 3))
    results['gt_bboxes'].tensor[0, 0] = float('nan')
    assert_refused_untouched(forced(tmp_path, 'FlipLR', p_tp=0.0), results,
                             'NaN or inf')


def test_a_sample_that_draws_no_op_follows_the_box_rule_too(tmp_path):
    """Whether a bad box reaches the detector does not depend on the draw:
    with p_tp = 0 the boxes are clipped and the ones without an object
    dropped with their labels, ignore flags and masks, as an op that moves
    nothing would leave them."""
    results = edge_results()
    image = results['img'].copy()
    results = forced(tmp_path, 'FlipLR', p_tp=0.0)(results)
    assert results['ddas_ops'] == []
    assert np.array_equal(results['img'], image)
    labels = results['gt_bboxes_labels'].tolist()
    assert_box_rule('Identity', results['gt_bboxes'].tensor, labels)
    assert results['gt_ignore_flags'].tolist() == [
        label % 2 == 1 for label in labels]
    assert len(results['gt_masks']) == len(labels)


def test_a_disabled_replay_leaves_the_sample_as_it_is(tmp_path):
    """Validation and testing (the hook disables the transform): the
    annotations stay as loaded, bad boxes included."""
    transform = forced(tmp_path, 'FlipLR')
    transform.replay_progress.disable()
    results = transform(edge_results())
    assert results['ddas_ops'] == []
    assert results['gt_bboxes_labels'].tolist() == list(EDGE_BOXES)
    assert torch.equal(
        results['gt_bboxes'].tensor,
        torch.tensor(list(EDGE_BOXES.values()), dtype=torch.float32))


@pytest.mark.parametrize('key,count', [('gt_bboxes_labels', 2),
                                       ('gt_bboxes_labels', 4),
                                       ('gt_ignore_flags', 2),
                                       ('gt_masks', 2)])
def test_per_instance_keys_of_another_length_are_refused(tmp_path, key,
                                                         count):
    """Label 2's box is dropped by every op: before, a short label array
    failed with an IndexError after gt_bboxes was replaced."""
    results = edge_results(labels=(0, 1, 2))
    if key == 'gt_masks':
        results[key] = BitmapMasks(edge_masks()[:count], EDGE_HEIGHT,
                                   EDGE_WIDTH)
    else:
        results[key] = np.resize(results[key], count)
    assert_refused_untouched(
        forced(tmp_path, 'TranslateX_BBox'), results,
        rf'{key} has {count} entries but gt_bboxes has 3 boxes: give one '
        rf'per box')


@pytest.mark.parametrize('boxes,shape', [(np.zeros((3, 5), np.float32),
                                          r'\(3, 5\)'),
                                         (np.zeros(4, np.float32), r'\(4,\)')])
def test_boxes_not_n_by_4_are_refused(tmp_path, boxes, shape):
    """An (N, 5) array is no longer read as (5N / 4, 4) boxes."""
    results = edge_results(labels=(0, 1, 3), masks=False, gt_bboxes=boxes)
    assert_refused_untouched(forced(tmp_path, 'Rotate_BBox'), results,
                             rf'gt_bboxes must hold \(N, 4\) x1, y1, x2, y2 '
                             rf'boxes, got shape {shape}')


def test_no_boxes_in_any_empty_shape(tmp_path):
    results = edge_results(labels=(), masks=False,
                           gt_bboxes=np.zeros(0, np.float32))
    results = forced(tmp_path, 'Rotate_BBox')(results)
    assert results['gt_bboxes'].shape == (0, )
    assert len(results['gt_bboxes_labels']) == 0


def test_a_sample_without_img_is_refused(tmp_path):
    results = edge_results()
    del results['img']
    with pytest.raises(ValueError,
                       match=r'results\["img"\] must be the loaded .* put '
                       r'DynamicDDASAugment after LoadImageFromFile'):
        forced(tmp_path, 'FlipLR')(results)


def test_masks_and_maps_of_another_size_are_refused(tmp_path):
    transform = forced(tmp_path, 'Rotate_BBox')
    results = edge_results()
    results['gt_masks'] = BitmapMasks(edge_masks()[:, :-1], EDGE_HEIGHT - 1,
                                      EDGE_WIDTH)
    assert_refused_untouched(transform, results,
                             'gt_masks are 63 x 96 but the image is 64 x 96')
    for seg_map in (np.zeros((EDGE_HEIGHT, EDGE_WIDTH), np.float32),
                    np.zeros((EDGE_HEIGHT, EDGE_WIDTH - 1), np.uint8)):
        assert_refused_untouched(transform, edge_results(gt_seg_map=seg_map),
                                 'gt_seg_map must be integer labels of shape '
                                 r'\(64, 96\)')


def test_masks_other_than_mmdets_are_refused(tmp_path):
    with pytest.raises(TypeError, match='BitmapMasks or PolygonMasks'):
        forced(tmp_path, 'FlipLR')(edge_results(gt_masks=edge_masks()))


def test_panoptic_maps_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\['gt_panoptic_seg'\]"):
        forced(tmp_path, 'FlipLR')(edge_results(gt_panoptic_seg=None))
