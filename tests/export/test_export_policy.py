"""tools/analysis/export_policy.py: a searched policy as the libraries' own
transforms.

Policies of the 'cifar' space go to mmpretrain, of the 'coco' space to
mmdet. The snippets are built and run where ddas_mm is not imported; the
branch each RandomChoice takes is counted over many samples and compared
with the policy; magnitudes are checked against the constants' sources.
"""
import collections
import importlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from scipy.stats import chisquare

from ddas_mm.ops import SearchSpace, apply_op
from ddas_mm.ops.constants import (CUTOUT_DET_MAX_PAD, CUTOUT_MAX_FRACTION,
                                   ENHANCE_MAX_DELTA, MAX_LEVEL,
                                   POSITIVE_SIGN_PROB, POSTERIZE_MAX_BITS,
                                   ROTATE_MAX_DEGREES, SHEAR_MAX,
                                   SOLARIZE_MAX_THRESHOLD,
                                   TRANSLATE_BBOX_MAX_PIXELS,
                                   TRANSLATE_MAX_FRACTION,
                                   ZOPH_REFERENCE_LONG_SIDE)
from ddas_mm.policy import PolicySchedule
from ddas_mm.export import export_policy, record_index
from tool_runner import REPO, run_tool

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow

TOOL = 'tools/analysis/export_policy.py'
PRESETS = {'mmpretrain': 'cifar', 'mmdet': 'coco'}
P_TP = (0.3, 0.7, 0.55)
# What each library lacks: PIL's BLUR filter; the ops inside the boxes.
LACKS = {
    'mmpretrain': lambda name: name == 'Blur',
    'mmdet': lambda name: name == 'BBox_Cutout' or name.endswith(
        '_Only_BBoxes'),
}
SAMPLES = 2000

# Builds the snippet with the library alone and runs every branch once and
# the whole transform many times, on an image (with boxes for mmdet, and
# instance masks, bitmaps and polygons by turns, as Mask R-CNN loads them).
BUILD_AND_RUN = '''
import sys
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
scope, snippet = sys.argv[1:]
init_default_scope(scope)
if scope == 'mmdet':
    from mmdet.registry import TRANSFORMS
    from mmdet.structures.bbox import HorizontalBoxes
    from mmdet.structures.mask import BitmapMasks, PolygonMasks
else:
    from mmpretrain.registry import TRANSFORMS
augment = TRANSFORMS.build(Config.fromfile(snippet).ddas_policy_augment)
np.random.seed(0)
shape = (48, 64, 3) if scope == 'mmdet' else (32, 32, 3)
boxes = np.array([[4, 6, 30, 40], [20, 10, 60, 30]], dtype=np.float32)
branches = list(augment.transforms.transforms[0].transforms)
for i, transform in enumerate(branches + [augment] * 100):
    results = dict(img=np.random.randint(0, 256, shape, dtype=np.uint8),
                   img_shape=shape[:2], ori_shape=shape[:2])
    if scope == 'mmdet':
        bitmaps = np.zeros((2, ) + shape[:2], np.uint8)
        for bitmap, (x1, y1, x2, y2) in zip(bitmaps, boxes.astype(int)):
            bitmap[y1:y2, x1:x2] = 1
        polygons = [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], float)]
                    for x1, y1, x2, y2 in boxes]
        masks = (BitmapMasks(bitmaps, *shape[:2]) if i % 2 else
                 PolygonMasks(polygons, *shape[:2]))
        results.update(gt_bboxes=HorizontalBoxes(boxes),
                       gt_bboxes_labels=np.array([1, 2]),
                       gt_ignore_flags=np.array([False, False]),
                       gt_masks=masks)
    results = transform(results)
    assert results['img'].shape == shape, results['img'].shape
    assert results['img'].dtype == np.uint8
    if scope == 'mmdet':
        assert isinstance(results['gt_bboxes'], HorizontalBoxes)
        assert len(results['gt_bboxes']) == 2
        assert type(results['gt_masks']) is type(masks)
        assert len(results['gt_masks']) == 2
assert 'ddas_mm' not in sys.modules
print('ran', len(branches), 'branches')
'''


