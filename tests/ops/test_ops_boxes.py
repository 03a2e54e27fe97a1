"""Boxes: geometric ops move them as an independent corner-by-corner
computation says, the pixels follow, mmdet 3.3 agrees; the box-only ops
touch nothing outside the boxes; every op clips them, and a policy drops
the lost ones before each next op."""
import math

import pytest
import torch
from mmdet.datasets import transforms as mmdet_transforms
from mmdet.structures.bbox import HorizontalBoxes
from ops_samples import random_boxes, random_image

from ddas_mm.ops import (OPS, SearchSpace, Targets, apply_op,
                         drop_lost_instances)

HEIGHT, WIDTH = 37, 53  # non-square; WIDTH - HEIGHT even (see Rotate90)
GEOMETRIC = ('FlipLR', 'FlipUD', 'Rotate90', 'Rotate', 'ShearX', 'ShearY',
             'TranslateX', 'TranslateY', 'Rotate_BBox', 'ShearX_BBox',
             'ShearY_BBox', 'TranslateX_BBox', 'TranslateY_BBox')
BOX_ONLY = [name for name in OPS if name.endswith('_Only_BBoxes')]


def moved_point(name, x, y, level, sign, height, width):
    """Where a point goes, from the op's definition in plain trigonometry
    (RandAugment's ranges; Zoph et al.'s 250 pixels of a 640-pixel-long
    COCO image for *_BBox shifts, scaled to this image)."""
    if name in ('Rotate', 'Rotate_BBox', 'Rotate90'):
        degrees = 90 if name == 'Rotate90' else sign * 30 * level / 10
        theta = math.radians(degrees)
        cx, cy = width / 2, height / 2
        # Counter-clockwise on screen, whose y axis points down.
        return (cx + (x - cx) * math.cos(theta) + (y - cy) * math.sin(theta),
                cy - (x - cx) * math.sin(theta) + (y - cy) * math.cos(theta))
    if name in ('ShearX', 'ShearX_BBox'):
        return x + sign * 0.3 * level / 10 * y, y
    if name in ('ShearY', 'ShearY_BBox'):
        return x, y + sign * 0.3 * level / 10 * x
    if name == 'TranslateX':
        return x + round(sign * 0.45 * level / 10 * width), y
    if name == 'TranslateY':
        return x, y + round(sign * 0.45 * level / 10 * height)
    zoph_pixels = max(height, width) / 640
    if name == 'TranslateX_BBox':
        return x + round(sign * 25 * level * zoph_pixels), y
    if name == 'TranslateY_BBox':
        return x, y + round(sign * 25 * level * zoph_pixels)
    if name == 'FlipLR':
        return width - x, y
    if name == 'FlipUD':
        return x, height - y
    raise KeyError(name)


def expected_box(name, box, level, sign, height, width):
    """The enclosing box of the four moved corners, clipped to the image."""
    x1, y1, x2, y2 = box
    corners = [
        moved_point(name, x, y, level, sign, height, width)
        for x, y in ((x1, y1), (x2, y1), (x1, y2), (x2, y2))
    ]
    xs, ys = zip(*corners)
    return [
        min(max(min(xs), 0), width),
        min(max(min(ys), 0), height),
        min(max(max(xs), 0), width),
        min(max(max(ys), 0), height)
    ]


@pytest.mark.parametrize('name', GEOMETRIC)
def test_boxes_follow_each_corner(name):
    boxes = random_boxes(20, HEIGHT, WIDTH)
    img = random_image(3, HEIGHT, WIDTH)
    for level in ([None] if OPS[name].magnitude is None else [2, 6, 10]):
        for sign in (1, -1):
            _, moved = apply_op(name, img, boxes, level, sign)
            expected = [
                expected_box(name, box, level or 0, sign, HEIGHT, WIDTH)
                for box in boxes.tolist()
            ]
            assert torch.allclose(moved, torch.tensor(expected),
                                  atol=1e-3), (level, sign)


