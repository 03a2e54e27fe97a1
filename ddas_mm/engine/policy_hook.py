"""DDASPolicyHook: the one hook configs name, for a search and a retraining.

In a search (the train loop is a :class:`DDASSearchLoop`) it does what
:class:`DDASSearchRecordHook` does: it records the policy, epoch by epoch. In
any other run it does what :class:`DDASReplayHook` does: it drives the replay
of a searched policy.
"""
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from .replay_hook import DDASReplayHook
from .runner_internals import built_loop
from .search_loop import DDASSearchLoop
from .search_record_hook import DDASSearchRecordHook


@HOOKS.register_module()
class DDASPolicyHook(Hook):
    """Record the policy of a DDAS search; replay it in a retraining.

    Args:
        **record_args: the search record's settings (``interval``,
            ``top_k``, ``filename``; see :class:`DDASSearchRecordHook`),
            unused in a retraining.
    """

    priority = 'NORMAL'

    def __init__(self, **record_args):
        self.search_hook = DDASSearchRecordHook(**record_args)
        self.replay_hook = DDASReplayHook()

    def chosen(self, runner) -> Hook:
        """The hook for this run: the search's while the built train loop
        is a DDASSearchLoop, else the replay's (also in a test run, whose
        train loop is never built)."""
        if isinstance(built_loop(runner, 'train'), DDASSearchLoop):
            return self.search_hook
        return self.replay_hook

    # One method for each stage that DDASSearchRecordHook or DDASReplayHook
    # implements, and no other: mmengine lists and calls a hook at exactly
    # the stages it overrides (``Hook.get_triggered_stages``).

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """The chosen hook's ``after_load_checkpoint``."""
        self.chosen(runner).after_load_checkpoint(runner, checkpoint)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """The chosen hook's ``before_save_checkpoint``."""
        self.chosen(runner).before_save_checkpoint(runner, checkpoint)

    def before_train(self, runner) -> None:
        """The chosen hook's ``before_train``."""
        self.chosen(runner).before_train(runner)

    def before_train_epoch(self, runner) -> None:
        """The chosen hook's ``before_train_epoch``."""
        self.chosen(runner).before_train_epoch(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """The chosen hook's ``after_train_iter``."""
        self.chosen(runner).after_train_iter(runner, batch_idx, data_batch,
                                             outputs)

    def after_train_epoch(self, runner) -> None:
        """The chosen hook's ``after_train_epoch``."""
        self.chosen(runner).after_train_epoch(runner)

    def after_train(self, runner) -> None:
        """The chosen hook's ``after_train``."""
        self.chosen(runner).after_train(runner)

    def before_val(self, runner) -> None:
        """The chosen hook's ``before_val``."""
        self.chosen(runner).before_val(runner)

    def before_test(self, runner) -> None:
        """The chosen hook's ``before_test``."""
        self.chosen(runner).before_test(runner)
