"""The OpenCV (CPU) and torch kernels agree, and the colour ops agree with
PIL within one grey level."""
import math
import os.path as osp

import cv2
import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from ddas_mm.ops import OPS, apply_op
from ddas_mm.ops.constants import (BLUR_KERNEL, BLUR_KERNEL_SCALE,
                                   SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE)
from ddas_mm.ops.kernels_torch import filter_keep_border
from ddas_mm.testing.kernel_agreement import image_disagreement


@pytest.fixture(scope='module')
def photo_bgr():
    """A real photo, BGR (H, W, C) as mmcv loads it, small and non-square.
    """
    path = osp.join(matplotlib.get_data_path(), 'sample_data',
                    'grace_hopper.jpg')
    return cv2.resize(cv2.imread(path), (53, 37), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope='module')
def noise_bgr():
    return np.random.default_rng(0).integers(0,
                                             256, (37, 53, 3),
                                             dtype=np.uint8)


def as_tensor(hwc):
    return torch.from_numpy(hwc).permute(2, 0, 1)


def as_array(chw):
    return chw.permute(1, 2, 0).numpy()


TWO_KERNEL_OPS = [name for name, op in OPS.items() if op.has_cv2_kernel]
ONE_KERNEL_OPS = [name for name, op in OPS.items() if not op.has_cv2_kernel]


@pytest.mark.parametrize('name', TWO_KERNEL_OPS)
def test_cv2_and_torch_kernels_agree(name, photo_bgr):
    op = OPS[name]
    img = as_tensor(photo_bgr)
    boxes = torch.tensor([[3., 4., 30., 25.], [20.5, 10.2, 50., 36.]])
    for level in ([None] if op.magnitude is None else [2, 6, 10]):
        for sign in (1, -1):
            outs = {}
            for backend in ('cv2', 'torch'):
                outs[backend] = apply_op(
                    name,
                    img,
                    boxes,
                    level,
                    sign,
                    generator=torch.Generator().manual_seed(0),
                    backend=backend,
                    box_prob=1.0)
            (cv_img, cv_boxes), (torch_img, torch_boxes) = outs.values()
            assert torch.equal(cv_boxes, torch_boxes)
            assert image_disagreement(name, cv_img,
                                      torch_img) is None, (level, sign)


def filled_rectangle(changed, region):
    """The one rectangle ``(y0, y1, x0, x1)`` of changed pixels inside
    ``region`` (asserting they form one), or None where none changed."""
    y0, y1, x0, x1 = region
    ys, xs = np.nonzero(changed[y0:y1, x0:x1])
    if not len(ys):
        return None
    rows = (y0 + ys.min(), y0 + ys.max() + 1)
    cols = (x0 + xs.min(), x0 + xs.max() + 1)
    assert changed[rows[0]:rows[1], cols[0]:cols[1]].all()
    return rows + cols


def assert_clipped_size(rectangle, height, width, region):
    """A ``height x width`` rectangle, smaller only where it was cut off at
    the edge of ``region``."""
    y0, y1, x0, x1 = rectangle
    for start, end, size, low, high in ((y0, y1, height, *region[:2]),
                                        (x0, x1, width, *region[2:])):
        assert end - start == size or (end - start < size and
                                       (start == low or end == high)), (
                                           rectangle, height, width)


def pixel_region(box):
    """Rows and columns of the pixels whose centres lie in an xyxy box (all
    of the test's boxes lie inside the image)."""
    x1, y1, x2, y2 = box
    return (math.ceil(y1 - 0.5), math.ceil(y2 - 0.5), math.ceil(x1 - 0.5),
            math.ceil(x2 - 0.5))


def cut_pixels(before, after):
    """Where a cutout changed the image, asserting it wrote the fill value
    there (no pixel of ``before`` has it)."""
    changed = (after != before).any(axis=2)
    assert (after[changed] == 128).all()
    return changed


def pixelwise(function):
    """A reference for an op that maps each value on its own."""

    def check(level, before, after, boxes):
        np.testing.assert_array_equal(after, function(before, level))

    return check


# Written out from the papers: Cutout (RandAugment) a square of up to 0.2 of
# the shorter side; Zoph et al.'s pads in pixels of a 640-pixel long side,
# scaled to the image; BBox_Cutout up to 0.75 of the box in each direction.
def check_cutout(level, before, after, boxes):
    changed = cut_pixels(before, after)
    side = round(0.2 * level / 10 * min(before.shape[:2]))
    rectangle = filled_rectangle(changed, (0, 37, 0, 53))
    if side:
        assert_clipped_size(rectangle, side, side, (0, 37, 0, 53))


