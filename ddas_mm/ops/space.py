"""SearchSpace: the ordered (op, level) candidates a DDAS policy draws from.
"""
import numbers
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch

from .constants import MAX_LEVEL, NUM_OPS
from .functional import apply_op_to_targets
from .targets import Targets, apply_box_rule, drop_lost_instances
from .definitions import get_op

Candidate = Tuple[str, Optional[int]]

# The paper's CIFAR / ImageNet op set: 8 ops without a level ...
CLASSIFICATION_LEVELLESS_OPS = ('Identity', 'FlipLR', 'FlipUD', 'AutoContrast',
                                'Equalize', 'Invert', 'Blur', 'Smooth')
# ... and 12 with one.
CLASSIFICATION_MAGNITUDE_OPS = ('Rotate', 'Posterize', 'ShearX', 'ShearY',
                                'TranslateX', 'TranslateY', 'Solarize',
                                'Color', 'Contrast', 'Brightness', 'Sharpness',
                                'Cutout')
# Zoph et al.'s detection op set, as the paper uses it on COCO: the 25 ops
# of their code's NAME_TO_FUNC, Cutout as Cutout_Det (their pixel-sized
# square, not the classification sets' fraction of the image).
DETECTION_OPS = ('AutoContrast', 'Equalize', 'Equalize_Only_BBoxes',
                 'Flip_Only_BBoxes', 'Posterize', 'Solarize', 'SolarizeAdd',
                 'Color', 'Contrast', 'Brightness', 'Sharpness', 'Cutout_Det',
                 'BBox_Cutout', 'Rotate_BBox', 'ShearX_BBox', 'ShearY_BBox',
                 'TranslateX_BBox', 'TranslateY_BBox', 'Rotate_Only_BBoxes',
                 'ShearX_Only_BBoxes', 'ShearY_Only_BBoxes',
                 'TranslateX_Only_BBoxes', 'TranslateY_Only_BBoxes',
                 'Solarize_Only_BBoxes', 'Cutout_Only_BBoxes')


class Preset(NamedTuple):
    """A named search space: its ops in order and the default levels of the
    ops that take one."""
    ops: Tuple[str, ...]
    levels: Tuple[int, ...]


PRESETS: Dict[str, Preset] = {
    # 8 + 12 x 5 = 68 candidates, as in the paper.
    'cifar':
    Preset(CLASSIFICATION_LEVELLESS_OPS + CLASSIFICATION_MAGNITUDE_OPS,
           (2, 4, 6, 8, 10)),
    'imagenet':
    Preset(CLASSIFICATION_LEVELLESS_OPS + CLASSIFICATION_MAGNITUDE_OPS,
           (2, 4, 6, 8, 10)),
    # 4 + 21 x 3 = 67 candidates.
    'coco':
    Preset(DETECTION_OPS, (2, 6, 10)),
    # Greyscale images: the cifar space without Color, which changes nothing
    # where the channels are equal; 8 + 11 x 5 = 63 candidates.
    'grey':
    Preset(
        CLASSIFICATION_LEVELLESS_OPS +
        tuple(op for op in CLASSIFICATION_MAGNITUDE_OPS if op != 'Color'),
        (2, 4, 6, 8, 10)),
    # Paper section 4.1: Rotate90 in place of Rotate, one level per op.
    'sanity':
    Preset(
        CLASSIFICATION_LEVELLESS_OPS + ('Rotate90', ) +
        CLASSIFICATION_MAGNITUDE_OPS[1:], (6, )),
}


