"""Export the policy of one search epoch as the libraries' own transforms.

For users who cannot install ddas_mm where they train: the record of one
search epoch becomes a pipeline snippet made of mmcv's wrappers around
mmpretrain's or mmdet's augmentation transforms::

    dict(type='RandomApply', prob=p_tp, transforms=[
        dict(type='RandomChoice', transforms=[[op_1], [op_2], ...],
             prob=[p_o renormalised over the mapped candidates]),
        ...])                                  # N_o times

It draws as :class:`~ddas_mm.datasets.DynamicDDASAugment` replaying that
record: with probability p_tp, N_o ops drawn independently from p_o and
applied in turn. Each candidate maps to the library transform at the
magnitude nearest ours; the export reports the candidates the library
lacks (left out, the rest of p_o renormalised), the magnitudes it cannot
match exactly and any other difference from our op.
"""
import copy
import math
import numbers
import textwrap
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ddas_mm.ops.constants import (FILL_VALUE, POSITIVE_SIGN_PROB,
                                   SOLARIZE_ADD_THRESHOLD,
                                   ZOPH_REFERENCE_LONG_SIDE)
from ddas_mm.ops.definitions import get_op
from ddas_mm.config_text import formatted, literal
from .schedule import PolicySchedule

TARGETS = ('mmpretrain', 'mmdet')
# The image (height, width) assumed where a size converts between pixels and
# fractions of the image, unless given: CIFAR's 32 x 32 (the paper's
# classification search) and COCO's usual 480 x 640 (Zoph et al.'s 640-pixel
# reference images, 4:3 landscape).
DEFAULT_IMG_SHAPES = {
    'mmpretrain': (32, 32),
    'mmdet': (ZOPH_REFERENCE_LONG_SIDE * 3 // 4, ZOPH_REFERENCE_LONG_SIDE),
}
# mmcv's RandomChoice asserts ``sum(prob) == 1`` exactly. Multiples of 2**-40
# add up exactly in any order (every partial sum is a float), so the
# renormalised p_o is rounded to them, at most 1e-12 off.
_PROB_GRID = 2**40
# Snippet lines are wrapped at this width, as OpenMMLab configs are.
_LINE_WIDTH = 79

# mmpretrain's names where they differ from ours (and mmdet's).
_MMPRETRAIN_NAMES = {'Color': 'ColorTransform'}


class Mapping(NamedTuple):
    """One candidate op as library transforms.

    Attributes:
        transforms (list[dict]): The transforms of its RandomChoice branch
            (empty for the identity).
        ours (str): Our magnitude with its unit ('' for ops without one).
        theirs (str): The library's magnitude, in the same form.
        note (str): A difference from our op other than the magnitude, the
            same for every level of the op ('' if none).
    """
    transforms: List[dict]
    ours: str = ''
    theirs: str = ''
    note: str = ''

    @property
    def exact(self) -> bool:
        """Whether the library applies our magnitude."""
        return self.ours == self.theirs


class PolicyExport(NamedTuple):
    """A policy record as library transforms.

    Attributes:
        augment (dict): The RandomApply transform config.
        labels (list[str]): The candidate of each RandomChoice branch, in
            the order of the branches ('Rotate@6').
        report (list[str]): What the export left out or changed, one line
            per item.
    """
    augment: dict
    labels: List[str]
    report: List[str]


def _num(value: float) -> str:
    return f'{value:.6g}'


def _value(value: float) -> float:
    # 12 significant digits: 0.09 where level / 10 * 0.45 gives
    # 0.09000000000000001 (1e-12 relative at most).
    return float(f'{value:.12g}')


def _mmdet_mag(value: float) -> float:
    # mmdet's level_to_mag rounds every magnitude to one decimal.
    return round(float(value), 1)


def _random_sign(target: str) -> dict:
    """The argument that draws a symmetric op's sign as ours does.

    Both directions are equally likely (POSITIVE_SIGN_PROB = 0.5), so the
    libraries' conventions (mmcv turns clockwise for a positive angle, ours
    counter-clockwise) do not matter.
    """
    if target == 'mmpretrain':
        return dict(random_negative_prob=1.0 - POSITIVE_SIGN_PROB)
    # mmdet negates the magnitude when rand() > reversal_prob.
    return dict(reversal_prob=POSITIVE_SIGN_PROB)


def _pixels_scale(op_name: str, img_shape: Tuple[int, int]) -> float:
    """What ``apply_op`` multiplies the op's magnitude by at ``img_shape``:
    Zoph et al.'s pixels scale with the image's longer side."""
    if get_op(op_name).reference_pixels:
        return max(img_shape) / ZOPH_REFERENCE_LONG_SIDE
    return 1.0


# How mmdet 3.3's geometric transforms move instance masks unlike ours
# (tests/test_ops_masks.py measures the first).
MMDET_POLYGON_ROTATION = (
    "mmdet's Rotate turns PolygonMasks the other way than the image (a "
    'test object rotated by 12 deg keeps an IoU of 0.24 with its pixels): '
    'with masks, load them as bitmaps (LoadAnnotations(poly2mask=True), '
    "mmdet's default).")
MMDET_POLYGON_CLAMPING = (
    "mmdet clamps the polygon vertices that leave the image onto its border, "
    'where ours cuts the polygons at the border.')


def _rotate(name, level, direction, target, img_shape) -> Mapping:
    degrees = get_op(name).magnitude_at(level)
    note = ''
    if target == 'mmpretrain':
        theirs = degrees
        transform = dict(type='Rotate', angle=_value(degrees), prob=1.0,
                         interpolation='bilinear', **_random_sign(target))
    else:
        theirs = _mmdet_mag(degrees)
        transform = dict(type='Rotate', prob=1.0, min_mag=theirs,
                         max_mag=theirs, **_random_sign(target))
        note = f'{name}: {MMDET_POLYGON_ROTATION}'
    return Mapping([transform], f'+/-{_num(degrees)} deg',
                   f'+/-{_num(theirs)} deg', note)


def _rotate90(name, level, direction, target, img_shape) -> Mapping:
    # Ours turns counter-clockwise: a negative angle for mmcv.
    if target == 'mmpretrain':
        transform = dict(type='Rotate', angle=-90.0, prob=1.0,
                         random_negative_prob=0.0, interpolation='nearest')
    else:
        transform = dict(type='Rotate', prob=1.0, min_mag=90.0, max_mag=90.0,
                         reversal_prob=0.0, interpolation='nearest')
    return Mapping([transform], '+90 deg', '+90 deg')


def _shear(name, level, direction, target, img_shape) -> Mapping:
    factor = get_op(name).magnitude_at(level)
    if target == 'mmpretrain':
        theirs = factor
        transform = dict(type='Shear', magnitude=_value(factor),
                         direction=direction, prob=1.0,
                         interpolation='bilinear', **_random_sign(target))
    else:
        # mmdet takes the shear as an angle, the factor is its tangent.
        angle = _mmdet_mag(math.degrees(math.atan(factor)))
        theirs = math.tan(math.radians(angle))
        transform = dict(type='ShearX' if direction == 'horizontal' else
                         'ShearY', prob=1.0, min_mag=angle, max_mag=angle,
                         **_random_sign(target))
    note = f'{name}: {MMDET_POLYGON_CLAMPING}' if target == 'mmdet' else ''
    return Mapping([transform], f'+/-{_num(factor)} (shear factor)',
                   f'+/-{_num(theirs)} (shear factor)', note)


def _translate(name, level, direction, target, img_shape) -> Mapping:
    height, width = img_shape
    side, side_name = ((width, 'width') if direction == 'horizontal' else
                       (height, 'height'))
    op = get_op(name)
    fraction = op.magnitude_at(level)
    notes = []
    if op.reference_pixels:
        fraction *= _pixels_scale(name, img_shape) / side
        notes.append(f'a fraction of the {side_name}, equal to ours on '
                     f'images of aspect ratio H:W = {height}:{width} only '
                     f'(ours moves by pixels scaled with the longer side).')
    if target == 'mmdet':
        notes.append(MMDET_POLYGON_CLAMPING)
    note = f'{name}: {" ".join(notes)}' if notes else ''
    if target == 'mmpretrain':
        theirs = fraction
        transform = dict(type='Translate', magnitude=_value(fraction),
                         direction=direction, prob=1.0,
                         **_random_sign(target))
    else:
        # mmdet moves by at most the whole side.
        theirs = _mmdet_mag(min(fraction, 1.0))
        transform = dict(type='TranslateX' if direction == 'horizontal'
                         else 'TranslateY', prob=1.0, min_mag=theirs,
                         max_mag=theirs, **_random_sign(target))
    return Mapping([transform], f'+/-{_num(fraction)} of the {side_name}',
                   f'+/-{_num(theirs)} of the {side_name}', note)


def _posterize(name, level, direction, target, img_shape) -> Mapping:
    bits = get_op(name).magnitude_at(level)
    if target == 'mmpretrain':
        transform = dict(type='Posterize', bits=int(bits), prob=1.0)
    else:
        transform = dict(type='Posterize', prob=1.0, min_mag=float(bits),
                         max_mag=float(bits))
    return Mapping([transform], f'{bits} bits', f'{bits} bits')


def _solarize(name, level, direction, target, img_shape) -> Mapping:
    threshold = get_op(name).magnitude_at(level)
    if target == 'mmpretrain':
        theirs = threshold
        transform = dict(type='Solarize', thr=_value(threshold), prob=1.0)
    else:
        theirs = _mmdet_mag(threshold)
        transform = dict(type='Solarize', prob=1.0, min_mag=theirs,
                         max_mag=theirs)
    return Mapping([transform], f'threshold {_num(threshold)}',
                   f'threshold {_num(theirs)}')


def _solarize_add(name, level, direction, target, img_shape) -> Mapping:
    addition = get_op(name).magnitude_at(level)
    if target == 'mmpretrain':
        theirs = addition
        transform = dict(type='SolarizeAdd', magnitude=_value(addition),
                         thr=SOLARIZE_ADD_THRESHOLD, prob=1.0)
    else:
        # mmdet's threshold is 128, as ours.
        theirs = _mmdet_mag(addition)
        transform = dict(type='SolarizeAdd', prob=1.0, min_mag=theirs,
                         max_mag=theirs)
    return Mapping([transform],
                   f'+{_num(addition)} below {SOLARIZE_ADD_THRESHOLD}',
                   f'+{_num(theirs)} below {SOLARIZE_ADD_THRESHOLD}')


def _enhance(name, level, direction, target, img_shape) -> Mapping:
    delta = get_op(name).magnitude_at(level)
    ours = f'factor {_num(1 + delta)} / {_num(1 - delta)}'
    if target == 'mmpretrain':
        transforms = [
            dict(type=_MMPRETRAIN_NAMES.get(name, name),
                 magnitude=_value(delta), prob=1.0, **_random_sign(target))
        ]
        return Mapping(transforms, ours, ours)
    # mmdet's colour transforms take the factor itself, without a sign: a
    # RandomChoice draws the factor above or below 1.
    up, down = _mmdet_mag(1 + delta), _mmdet_mag(1 - delta)
    choice = dict(type='RandomChoice',
                  transforms=[[dict(type=name, prob=1.0, min_mag=factor,
                                    max_mag=factor)] for factor in (up, down)],
                  prob=[POSITIVE_SIGN_PROB, 1.0 - POSITIVE_SIGN_PROB])
    return Mapping([choice], ours, f'factor {_num(up)} / {_num(down)}')


def _cutout(name, level, direction, target, img_shape) -> Mapping:
    height, width = img_shape
    op = get_op(name)
    side = op.side(height, width,
                   op.magnitude_at(level) * _pixels_scale(name, img_shape))
    ours = f'{side} x {side} px'
    if target == 'mmpretrain':
        transform = dict(type='Cutout', shape=side, pad_val=FILL_VALUE,
                         prob=1.0)
        return Mapping([transform], ours, ours,
                       f'{name}: a fixed side in pixels, equal to ours on '
                       f'{height} x {width} (H x W) images only (ours scales '
                       f'with the image); mmcv moves a square that crosses '
                       f'the top or left edge inside the image, ours clips '
                       f'it.')
    ratio = (side / width, side / height)
    transform = dict(type='CutOut', n_holes=1, cutout_ratio=ratio,
                     fill_in=(FILL_VALUE, ) * 3)
    # CutOut's sides are int(ratio * size).
    theirs = f'{int(ratio[0] * width)} x {int(ratio[1] * height)} px'
    return Mapping([transform], ours, theirs,
                   f'{name}: fractions of the width and height, the '
                   f'square of ours on images of aspect ratio H:W = '
                   f'{height}:{width} only; CutOut draws the top-left '
                   f'corner uniformly, ours the centre.')


def _smooth(name, level, direction, target, img_shape) -> Mapping:
    # Sharpness at factor 0 is its blurred image, PIL's SMOOTH filter.
    if target == 'mmpretrain':
        transform = dict(type='Sharpness', magnitude=-1.0, prob=1.0,
                         random_negative_prob=0.0)
    else:
        transform = dict(type='Sharpness', prob=1.0, min_mag=0.0,
                         max_mag=0.0)
    return Mapping([transform],
                   note=f'{name}: Sharpness at factor 0, the same 3 x 3 '
                   f'SMOOTH filter; mmcv also filters the 1-pixel border, '
                   f'which ours (as PIL) leaves as it is.')


def _identity(name, level, direction, target, img_shape) -> Mapping:
    return Mapping([])


def _flip(name, level, direction, target, img_shape) -> Mapping:
    return Mapping([dict(type='RandomFlip', prob=1.0, direction=direction)])


def _plain(name, level, direction, target, img_shape) -> Mapping:
    return Mapping([dict(type=name, prob=1.0)])


_MAPPERS = {
    'identity': _identity,
    'flip': _flip,
    'plain': _plain,
    'smooth': _smooth,
    'rotate90': _rotate90,
    'rotate': _rotate,
    'shear': _shear,
    'translate': _translate,
    'posterize': _posterize,
    'solarize': _solarize,
    'solarize_add': _solarize_add,
    'enhance': _enhance,
    'cutout': _cutout,
}


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f'Unknown target library {target!r}; export to one '
                         f'of {", ".join(TARGETS)}.')


