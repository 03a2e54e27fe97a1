"""DynamicDDASAugment on single samples: statistics, boxes, errors, state.
"""
import copy
import pickle

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.registry import TRANSFORMS
from scipy.stats import chisquare

from ddas_mm.datasets import DynamicDDASAugment, ReplayProgress
from ddas_mm.ops import SearchSpace
from ddas_mm.ops.constants import TRANSLATE_BBOX_MAX_PIXELS

# Ops whose effect numpy computes exactly and independently (H, W[, C]).
NUMPY_OPS = {
    'Identity': lambda x: x,
    'Invert': lambda x: 255 - x,
    'FlipLR': lambda x: x[:, ::-1],
    'FlipUD': lambda x: x[::-1],
}


def numpy_ops_transform(policy_file, p_tp, p_o, progress=0.0):
    ops = [(name, None) for name in NUMPY_OPS]
    transform = DynamicDDASAugment(
        policy_file(SearchSpace(ops=ops, num_ops=2), [(p_tp, p_o)]))
    transform.replay_progress.set(progress)
    return transform


def test_statistics_match_policy(policy_file):
    """2000 samples: augmented fraction ~ p_tp and op counts ~ p_o (chi-
    square), and every image is what numpy makes of the recorded ops."""
    p_tp, p_o = 0.6, np.array([0.1, 0.45, 0.25, 0.2])
    np.random.seed(0)
    torch.manual_seed(0)
    transform = numpy_ops_transform(policy_file, p_tp, p_o)
    img = np.arange(30, dtype=np.uint8).reshape(5, 6)  # distinct pixels
    labels = list(NUMPY_OPS)
    num_samples, augmented, counts = 2000, 0, np.zeros(len(labels))
    for _ in range(num_samples):
        out = transform({'img': img.copy()})
        ops = out['ddas_ops']
        assert len(ops) in (0, 2)
        augmented += bool(ops)
        expected = img
        for name in ops:
            counts[labels.index(name)] += 1
            expected = NUMPY_OPS[name](expected)
        np.testing.assert_array_equal(out['img'], expected)
    assert chisquare([augmented, num_samples - augmented],
                     [num_samples * p_tp, num_samples * (1 - p_tp)]).pvalue \
        > 1e-3
    assert chisquare(counts, counts.sum() * p_o).pvalue > 1e-3


def test_zero_probabilities_are_never_drawn(policy_file):
    transform = numpy_ops_transform(policy_file, 1.0, [0, 0, 1, 0])
    img = np.zeros((4, 4, 3), np.uint8)
    for _ in range(50):
        assert transform({'img': img})['ddas_ops'] == ['FlipLR', 'FlipLR']
    transform = numpy_ops_transform(policy_file, 0.0, [0.25] * 4)
    for _ in range(50):
        assert transform({'img': img})['ddas_ops'] == []


def test_smoothing_reaches_the_draws(policy_file):
    ops = [(name, None) for name in NUMPY_OPS]
    one_hot = [0, 1, 0, 0]
    path = policy_file(SearchSpace(ops=ops, num_ops=2),
                       [(1.0, one_hot), (0.0, one_hot), (0.0, one_hot)])
    transform = DynamicDDASAugment(path, smooth=3)
    transform.replay_progress.set(0.0)
    np.random.seed(1)
    hits = sum(
        bool(transform({'img': np.zeros((2, 2), np.uint8)})['ddas_ops'])
        for _ in range(600))
    # Record 0 replays the mean of p_tp over epochs 1..3: 1/3.
    assert chisquare([hits, 600 - hits], [200, 400]).pvalue > 1e-3


def test_colour_and_shapes(policy_file):
    """(H, W) grey and (H, W, 3) images keep shape, dtype and img_shape."""
    path = policy_file(SearchSpace(preset='cifar', num_ops=2),
                       [(1.0, np.full(68, 1 / 68))])
    transform = DynamicDDASAugment(path)
    transform.replay_progress.set(0.5)
    rng = np.random.default_rng(0)
    for shape in [(28, 28), (32, 40, 3)]:
        for _ in range(40):
            img = rng.integers(0, 256, shape, dtype=np.uint8)
            out = transform({'img': img, 'img_shape': shape[:2]})
            assert out['img'].shape == shape and out['img'].dtype == np.uint8
            assert out['img'].flags.c_contiguous
            assert out['img_shape'] == shape[:2]
            assert len(out['ddas_ops']) == 2


def flip_lr_transform(policy_file):
    path = policy_file(SearchSpace(ops=[('FlipLR', None)], num_ops=1),
                       [(1.0, [1.0])])
    transform = DynamicDDASAugment(path)
    transform.replay_progress.set(0)
    return transform


@pytest.mark.parametrize('box_type', ['ndarray', 'HorizontalBoxes'])
def test_boxes_follow_the_image(policy_file, box_type):
    transform = flip_lr_transform(policy_file)
    boxes = np.array([[2, 3, 10, 20], [30, 0, 40, 5]], np.float32)
    gt_bboxes = boxes if box_type == 'ndarray' else HorizontalBoxes(boxes)
    img = np.zeros((24, 40, 3), np.uint8)
    out = transform({'img': img, 'gt_bboxes': gt_bboxes,
                     'gt_bboxes_labels': np.array([3, 4])})
    assert type(out['gt_bboxes']) is type(gt_bboxes)
    flipped = np.stack([40 - boxes[:, 2], boxes[:, 1], 40 - boxes[:, 0],
                        boxes[:, 3]], 1)
    np.testing.assert_allclose(
        np.asarray(getattr(out['gt_bboxes'], 'tensor', out['gt_bboxes'])),
        flipped)
    assert out['gt_bboxes_labels'].tolist() == [3, 4]