@pytest.fixture(scope='module')
def policies(policy_file):
    """A 3-epoch policy file per target, p_o far from uniform."""
    rng = np.random.default_rng(0)
    paths = {}
    for target, preset in PRESETS.items():
        space = SearchSpace(preset=preset, num_ops=2)
        weights = [np.exp(0.5 * rng.normal(size=space.K)) for _ in P_TP]
        paths[target] = policy_file(
            space, [(p_tp, w / w.sum()) for p_tp, w in zip(P_TP, weights)])
    return paths


def _record(path, epoch):
    """Candidate names and labels, p_tp and p_o of a record, from the JSON.
    """
    with open(path) as f:
        content = json.load(f)
    ops = content['space']['ops']
    names = [op['name'] for op in ops]
    labels = [
        op['name'] if op['level'] is None else f'{op["name"]}@{op["level"]}'
        for op in ops
    ]
    record = content['epochs'][epoch - 1]
    return names, labels, record['p_tp'], np.asarray(record['p_o'])


def _build(config, scope):
    with DefaultScope.overwrite_default_scope(scope):
        registry = importlib.import_module(f'{scope}.registry')
        return registry.TRANSFORMS.build(config)


def _branch(export, label):
    choice = export.augment['transforms'][0]
    return choice['transforms'][export.labels.index(label)]


@pytest.mark.parametrize('target,epoch', [('mmpretrain', None),
                                          ('mmdet', 2)])