@pytest.mark.parametrize('name', GEOMETRIC)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_pixels_follow_the_boxes(name, backend):
    """A bright rectangle on black ends up where its box goes: the bright
    pixels span the moved box, up to the pixel blurred by interpolation on
    each side."""
    height, width = 120, 160
    box = [62., 40., 98., 72.]
    img = torch.zeros(3, height, width, dtype=torch.uint8)
    img[:, 40:72, 62:98] = 255
    level = None if OPS[name].magnitude is None else 2
    for sign in (1, -1):
        out, moved = apply_op(name,
                              img,
                              torch.tensor([box]),
                              level,
                              sign,
                              backend=backend)
        rows, cols = torch.nonzero(out[0] > 200, as_tuple=True)
        bright = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        assert torch.allclose(torch.tensor(bright).float(), moved[0],
                              atol=1.5), sign


def test_boxes_move_on_a_batch_per_image_sign():
    img = random_image(2, 3, HEIGHT, WIDTH)
    box = torch.tensor([[10., 10., 20., 20.]])
    _, moved = apply_op('TranslateX', img, [box, box], 4, [1, -1])
    shift = round(0.45 * 4 / 10 * WIDTH)
    assert moved[0].tolist() == [[10. + shift, 10., 20. + shift, 20.]]
    assert moved[1].tolist() == [[10. - shift, 10., 20. - shift, 20.]]


def mmdet_run(transform, img, boxes):
    results = transform({
        'img': img.permute(1, 2, 0).numpy().copy(),
        'img_shape': tuple(img.shape[-2:]),
        'gt_bboxes': HorizontalBoxes(boxes.numpy().copy())
    })
    return torch.from_numpy(results['img']).permute(
        2, 0, 1), results['gt_bboxes'].tensor


# mmdet takes the direction from reversal_prob: the magnitude is negated
# when a uniform draw exceeds it, so 1.0 keeps it and 0.0 negates it.
KEEP, NEGATE = 1.0, 0.0


@pytest.mark.parametrize('level', [2, 6, 10])
@pytest.mark.parametrize('sign', [1, -1])
def test_rotate_agrees_with_mmdet(level, sign):
    """mmdet's positive angle turns clockwise. Its image is the same OpenCV
    rotation about the image centre; its boxes turn about
    ((w - 1) / 2, (h - 1) / 2) in box coordinates, half a pixel off ours
    (the centre of the image is (w / 2, h / 2) there): the boxes differ by
    at most |I - R| * |(0.5, 0.5)| = 2 sin(15 deg) * 0.71 < 0.37 px."""
    height, width = 190, 250
    img, boxes = random_image(3, height,
                              width), random_boxes(10, height, width)
    degrees = 30 * level / 10
    theirs_img, theirs_boxes = mmdet_run(
        mmdet_transforms.Rotate(level=level,
                                min_mag=degrees,
                                max_mag=degrees,
                                reversal_prob=NEGATE if sign == 1 else KEEP),
        img, boxes)
    ours_img, ours_boxes = apply_op('Rotate', img, boxes, level, sign)
    assert torch.allclose(ours_boxes, theirs_boxes, atol=0.37)
    diff = (ours_img.int() - theirs_img.int()).abs()
    assert (diff > 1).float().mean() < 0.001


@pytest.mark.parametrize('name', ['ShearX', 'ShearY'])
@pytest.mark.parametrize('level', [2, 6, 10])
@pytest.mark.parametrize('sign', [1, -1])
def test_shear_agrees_with_mmdet(name, level, sign):
    """mmdet takes the shear as an angle and rounds it to 0.1 degree; the
    boxes may differ by that rounding times the image size. (Its image
    shears about the centre of the top-left pixel, ours about the image's
    corner: half a pixel times the shear apart; not compared.)"""
    height, width = 190, 250
    img, boxes = random_image(3, height,
                              width), random_boxes(10, height, width)
    shear = 0.3 * level / 10
    degrees = math.degrees(math.atan(shear))
    mmdet_shear = math.tan(math.radians(round(degrees, 1)))
    tolerance = abs(mmdet_shear - shear) * max(height, width) + 1e-3
    _, theirs = mmdet_run(
        getattr(mmdet_transforms,
                name)(level=level,
                      min_mag=degrees,
                      max_mag=degrees,
                      reversal_prob=KEEP if sign == 1 else NEGATE), img, boxes)
    _, ours = apply_op(name, img, boxes, level, sign)
    assert torch.allclose(ours, theirs, atol=tolerance)


