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
from test_ops_common import one_thread  # noqa: F401 (autouse fixture)

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


@pytest.mark.parametrize('name', list(OPS))
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
            assert image_disagreement(name, cv_img, torch_img) is None, (
                level, sign)


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