def test_snippet_builds_and_runs_without_ddas_mm(policies, tmp_path, target,
                                                 epoch):
    out = tmp_path / 'augment.py'
    options = [] if epoch is None else ['--epoch', str(epoch)]
    result = run_tool([
        sys.executable, TOOL, policies[target], '--to', target, '--out',
        str(out), *options
    ])
    assert 'left out' in result.stderr.lower()
    names, _, p_tp, _ = _record(policies[target], epoch or len(P_TP))
    config = Config.fromfile(str(out)).ddas_policy_augment
    assert config.type == 'RandomApply' and config.prob == p_tp
    assert [choice.type for choice in config.transforms] == ['RandomChoice'
                                                             ] * 2
    mapped = [name for name in names if not LACKS[target](name)]
    assert len(config.transforms[0].transforms) == len(mapped)

    run = subprocess.run(
        [sys.executable, '-c', BUILD_AND_RUN, target,
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert f'ran {len(mapped)} branches' in run.stdout


@pytest.mark.parametrize('target', PRESETS)
def test_ops_are_drawn_as_the_policy_says(policies, target):
    names, labels, p_tp, p_o = _record(policies[target], 2)
    export = export_policy(PolicySchedule.load(policies[target]), target, 2)
    mapped = np.array([not LACKS[target](name) for name in names])
    assert export.labels == [
        label for label, keep in zip(labels, mapped) if keep
    ]
    augment = _build(export.augment, target)

    applied = []
    chosen = collections.Counter()

    def counted(draw, record):

        def wrapper():
            value = draw()
            record(value)
            return value

        return wrapper

    augment.random_apply = counted(augment.random_apply, applied.append)
    for choice in augment.transforms.transforms:
        choice.random_pipeline_index = counted(
            choice.random_pipeline_index,
            lambda index: chosen.update([int(index)]))

    np.random.seed(1)
    shape = (48, 64, 3) if target == 'mmdet' else (32, 32, 3)
    for _ in range(SAMPLES):
        results = dict(img=np.random.randint(0, 256, shape, dtype=np.uint8),
                       img_shape=shape[:2], ori_shape=shape[:2])
        augment(results)

    times = sum(applied)
    assert chisquare([times, SAMPLES - times],
                     [SAMPLES * p_tp, SAMPLES * (1 - p_tp)]).pvalue > 0.001
    expected = p_o[mapped] / p_o[mapped].sum() * 2 * times
    observed = [chosen[i] for i in range(mapped.sum())]
    assert sum(observed) == 2 * times
    assert chisquare(observed, expected).pvalue > 0.001


def _ours(name, level, img):
    out, _ = apply_op(name, torch.from_numpy(img).permute(2, 0, 1),
                      level=level)
    return out.permute(1, 2, 0).numpy()


def _theirs(branch, target, img):
    transform = _build(dict(type='Compose', transforms=branch), target)
    return transform(dict(img=img.copy(), img_shape=img.shape[:2]))['img']


def test_mmpretrain_magnitudes(policies):
    export = export_policy(PolicySchedule.load(policies['mmpretrain']),
                           'mmpretrain')
    sign = dict(prob=1.0, random_negative_prob=1 - POSITIVE_SIGN_PROB)
    [rotate] = _branch(export, 'Rotate@6')
    assert rotate == dict(type='Rotate', angle=pytest.approx(
        6 / MAX_LEVEL * ROTATE_MAX_DEGREES), interpolation='bilinear', **sign)
    assert rotate['angle'] == pytest.approx(18.0)
    [shear] = _branch(export, 'ShearY@8')
    assert shear['type'] == 'Shear' and shear['direction'] == 'vertical'
    assert shear['magnitude'] == pytest.approx(0.8 * SHEAR_MAX)
    assert shear['random_negative_prob'] == 0.5
    [translate] = _branch(export, 'TranslateX@4')
    assert translate['direction'] == 'horizontal'
    assert translate['magnitude'] == pytest.approx(0.4 *
                                                   TRANSLATE_MAX_FRACTION)
    [color] = _branch(export, 'Color@10')
    assert color == dict(type='ColorTransform',
                         magnitude=pytest.approx(ENHANCE_MAX_DELTA), **sign)
    [posterize] = _branch(export, 'Posterize@6')
    assert posterize['bits'] == math.ceil(POSTERIZE_MAX_BITS * (1 - 0.6)) == 2
    [solarize] = _branch(export, 'Solarize@4')
    assert solarize['thr'] == pytest.approx(SOLARIZE_MAX_THRESHOLD * 0.6)
    # The default image is CIFAR's 32 x 32.
    [cutout] = _branch(export, 'Cutout@10')
    assert cutout['shape'] == round(CUTOUT_MAX_FRACTION * 32) == 6
    [cutout] = _branch(
        export_policy(PolicySchedule.load(policies['mmpretrain']),
                      'mmpretrain', img_shape=(224, 300)), 'Cutout@10')
    assert cutout['shape'] == round(CUTOUT_MAX_FRACTION * 224)
    assert _branch(export, 'Identity') == []

    # Where the library's op is ours, its pixels are ours.
    img = np.random.default_rng(2).integers(0, 256, (32, 32, 3), np.uint8)
    for name, level in (('Posterize', 6), ('Solarize', 4), ('Invert', None),
                        ('FlipUD', None)):
        label = name if level is None else f'{name}@{level}'
        np.testing.assert_array_equal(
            _theirs(_branch(export, label), 'mmpretrain', img),
            _ours(name, level, img), err_msg=label)
    assert not any('cannot match' in line for line in export.report)


def test_mmdet_magnitudes(policies):
    export = export_policy(PolicySchedule.load(policies['mmdet']), 'mmdet')
    report = '\n'.join(export.report)
    [rotate] = _branch(export, 'Rotate_BBox@6')
    assert rotate == dict(type='Rotate', prob=1.0, min_mag=18.0,
                          max_mag=18.0, reversal_prob=POSITIVE_SIGN_PROB)
    assert rotate['min_mag'] == 6 / MAX_LEVEL * ROTATE_MAX_DEGREES
    # mmdet takes the shear as an angle and rounds magnitudes to 0.1.
    [shear] = _branch(export, 'ShearX_BBox@10')
    assert shear['type'] == 'ShearX'
    assert shear['min_mag'] == shear['max_mag'] == 16.7 == round(
        math.degrees(math.atan(SHEAR_MAX)), 1)
    assert 'ShearX_BBox@10: ours +/-0.3 (shear factor)' in report
    # 150 of 640 reference pixels: 150 / 480 of a 4:3 image's height.
    [translate] = _branch(export, 'TranslateY_BBox@6')
    ours = 0.6 * TRANSLATE_BBOX_MAX_PIXELS / (ZOPH_REFERENCE_LONG_SIDE * 3 / 4)
    assert translate['type'] == 'TranslateY'
    assert translate['min_mag'] == translate['max_mag'] == round(ours, 1)
    assert (f'TranslateY_BBox@6: ours +/-{ours:.6g} of the height, mmdet '
            f'+/-{round(ours, 1):.6g} of the height') in report
    [choice] = _branch(export, 'Color@2')
    assert choice['type'] == 'RandomChoice' and choice['prob'] == [0.5, 0.5]
    assert [(t['type'], t['min_mag'], t['max_mag'])
            for [t] in choice['transforms']] == [('Color', 1.2, 1.2),
                                                 ('Color', 0.8, 0.8)]
    assert 'Color@2: ours factor 1.18 / 0.82, mmdet factor 1.2 / 0.8' in report
    [cutout] = _branch(export, 'Cutout_Det@6')
    side = 2 * int(0.6 * CUTOUT_DET_MAX_PAD)
    assert cutout['cutout_ratio'] == (side / 640, side / 480)
    assert cutout['fill_in'] == (128, 128, 128)
    [posterize] = _branch(export, 'Posterize@6')
    assert posterize['min_mag'] == posterize['max_mag'] == 2.0

    img = np.random.default_rng(3).integers(0, 256, (48, 64, 3), np.uint8)
    for name, level in (('Posterize', 6), ('Solarize', 2), ('Solarize', 6),
                        ('SolarizeAdd', 6)):
        label = f'{name}@{level}'
        np.testing.assert_array_equal(
            _theirs(_branch(export, label), 'mmdet', img),
            _ours(name, level, img), err_msg=label)


@pytest.mark.parametrize('target', PRESETS)
def test_left_out_ops_are_reported_with_their_mass(policies, target):
    names, labels, _, p_o = _record(policies[target], len(P_TP))
    report = export_policy(PolicySchedule.load(policies[target]),
                           target).report
    lacking = [i for i, name in enumerate(names) if LACKS[target](name)]
    mass = p_o[lacking].sum()
    [header] = [line for line in report if line.startswith('Left out')]
    assert f'({100 * mass:.1f}% of p_o;' in header
    listed = {}
    for line in report:
        label, _, value = line.strip().partition(': p_o ')
        if value:
            listed[label] = float(value)
    assert list(listed) == [labels[i] for i in lacking]
    for i in lacking:
        assert listed[labels[i]] == pytest.approx(p_o[i], abs=1e-6)


def test_mmdet_mask_differences_are_reported(policies):
    """Where mmdet moves masks unlike ours (tests/ops/test_ops_masks.py
    measures mmdet's Rotate on polygons), the report says so, per op."""
    report = export_policy(PolicySchedule.load(policies['mmdet']),
                           'mmdet').report
    notes = {line.strip().partition(':')[0]: line for line in report
             if 'PolygonMasks' in line or 'polygon vertices' in line}
    assert 'poly2mask=True' in notes['Rotate_BBox']
    for name in ('ShearX_BBox', 'ShearY_BBox', 'TranslateX_BBox',
                 'TranslateY_BBox'):
        assert 'clamps the polygon vertices' in notes[name]
    pretrain = export_policy(PolicySchedule.load(policies['mmpretrain']),
                             'mmpretrain').report
    assert not any('polygon' in line for line in pretrain)


def test_bad_input_exits_2_with_the_fix(policies, tmp_path):
    cases = [
        ([str(tmp_path / 'missing.json'), '--to', 'mmdet'],
         'does not exist'),
        ([policies['mmdet'], '--to', 'mmdet', '--epoch', '9'],
         'records search epochs 1 to 3, not epoch 9'),
        ([policies['mmdet'], '--to', 'mmdet', '--epoch', 'first'],
         "'last', got 'first'"),
        ([policies['mmdet'], '--to', 'mmseg'], "invalid choice: 'mmseg'"),
    ]
    for args, message in cases:
        result = run_tool([sys.executable, TOOL, *args], check=False)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    schedule = PolicySchedule.load(policies['mmdet'])
    with pytest.raises(ValueError, match="1 to 3, not epoch 0.*'last'"):
        record_index(schedule, 0)
