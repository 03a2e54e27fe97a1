"""Whether a detector's classification branch still depends on its input.

A detector trained at too large a step can die quietly: every activation of
the convs of its classification branch falls to or below 0 (dead ReLUs), its
class scores become the same for every image, and its losses stay finite.
Its search then gets ``Z_g = 0`` (Eq. 15) whenever no op moved a box, and
its retraining learns nothing more. :func:`head_activity` measures it on a
batch, :func:`checkpoint_head_activity` on a checkpoint (the tool
``tools/analysis/dead_head.py`` and the harness's ``check_dead_head``).
"""
import math
from typing import List, NamedTuple

import torch
from mmcv.cnn import ConvModule
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS, MODELS, init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

# Images of the val dataset a checkpoint is checked on.
NUM_IMAGES = 16
# Exit statuses of tools/analysis/dead_head.py: the branch is dead; its
# scores are not finite (a diverged run).
DEAD, NOT_FINITE = 3, 4


class HeadActivity(NamedTuple):
    """What a detector's classification branch does on a batch.

    Attributes:
        dead_share (list[float]): per conv of the branch, the share of its
            activations at or below 0, over every feature level.
        score_spread (float): the largest difference of a class score of the
            first feature level between an image and the batch's mean.
    """
    dead_share: List[float]
    score_spread: float

    @property
    def finite(self) -> bool:
        """Whether the scores are finite (not so after a diverged run)."""
        return math.isfinite(self.score_spread)

    @property
    def dead(self) -> bool:
        """Whether the scores no longer depend on the image."""
        return self.score_spread == 0.0 or all(
            share == 1.0 for share in self.dead_share)


def classification_convs(model: nn.Module) -> nn.ModuleList:
    """The convs of a detector's classification branch.

    Args:
        model (nn.Module): an mmdet detector.

    Returns:
        nn.ModuleList: ``bbox_head.cls_convs``, one ``ConvModule`` a
        stacked conv.

    Raises:
        ValueError: a detector without such convs (a two-stage or DETR-like
        one, SSD, a head with ``stacked_convs=0``).
    """
    convs = getattr(getattr(model, 'bbox_head', None), 'cls_convs', None)
    if not convs or not all(isinstance(conv, ConvModule) for conv in convs):
        raise ValueError(
            f'{type(model).__name__} has no stacked convs in '
            f'bbox_head.cls_convs: the dead-branch check is for single-stage '
            f'detectors with them, such as RetinaNet, FCOS, ATSS.')
    return convs


def head_activity(model: nn.Module, batch: dict) -> HeadActivity:
    """Run a detector on a batch and measure its classification branch.

    Args:
        model (nn.Module): an mmdet single-stage detector whose
            ``bbox_head`` has ``cls_convs`` (RetinaNet, FCOS, ATSS ...).
        batch (dict): a collated batch (``inputs``, ``data_samples``), as a
            dataloader gives it.

    Returns:
        HeadActivity: the branch's dead share and score spread.

    Raises:
        ValueError: a detector without them (:func:`classification_convs`).
    """
    convs = classification_convs(model)
    head = model.bbox_head
    outputs = []
    hooks = [conv.register_forward_hook(
        lambda module, args, output: outputs.append(output))
        for conv in convs]
    try:
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            cls_scores = head(model.extract_feat(data['inputs']))[0]
    finally:
        for hook in hooks:
            hook.remove()
    first_level = cls_scores[0]
    spread = (first_level - first_level.mean(dim=0, keepdim=True)).abs().max()
    # The convs run in order at every feature level.
    return HeadActivity([
        float(torch.cat([output.flatten() for output in
                         outputs[i::len(convs)]]).le(0).float().mean())
        for i in range(len(convs))
    ], float(spread))


def checkpoint_head_activity(config: str, checkpoint: str,
                             num_images: int = NUM_IMAGES) -> HeadActivity:
    """:func:`head_activity` of a checkpoint, on the first images of its
    config's val dataset.

    Args:
        config (str): the config the checkpoint trained.
        checkpoint (str): a checkpoint of that config.
        num_images (int): images to run, at most the dataset's.

    Returns:
        HeadActivity: the branch's dead share and score spread.

    Raises:
        ValueError: a detector without them (:func:`classification_convs`).
    """
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    batch = pseudo_collate(
        [dataset[i] for i in range(min(num_images, len(dataset)))])
    return head_activity(model, batch)
