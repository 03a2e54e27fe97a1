"""DDASPolicyHook: the searched policy's record-keeper, and its replayer.

In a search (the train loop is a :class:`DDASSearchLoop`) it records the
policy at the end of every epoch (paper §3.5.4, Algorithm 1 line 15), writes
``<work_dir>/ddas_policy.json`` after each epoch and ``ddas_policy.png`` at
the end, logs the most likely ops, and keeps the search's state in
checkpoints so that a resumed search continues exactly.

In a retraining (any other train loop) it tells the ``DynamicDDASAugment``
transforms of the training data how far the training is, so they replay the
policy of the matching search epoch, and turns them off in validation and
testing data.
"""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop

from ddas_mm.datasets.progress import disable_replay, set_replay_progress
from ddas_mm.policy import PolicySchedule
from ddas_mm.visualization import plot_policy
from .search_loop import DDASSearchLoop

CHECKPOINT_KEY = 'ddas_search'


@HOOKS.register_module()
class DDASPolicyHook(Hook):
    """Record the policy of a DDAS search; replay it in a retraining.

    Args:
        interval (int): in a search, log p_tp and the most likely ops every
            ``interval`` iterations (and at every epoch's end). Defaults to
            50.
        top_k (int): how many of the most likely ops to log. Defaults to 3.
        filename (str): the policy file, in the work dir. Defaults to
            ``ddas_policy.json``; the plot gets the same name with ``.png``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 top_k: int = 3,
                 filename: str = 'ddas_policy.json'):
        self.interval = interval
        self.top_k = top_k
        self.filename = filename
        self.schedule: Optional[PolicySchedule] = None

    @staticmethod
    def _search_loop(runner) -> Optional[DDASSearchLoop]:
        """The runner's train loop if it is a built DDASSearchLoop (not
        ``runner.train_loop``: in a test run that would build the loop and
        its datasets just to find out)."""
        loop = runner._train_loop
        return loop if isinstance(loop, DDASSearchLoop) else None

    def _new_schedule(self, runner, loop: DDASSearchLoop) -> PolicySchedule:
        meta = dict(
            config=runner.cfg.filename or '',
            num_policies=loop.num_policies,
            init_tp=loop.init_tp,
            seed=runner.seed)
        return PolicySchedule(loop.space, meta)

    def _top_ops_text(self, loop: DDASSearchLoop) -> str:
        p_o = loop.policy.p_o.detach()
        labels = loop.space.labels()
        top = ', '.join(f'{labels[i]} {p_o[i]:.4f}'
                        for i in loop.policy.top_ops(self.top_k).tolist())
        return (f'p_tp {loop.policy.p_tp.item():.4f}, top ops: {top} '
                f'(uniform {1 / len(p_o):.4f})')

    # ------------------------------------------------------------ search
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore alpha, the policy optimizers and the epoch records."""
        loop = self._search_loop(runner)
        if loop is None or not runner._resume:
            return
        if CHECKPOINT_KEY not in checkpoint:
            raise ValueError(
                f'The checkpoint has no DDAS search state ("{CHECKPOINT_KEY}"'
                f'): it was not saved by a search with DDASPolicyHook, so '
                f'the search cannot be resumed from it. Start a new search '
                f'or load its weights with load_from instead of resume.')
        state = checkpoint[CHECKPOINT_KEY]
        loop.load_policy_state_dict(state['loop'])
        self.schedule = self._new_schedule(runner, loop)
        for record in state['epochs']:
            self.schedule.append(record['p_tp'], record['p_o'])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store alpha, the policy optimizers and the epoch records."""
        loop = self._search_loop(runner)
        if loop is not None:
            checkpoint[CHECKPOINT_KEY] = dict(
                loop=loop.policy_state_dict(),
                epochs=self.schedule.to_dict()['epochs'])

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        loop = self._search_loop(runner)
        if loop is not None:
            if self.every_n_train_iters(runner, self.interval):
                runner.logger.info(f'DDAS iter {runner.iter + 1}: '
                                   f'{self._top_ops_text(loop)}')
        elif isinstance(runner.train_loop, IterBasedTrainLoop):
            # Iteration-based retraining: the next batch is fetched after
            # this hook, for iteration runner.iter + 1 (dataloader workers
            # prepare a few batches ahead, which then lag as many iterations).
            set_replay_progress(runner.train_dataloader.dataset,
                                (runner.iter + 1) / runner.max_iters)

    def after_train_epoch(self, runner) -> None:
        """Record the policy at the end of this search epoch and write it."""
        loop = self._search_loop(runner)
        if loop is None:
            return
        self.schedule.append(loop.policy.p_tp.detach(),
                             loop.policy.p_o.detach())
        path = osp.join(runner.work_dir, self.filename)
        if is_main_process():
            self.schedule.dump(path)
        runner.logger.info(
            f'DDAS epoch {runner.epoch + 1}: {self._top_ops_text(loop)}; '
            f'{loop.num_skipped} policy steps skipped so far; policy written '
            f'to {path}')

    def after_train(self, runner) -> None:
        """Plot the searched policy next to the policy file."""
        loop = self._search_loop(runner)
        if loop is None or not len(self.schedule) or not is_main_process():
            return
        path = osp.join(runner.work_dir,
                        osp.splitext(self.filename)[0] + '.png')
        plot_policy(self.schedule, path)
        runner.logger.info(f'DDAS policy plotted to {path}')

    # --------------------------------------------------------- retraining
    @staticmethod
    def _progress(runner) -> float:
        """Fraction of the retraining done: by iteration for iteration-based
        loops, else by epoch."""
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            return runner.iter / runner.max_iters
        return runner.epoch / runner.max_epochs

    def before_train(self, runner) -> None:
        """Search: start the records. Retraining: set the progress of the
        training data's transforms; turn them off in validation/testing."""
        loop = self._search_loop(runner)
        if loop is not None:
            if self.schedule is None:  # not restored from a checkpoint
                self.schedule = self._new_schedule(runner, loop)
            return
        found = set_replay_progress(runner.train_dataloader.dataset,
                                    self._progress(runner))
        train_loop = runner.train_loop
        if (found and isinstance(train_loop, IterBasedTrainLoop)
                and train_loop.dataloader.num_workers > 0):
            # The loop started its workers when it was built, before any hook
            # could set the progress, and they are already preparing batches
            # without it: stop them and start the iteration again now that it
            # is set (once per run).
            dataloader = train_loop.dataloader
            if getattr(dataloader, '_iterator', None) is not None:
                dataloader._iterator._shutdown_workers()  # persistent ones
                dataloader._iterator = None
            sampler = dataloader.sampler
            if hasattr(sampler, '_indices_of_rank'):
                # mmengine's InfiniteSampler serves one index stream, which
                # the stopped iteration has closed: start it afresh.
                sampler.indices = sampler._indices_of_rank()
            train_loop.dataloader_iterator = type(
                train_loop.dataloader_iterator)(dataloader)
        for built in (runner._val_loop, runner._test_loop):
            self._disable_in(built)

    @staticmethod
    def _disable_in(loop) -> None:
        """Turn replay off in a built val/test loop's data (a loop still
        given as a config dict, or none, has no data yet)."""
        dataloader = getattr(loop, 'dataloader', None)
        if dataloader is not None:
            disable_replay(dataloader.dataset)

    def before_val(self, runner) -> None:
        self._disable_in(runner.val_loop)

    def before_test(self, runner) -> None:
        self._disable_in(runner.test_loop)

    def before_train_epoch(self, runner) -> None:
        if (self._search_loop(runner) is None
                and not isinstance(runner.train_loop, IterBasedTrainLoop)):
            set_replay_progress(runner.train_dataloader.dataset,
                                self._progress(runner))
