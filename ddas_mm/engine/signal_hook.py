"""DDASSignalHook: what each search step measured of its branches.

A diagnostic of where the search's preferences come from: for every
augmented branch of every step, its ops, the ratio ``|g_l| / |g_0|`` of its
gradient's norm to the clean batch's, and its ``d_l / Z_g`` (Eq. 15; a
negative value pulls the branch's weight up). ``benchmarks/search_signal.py``
sets these against the searched policy.
"""
import os.path as osp
from typing import List, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ddas_mm.fileio import write_json

SIGNAL_FILENAME = 'ddas_signal.json'


def branch_records(iteration: int, signal) -> List[dict]:
    """One record per augmented branch of a step's ``StepSignal``.

    Args:
        iteration (int): the step (1-based).
        signal (StepSignal): what the step measured.

    Returns:
        list[dict]: ``iter``, ``ops`` (candidate indices), ``norm_ratio``
        (``|g_l| / |g_0|``) and ``d`` (``d_l / Z_g``, None when the policy
        step was skipped).
    """
    norms = signal.grad_norms.tolist()
    if signal.updated:
        d = signal.d / signal.d.abs().sum()
        scaled = d.tolist()
    else:
        scaled = [None] * len(signal.policies)
    return [
        dict(iter=iteration, ops=ops, norm_ratio=norms[branch + 1] / norms[0]
             if norms[0] > 0 else None, d=scaled[branch])
        for branch, ops in enumerate(signal.policies.tolist())
    ]


@HOOKS.register_module()
class DDASSignalHook(Hook):
    """Record every branch of every search step and write them, with the
    policy's candidates, to ``<work_dir>/ddas_signal.json`` after every
    epoch (atomically; kept in checkpoints, so a resumed search continues
    the record). Use it beside ``DDASPolicyHook`` in a search config::

        custom_hooks = [dict(type='DDASPolicyHook'),
                        dict(type='DDASSignalHook')]

    Args:
        filename (str): the file in the work dir. Defaults to
            ``'ddas_signal.json'``.
    """
    priority = 'LOW'

    def __init__(self, filename: str = SIGNAL_FILENAME):
        self.filename = filename
        self.records: List[dict] = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Add the step's branches (the loop's ``last_signal``)."""
        signal = runner.train_loop.last_signal
        if signal is not None:
            self.records.extend(branch_records(runner.iter + 1, signal))

    @master_only
    def after_train_epoch(self, runner) -> None:
        """Write the records so far."""
        loop = runner.train_loop
        write_json(
            osp.join(runner.work_dir, self.filename),
            dict(estimator=loop.estimator,
                 candidates=loop.space.labels(),
                 branches=self.records))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the records in the checkpoint."""
        checkpoint['ddas_signal'] = list(self.records)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Continue the records of a resumed search."""
        self.records = list(checkpoint.get('ddas_signal', []))