def map_candidate(name: str, level: Optional[int], target: str,
                  img_shape: Tuple[int, int]) -> Optional[Mapping]:
    """The library transforms nearest to one candidate op.

    Args:
        name (str): Our op name.
        level (int | None): Its level.
        target (str): 'mmpretrain' or 'mmdet'.
        img_shape (tuple[int, int]): (height, width) of the images the
            transforms get, for sizes converted between pixels and
            fractions of the image.

    Returns:
        Mapping | None: None if the library has no such transform.

    Raises:
        ValueError: Unknown target or op, or a level the op does not take.
    """
    _check_target(target)
    op = get_op(name)
    op.magnitude_at(level)  # raises on a level the op does not take
    # The libraries have no op that reads the boxes (BBox_Cutout, the
    # _Only_BBoxes ops), nor a mapper for every kind (Blur).
    if op.uses_boxes or op.kind not in _MAPPERS:
        return None
    return _MAPPERS[op.kind](name, level, op.direction, target, img_shape)


def record_index(schedule: PolicySchedule, epoch: Union[int, str]) -> int:
    """The index of a search epoch's record.

    Args:
        schedule (PolicySchedule): The policy file's records.
        epoch (int | str): A search epoch, 1 .. T, or 'last'.

    Returns:
        int: The index into the records (epoch - 1).

    Raises:
        ValueError: No such epoch; the message names the valid ones.
    """
    if epoch == 'last':
        return len(schedule) - 1
    if (isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral)
            or not 1 <= epoch <= len(schedule)):
        raise ValueError(f'The policy file records search epochs 1 to '
                         f'{len(schedule)}, not epoch {epoch!r}: pass one '
                         f"of them or 'last'.")
    return int(epoch) - 1