def test_degenerate_boxes_dropped_with_labels_and_flags(policy_file):
    """TranslateX_BBox@10 moves everything by 250 px of a 640 px long image
    (either way), 156 px on this 400 px one: boxes that leave the image go,
    their labels and ignore flags with them."""
    path = policy_file(SearchSpace(ops=[('TranslateX_BBox', 10)], num_ops=1),
                       [(1.0, [1.0])])
    transform = DynamicDDASAugment(path)
    transform.replay_progress.set(0)
    width, height = 400, 60
    shift = round(TRANSLATE_BBOX_MAX_PIXELS * width / 640)
    boxes = np.array([[0, 0, 40, 30], [100, 10, 160, 50], [200, 5, 260, 40],
                      [300, 20, 399, 59], [140, 0, 170, 10]], np.float32)
    labels, flags = np.arange(5) + 10, np.array([0, 1, 0, 1, 1], bool)
    seen_signs = set()
    for _ in range(20):
        out = transform({
            'img': np.zeros((height, width, 3), np.uint8),
            'gt_bboxes': HorizontalBoxes(boxes),
            'gt_bboxes_labels': labels,
            'gt_ignore_flags': flags
        })
        got = out['gt_bboxes'].tensor.numpy()
        matched = False
        for sign in (1, -1):  # independent expectation for either sign
            moved = boxes + sign * shift * np.array([1, 0, 1, 0])
            moved[:, 0::2] = moved[:, 0::2].clip(0, width)
            keep = (moved[:, 2] - moved[:, 0] >= 1) & (
                moved[:, 3] - moved[:, 1] >= 1)
            if got.shape == moved[keep].shape and np.allclose(
                    got, moved[keep]):
                matched = True
                seen_signs.add(sign)
                assert out['gt_bboxes_labels'].tolist() == \
                    labels[keep].tolist()
                assert out['gt_ignore_flags'].tolist() == \
                    flags[keep].tolist()
                assert 0 < keep.sum() < len(boxes)
        assert matched, got
    assert seen_signs == {1, -1}


def test_progress_is_required(policy_file):
    transform = numpy_ops_transform(policy_file, 1.0, [0.25] * 4)
    transform.replay_progress = ReplayProgress()
    with pytest.raises(RuntimeError, match="DDASPolicyHook"):
        transform({'img': np.zeros((4, 4), np.uint8)})


def test_disabled_is_identity(policy_file):
    transform = numpy_ops_transform(policy_file, 1.0, [0, 1, 0, 0])
    transform.replay_progress.disable()
    img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    for _ in range(20):
        out = transform({'img': img.copy()})
        assert out['ddas_ops'] == []
        np.testing.assert_array_equal(out['img'], img)
    transform.replay_progress.set(0.2)  # enabled again
    assert transform({'img': img.copy()})['ddas_ops'] == ['Invert'] * 2


def test_keypoints_are_refused(policy_file):
    transform = numpy_ops_transform(policy_file, 1.0, [0.25] * 4)
    with pytest.raises(ValueError, match='gt_keypoints'):
        transform({'img': np.zeros((4, 4, 3), np.uint8), 'gt_keypoints': None})


def test_bad_policy_fails_at_build_time(tmp_path, policy_file):
    path = tmp_path / 'broken.json'
    path.write_text('{"format": "ddas-policy/1", "space": ')
    with pytest.raises(ValueError, match='broken.json'):
        TRANSFORMS.build(dict(type='DynamicDDASAugment', policy=str(path)))
    with pytest.raises(ValueError, match='F_s'):
        numpy_ops_transform(policy_file, 1.0, [0.25] * 4).__init__(
            policy_file(SearchSpace(ops=[('Invert', None)], num_ops=2),
                        [(1.0, [1.0])], path=tmp_path / 'ok.json'), smooth=0)
    with pytest.raises(ValueError, match='channel_order'):
        DynamicDDASAugment(str(tmp_path / 'ok.json'), channel_order='bgra')


def test_copies_and_pickles(policy_file):
    transform = numpy_ops_transform(policy_file, 1.0, [0.25] * 4, progress=0.3)
    transform({'img': np.zeros((4, 4), np.uint8)})  # creates generators
    clone = copy.deepcopy(transform)
    assert clone.replay_progress.value == pytest.approx(0.3)
    clone.replay_progress.set(0.9)  # a copy is independent
    assert transform.replay_progress.value == pytest.approx(0.3)
    restored = pickle.loads(pickle.dumps(transform))
    assert restored.replay_progress.value == pytest.approx(0.3)
    assert len(restored({'img': np.zeros((4, 4), np.uint8)})['ddas_ops']) \
        == 2
    assert 'smooth=1' in repr(transform)


def test_either_kernel_set_replays_the_same(policy_file):
    """``backend`` forces a kernel set; both give what the op defines (the
    flips and the inversion are exact in both)."""
    img = np.random.default_rng(0).integers(0, 256, (24, 40, 3), np.uint8)
    outs = {}
    policy = policy_file(
        SearchSpace(ops=[(name, None) for name in NUMPY_OPS], num_ops=2),
        [(1.0, [0, 0.5, 0.5, 0])])
    for backend in ('cv2', 'torch'):
        transform = DynamicDDASAugment(policy, backend=backend)
        transform.replay_progress.set(0.0)
        np.random.seed(0)
        outs[backend] = transform({'img': img.copy()})
    assert outs['cv2']['ddas_ops'] == outs['torch']['ddas_ops']
    np.testing.assert_array_equal(outs['cv2']['img'], outs['torch']['img'])
    with pytest.raises(ValueError, match='backend'):
        DynamicDDASAugment(
            policy_file(SearchSpace(ops=[('Invert', None)], num_ops=1),
                        [(1.0, [1.0])]),
            backend='gpu')
