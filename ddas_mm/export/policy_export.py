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
magnitude nearest ours (the target's table, :mod:`.mmpretrain`,
:mod:`.mmdet`); the export reports the candidates the library lacks (left
out, the rest of p_o renormalised), the magnitudes it cannot match exactly
and any other difference from our op.
"""
import copy
import numbers
import textwrap
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ddas_mm.config_text import formatted, literal
from ddas_mm.ops import get_op
from ddas_mm.policy import PolicySchedule
from .mapping import ExportTarget, ImgShape, Mapping
from .mmdet import MMDET
from .mmpretrain import MMPRETRAIN

#: The libraries an export writes for, by name; a new one is a module with
#: its :class:`~.mapping.ExportTarget`, listed here.
EXPORT_TARGETS = {target.name: target for target in (MMPRETRAIN, MMDET)}
TARGETS = tuple(EXPORT_TARGETS)
DEFAULT_IMG_SHAPES = {
    name: target.img_shape
    for name, target in EXPORT_TARGETS.items()
}
# mmcv's RandomChoice asserts ``sum(prob) == 1`` exactly. Multiples of 2**-40
# add up exactly in any order (every partial sum is a float), so the
# renormalised p_o is rounded to them, at most 1e-12 off.
_PROB_GRID = 2**40
# Snippet lines are wrapped at this width, as OpenMMLab configs are.
_LINE_WIDTH = 79


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


def _target(target: str) -> ExportTarget:
    if target not in EXPORT_TARGETS:
        raise ValueError(f'Unknown target library {target!r}; export to one '
                         f'of {", ".join(TARGETS)}.')
    return EXPORT_TARGETS[target]


def map_candidate(name: str, level: Optional[int], target: str,
                  img_shape: ImgShape) -> Optional[Mapping]:
    """The library transforms nearest to one candidate op.

    Args:
        name (str): Our op name.
        level (int | None): Its level.
        target (str): A name of :data:`TARGETS`.
        img_shape (tuple[int, int]): (height, width) of the images the
            transforms get, for sizes converted between pixels and
            fractions of the image.

    Returns:
        Mapping | None: None if the library has no such transform.

    Raises:
        ValueError: Unknown target or op, or a level the op does not take.
    """
    mappers = _target(target).mappers
    op = get_op(name)
    op.magnitude_at(level)  # raises on a level the op does not take
    # The libraries have no op that reads the boxes (BBox_Cutout, the
    # _Only_BBoxes ops), nor every kind (Blur).
    if op.uses_boxes or op.kind not in mappers:
        return None
    return mappers[op.kind](op, level, img_shape)


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
                  img_shape: Optional[Tuple[int, int]] = None) -> PolicyExport:
    """The policy of one search epoch as library transforms.

    Args:
        schedule (PolicySchedule): The policy file's records.
        target (str): A name of :data:`TARGETS`.
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
    _target(target)
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

    choice = dict(type='RandomChoice',
                  transforms=branches,
                  prob=exact_distribution(weights))
    augment = dict(
        type='RandomApply',
        prob=p_tp,
        transforms=[copy.deepcopy(choice) for _ in range(space.num_ops)])
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
    return textwrap.wrap(
        text, _LINE_WIDTH, initial_indent=lead,
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