def check_cutout_det(level, before, after, boxes):
    changed = cut_pixels(before, after)
    side = round(2 * int(level * 10) * 53 / 640)
    rectangle = filled_rectangle(changed, (0, 37, 0, 53))
    if side:
        assert_clipped_size(rectangle, side, side, (0, 37, 0, 53))


def check_bbox_cutout(level, before, after, boxes):
    changed = cut_pixels(before, after)
    rectangle = filled_rectangle(changed, (0, 37, 0, 53))
    sizes = []
    for box in boxes:
        y0, y1, x0, x1 = pixel_region(box)
        sizes.append((2 * int(0.75 * level / 10 * (y1 - y0) / 2),
                      2 * int(0.75 * level / 10 * (x1 - x0) / 2)))
    if rectangle is None:
        assert min(min(size) for size in sizes) == 0
        return
    fits = []
    for height, width in sizes:
        try:
            assert_clipped_size(rectangle, height, width, (0, 37, 0, 53))
            fits.append(True)
        except AssertionError:
            fits.append(False)
    assert any(fits), (rectangle, sizes)


def check_cutout_only_bboxes(level, before, after, boxes):
    changed = cut_pixels(before, after)
    side = round(2 * int(level * 5) * 53 / 640)
    inside = np.zeros_like(changed)
    for box in boxes:
        region = pixel_region(box)
        y0, y1, x0, x1 = region
        inside[y0:y1, x0:x1] = True
        rectangle = filled_rectangle(changed, region)
        if side:  # every box is cut (box_prob=1)
            assert_clipped_size(rectangle, side, side, region)
    assert not (changed & ~inside).any()


ONE_KERNEL_REFERENCES = {
    'Identity':
    pixelwise(lambda hwc, level: hwc),
    'Invert':
    pixelwise(lambda hwc, level: 255 - hwc),
    # RandAugment: 4 bits at level 0 down to 0, rounded up; keeps the top.
    'Posterize':
    pixelwise(lambda hwc, level: hwc & np.uint8(
        (0xFF << (8 - math.ceil(4 - 0.4 * level))) & 0xFF)),
    'Cutout':
    check_cutout,
    'Cutout_Det':
    check_cutout_det,
    'BBox_Cutout':
    check_bbox_cutout,
    'Cutout_Only_BBoxes':
    check_cutout_only_bboxes,
}


def test_one_kernel_ops_have_references():
    assert sorted(ONE_KERNEL_OPS) == sorted(ONE_KERNEL_REFERENCES)


@pytest.mark.parametrize('name', ONE_KERNEL_OPS)
def test_one_kernel_ops_match_their_definition(name, photo_bgr):
    """The ops that run the same code on both backends, against their
    definition: values computed here, or (the Cutouts, whose position is
    drawn) one fill-value rectangle of the defined size and nothing else
    changed."""
    reference = ONE_KERNEL_REFERENCES[name]
    # No pixel has the fill value, so the changed pixels are the cutout.
    before = np.where(photo_bgr == 128, 127, photo_bgr).astype(np.uint8)
    boxes = [[2., 3., 20., 20.], [30.2, 15.4, 52., 36.]]
    op = OPS[name]
    for level in ([None] if op.magnitude is None else [0, 2, 6, 10]):
        for seed in range(4):
            out, _ = apply_op(name,
                              as_tensor(before),
                              torch.tensor(boxes),
                              level,
                              generator=torch.Generator().manual_seed(seed),
                              backend='cv2',
                              box_prob=1.0)
            reference(level, before, as_array(out), boxes)


def pil_reference(name, rgb, level, sign):
    """What PIL makes of an RGB image, at our magnitude for the level
    (RandAugment's ranges, written out here independently)."""
    image = Image.fromarray(rgb)
    if name in ('Color', 'Contrast', 'Brightness', 'Sharpness'):
        factor = 1 + sign * 0.9 * level / 10
        return getattr(ImageEnhance, name)(image).enhance(factor)
    if name == 'Posterize':
        bits = math.ceil(4 - 4 * level / 10)
        return ImageOps.posterize(image, bits) if bits else Image.fromarray(
            np.zeros_like(rgb))
    if name == 'Solarize':
        return ImageOps.solarize(image, 256 - 256 * level / 10)
    return {
        'AutoContrast': ImageOps.autocontrast,
        'Equalize': ImageOps.equalize,
        'Invert': ImageOps.invert,
        'Smooth': lambda im: im.filter(ImageFilter.SMOOTH),
        'Blur': lambda im: im.filter(ImageFilter.BLUR),
    }[name](image)


