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


def _forward(stage: str):
    """A hook method that calls the chosen hook's method of that stage."""

    def call(self, runner, *args, **kwargs):
        return getattr(self.chosen(runner), stage)(runner, *args, **kwargs)

    call.__name__ = call.__qualname__ = stage
    call.__doc__ = f"The chosen hook's ``{stage}``."
    return call


for _stage in Hook.stages:
    setattr(DDASPolicyHook, _stage, _forward(_stage))
