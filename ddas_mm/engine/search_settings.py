"""Checking and building what ``train_cfg`` gives ``DDASSearchLoop``.

Each check fails with a message that names the setting and how to fix it;
those that need no dataset run before any is built.
"""
import logging
from typing import Optional

from mmengine.logging import print_log

from ddas_mm.argument_checks import is_count
from ddas_mm.ops import SearchSpace
from .runner_internals import diff_rank_seed


def positive_int(value, name: str, hint: str) -> int:
    """Return ``value`` if it is an integer >= 1 (and not a bool).

    Raises:
        ValueError: it is not; the message names it and adds ``hint``.
    """
    if not is_count(value):
        raise ValueError(f'DDASSearchLoop: {name} must be an integer >= 1, '
                         f'got {value!r}; {hint}')
    return value


def build_space(space: Optional[dict], num_ops: int) -> SearchSpace:
    """The search space of ``train_cfg.space`` with N_o ops per policy.

    Args:
        space (dict | None): ``SearchSpace`` arguments but ``num_ops``.
        num_ops (int): N_o, a setting of its own in ``train_cfg``.

    Returns:
        SearchSpace: the candidates.
    """
    space = dict(space or {})
    if 'num_ops' in space:
        raise ValueError('DDASSearchLoop: give num_ops as an argument of '
                         'train_cfg, not inside space.')
    return SearchSpace(num_ops=num_ops, **space)


def require_policy_dataloader(policy_dataloader) -> None:
    """Refuse a search without S_val batches (step 4 needs them)."""
    if policy_dataloader is None:
        raise ValueError(
            'DDASSearchLoop needs train_cfg.policy_dataloader, the '
            'batches of S_val for the validation gradient, e.g. '
            "policy_dataloader=dict(batch_size=256, dataset=dict("
            "type='ProxySplit', split='val', ...), sampler=dict("
            "type='DefaultSampler', shuffle=True)).")


def build_policy_dataloader(runner, policy_dataloader):
    """The dataloader of S_val, seeded as the runner seeds its own.

    Args:
        runner (Runner): the runner.
        policy_dataloader (DataLoader | dict): ``train_cfg``'s setting.

    Returns:
        DataLoader: a non-empty dataloader.
    """
    dataloader = runner.build_dataloader(policy_dataloader,
                                         seed=runner.seed,
                                         diff_rank_seed=diff_rank_seed(runner))
    if len(dataloader) == 0:
        raise ValueError(
            f'DDASSearchLoop: the policy dataloader is empty (dataset of '
            f'{len(dataloader.dataset)} images, batch size '
            f'{dataloader.batch_size}): give S_val images, or a batch size '
            f'it can fill when drop_last=True.')
    return dataloader


def warn_without_policy_hook(hooks) -> None:
    """Warn when no ``DDASPolicyHook`` (or ``DDASSearchRecordHook``) is
    among the runner's hooks (looked up by name: the hooks' modules import
    the loop's)."""
    recorders = ('DDASPolicyHook', 'DDASSearchRecordHook')
    if not any(type(hook).__name__ in recorders for hook in hooks):
        print_log(
            "DDASSearchLoop: no DDASPolicyHook, so the searched policy "
            "is not written anywhere; add custom_hooks = "
            "[dict(type='DDASPolicyHook')] to the config.",
            logger='current',
            level=logging.WARNING)
