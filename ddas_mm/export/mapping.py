"""What a candidate op becomes in a library, and the pieces every target's
table is made of.

A target is one module holding an :class:`ExportTarget`: its name, the image
shape it assumes and its mapping table, from an op's ``kind`` (see
:class:`~ddas_mm.ops.Op`) to a function ``(op, level, img_shape) ->
Mapping``. A kind missing from the table is an op the library lacks.
"""
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from ddas_mm.ops import Op
from ddas_mm.ops.constants import ZOPH_REFERENCE_LONG_SIDE

ImgShape = Tuple[int, int]


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


Mapper = Callable[[Op, Optional[int], ImgShape], Mapping]


class ExportTarget(NamedTuple):
    """A library an export writes transforms of.

    Attributes:
        name (str): What ``--to`` names it.
        img_shape (tuple[int, int]): The (height, width) assumed where a
            size converts between pixels and fractions of the image, unless
            the user gives one.
        mappers (dict[str, Callable]): Per op kind, ``(op, level,
            img_shape) -> Mapping``.
    """
    name: str
    img_shape: ImgShape
    mappers: Dict[str, Mapper]


def num(value: float) -> str:
    """A magnitude as the report prints it."""
    return f'{value:.6g}'


def exact_value(value: float) -> float:
    """A magnitude as a config holds it: 12 significant digits, 0.09 where
    level / 10 * 0.45 gives 0.09000000000000001 (1e-12 relative at most).
    """
    return float(f'{value:.12g}')


def pixels_scale(op: Op, img_shape: ImgShape) -> float:
    """What ``apply_op`` multiplies the op's magnitude by at ``img_shape``:
    Zoph et al.'s pixels scale with the image's longer side."""
    if op.reference_pixels:
        return max(img_shape) / ZOPH_REFERENCE_LONG_SIDE
    return 1.0


def translation(op: Op, level: int,
                img_shape: ImgShape) -> Tuple[float, str, str]:
    """Our translation as a fraction of the side it moves along.

    Returns:
        tuple: (fraction, side name, note: '' or where the fraction equals
        ours only at this aspect ratio).
    """
    height, width = img_shape
    side, side_name = ((width, 'width') if op.direction == 'horizontal' else
                       (height, 'height'))
    fraction = op.magnitude_at(level)
    note = ''
    if op.reference_pixels:
        fraction *= pixels_scale(op, img_shape) / side
        note = (f'a fraction of the {side_name}, equal to ours on images of '
                f'aspect ratio H:W = {height}:{width} only (ours moves by '
                f'pixels scaled with the longer side).')
    return fraction, side_name, note


def cutout_side(op: Op, level: int, img_shape: ImgShape) -> int:
    """The side in pixels of our cutout square at ``img_shape``."""
    height, width = img_shape
    return op.side(height, width,
                   op.magnitude_at(level) * pixels_scale(op, img_shape))


def smooth_note(op: Op) -> str:
    """How the libraries' Sharpness at factor 0, which stands in for
    Smooth, differs from ours."""
    return (f'{op.name}: Sharpness at factor 0, the same 3 x 3 SMOOTH '
            f'filter; mmcv also filters the 1-pixel border, which ours (as '
            f'PIL) leaves as it is.')


def identity(op: Op, level: Optional[int], img_shape: ImgShape) -> Mapping:
    """The identity: an empty branch, in every library."""
    return Mapping([])


def flip(op: Op, level: Optional[int], img_shape: ImgShape) -> Mapping:
    """A flip: mmcv's RandomFlip, which both libraries use."""
    return Mapping([dict(type='RandomFlip', prob=1.0, direction=op.direction)])


def same_name(op: Op, level: Optional[int], img_shape: ImgShape) -> Mapping:
    """A level-less op the library has under our name."""
    return Mapping([dict(type=op.name, prob=1.0)])