class SearchSpace:
    """Ordered (op, level) candidates, from a preset or an explicit list.

    The order is deterministic: a preset's ops in the order of
    :data:`PRESETS` (the op set of the paper or of Zoph et al., ops without a
    level first), each op with a level expanded over the levels in the order
    given; an explicit list keeps its order. A policy refers to candidates by
    their index in this order.

    Args:
        preset (str | None): 'cifar', 'imagenet', 'coco', 'grey' or
            'sanity'.
        ops (Sequence | None): Candidates as ``(name, level)`` pairs or
            ``{'name': ..., 'level': ...}`` dicts (level None for ops without
            one). Give exactly one of ``preset`` and ``ops``.
        levels (Sequence[int] | None): Overrides the preset's levels of its
            ops that take one (only with ``preset``).
        num_ops (int): Ops per policy (N_o in the paper). Defaults to
            :data:`~.constants.NUM_OPS`.

    Raises:
        ValueError: Bad arguments, an unknown op or a level the op does not
            take (the message names the valid choices), or a repeated
            candidate.
    """

    def __init__(self,
                 preset: Optional[str] = None,
                 ops: Optional[Sequence[Union[Sequence, Dict]]] = None,
                 levels: Optional[Sequence[int]] = None,
                 num_ops: int = NUM_OPS):
        if (preset is None) == (ops is None):
            raise ValueError('SearchSpace takes exactly one of preset= and '
                             'ops=')
        if preset is not None:
            candidates = _expand_preset(preset, levels)
        elif levels is not None:
            raise ValueError('levels= overrides the levels of a preset; with '
                             'ops= give each candidate its level')
        else:
            candidates = [_parse_candidate(item) for item in ops]
        for name, level in candidates:
            get_op(name).magnitude_at(level)
        if not candidates:
            raise ValueError('SearchSpace needs at least one candidate')
        if len(set(candidates)) != len(candidates):
            raise ValueError(f'repeated candidates in {candidates}')
        if (not isinstance(num_ops, numbers.Integral)
                or isinstance(num_ops, bool) or num_ops < 1):
            raise ValueError(f'num_ops must be a positive integer, got '
                             f'{num_ops!r}')
        self._candidates = candidates
        self.num_ops = int(num_ops)

    @property
    def candidates(self) -> List[Candidate]:
        """The (name, level) candidates in order."""
        return list(self._candidates)

    @property
    def K(self) -> int:  # noqa: N802 (the paper's symbol)
        """The number of candidates."""
        return len(self._candidates)

    def labels(self) -> List[str]:
        """Short names for logs and plots: 'Rotate@4', 'Equalize'."""
        return [
            name if level is None else f'{name}@{level}'
            for name, level in self._candidates
        ]

    def to_dict(self) -> dict:
        """The JSON form of the policy file's ``space`` entry."""
        return {
            'num_ops':
            self.num_ops,
            'ops': [{
                'name': name,
                'level': level
            } for name, level in self._candidates]
        }

    @classmethod
    def from_dict(cls, data: dict) -> 'SearchSpace':
        """Inverse of :meth:`to_dict`."""
        return cls(ops=data['ops'], num_ops=data['num_ops'])

    def apply(self,
              indices: Sequence[int],
              img: torch.Tensor,
              targets: Optional[Targets] = None,
              sign=None,
              generator: Optional[torch.Generator] = None,
              channel_order: str = 'bgr',
              backend: Optional[str] = None) -> Tuple[torch.Tensor, Targets]:
        """Apply the candidates ``indices[0]``, ``indices[1]``, ... in turn,
        and keep the targets to the instances that still carry an object.

        The box rule, the same whatever the ops: the input boxes are clipped
        to the image and every op clips its output again; before the first
        op and after each one, instances whose box is under ``MIN_BOX_SIZE``
        wide or high (inverted and zero-size boxes among them) or whose mask
        is empty are dropped (:func:`~.targets.drop_lost_instances`;
        ``kept`` of the result says which remain).

        Args:
            indices (Sequence[int] | Tensor): Candidate indices.
            img (Tensor): As in :func:`~ddas_mm.ops.apply_op`.
            targets (Targets | None): What moves with ``img``, as
                :func:`~ddas_mm.ops.apply_op_to_targets` takes it; None:
                nothing.
            sign, generator, channel_order, backend: As in
                :func:`~ddas_mm.ops.apply_op`; every op of the sequence gets
                the same ``sign`` argument (None: each draws its own).

        Returns:
            tuple: the new image and its :class:`~.targets.Targets`.
        """
        if isinstance(indices, torch.Tensor):
            indices = indices.tolist()
        targets = Targets() if targets is None else targets
        height, width = img.shape[-2:]
        targets = apply_box_rule(targets, height, width)
        for index in indices:
            if not 0 <= index < self.K:
                raise ValueError(f'candidate index {index} out of range '
                                 f'0..{self.K - 1}')
            name, level = self._candidates[index]
            img, targets = apply_op_to_targets(name,
                                               img,
                                               targets,
                                               level,
                                               sign,
                                               channel_order=channel_order,
                                               generator=generator,
                                               backend=backend)
            targets = drop_lost_instances(targets)
        return img, targets

    def __eq__(self, other) -> bool:
        return (isinstance(other, SearchSpace)
                and self._candidates == other._candidates
                and self.num_ops == other.num_ops)

    def __repr__(self) -> str:
        return f'SearchSpace(K={self.K}, num_ops={self.num_ops})'


def _expand_preset(preset: str,
                   levels: Optional[Sequence[int]]) -> List[Candidate]:
    if preset not in PRESETS:
        raise ValueError(f'Unknown preset {preset!r}; valid presets: '
                         f'{", ".join(PRESETS)}')
    names, default_levels = PRESETS[preset]
    levels = default_levels if levels is None else tuple(levels)
    if not levels or len(set(levels)) != len(levels) or any(
            not isinstance(level, numbers.Integral) or isinstance(level, bool)
            or not 0 <= level <= MAX_LEVEL for level in levels):
        raise ValueError(f'levels must be distinct integers in '
                         f'0..{MAX_LEVEL}, got {levels!r}')
    candidates = []
    for name in names:
        if get_op(name).magnitude is None:
            candidates.append((name, None))
        else:
            candidates.extend((name, int(level)) for level in levels)
    return candidates


def _parse_candidate(item: Union[Sequence, Dict]) -> Candidate:
    if isinstance(item, dict):
        if 'name' not in item or set(item) - {'name', 'level'}:
            raise ValueError(f"a candidate dict has keys 'name' and "
                             f"'level', got {item!r}")
        return item['name'], item.get('level')
    if isinstance(item, str) or len(item) != 2:
        raise ValueError(f'a candidate is a (name, level) pair, got {item!r}')
    return item[0], item[1]
