"""Instance masks and semantic maps follow the pixels.

One object, a polygon drawn white on black, and its three annotations: the
bitmap mask, the polygon, and a semantic map of class 3. After each op the
object's pixels are found in the image alone (brighter than the fill value
128); the moved bitmap, the moved polygon (rasterised by pycocotools, as
mmdet does) and the map's class must each cover the same pixels.
"""
import numpy as np
import pytest
import torch
from mmdet.datasets import transforms as mmdet_transforms
from mmdet.structures.mask import PolygonMasks
from pycocotools import mask as mask_utils

from ddas_mm.ops import OPS, PRESETS, Targets, apply_op_to_targets
from ddas_mm.ops.polygons import rasterise, trace
from ddas_mm.testing.kernel_agreement import mask_disagreement

HEIGHT, WIDTH = 96, 128  # WIDTH - HEIGHT even (see Rotate90)
OBJECT_CLASS, IGNORE = 3, 255
# A concave object, well inside the image, about 45 x 50 pixels.
POLYGON = np.array([40.3, 20.2, 85.6, 26.1, 70.4, 48.8, 88.2, 68.5, 44.7,
                    70.3, 52.1, 47.4])
BOX = [40.3, 20.2, 88.2, 70.3]
MIN_IOU = 0.9
# How far a mask may reach beyond its box: a moved mask pixel's centre comes
# from a point of an object pixel, which may lie up to half a pixel outside
# the box that holds its centre; a traced polygon runs along pixel edges.
HALF_PIXEL = 0.5
FLOAT32 = 1e-4  # boxes are float32, polygons float64


def _ops_of(*presets):
    names = []
    for preset in presets:
        names += [n for n in PRESETS[preset].ops if n not in names]
    return names


GEOMETRIC = [n for n in _ops_of('cifar', 'coco', 'sanity')
             if OPS[n].moves_targets]
OTHERS = [n for n in _ops_of('cifar', 'coco', 'sanity')
          if not OPS[n].moves_targets]


def scene():
    bitmap = rasterise([[POLYGON]], HEIGHT, WIDTH)[0]
    img = torch.from_numpy(bitmap * 255).expand(3, -1, -1).contiguous()
    seg = torch.from_numpy(bitmap * OBJECT_CLASS)
    return img, torch.from_numpy(bitmap), seg


def levels(name):
    return [None] if OPS[name].magnitude is None else [2, 6, 10]