@pytest.mark.parametrize('axis', ['X', 'Y'])
@pytest.mark.parametrize('level', [2, 4, 6])
@pytest.mark.parametrize('sign', [1, -1])
def test_translate_agrees_with_mmdet(axis, level, sign):
    """mmdet translates by int(fraction * size) pixels and rounds the
    fraction to one decimal. On an image 640 pixels long (Zoph et al.'s
    reference, where a level is 25 pixels) and 250 pixels across the shift,
    25 pixels per level is such a fraction, so images and boxes must match
    exactly."""
    height, width = (640, 250) if axis == 'X' else (250, 640)
    img = random_image(3, height, width)
    boxes = random_boxes(10, height, width)
    fraction = 25 * level / 250
    theirs_img, theirs_boxes = mmdet_run(
        getattr(mmdet_transforms, 'Translate' + axis)(
            level=level,
            min_mag=fraction,
            max_mag=fraction,
            reversal_prob=KEEP if sign == 1 else NEGATE), img, boxes)
    ours_img, ours_boxes = apply_op(f'Translate{axis}_BBox', img, boxes, level,
                                    sign)
    assert torch.allclose(ours_boxes, theirs_boxes, atol=1e-4)
    assert torch.equal(ours_img, theirs_img)


def inside_any_box(boxes, height, width):
    """Pixels whose centres lie inside a box ([x1, x2) x [y1, y2))."""
    y = torch.arange(height)[:, None] + 0.5
    x = torch.arange(width)[None, :] + 0.5
    inside = torch.zeros(height, width, dtype=torch.bool)
    for x1, y1, x2, y2 in boxes.tolist():
        inside |= (x >= x1) & (x < x2) & (y >= y1) & (y < y2)
    return inside


@pytest.mark.parametrize('name', BOX_ONLY)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_box_only_ops_change_nothing_outside_the_boxes(name, backend):
    img = random_image(3, HEIGHT, WIDTH)
    # Overlapping, fractional, and reaching the border.
    boxes = torch.tensor([[3.2, 4.7, 20.4, 18.6], [15., 10., 40.5, 30.],
                          [44.6, 2.2, 53., 37.]])
    outside = ~inside_any_box(boxes, HEIGHT, WIDTH)
    for level in ([None] if OPS[name].magnitude is None else [2, 6, 10]):
        for sign in (1, -1):
            out, out_boxes = apply_op(name,
                                      img,
                                      boxes,
                                      level,
                                      sign,
                                      backend=backend,
                                      box_prob=1.0)
            assert torch.equal(out[:, outside], img[:, outside])
            assert not torch.equal(out, img)
            assert torch.equal(out_boxes, boxes)


@pytest.mark.parametrize('name', BOX_ONLY + ['BBox_Cutout'])
def test_box_ops_leave_images_without_boxes_alone(name):
    img = random_image(3, HEIGHT, WIDTH)
    level = None if OPS[name].magnitude is None else 6
    for boxes in (None, torch.zeros(0, 4)):
        assert torch.equal(apply_op(name, img, boxes, level)[0], img)
    box = torch.tensor([[5., 5., 30., 30.]])
    if name != 'BBox_Cutout':
        assert torch.equal(
            apply_op(name, img, box, level, box_prob=0.0)[0], img)


def test_box_only_probability_is_per_box():
    img = random_image(3, 100, 100)
    boxes = torch.tensor([[10. * i, 10. * i, 10. * i + 8, 10. * i + 8]
                          for i in range(10)])
    changed = 0
    generator = torch.Generator().manual_seed(0)
    for _ in range(30):
        out, _ = apply_op('Flip_Only_BBoxes', img, boxes, generator=generator)
        for x1, y1, x2, y2 in boxes.int().tolist():
            changed += not torch.equal(out[:, y1:y2, x1:x2], img[:, y1:y2,
                                                                 x1:x2])
    # Zoph et al.'s 1/3 per box: 100 of 300 boxes expected.
    assert 70 <= changed <= 130


