"""What each transform of a config's pipeline does, as far as DDAS cares.

One table, written once, gives every known transform type its roles; the
decisions of :mod:`ddas_mm.config_gen.pipeline_rules` read them off. A
container (``RandomChoice``, ``RandomApply``, ``TransformBroadcaster`` ...)
has the union of its children's roles, so a resize inside ``RandomChoice``
sets the size like a bare one. A type the table does not know has the role
``UNKNOWN``: the generator names it in its notes instead of guessing.
"""
from typing import FrozenSet, Iterator, List

from ddas_mm.config_text import type_name

LOAD = 'load'  # reads the image or its annotations
SIZE = 'size'  # sets the image size (resize, crop, pad, expand ...)
AUG = 'aug'  # random standard augmentation that keeps a uint8 image
TO_FLOAT = 'to_float'  # leaves a float image (photometric distortion ...)
MULTI_IMAGE = 'multi_image'  # mixes several images (mosaic, mixup ...)
POLICY = 'policy'  # an augmentation policy, replaced by the searched one
PACK = 'pack'  # packs the sample for the model
UNKNOWN = 'unknown'  # not in the table

ROLES = {
    # Loading.
    'LoadImageFromFile': {LOAD},
    'LoadImageFromNDArray': {LOAD},
    'LoadAnnotations': {LOAD},
    'LoadPanopticAnnotations': {LOAD},
    'LoadEmptyAnnotations': {LOAD},
    'LoadProposals': {LOAD},
    # The image size, deterministic.
    'Resize': {SIZE},
    'ResizeEdge': {SIZE},
    'ResizeShortestEdge': {SIZE},
    'FixShapeResize': {SIZE},
    'CenterCrop': {SIZE},
    'EfficientNetCenterCrop': {SIZE},
    'Pad': {SIZE},
    # The image size, at random.
    'RandomResize': {SIZE, AUG},
    'RandomChoiceResize': {SIZE, AUG},
    'RandomResizedCrop': {SIZE, AUG},
    'RandomCrop': {SIZE, AUG},
    'MinIoURandomCrop': {SIZE, AUG},
    'Expand': {SIZE, AUG},
    'RandomAffine': {SIZE, AUG},
    'EfficientNetRandomCrop': {SIZE, AUG},
    'RandomResizedCropAndInterpolationWithTwoPic': {SIZE, AUG},
    # RandomCenterCropPad needs a float image (mmdet asserts it).
    'RandomCenterCropPad': {SIZE, AUG, TO_FLOAT},
    # Standard augmentation on a uint8 image.
    'RandomFlip': {AUG},
    'RandomErasing': {AUG},
    'RandomGrayscale': {AUG},
    'ColorJitter': {AUG},
    'GaussianBlur': {AUG},
    'CutOut': {AUG},
    'YOLOXHSVRandomAug': {AUG},
    'Albu': {AUG},
    'Albumentations': {AUG},
    'BEiTMaskGenerator': {AUG},
    # Float images.
    'PhotoMetricDistortion': {AUG, TO_FLOAT},
    'Lighting': {AUG, TO_FLOAT},
    'Normalize': {TO_FLOAT},
    # Several images.
    'Mosaic': {SIZE, AUG, MULTI_IMAGE},
    'CachedMosaic': {SIZE, AUG, MULTI_IMAGE},
    'MixUp': {AUG, MULTI_IMAGE},
    'CachedMixUp': {AUG, MULTI_IMAGE},
    'CopyPaste': {AUG, MULTI_IMAGE},
    # Augmentation policies.
    'AutoAugment': {POLICY},
    'RandAugment': {POLICY},
    'TrivialAugmentWide': {POLICY},
    'RandomAugment': {POLICY},
    'DynamicDDASAugment': {POLICY},
    # Packing; bookkeeping that touches no pixel.
    'PackDetInputs': {PACK},
    'PackInputs': {PACK},
    'PackClsInputs': {PACK},
    'FilterAnnotations': set(),
    'ToTensor': set(),
    'ImageToTensor': set(),
    'Collect': set(),
}
# Containers: they run some of the transforms they hold (nested lists for
# RandomChoice).
CONTAINERS = frozenset({
    'RandomChoice', 'RandomApply', 'RandomOrder', 'TransformBroadcaster',
    'KeyMapper', 'Compose'
})


def children(transform: dict) -> List[dict]:
    """The transforms a container holds, flattened; [] for others."""
    if type_name(transform) not in CONTAINERS:
        return []
    found = []
    pending = [transform.get('transforms', [])]
    while pending:
        item = pending.pop(0)
        if isinstance(item, dict):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return found


def roles(transform: dict) -> FrozenSet[str]:
    """A transform's roles; a container's are its children's.

    Args:
        transform (dict): a transform config.

    Returns:
        frozenset[str]: e.g. ``{SIZE, AUG}`` for ``RandomResize``; a
        ``to_float32=True`` option adds ``TO_FLOAT``.
    """
    kind = type_name(transform)
    if kind in CONTAINERS:
        found = frozenset().union(*(roles(c) for c in children(transform)))
    else:
        found = frozenset(ROLES.get(kind, {UNKNOWN}))
    if transform.get('to_float32'):
        found |= {TO_FLOAT}
    return found


def unknown_types(transform: dict) -> Iterator[str]:
    """The types of a transform, or of the ones it holds, that the table
    does not know."""
    if type_name(transform) in CONTAINERS:
        for child in children(transform):
            yield from unknown_types(child)
    elif type_name(transform) not in ROLES:
        yield type_name(transform)