def exact_distribution(weights: Sequence[float]) -> List[float]:
    """Normalise weights into probabilities whose ``sum`` is exactly 1.

    Each probability is rounded to a multiple of 2**-40 (largest
    remainders), at most 1e-12 from the exact value.

    Args:
        weights (Sequence[float]): Non-negative, with a positive sum.

    Returns:
        list[float]: The probabilities, in the order of the weights.
    """
    weights = np.asarray(weights, dtype=np.float64)
    scaled = weights / weights.sum() * _PROB_GRID
    units = np.floor(scaled).astype(np.int64)
    missing = _PROB_GRID - int(units.sum())
    units[np.argsort(units - scaled, kind='stable')[:missing]] += 1
    return [float(unit) / _PROB_GRID for unit in units]


def _percent(mass: float) -> str:
    return f'{100 * mass:.1f}%'


def export_policy(schedule: PolicySchedule,
                  target: str,
                  epoch: Union[int, str] = 'last',
                  img_shape: Optional[Tuple[int, int]] = None
                  ) -> PolicyExport:
    """The policy of one search epoch as library transforms.

    Args:
        schedule (PolicySchedule): The policy file's records.
        target (str): 'mmpretrain' or 'mmdet'.
        epoch (int | str): The search epoch, 1 .. T, or 'last'.
        img_shape (tuple[int, int], optional): (height, width) of the
            images the transforms get, where a size converts between
            pixels and fractions of the image. Defaults to
            :data:`DEFAULT_IMG_SHAPES` of the target.

    Returns:
        PolicyExport: The RandomApply config, the candidate of each
        RandomChoice branch and the report.

    Raises:
        ValueError: Unknown target, no such epoch, a bad image shape, or no
            candidate with probability left in the library.
    """
    _check_target(target)
    index = record_index(schedule, epoch)
    if img_shape is None:
        img_shape = DEFAULT_IMG_SHAPES[target]
    if len(img_shape) != 2 or any(
            isinstance(size, bool) or not isinstance(size, numbers.Integral)
            or size < 1 for size in img_shape):
        raise ValueError(f'img_shape is (height, width) in pixels, got '
                         f'{img_shape!r}')
    img_shape = tuple(int(size) for size in img_shape)
    space = schedule.space
    p_tp, p_o = float(schedule.p_tp[index]), schedule.p_o[index]

    branches, weights, labels = [], [], []
    lacking, inexact, notes = [], [], {}
    for label, (name, level), prob in zip(space.labels(), space.candidates,
                                          p_o):
        mapping = map_candidate(name, level, target, img_shape)
        if mapping is None:
            lacking.append((label, float(prob)))
            continue
        branches.append(mapping.transforms)
        weights.append(float(prob))
        labels.append(label)
        if not mapping.exact:
            inexact.append(f'  {label}: ours {mapping.ours}, {target} '
                           f'{mapping.theirs}')
        if mapping.note:
            notes.setdefault(name, mapping.note)
    if sum(weights) <= 0:
        raise ValueError(f'No op of this policy with a probability above 0 '
                         f'has a counterpart in {target}: nothing to export.')

    choice = dict(type='RandomChoice', transforms=branches,
                  prob=exact_distribution(weights))
    augment = dict(type='RandomApply', prob=p_tp,
                   transforms=[
                       copy.deepcopy(choice) for _ in range(space.num_ops)
                   ])
    report = [
        f'DDAS policy of search epoch {index + 1} (of {len(schedule)}): '
        f'p_tp {p_tp:.4f}, {space.num_ops} ops drawn from p_o over '
        f'{space.K} candidates; exported to {target}.'
    ]
    if lacking:
        mass = sum(prob for _, prob in lacking)
        report.append(f'Left out, {target} lacks them ({_percent(mass)} of '
                      f'p_o; the rest of p_o is renormalised over '
                      f'{_percent(1 - mass)}):')
        report += [f'  {label}: p_o {prob:.6f}' for label, prob in lacking]
    if inexact:
        report.append(f'Magnitudes {target} cannot match (ours vs '
                      f'{target}):')
        report += inexact
    if notes:
        report.append('Other differences:')
        report += [f'  {note}' for note in notes.values()]
    return PolicyExport(augment, labels, report)