def test_bbox_cutout_fills_a_part_of_a_box():
    img = random_image(3, HEIGHT, WIDTH) // 2  # nothing at 128 yet
    box = torch.tensor([[10., 8., 42., 32.]])
    for seed in range(10):
        out, _ = apply_op('BBox_Cutout',
                          img,
                          box,
                          level=10,
                          generator=torch.Generator().manual_seed(seed))
        rows, cols = torch.nonzero((out != img).any(0), as_tuple=True)
        assert (out[:, rows, cols] == 128).all()
        # Centred on a pixel of the box, up to 0.75 of its size.
        assert 10 <= (cols.min() + cols.max() + 1) / 2 <= 42
        assert 8 <= (rows.min() + rows.max() + 1) / 2 <= 32
        assert cols.max() + 1 - cols.min() <= 0.75 * 32
        assert rows.max() + 1 - rows.min() <= 0.75 * 24


def test_geometric_boxes_are_clipped_not_dropped():
    img = random_image(3, HEIGHT, WIDTH)
    boxes = torch.tensor([[20., 5., 50., 15.], [40., 2., 50., 6.]])
    _, moved = apply_op('TranslateX', img, boxes, 10, sign=1)
    shift = round(0.45 * WIDTH)  # 24 pixels
    # Partly out: clipped; entirely out: degenerate, kept for the caller.
    assert moved.tolist() == [[20. + shift, 5., WIDTH, 15.],
                              [WIDTH, 2., WIDTH, 6.]]


def _filled_extent(out, img):
    """Height and width of the region a cutout filled."""
    rows, cols = torch.nonzero((out != img).any(0), as_tuple=True)
    assert (out[:, rows, cols] == 128).all()
    return int(rows.max() + 1 - rows.min()), int(cols.max() + 1 - cols.min())


@pytest.mark.parametrize('scale', [1, 2])
def test_zoph_pixel_constants_at_the_image_scale(scale):
    """Zoph et al.'s constants are pixels of COCO images, 640 pixels long:
    at level 10, a 250 px shift, a 2 x 100 px cutout, a 120 px shift and a
    2 x 50 px cutout inside a box; twice that on a 1280 pixel long image."""
    height, width = 480 * scale, 640 * scale
    img = torch.zeros(3, height, width, dtype=torch.uint8)
    box = torch.tensor([[100., 100., 500., 400.]]) * scale
    _, moved = apply_op('TranslateX_BBox', img, box, 10, sign=1)
    assert moved[0, 0] - box[0, 0] == 250 * scale
    _, moved = apply_op('TranslateY_BBox', img, box, 10, sign=1)
    assert moved[0, 1] - box[0, 1] == 250 * scale

    generator = torch.Generator().manual_seed(0)
    extents = {
        _filled_extent(apply_op('Cutout_Det', img, level=10,
                                generator=generator)[0], img)
        for _ in range(20)
    }
    assert max(extents) == (200 * scale, 200 * scale)  # some not clipped

    x1, y1 = int(box[0, 0]), int(box[0, 1])
    marked = img.clone()
    marked[:, y1 + 10, x1 + 10] = 255  # a dot inside the box
    for name, axis in (('TranslateX_Only_BBoxes', 1),
                       ('TranslateY_Only_BBoxes', 0)):
        out, _ = apply_op(name, marked, box, 10, sign=1, box_prob=1.0)
        dot = torch.nonzero(out[0] == 255)[0]
        assert dot[axis] - (10 + (y1, x1)[axis]) == 120 * scale
    extents = {
        _filled_extent(apply_op('Cutout_Only_BBoxes', img, box, 10,
                                box_prob=1.0, generator=generator)[0], img)
        for _ in range(20)
    }
    assert max(extents) == (100 * scale, 100 * scale)


