"""Where DDAS goes in a user's pipelines, and what the search keeps of them.

The rule, for every pipeline a training run uses (each sample path of
:mod:`ddas_mm.config_gen.walker`), read off the transforms' roles
(:mod:`ddas_mm.config_gen.roles`):

- The policy point is right after the last transform that sets the image
  size (a resize, crop, pad or expand, also inside ``RandomChoice`` or
  ``RandomApply``), or after the last loading transform where none does.
  Retraining inserts ``DynamicDDASAugment`` there, and the search's ops run
  on batches of images of that size, so both see one scale.
- Retraining keeps the rest of the pipeline in its order, less other
  augmentation policies (AutoAugment, RandAugment ...), which the searched
  policy replaces.
- S_train (the search's training split) is the retraining pipeline without
  the policy: loading, resizing, cropping, flips and the other
  augmentations on uint8 images, in the retraining's own order, so that the
  branch D_0 of Eq. 12 is what the network sees in retraining without the
  policy. The search's ops run on S_train's batches after the whole
  pipeline; what cannot run before them is dropped, with a note: the
  transforms after the policy point that leave a float image (photometric
  distortion) or mix several images (MixUp, CopyPaste). Multi-image
  transforms before the point (Mosaic) stay: the policy sees their output
  in retraining too.
- A float image before the policy point (``to_float32=True``, a
  photometric distortion before the last resize, ``RandomCenterCropPad``)
  refuses the config: the ops work on uint8 images.
- Transforms the role table does not know stay where they are, named in
  the notes.
- S_val (the search's validation split) is the config's test pipeline with
  the training's annotation loaders (boxes, masks, panoptic and semantic
  maps) right after the image is loaded, so that every resize moves the
  annotations too (mmdet's test pipelines load them after the resize, for
  evaluation at the original scale). The search runs it without the
  model's batch augments.
"""
from typing import List, NamedTuple, Optional

from ddas_mm.config_text import type_name
from . import roles as R
from .walker import SamplePath

# Transforms that load the image itself, not its annotations.
IMAGE_LOADERS = frozenset({'LoadImageFromFile', 'LoadImageFromNDArray'})
# Datasets that hold images as arrays, in RGB order; their pipelines have
# no loading transform.
RGB_ARRAY_DATASETS = frozenset(
    {'CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST'})


class Rewritten(NamedTuple):
    """A sample path's pipelines rewritten, one list per segment.

    Attributes:
        pipelines (list[list[dict]]): the new pipelines.
        removed (list[str]): types taken out, in order.
    """
    pipelines: List[List[dict]]
    removed: List[str]


def is_random(transform: dict) -> bool:
    """Whether a transform draws at random: augmentations, policies and
    multi-image mixes, and types named ``Random*``."""
    return bool(R.roles(transform) & {R.AUG, R.POLICY, R.MULTI_IMAGE}
                ) or type_name(transform).startswith('Random')


def policy_point(transforms: List[dict]) -> int:
    """Where the policy goes: the index right after the last transform that
    sets the image size, else after the last loading one (0 for a pipeline
    with neither, as for in-memory datasets)."""
    sizes = [i + 1 for i, t in enumerate(transforms) if R.SIZE in R.roles(t)]
    loads = [i + 1 for i, t in enumerate(transforms) if R.LOAD in R.roles(t)]
    return (sizes or loads or [0])[-1]


def _rewrite(path: SamplePath, keep, insert: Optional[dict]) -> Rewritten:
    """Each segment's pipeline, with the transforms ``keep(index, roles)``
    rejects taken out and ``insert`` put at the policy point."""
    point = policy_point(path.transforms)
    pipelines, removed, index = [], [], 0
    for number, segment in enumerate(path.segments):
        pipeline = []
        last = number == len(path.segments) - 1
        for transform in segment.transforms:
            if index == point and insert is not None:
                pipeline.append(insert)
            if keep(index >= point, R.roles(transform)):
                pipeline.append(transform)
            else:
                removed.append(type_name(transform))
            index += 1
        if last and index == point and insert is not None:
            pipeline.append(insert)
        pipelines.append(pipeline)
    return Rewritten(pipelines, removed)


def search_train_pipelines(path: SamplePath) -> Rewritten:
    """S_train's pipelines: the policies, and the float-producing and
    multi-image transforms after the policy point, taken out."""
    return _rewrite(
        path, lambda after, roles: R.POLICY not in roles and not (
            after and roles & {R.TO_FLOAT, R.MULTI_IMAGE}), None)


def retrain_pipelines(path: SamplePath, augment: dict) -> Rewritten:
    """The retraining pipelines: ``augment`` at the policy point, the other
    augmentation policies taken out."""
    return _rewrite(path, lambda after, roles: R.POLICY not in roles,
                    augment)


def float_before_policy(path: SamplePath) -> Optional[dict]:
    """The first transform before the policy point that leaves a float
    image, or None."""
    transforms = path.transforms
    return next((t for t in transforms[:policy_point(transforms)]
                 if R.TO_FLOAT in R.roles(t)), None)


def unknown_types(path: SamplePath) -> List[str]:
    """The transform types of a path that the role table does not know."""
    return [kind for t in path.transforms for kind in R.unknown_types(t)]


def annotation_loaders(transforms: List[dict]) -> List[dict]:
    """The transforms that load annotations (boxes, masks, maps)."""
    return [
        t for t in transforms
        if R.LOAD in R.roles(t) and type_name(t) not in IMAGE_LOADERS
    ]


def search_val_pipeline(test_pipeline: List[dict],
                        loaders: List[dict]) -> List[dict]:
    """S_val's pipeline: the test pipeline with ``loaders`` in place of its
    own annotation loaders, right after the image is loaded.

    Args:
        test_pipeline (list[dict]): the config's test pipeline.
        loaders (list[dict]): the annotation loaders of the training
            pipeline ([] for classification).

    Returns:
        list[dict]: the pipeline.
    """
    rest = [t for t in test_pipeline if t not in
            annotation_loaders(test_pipeline)]
    image_loaded = next((i + 1 for i, t in enumerate(rest)
                         if type_name(t) in IMAGE_LOADERS), 0)
    return rest[:image_loaded] + list(loaders) + rest[image_loaded:]


def channel_order(transforms: List[dict],
                  dataset_type: Optional[str]) -> Optional[str]:
    """The channel order of the pipeline's images: ``'bgr'`` after mmcv's
    image loading (its decoder gives BGR whatever the backend), ``'rgb'``
    for mmpretrain's in-memory datasets; None if it cannot be told."""
    if any(type_name(t) == 'LoadImageFromFile' for t in transforms):
        return 'bgr'
    if dataset_type in RGB_ARRAY_DATASETS:
        return 'rgb'
    return None


def image_side(transforms: List[dict]) -> Optional[int]:
    """The longer side of the images the policy sees, from the last
    transform that sets it with a fixed size; None if none does."""
    side = None
    for transform in transforms:
        if R.SIZE not in R.roles(transform):
            continue
        size = transform.get('crop_size', transform.get('scale'))
        if isinstance(size, int):
            side = size
        elif (isinstance(size, (tuple, list)) and size
              and all(isinstance(s, int) for s in size)):
            side = max(size)
    return side
