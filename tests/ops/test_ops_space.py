"""SearchSpace: presets, order, JSON form, validation and applying ops."""
import json

import pytest
import torch

from ddas_mm.ops import PRESETS, SearchSpace, Targets

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


def test_apply_runs_the_candidates_in_order_with_the_box_rule():
    """Invert, Posterize@6 (2 bits kept) and FlipLR, whose results are
    computed here by hand: the order matters, boxes follow the flip, a box
    partly outside is clipped and one under a pixel wide is dropped."""
    space = SearchSpace(ops=[('Invert', None), ('Posterize', 6),
                             ('FlipLR', None)])
    img = torch.randint(0,
                        256, (2, 3, 37, 53),
                        dtype=torch.uint8,
                        generator=torch.Generator().manual_seed(0))
    top_two_bits = 0b11000000

    out, _ = space.apply([0, 1], img)
    assert torch.equal(out, (255 - img) & top_two_bits)
    out, _ = space.apply([1, 0], img)
    assert torch.equal(out, 255 - (img & top_two_bits))

    boxes = [
        torch.tensor([[5., 6., 30., 31.], [-10., 2., 20., 20.],
                      [10., 10., 10.5, 30.]]),
        torch.zeros(0, 4)
    ]
    out, moved = space.apply([2, 0], img, Targets(boxes=boxes))
    assert torch.equal(out, 255 - img.flip(-1))
    # x -> 53 - x after clipping [-10, 20] to [0, 20]; the third box is
    # 0.5 pixels wide and goes.
    assert torch.equal(
        moved.boxes[0],
        torch.tensor([[23., 6., 48., 31.], [33., 2., 53., 20.]]))
    assert moved.kept[0].tolist() == [0, 1]
    assert moved.boxes[1].shape == (0, 4)
    with pytest.raises(ValueError, match='out of range'):
        space.apply([space.K], img)
