"""DynamicDDASAugment: replay a searched DDAS policy in a training pipeline.
"""
import math
import os
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.dist import get_rank
from mmengine.registry import TRANSFORMS

from ddas_mm.ops import BACKENDS, check_channel_order
from ddas_mm.ops.targets import SEG_IGNORE_LABEL, Targets, apply_box_rule
from ddas_mm.policy.schedule import PolicySchedule
from .det_targets import check_results, results_targets, update_results
from .progress import ReplayProgress


@TRANSFORMS.register_module()
class DynamicDDASAugment(BaseTransform):
    """Apply the searched DDAS policy of the current training stage.

    Paper §3.5.4 (dynamic offline policy): the policy searched for each epoch
    is replayed at the matching stage of retraining (nearest-neighbour
    upsampling of the T search epochs onto the training length), with a mean
    filter of size ``smooth`` on ``p_tp``. Per sample, with probability
    ``p_tp`` it applies ``N_o`` ops drawn independently from ``p_o`` (with
    replacement), in sequence, to the image and its annotations; otherwise
    nothing.

    The training progress comes from ``DDASPolicyHook`` (add
    ``custom_hooks = [dict(type='DDASPolicyHook')]``), which also disables the
    transform in validation and test pipelines.

    Required Keys:

    - img (np.uint8, (H, W, C) or (H, W))
    - gt_bboxes (HorizontalBoxes | np.ndarray (M, 4) xyxy) (optional)
    - gt_bboxes_labels (np.int64) (optional)
    - gt_ignore_flags (bool) (optional)
    - gt_masks (BitmapMasks | PolygonMasks) (optional)
    - gt_seg_map (np.ndarray (H, W), integer labels) (optional)

    Modified Keys:

    - img (same shape and dtype)
    - gt_bboxes, gt_bboxes_labels, gt_ignore_flags, gt_masks: boxes and
      masks follow the geometric ops (see :mod:`ddas_mm.ops.targets`; masks
      keep their class, polygons stay polygons), polygons are cut at the
      image border. Boxes follow one rule whatever the ops, and in a
      sample that draws none (see :meth:`~ddas_mm.ops.SearchSpace.apply`):
      clipped to the image before the first op and after each; an
      instance whose box is then narrower or lower than one pixel, or
      whose mask is empty, is dropped with its labels, ignore flag and
      mask. So a box inverted (x2 < x1 or y2 < y1)
      or of zero size on input is dropped, as mmdet's
      ``FilterAnnotations`` and ``CocoDataset`` drop boxes under their
      minimum size, instead of being repaired by some ops and not others.
    - gt_seg_map: moves with the pixels (nearest neighbour); uncovered
      pixels get ``seg_ignore_label``.

    Added Keys:

    - ddas_ops (list[str]): labels of the applied ops, in order (empty when
      the sample was not augmented). Add ``'ddas_ops'`` to ``meta_keys`` of
      ``PackDetInputs`` / ``PackInputs`` to keep it in the metainfo.

    Every sample is checked first, whether it is augmented or not, and
    nothing of it changes unless the check passes
    (:func:`~ddas_mm.datasets.det_targets.check_results`): ``img`` must be
    there; boxes (N, 4) xyxy of finite values; labels, ignore flags and
    masks one per box; masks and maps of the image's size. Keypoints and
    panoptic maps, which the ops do not move, are refused. The error names
    the sample (its ``img_path``), the key and the fix.

    Args:
        policy (str): the policy file written by the search
            (``work_dirs/<search config>/ddas_policy.json``).
        smooth (int): size ``F_s`` of the mean filter on ``p_tp``
            (1: none). Defaults to 1.
        channel_order (str): 'bgr' (MM pipelines) or 'rgb', for the colour
            ops. Defaults to 'bgr'.
        backend (str, optional): 'cv2' or 'torch' forces a kernel set (see
            :func:`~ddas_mm.ops.apply_op`); None, the default, takes the
            faster one for one image on the CPU, OpenCV's.
        replay (str): 'dynamic' (the default: each stage its search epoch's
            policy), or a variant of the paper's Table 6: 'last' (the last
            search epoch's policy for all of training), 'last_p_tp' /
            'last_p_o' (only that one held), or 'initial' (the search's
            starting policy, uniform p_o); see
            :meth:`~ddas_mm.policy.PolicySchedule.replayed`.
        p_tp (float, optional): a constant p_tp instead of the searched one
            (the paper's Table 5); p_o as ``replay`` says.
        seg_ignore_label (int): the label the geometric ops give uncovered
            pixels of ``gt_seg_map`` (mmdet's transforms' argument of that
            name). Defaults to ``SEG_IGNORE_LABEL``, mmdet's 255.
    """

    def __init__(self,
                 policy: str,
                 smooth: int = 1,
                 channel_order: str = 'bgr',
                 backend: Optional[str] = None,
                 replay: str = 'dynamic',
                 p_tp: Optional[float] = None,
                 seg_ignore_label: int = SEG_IGNORE_LABEL):
        check_channel_order(channel_order)
        if backend not in (None, ) + BACKENDS:
            raise ValueError(f'backend must be None or one of {BACKENDS}, '
                             f'got {backend!r}')
        self.backend = backend
        self.policy = policy
        self.smooth = smooth
        self.channel_order = channel_order
        self.replay = replay
        self.constant_p_tp = p_tp
        self.seg_ignore_label = seg_ignore_label
        self.schedule = PolicySchedule.load(policy).smoothed(smooth).replayed(
            replay)
        if p_tp is not None:
            self.schedule = self.schedule.with_p_tp(p_tp)
        self.space = self.schedule.space
        self._labels = self.space.labels()
        # Inverse-CDF sampling table per record; the last column is the
        # record's total, so rounding in the file does not bias the draw.
        self._cum_p_o = np.cumsum(self.schedule.p_o, axis=1)
        self._p_tp = self.schedule.p_tp
        self.replay_progress = ReplayProgress()
        self._rng_pid: Optional[int] = None
        # The rank of the process that built the workers (spawned workers
        # have no process group to ask).
        self._rank: Optional[int] = None

    # ------------------------------------------------------------ random
    def _generators(self) -> Tuple[np.random.Generator, torch.Generator]:
        """Return this process's generators, seeding them on first use.

        mmengine's ``worker_init_fn`` reseeds numpy/torch in every worker
        with the same seed every epoch, so restarted (non-persistent)
        workers would repeat the same draws each epoch. The seed here mixes
        the DataLoader's per-worker seed (``base_seed + worker_id``, drawn
        anew for every epoch's workers), the global numpy state that
        mmengine seeded (read, not consumed) and the rank: without
        ``diff_rank_seed`` every rank's main process has the same seeds, and
        with ``num_workers=0`` all ranks would draw the same ops. Persistent
        workers and the main process keep their generators across epochs.
        """
        pid = os.getpid()
        if self._rng_pid != pid:
            worker = torch.utils.data.get_worker_info()
            loader_seed = worker.seed if worker else torch.initial_seed()
            numpy_state = np.random.get_state()[1]
            rank = get_rank() if self._rank is None else self._rank
            seq = np.random.SeedSequence(
                [loader_seed % 2**64, rank, *numpy_state.tolist()])
            self._rng = np.random.default_rng(seq)
            self._torch_rng = torch.Generator().manual_seed(
                int(seq.generate_state(1, np.uint64)[0] >> 1))
            self._rng_pid = pid
        return self._rng, self._torch_rng

    def _draw_ops(self, rng: np.random.Generator) -> List[int]:
        """Draw the ops for one sample from the policy of the current stage.
        """
        progress = self.replay_progress.value
        if math.isnan(progress):  # never set
            raise RuntimeError(
                f'{type(self).__name__}(policy={self.policy!r}) does not know '
                f'the training progress. Add custom_hooks = '
                f"[dict(type='DDASPolicyHook')] to the config (it sets the "
                f'progress every epoch and disables the transform for '
                f'validation/testing), or call ddas_mm.datasets.'
                f'set_replay_progress(dataset, progress) / '
                f'disable_replay(dataset) yourself.')
        i = self.schedule.index(progress)
        if rng.random() >= self._p_tp[i]:
            return []
        cum = self._cum_p_o[i]
        ops = np.searchsorted(
            cum, rng.random(self.space.num_ops) * cum[-1], side='right')
        return np.minimum(ops, len(cum) - 1).tolist()

    # --------------------------------------------------------- transform
    def transform(self, results: dict) -> dict:
        """Augment one sample.

        Args:
            results (dict): the pipeline's results.

        Returns:
            dict: the results, augmented in place.
        """
        check_results(results)
        if not self.replay_progress.enabled:  # validation, testing
            results['ddas_ops'] = []
            return results
        rng, torch_rng = self._generators()
        ops = self._draw_ops(rng)
        results['ddas_ops'] = [self._labels[k] for k in ops]
        # Also without ops: the box rule holds for every training sample,
        # whether or not its draw augments it.
        self._apply(results, ops, torch_rng)
        return results

    def _apply(self, results: dict, ops: List[int],
               generator: torch.Generator) -> None:
        targets = results_targets(results, self.seg_ignore_label)
        if not ops:
            _apply_box_rule(results, targets)
            return
        # RandomFlip leaves a negative-stride view, which torch cannot wrap:
        # copy only arrays that are not C-contiguous.
        img = np.ascontiguousarray(results['img'])
        gray = img.ndim == 2
        # (C, H, W) view of the (H, W, C) array: no copy.
        chw = torch.from_numpy(img[..., None] if gray else img).permute(
            2, 0, 1)
        chw, moved = self.space.apply(ops,
                                      chw,
                                      targets,
                                      generator=generator,
                                      channel_order=self.channel_order,
                                      backend=self.backend)
        hwc = chw.permute(1, 2, 0).numpy()
        update_results(results, moved)
        results['img'] = np.ascontiguousarray(hwc[..., 0] if gray else hwc)

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ('_rng', '_torch_rng', '_rng_pid'):
            state.pop(key, None)
        state['_rank'] = get_rank()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._rng_pid = None

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(policy={self.policy!r}, '
                f'smooth={self.smooth}, channel_order='
                f'{self.channel_order!r}, backend={self.backend!r}, '
                f'replay={self.replay!r}, p_tp={self.constant_p_tp!r}, '
                f'seg_ignore_label={self.seg_ignore_label}, '
                f'epochs={len(self.schedule)}, '
                f'K={self.space.K}, num_ops={self.space.num_ops})')


def _apply_box_rule(results: dict, targets: Targets) -> None:
    """The box rule alone, for a sample that drew no op: the image stays as
    it is, and the annotations are rewritten only where the rule clipped a
    box or dropped an instance (the common sample keeps its own objects).
    """
    ruled = apply_box_rule(targets, *results['img'].shape[:2])
    if ruled.kept is not None or (ruled.boxes is not None and not torch.equal(
            ruled.boxes[0], targets.boxes[0])):
        update_results(results, ruled)
