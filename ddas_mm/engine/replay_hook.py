"""DDASReplayHook: drive the replay of a searched policy in a retraining.

It tells the ``DynamicDDASAugment`` transforms of the training data how far
the training is, so that they replay the policy of the matching search epoch
(paper §3.5.4), and turns them off in validation and testing data. Configs
name ``DDASPolicyHook``, which uses this hook in any run but a search.
"""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop

from ddas_mm.datasets.progress import disable_replay, set_replay_progress
from .runner_internals import built_loop, restart_dataloader_workers


def _disable_in(loop) -> None:
    """Turn replay off in a val/test loop's data (none: nothing to do)."""
    dataloader = getattr(loop, 'dataloader', None)
    if dataloader is not None:
        disable_replay(dataloader.dataset)


@HOOKS.register_module()
class DDASReplayHook(Hook):
    """Set the training progress of the replaying transforms; keep them out
    of validation and testing."""

    priority = 'NORMAL'

    @staticmethod
    def _by_iteration(runner) -> bool:
        return isinstance(runner.train_loop, IterBasedTrainLoop)

    def _progress(self, runner) -> float:
        """Fraction of the retraining done: by iteration for iteration-based
        loops, else by epoch."""
        if self._by_iteration(runner):
            return runner.iter / runner.max_iters
        return runner.epoch / runner.max_epochs

    def before_train(self, runner) -> None:
        """Set the progress of the training data's transforms; turn them off
        in the validation/testing data built so far."""
        found = set_replay_progress(runner.train_dataloader.dataset,
                                    self._progress(runner))
        if (found and self._by_iteration(runner)
                and runner.train_loop.dataloader.num_workers > 0):
            # The loop's workers were started before the progress was set
            # and prepare batches without it (once per run).
            restart_dataloader_workers(runner.train_loop)
        for which in ('val', 'test'):
            _disable_in(built_loop(runner, which))

    def before_train_epoch(self, runner) -> None:
        if not self._by_iteration(runner):
            set_replay_progress(runner.train_dataloader.dataset,
                                self._progress(runner))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._by_iteration(runner):
            # The next batch is fetched after this hook, for iteration
            # runner.iter + 1 (dataloader workers prepare a few batches
            # ahead, which then lag as many iterations).
            set_replay_progress(runner.train_dataloader.dataset,
                                (runner.iter + 1) / runner.max_iters)

    def before_val(self, runner) -> None:
        _disable_in(runner.val_loop)

    def before_test(self, runner) -> None:
        _disable_in(runner.test_loop)