@pytest.mark.parametrize('name', sorted(OPS))
def test_every_op_clips_the_boxes(name):
    """Boxes partly and wholly outside the image come back inside it, the
    same rows (dropping is the caller's), whatever the op."""
    img = random_image(3, HEIGHT, WIDTH)
    boxes = torch.tensor([[-5., 3., 20., 50.], [60., -9., 70., 4.],
                          [10., 10., 30., 30.]])
    level = None if OPS[name].magnitude is None else 6
    _, moved = apply_op(name, img, boxes, level, sign=1, box_prob=1.0)
    assert moved.shape == boxes.shape
    assert (moved >= 0).all() and (moved[:, 0::2] <= WIDTH).all() and (
        moved[:, 1::2] <= HEIGHT).all(), moved


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
@pytest.mark.parametrize('name', ['BBox_Cutout', 'Rotate_Only_BBoxes',
                                  'Brightness', 'Rotate_BBox'])
def test_non_finite_boxes_are_refused(name, value):
    boxes = torch.tensor([[5., 5., value, 30.]])
    level = None if OPS[name].magnitude is None else 6
    with pytest.raises(ValueError, match='boxes must be finite'):
        apply_op(name, random_image(3, HEIGHT, WIDTH), boxes, level)


def test_a_policy_drops_lost_boxes_before_its_next_op():
    """A box pushed out of the image by the first op is gone before the
    second: BBox_Cutout then always cuts into the box that is left (drawn
    among both, it would pick the empty one half of the time and cut
    nothing)."""
    space = SearchSpace(ops=[('TranslateX_BBox', 10), ('BBox_Cutout', 10)],
                        num_ops=2)
    img = torch.zeros(3, HEIGHT, WIDTH, dtype=torch.uint8)
    # Zoph et al.'s 250 px at 640: 20.7 px here; the right box leaves.
    boxes = torch.tensor([[2., 5., 22., 30.], [33., 8., 52., 20.]])
    shifted, _ = apply_op('TranslateX_BBox', img, boxes, 10, sign=1)
    for seed in range(10):
        out, moved = space.apply([0, 1], img, Targets(boxes=[boxes]), sign=1,
                                 generator=torch.Generator().manual_seed(seed))
        assert moved.kept[0].tolist() == [0]
        x1, y1, x2, y2 = moved.boxes[0][0].tolist()
        rows, cols = torch.nonzero((out != shifted).any(0), as_tuple=True)
        assert len(rows) > 0, seed
        centre_x = (cols.min() + cols.max() + 1) / 2
        centre_y = (rows.min() + rows.max() + 1) / 2
        assert x1 <= centre_x <= x2 and y1 <= centre_y <= y2, seed


def test_inverted_and_empty_boxes_are_dropped_before_the_first_op():
    """A geometric op would turn an inverted box into a valid one (the
    enclosing box of its corners); the policy drops it first, as any other
    op's."""
    img = random_image(3, HEIGHT, WIDTH)
    boxes = torch.tensor([[30., 5., 10., 25.], [5., 5., 25., 25.],
                          [8., 8., 8., 20.]])
    assert apply_op('Rotate_BBox', img, boxes, 2, sign=1)[1][0, 2] > 10
    for name in ('Rotate_BBox', 'Brightness'):
        space = SearchSpace(ops=[(name, 2)], num_ops=1)
        _, moved = space.apply([0], img, Targets(boxes=[boxes]), sign=1)
        assert moved.kept[0].tolist() == [1], name


def test_dropping_twice_keeps_the_first_positions():
    masks = torch.ones(4, HEIGHT, WIDTH, dtype=torch.uint8)
    masks[2] = 0
    boxes = torch.tensor([[0., 0., 5., 5.], [0., 0., 0.5, 5.],
                          [0., 0., 5., 5.], [1., 1., 9., 9.]])
    once = drop_lost_instances(Targets(boxes=[boxes], masks=[masks]))
    assert once.kept[0].tolist() == [0, 3]
    assert torch.equal(once.boxes[0], boxes[[0, 3]])
    twice = drop_lost_instances(
        once._replace(boxes=[torch.tensor([[0., 0., 0., 0.], [1., 1., 9.,
                                                              9.]])]))
    assert twice.kept[0].tolist() == [3] and len(twice.masks[0]) == 1
    assert drop_lost_instances(twice) is twice
