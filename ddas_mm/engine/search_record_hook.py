"""DDASSearchRecordHook: the record of a DDAS search.

It records the policy at the end of every search epoch (paper §3.5.4,
Algorithm 1 line 15), writes ``<work_dir>/ddas_policy.json`` after each
epoch and ``ddas_policy.png`` at the end, logs the most likely ops (by name
in the text log, their probabilities as scalars for the visualizer), and
keeps the search's state in checkpoints so that a resumed search continues
exactly. Configs name ``DDASPolicyHook``, which uses this hook in a search.
"""
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ddas_mm.policy import PolicySchedule
from ddas_mm.policy.schedule import POLICY_FILENAME
from ddas_mm.visualization import plot_policy
from .runner_internals import is_resuming
from .search_loop import DDASSearchLoop

CHECKPOINT_KEY = 'ddas_search'


@HOOKS.register_module()
class DDASSearchRecordHook(Hook):
    """Record the policy of a DDAS search, epoch by epoch.

    Args:
        interval (int): log p_tp and the most likely ops every ``interval``
            iterations (and at every epoch's end). Defaults to 50.
        top_k (int): how many of the most likely ops to log, and to give the
            visualizer as ``p_o_top1`` .. ``p_o_top{top_k}``. Defaults to 3.
        filename (str): the policy file, in the work dir. Defaults to
            ``ddas_policy.json``; the plot gets the same name with ``.png``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 top_k: int = 3,
                 filename: str = POLICY_FILENAME):
        self.interval = interval
        self.top_k = top_k
        self.filename = filename
        self.schedule: Optional[PolicySchedule] = None

    @staticmethod
    def _loop(runner) -> DDASSearchLoop:
        loop = runner.train_loop
        if not isinstance(loop, DDASSearchLoop):
            raise TypeError(
                f'DDASSearchRecordHook records a DDASSearchLoop, but this '
                f'run trains with {type(loop).__name__}: name DDASPolicyHook '
                f'in custom_hooks, which replays a policy in a retraining.')
        return loop

    def _new_schedule(self,
                      runner,
                      loop: DDASSearchLoop,
                      records: Sequence[dict] = ()) -> PolicySchedule:
        """The search's schedule, with the epoch ``records`` of a
        checkpoint (dicts with ``p_tp`` and ``p_o``) if resumed."""
        meta = dict(
            config=runner.cfg.filename or '',
            num_policies=loop.num_policies,
            init_tp=loop.init_tp,
            seed=runner.seed)
        return PolicySchedule(loop.space, meta,
                              [(r['p_tp'], r['p_o']) for r in records])

    def _top_ops_text(self, loop: DDASSearchLoop) -> str:
        p_o = loop.policy.p_o.detach()
        labels = loop.space.labels()
        top = ', '.join(f'{labels[i]} {p_o[i]:.4f}'
                        for i in loop.policy.top_ops(self.top_k).tolist())
        return (f'p_tp {loop.policy.p_tp.item():.4f}, top ops: {top} '
                f'(uniform {1 / len(p_o):.4f})')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore alpha, the policy optimizers and the epoch records."""
        if not is_resuming(runner):
            return
        if CHECKPOINT_KEY not in checkpoint:
            raise ValueError(
                f'The checkpoint has no DDAS search state ("{CHECKPOINT_KEY}"'
                f'): it was not saved by a search with DDASPolicyHook, so '
                f'the search cannot be resumed from it. Start a new search '
                f'or load its weights with load_from instead of resume.')
        loop = self._loop(runner)
        state = checkpoint[CHECKPOINT_KEY]
        loop.load_policy_state_dict(state['loop'])
        self.schedule = self._new_schedule(runner, loop, state['epochs'])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store alpha, the policy optimizers and the epoch records."""
        checkpoint[CHECKPOINT_KEY] = dict(
            loop=self._loop(runner).policy_state_dict(),
            epochs=self.schedule.to_dict()['epochs'])

    def before_train(self, runner) -> None:
        """Start the records, unless restored from a checkpoint."""
        loop = self._loop(runner)
        if self.schedule is None:
            self.schedule = self._new_schedule(runner, loop)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Put the probabilities of the ``top_k`` most likely ops into the
        message hub; log them with the ops' names every ``interval``
        iterations.

        They go in every iteration, as ``RuntimeInfoHook`` puts the loop's
        outputs (``p_tp``, ``entropy_p_o`` among them), so that
        ``LoggerHook``, which runs after this hook, hands their current
        values to every visualizer backend at its own interval:
        ``p_o_top1`` is the probability of the most likely op, ``p_o_top2``
        that of the next one, and so on.
        """
        loop = self._loop(runner)
        top = loop.policy.p_o.detach()[loop.policy.top_ops(self.top_k)]
        for rank, p in enumerate(top.tolist(), 1):
            runner.message_hub.update_scalar(f'train/p_o_top{rank}', p)
        if self.every_n_train_iters(runner, self.interval):
            runner.logger.info(f'DDAS iter {runner.iter + 1}: '
                               f'{self._top_ops_text(loop)}')

    def after_train_epoch(self, runner) -> None:
        """Record the policy at the end of this search epoch and write it."""
        loop = self._loop(runner)
        self.schedule.append(loop.policy.p_tp.detach(),
                             loop.policy.p_o.detach())
        # The search's budget as it was spent: policy steps, not epochs.
        self.schedule.meta['policy_steps'] = loop.policy_steps
        path = osp.join(runner.work_dir, self.filename)
        if is_main_process():
            self.schedule.dump(path)
        runner.logger.info(
            f'DDAS epoch {runner.epoch + 1}: {self._top_ops_text(loop)}; '
            f'{loop.num_skipped} policy steps skipped so far, '
            f'{loop.policy_steps} taken; policy written to {path}')

    def after_train(self, runner) -> None:
        """Plot the searched policy next to the policy file."""
        if not len(self.schedule) or not is_main_process():
            return
        path = osp.join(runner.work_dir,
                        osp.splitext(self.filename)[0] + '.png')
        plot_policy(self.schedule, path)
        runner.logger.info(f'DDAS policy plotted to {path}')