def _comment(line: str) -> List[str]:
    """A report line as comment lines within the width, its indentation
    kept and its continuation indented by 2 more."""
    text = line.lstrip(' ')
    lead = '# ' + ' ' * (len(line) - len(text))
    return textwrap.wrap(text, _LINE_WIDTH, initial_indent=lead,
                         subsequent_indent=lead + '  ') or ['#']


def format_snippet(export: PolicyExport,
                   name: str = 'ddas_policy_augment',
                   header: Sequence[str] = ()) -> str:
    """The export as a Python config fragment to paste into a pipeline.

    Args:
        export (PolicyExport): What :func:`export_policy` returns.
        name (str): The variable the transform config is assigned to.
        header (Sequence[str]): Lines above the report, as comments.

    Returns:
        str: ``# comments`` (the header and the report), then
        ``name = dict(type='RandomApply', ...)``, each RandomChoice branch
        under a comment naming its candidate and its probability.
    """
    augment = export.augment
    comments = [
        comment for line in [*header, *export.report]
        for comment in _comment(line)
    ]
    choices = []
    for choice in augment['transforms']:
        branches = ''.join(
            f'# {label}: p {prob:.6f}\n{literal(branch)},\n'
            for label, prob, branch in zip(export.labels, choice['prob'],
                                           choice['transforms']))
        choices.append(f"dict(type='RandomChoice', transforms=[\n"
                       f"{branches}], prob={literal(choice['prob'])})")
    source = (f"{name} = dict(type='RandomApply', prob={augment['prob']!r}, "
              f"transforms=[{', '.join(choices)}])\n")
    return '\n'.join(comments) + '\n' + formatted(source)