PIL_OPS = ('AutoContrast', 'Equalize', 'Invert', 'Smooth', 'Blur', 'Posterize',
           'Solarize', 'Color', 'Contrast', 'Brightness', 'Sharpness')


@pytest.mark.parametrize('name', PIL_OPS)
@pytest.mark.parametrize('backend', ['cv2', 'torch'])
@pytest.mark.parametrize('image', ['photo_bgr', 'noise_bgr'])
def test_colour_ops_agree_with_pil(name, backend, image, request):
    """Ours on the BGR image (channel_order='bgr', as MM pipelines hold it)
    against PIL on the same image as RGB."""
    bgr = request.getfixturevalue(image)
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    op = OPS[name]
    for level in ([None] if op.magnitude is None else [0, 2, 6, 10]):
        for sign in ((1, -1) if op.symmetric else (1, )):
            out, _ = apply_op(name,
                              as_tensor(bgr),
                              level=level,
                              sign=sign,
                              backend=backend)
            ours = as_array(out)[..., ::-1].astype(int)
            reference = np.asarray(pil_reference(name, rgb, level, sign))
            assert np.abs(ours - reference).max() <= 1, (level, sign)


@pytest.mark.parametrize('backend', ['cv2', 'torch'])
def test_solarize_add_matches_its_definition(backend, photo_bgr):
    """Zoph et al.'s SolarizeAdd (no PIL counterpart): add
    int(level / 10 * 110) to the pixels below 128, clipped."""
    for level in (2, 6, 10):
        out, _ = apply_op('SolarizeAdd',
                          as_tensor(photo_bgr),
                          level=level,
                          backend=backend)
        pixels = photo_bgr.astype(int)
        expected = np.where(pixels < 128,
                            np.minimum(pixels + int(level * 11), 255), pixels)
        assert np.array_equal(as_array(out), expected)


@pytest.mark.parametrize('kernel,scale', [(SMOOTH_KERNEL, SMOOTH_KERNEL_SCALE),
                                          (BLUR_KERNEL, BLUR_KERNEL_SCALE)])
def test_box_sum_filter_equals_the_convolution(kernel, scale, noise_bgr):
    """The torch filter sums box filters; it is the exact integer
    convolution of PIL's kernels, rounded, with the border kept."""
    img = as_tensor(noise_bgr)[None]
    radius = len(kernel) // 2
    weight = torch.tensor(kernel, dtype=torch.float64).expand(3, 1, -1, -1)
    exact = torch.nn.functional.conv2d(img.double(), weight, groups=3)
    expected = img.clone()
    expected[..., radius:-radius, radius:-radius] = (exact / scale).round()
    assert torch.equal(filter_keep_border(img, kernel, scale), expected)
    with pytest.raises(ValueError, match='not constant on the rings'):
        filter_keep_border(img, ((1, 2, 1), (2, 4, 2), (1, 2, 1)), 16)


def test_cv2_backend_keeps_the_hwc_buffer_layout(photo_bgr):
    """A (C, H, W) view of an HWC array goes in and comes out without a
    layout change: the retraining pipeline gets an HWC array back for free.
    """
    out, _ = apply_op('Rotate', as_tensor(photo_bgr), level=4, sign=1)
    assert as_array(out).flags['C_CONTIGUOUS']


def test_disagreement_bounds_catch_what_they_bound():
    """The bounds the GPU check applies to the two kernel sets."""
    from ddas_mm.testing.kernel_agreement import box_disagreement
    img = torch.zeros(1, 3, 10, 10, dtype=torch.uint8)
    off_by = {k: img.clone() for k in (1, 2, 7)}
    for k, other in off_by.items():
        other[0, 0, 0, 0] = k
    assert image_disagreement('TranslateX', img, img) is None
    assert image_disagreement('TranslateX', img, off_by[1])
    assert image_disagreement('Color', img, off_by[1]) is None
    assert image_disagreement('Color', img, off_by[2])
    assert image_disagreement('Rotate', img, off_by[2]) is None  # 1 pixel
    assert image_disagreement('Rotate', img, off_by[7])
    boxes = [torch.tensor([[1., 2., 3., 4.]])]
    assert box_disagreement(boxes, [boxes[0] + 5e-4]) is None
    assert box_disagreement(boxes, [boxes[0] + 2e-3])
    assert box_disagreement(boxes, None)