def iou(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return (a & b).sum() / max((a | b).sum(), 1)


def assert_inside(xs, ys, box, tolerance):
    x1, y1, x2, y2 = box.tolist()
    assert (xs >= x1 - tolerance).all() and (xs <= x2 + tolerance).all()
    assert (ys >= y1 - tolerance).all() and (ys <= y2 + tolerance).all()


def object_pixels(img):
    return img[0].numpy() > 128


def apply_to_one(name, img, boxes=None, level=None, sign=None, *,
                 masks=None, seg_map=None, seg_ignore_label=IGNORE, **kwargs):
    """One op on one image's targets: the image, and its boxes, masks and
    map (None where not given)."""
    out, moved = apply_op_to_targets(
        name, img,
        Targets(boxes=None if boxes is None else [boxes],
                masks=None if masks is None else [masks],
                seg_maps=None if seg_map is None else seg_map[None],
                seg_ignore_label=seg_ignore_label), level, sign, **kwargs)
    return (out, ) + tuple(None if kind is None else kind[0]
                           for kind in moved[:3])


def moved_annotations(name, level, sign, backend, masks):
    img, _, seg = scene()
    return apply_to_one(name, img, torch.tensor([BOX]), level, sign,
                        backend=backend, box_prob=1.0, masks=masks,
                        seg_map=seg)


def test_geometric_ops_of_the_presets_are_known():
    assert {'FlipLR', 'FlipUD', 'Rotate90', 'Rotate', 'ShearX', 'ShearY',
            'TranslateX', 'TranslateY', 'Rotate_BBox', 'ShearX_BBox',
            'ShearY_BBox', 'TranslateX_BBox', 'TranslateY_BBox',
            'Flip_Only_BBoxes', 'Rotate_Only_BBoxes', 'ShearX_Only_BBoxes',
            'ShearY_Only_BBoxes', 'TranslateX_Only_BBoxes',
            'TranslateY_Only_BBoxes'} == set(GEOMETRIC)


@pytest.mark.parametrize('backend', ['cv2', 'torch'])
@pytest.mark.parametrize('name', GEOMETRIC)
def test_masks_and_map_follow_the_pixels(name, backend):
    for level in levels(name):
        for sign in (1, -1):
            _, bitmap, _ = scene()
            out, boxes, masks, seg = moved_annotations(
                name, level, sign, backend, bitmap[None])
            pixels = object_pixels(out)
            assert pixels.sum() > 100, (name, level, sign)
            assert iou(masks[0], pixels) >= MIN_IOU, (name, level, sign)
            assert set(seg.unique().tolist()) <= {0, OBJECT_CLASS, IGNORE}
            assert iou(seg == OBJECT_CLASS, pixels) >= MIN_IOU
            _, _, polygons, _ = moved_annotations(name, level, sign, backend,
                                                  [[POLYGON]])
            polygon_bitmap = rasterise(polygons, HEIGHT, WIDTH)[0]
            assert iou(polygon_bitmap, pixels) >= MIN_IOU, (name, level, sign)
            # The box still encloses its mask and polygon.
            x1, y1, x2, y2 = boxes[0].tolist()
            ys, xs = np.nonzero(masks[0].numpy())
            assert_inside(xs + 0.5, ys + 0.5, boxes[0], HALF_PIXEL)
            for part in polygons[0]:
                assert_inside(part[0::2], part[1::2], boxes[0],
                              HALF_PIXEL if 'Only' in name else FLOAT32)


@pytest.mark.parametrize('name', [n for n in GEOMETRIC if 'Only' not in n])
def test_polygons_move_as_polygons(name):
    """Where one matrix moves the whole image, every vertex moves by it: the
    polygon keeps its vertex count while it stays inside."""
    _, _, polygons, _ = moved_annotations(name, levels(name)[0], 1, 'cv2',
                                          [[POLYGON]])
    assert len(polygons[0]) == 1 and len(polygons[0][0]) == len(POLYGON)


@pytest.mark.parametrize('name', OTHERS)
def test_other_ops_leave_masks_and_map_bit_identical(name):
    for level in levels(name):
        img, bitmap, seg = scene()
        _, _, masks, out_seg = apply_to_one(name, img, torch.tensor([BOX]),
                                            level, box_prob=1.0,
                                            masks=bitmap[None], seg_map=seg)
        assert torch.equal(masks[0], bitmap) and torch.equal(out_seg, seg)
        _, _, polygons, _ = apply_to_one(name, img, torch.tensor([BOX]),
                                         level, box_prob=1.0,
                                         masks=[[POLYGON]])
        assert np.array_equal(polygons[0][0], POLYGON)


def test_flips_move_masks_exactly():
    img, bitmap, seg = scene()
    for name, dim in (('FlipLR', -1), ('FlipUD', -2)):
        _, _, masks, out_seg = apply_to_one(name, img, masks=bitmap[None],
                                            seg_map=seg)
        assert torch.equal(masks[0], bitmap.flip(dim))
        assert torch.equal(out_seg, seg.flip(dim))


def test_map_gets_the_ignore_label_where_pixels_are_uncovered():
    img, _, seg = scene()
    out, _, _, moved = apply_to_one('TranslateX', img, None, 10, 1,
                                    masks=[[]], seg_map=seg,
                                    seg_ignore_label=7)
    shift = round(0.45 * WIDTH)
    assert (moved[:, :shift] == 7).all() and (moved[:, shift:] != 7).all()
    assert (out[:, :, :shift] == 128).all()


def test_object_pushed_out_leaves_an_empty_mask():
    img, bitmap, _ = scene()
    _, boxes, masks, _ = apply_to_one('TranslateX', img, torch.tensor([BOX]),
                                      10, -1, masks=bitmap[None])
    _, _, polygons, _ = apply_to_one('TranslateX', img, torch.tensor([BOX]),
                                     10, -1, masks=[[POLYGON]])
    # 58 px to the left: the object (x 40..88) keeps only a sliver; twice
    # over nothing is left.
    _, boxes, masks, _ = apply_to_one('TranslateX', img, boxes, 10, -1,
                                      masks=masks)
    _, _, polygons, _ = apply_to_one('TranslateX', img, torch.tensor([BOX]),
                                     10, -1, masks=polygons)
    assert masks[0].sum() == 0 and polygons == [[]]
    assert (boxes[0, 2] - boxes[0, 0]).item() == 0


@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_images_without_instances(backend):
    img, _, seg = scene()
    for name in GEOMETRIC:
        for masks in (torch.zeros(0, HEIGHT, WIDTH, dtype=torch.uint8), []):
            _, boxes, moved, _ = apply_to_one(name, img, torch.zeros(0, 4),
                                              levels(name)[-1], 1,
                                              backend=backend, masks=masks,
                                              seg_map=seg)
            assert len(boxes) == len(moved) == 0


def test_batch_follows_each_images_own_sign():
    """A batch of images with opposite signs: each image's masks and map
    follow its own matrix, on the torch kernels as one call."""
    img, bitmap, seg = scene()
    batch = torch.stack([img, img])
    out, moved = apply_op_to_targets(
        'Rotate', batch,
        Targets(masks=[bitmap[None], bitmap[None]],
                seg_maps=torch.stack([seg, seg])), 10, [1, -1],
        backend='torch')
    masks, segs = moved.masks, moved.seg_maps
    for image, image_masks, image_seg in zip(out, masks, segs):
        assert iou(image_masks[0], object_pixels(image)) >= MIN_IOU
        assert iou(image_seg == OBJECT_CLASS, object_pixels(image)) >= MIN_IOU
    assert iou(masks[0][0], masks[1][0]) < 0.7


def test_backends_agree_on_masks():
    """The bounds the GPU check holds the device to, on the CPU."""
    for name in GEOMETRIC:
        for level in levels(name):
            _, bitmap, _ = scene()
            cv2_results, torch_results = [
                moved_annotations(name, level, 1, backend, bitmap[None])
                for backend in ('cv2', 'torch')
            ]
            assert mask_disagreement(
                [cv2_results[2]], [torch_results[2]]) is None, (name, level)
            assert mask_disagreement(cv2_results[3][None],
                                     torch_results[3][None]) is None


def test_trace_outlines_the_pixels():
    """Tracing a bitmap and rasterising the outline gives back its pixels,
    single pixels and one pixel wide lines included."""
    bitmap = np.zeros((20, 30), np.uint8)
    bitmap[2:9, 3:12] = 1
    bitmap[4, 20] = 1
    bitmap[12, 5:25] = 1
    bitmap[14:18, 15] = 1
    parts = trace(bitmap)
    assert len(parts) == 4
    assert np.array_equal(rasterise([parts], 20, 30)[0], bitmap)
    assert trace(np.zeros((5, 5), np.uint8)) == []


def test_bad_masks_and_maps_are_refused():
    img, bitmap, seg = scene()
    with pytest.raises(ValueError, match='one mask per box'):
        apply_to_one('Rotate', img, torch.tensor([BOX, BOX]), 2,
                     masks=bitmap[None])
    with pytest.raises(ValueError, match='bitmap masks must be'):
        apply_to_one('Rotate', img, None, 2, masks=bitmap[None, :10])
    with pytest.raises(ValueError, match='bitmap masks must be'):
        apply_to_one('Rotate', img, None, 2, masks=bitmap[None].bool())
    with pytest.raises(ValueError, match='seg_maps must be'):
        apply_to_one('Rotate', img, None, 2, seg_map=seg.float())


def test_mmdet_rotate_turns_polygons_against_its_pixels():
    """Why the export notes mmdet's Rotate for polygon masks: mmdet 3.3's own
    Rotate turns the image one way and PolygonMasks the other, while ours
    keeps them together (test_masks_and_map_follow_the_pixels)."""
    img, _, _ = scene()
    results = dict(img=img.permute(1, 2, 0).numpy().copy(),
                   img_shape=(HEIGHT, WIDTH),
                   gt_masks=PolygonMasks([[POLYGON]], HEIGHT, WIDTH))
    out = mmdet_transforms.Rotate(prob=1.0, level=10,
                                  reversal_prob=0.0)(results)
    pixels = out['img'][..., 0] > 128
    rles = mask_utils.frPyObjects(out['gt_masks'].masks[0], HEIGHT, WIDTH)
    mmdet_polygon = mask_utils.decode(mask_utils.merge(rles))
    assert iou(mmdet_polygon, pixels) < 0.5
