"""SearchSpace: presets, order, JSON form, validation and applying ops."""
import json

import pytest
import torch

from ddas_mm.ops import PRESETS, SearchSpace, Targets, apply_op

# The paper's CIFAR space as DESIGN.md lists it.
CIFAR_LEVELLESS = [
    'Identity', 'FlipLR', 'FlipUD', 'AutoContrast', 'Equalize', 'Invert',
    'Blur', 'Smooth'
]
CIFAR_MAGNITUDE = [
    'Rotate', 'Posterize', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY',
    'Solarize', 'Color', 'Contrast', 'Brightness', 'Sharpness', 'Cutout'
]


def test_cifar_is_the_papers_68_candidates_in_order():
    space = SearchSpace(preset='cifar')
    expected = [(name, None)
                for name in CIFAR_LEVELLESS] + [(name, level)
                                                for name in CIFAR_MAGNITUDE
                                                for level in (2, 4, 6, 8, 10)]
    assert space.candidates == expected
    assert space.K == 68
    assert space.num_ops == 2
    assert space.labels()[:9] == CIFAR_LEVELLESS + ['Rotate@2']


def test_imagenet_levels_are_configurable():
    assert SearchSpace('imagenet').candidates == SearchSpace(
        'cifar').candidates
    space = SearchSpace('imagenet', levels=[3, 9])
    assert space.K == 8 + 12 * 2
    assert ('Rotate', 3) in space.candidates
    assert ('Rotate', 2) not in space.candidates


def test_coco_is_zoph_et_al_detection_set():
    """The 25 ops of Zoph et al.'s NAME_TO_FUNC, their Cutout (a square of
    pixels) as Cutout_Det; 4 without a level, 21 at 3 levels."""
    space = SearchSpace('coco')
    names = {name for name, _ in space.candidates}
    assert names == {
        'AutoContrast', 'Equalize', 'Posterize', 'Solarize', 'SolarizeAdd',
        'Color', 'Contrast', 'Brightness', 'Sharpness', 'Cutout_Det',
        'BBox_Cutout', 'Rotate_BBox', 'TranslateX_BBox', 'TranslateY_BBox',
        'ShearX_BBox', 'ShearY_BBox', 'Rotate_Only_BBoxes',
        'ShearX_Only_BBoxes', 'ShearY_Only_BBoxes', 'TranslateX_Only_BBoxes',
        'TranslateY_Only_BBoxes', 'Flip_Only_BBoxes', 'Solarize_Only_BBoxes',
        'Equalize_Only_BBoxes', 'Cutout_Only_BBoxes'
    }
    assert {level for _, level in space.candidates} == {None, 2, 6, 10}
    assert space.K == 4 + 21 * 3
    assert space.has_bbox_ops
    assert not SearchSpace('cifar').has_bbox_ops


def test_grey_is_cifar_without_color():
    """Color changes nothing where the channels are equal."""
    grey, cifar = SearchSpace('grey'), SearchSpace('cifar')
    assert grey.candidates == [c for c in cifar.candidates if c[0] != 'Color']
    assert grey.K == 63


def test_sanity_replaces_rotate_with_rotate90_one_level_each():
    space = SearchSpace('sanity')
    names = [name for name, _ in space.candidates]
    assert 'Rotate90' in names and 'Rotate' not in names
    assert len(names) == len(set(names)) == 20
    assert ('Rotate90', None) in space.candidates


def test_explicit_ops_keep_their_order():
    space = SearchSpace(ops=[('Rotate', 4), {
        'name': 'Equalize',
        'level': None
    }, {
        'name': 'Invert'
    }],
                        num_ops=1)
    assert space.candidates == [('Rotate', 4), ('Equalize', None),
                                ('Invert', None)]
    assert space.labels() == ['Rotate@4', 'Equalize', 'Invert']


def test_dict_round_trip_in_the_policy_file_format():
    space = SearchSpace(ops=[('Rotate', 4), ('Equalize', None)])
    data = space.to_dict()
    assert data == {
        'num_ops':
        2,
        'ops': [{
            'name': 'Rotate',
            'level': 4
        }, {
            'name': 'Equalize',
            'level': None
        }]
    }
    for preset in PRESETS:
        space = SearchSpace(preset, num_ops=3)
        again = SearchSpace.from_dict(json.loads(json.dumps(space.to_dict())))
        assert again == space
        assert again.candidates == space.candidates


@pytest.mark.parametrize('kwargs, message', [
    (dict(), 'exactly one'),
    (dict(preset='cifar', ops=[('Rotate', 2)]), 'exactly one'),
    (dict(preset='svhn'), 'cifar, imagenet, coco, grey, sanity'),
    (dict(ops=[('Rotato', 2)]), 'valid ops: Identity'),
    (dict(ops=[('Rotate', None)]), 'Rotate needs an integer level'),
    (dict(ops=[('Equalize', 2)]), 'Equalize takes no level'),
    (dict(preset='cifar', levels=[11]), 'levels must be'),
    (dict(preset='cifar', levels=[]), 'levels must be'),
    (dict(ops=[('Rotate', 2)], levels=[2]), 'levels= overrides'),
    (dict(ops=[('Rotate', 2), ('Rotate', 2)]), 'repeated'),
    (dict(ops=[]), 'at least one'),
    (dict(ops=[{
        'name': 'Rotate',
        'lvl': 2
    }]), "keys 'name' and 'level'"),
    (dict(preset='cifar', num_ops=0), 'num_ops'),
])
def test_bad_spaces_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace(**kwargs)


def test_apply_runs_the_candidates_in_sequence():
    space = SearchSpace('coco')
    img = torch.randint(0,
                        256, (2, 3, 37, 53),
                        dtype=torch.uint8,
                        generator=torch.Generator().manual_seed(0))
    boxes = [torch.tensor([[5., 5., 30., 30.]]), torch.zeros(0, 4)]
    indices = [
        space.candidates.index(('Rotate_BBox', 6)),
        space.candidates.index(('Cutout_Only_BBoxes', 10))
    ]
    out, moved = space.apply(torch.tensor(indices),
                             img,
                             Targets(boxes=boxes),
                             sign=-1,
                             generator=torch.Generator().manual_seed(1))
    generator = torch.Generator().manual_seed(1)
    expected, expected_boxes = img, boxes
    for name, level in (('Rotate_BBox', 6), ('Cutout_Only_BBoxes', 10)):
        expected, expected_boxes = apply_op(name,
                                            expected,
                                            expected_boxes,
                                            level,
                                            -1,
                                            generator=generator)
    assert torch.equal(out, expected)
    assert all(map(torch.equal, moved.boxes, expected_boxes))
    with pytest.raises(ValueError, match='out of range'):
        space.apply([space.K], img)
