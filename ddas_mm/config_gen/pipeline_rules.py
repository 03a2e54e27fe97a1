"""Where DDAS goes in a user's pipeline, and what the search keeps of it.

One point of the pipeline decides everything: right after the last
transform that loads the image or sets its size (Resize, RandomResizedCrop,
RandomCrop, Expand, Pad ...). The search's ops run on batches of images at
that size, and the retraining replays the policy at that point, so both see
images at the same scale.

- S_train (the search's training split) is the retraining pipeline without
  the policy: the config's pipeline, its standard augmentation (crop, flip,
  photometric distortion ...) included, less the augmentation policies
  (AutoAugment, RandAugment, ...) that the searched one replaces. The branch
  D_0 of Eq. 12 is then what the network sees in retraining without the
  policy, and Eq. 15 measures what the searched ops add on top of it (the
  authors' CIFAR search, too, crops and flips its training batches).
- S_val uses the config's test pipeline, with the boxes loaded before any
  resize (mmdet's test pipelines load them after it, for evaluation at the
  original scale; the validation loss needs them at the image's scale).
- Retraining keeps the config's pipeline, inserts ``DynamicDDASAugment``
  at that point and drops other augmentation policies (AutoAugment,
  RandAugment, ...), which the searched policy replaces.
"""
from typing import List, Optional, Tuple

from ddas_mm.config_text import type_name

# Transforms that set the size of the image, deterministic or random.
SIZE_SETTING = frozenset({
    'Resize', 'RandomResize', 'RandomChoiceResize', 'ResizeEdge',
    'ResizeShortestEdge', 'FixShapeResize', 'RandomResizedCrop',
    'RandomCrop', 'CenterCrop', 'Expand', 'MinIoURandomCrop',
    'RandomCenterCropPad', 'Pad', 'EfficientNetRandomCrop',
    'EfficientNetCenterCrop', 'RandomResizedCropAndInterpolationWithTwoPic'
})
# Augmentation policies, replaced by the searched one.
POLICIES = frozenset({
    'AutoAugment', 'RandAugment', 'TrivialAugmentWide', 'RandomAugment',
    'DynamicDDASAugment'
})
# Random augmentations that keep the image's size, besides Random*.
RANDOM_AUGMENTATIONS = frozenset({
    'PhotoMetricDistortion', 'ColorJitter', 'Lighting', 'Albu',
    'Albumentations', 'CutOut', 'GaussianBlur', 'YOLOXHSVRandomAug', 'Mosaic',
    'MixUp', 'CachedMosaic', 'CachedMixUp', 'CopyPaste', 'BEiTMaskGenerator'
})
# Datasets that hold images as arrays, in RGB order; their pipelines have
# no loading transform.
RGB_ARRAY_DATASETS = frozenset(
    {'CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST'})


def is_loading(transform: dict) -> bool:
    return type_name(transform).startswith('Load')


def is_random(transform: dict) -> bool:
    """Whether a transform draws at random: Random*, the augmentation
    policies and the other random augmentations, random crops included."""
    kind = type_name(transform)
    return (kind in POLICIES or kind in RANDOM_AUGMENTATIONS
            or kind.startswith('Random'))


def policy_point(pipeline: List[dict]) -> int:
    """Where the policy goes: the index right after the last transform that
    loads the image or sets its size (0 for a pipeline without either, as
    for in-memory datasets)."""
    point = 0
    for index, transform in enumerate(pipeline):
        if is_loading(transform) or type_name(transform) in SIZE_SETTING:
            point = index + 1
    return point


def search_train_pipeline(
        pipeline: List[dict]) -> Tuple[List[dict], List[str]]:
    """S_train's pipeline: the augmentation policies left out.

    Args:
        pipeline (list[dict]): the config's training pipeline.

    Returns:
        tuple[list[dict], list[str]]: the pipeline and the types left out.
    """
    kept = [t for t in pipeline if type_name(t) not in POLICIES]
    left_out = [type_name(t) for t in pipeline if t not in kept]
    return kept, left_out


def search_val_pipeline(test_pipeline: List[dict],
                        with_boxes: bool) -> List[dict]:
    """S_val's pipeline: the test pipeline, for detection with the boxes
    loaded right after the image (so every resize moves them too).

    Args:
        test_pipeline (list[dict]): the config's test pipeline.
        with_boxes (bool): detection: the validation loss needs boxes.

    Returns:
        list[dict]: the pipeline.
    """
    if not with_boxes:
        return list(test_pipeline)
    annotations = [
        t for t in test_pipeline if type_name(t) == 'LoadAnnotations'
    ] or [dict(type='LoadAnnotations', with_bbox=True)]
    rest = [t for t in test_pipeline if t not in annotations]
    image_loaded = next(
        (i + 1 for i, t in enumerate(rest) if is_loading(t)), 0)
    return rest[:image_loaded] + annotations + rest[image_loaded:]


def retrain_pipeline(pipeline: List[dict], augment: dict) -> Tuple[List[dict],
                                                                   List[str]]:
    """The training pipeline with the searched policy at the policy point
    and other augmentation policies removed.

    Args:
        pipeline (list[dict]): the config's training pipeline.
        augment (dict): the ``DynamicDDASAugment`` transform.

    Returns:
        tuple[list[dict], list[str]]: the pipeline and the policies removed.
    """
    point = policy_point(pipeline)
    replaced = [t for t in pipeline if type_name(t) in POLICIES]
    before = [t for t in pipeline[:point] if t not in replaced]
    after = [t for t in pipeline[point:] if t not in replaced]
    return before + [augment] + after, [type_name(t) for t in replaced]


def channel_order(pipeline: List[dict],
                  dataset_type: Optional[str]) -> Optional[str]:
    """The channel order of the pipeline's images: ``'bgr'`` after mmcv's
    image loading (its decoder gives BGR whatever the backend), ``'rgb'``
    for mmpretrain's in-memory datasets; None if it cannot be told."""
    if any(type_name(t) == 'LoadImageFromFile' for t in pipeline):
        return 'bgr'
    if dataset_type in RGB_ARRAY_DATASETS:
        return 'rgb'
    return None


def image_side(pipeline: List[dict]) -> Optional[int]:
    """The longer side of the images the policy sees, from the last
    transform that sets it with a fixed size; None if none does."""
    side = None
    for transform in pipeline:
        kind = type_name(transform)
        if kind not in SIZE_SETTING:
            continue
        size = transform.get('crop_size', transform.get('scale'))
        if isinstance(size, int):
            side = size
        elif (isinstance(size, (tuple, list)) and size
              and all(isinstance(s, int) for s in size)):
            side = max(size)
    return side
