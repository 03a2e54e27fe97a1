"""Step 6 of a DDAS search step: the updates of alpha_o and alpha_tp."""
import logging
import math
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.registry import OPTIMIZERS

from ddas_mm.policy import DDASPolicy
from ddas_mm.policy.estimator import policy_gradients


def skip_cause(d: Optional[torch.Tensor],
               z_g: Optional[torch.Tensor]) -> Optional[str]:
    """Why a policy step cannot be taken, or None when it can.

    Args:
        d (Tensor | None): (L-hat,) ``d_l`` of Eq. 15; None when the network
            step was skipped.
        z_g (Tensor | None): ``Z_g`` of Eq. 15.

    Returns:
        str | None: the cause, for the log.
    """
    if d is None:
        return ('the combined training gradient of Eq. 12 is not finite, '
                'so the network did not step either')
    if not all(map(math.isfinite, d.tolist())):
        return ('a d_l of Eq. 15 is not finite: a non-finite validation '
                'loss or gradient, or a zero g_l under the equal-norm '
                'estimator')
    if not z_g.item() > 0:
        return ('Z_g = 0: every d_l of Eq. 15 is 0, the augmented copies\' '
                'gradients align with g_val as the clean one\'s')
    return None


class PolicyOptimizers:
    """The optimizers of alpha_o and alpha_tp (two, for the authors'
    separate learning rates), stepped with the gradient of Eq. 16-17; a step
    that cannot be taken is skipped and counted.

    Args:
        policy (DDASPolicy): the policy whose alphas they update.
        policy_optim (dict): optimizer config of alpha_o.
        tp_optim (dict): optimizer config of alpha_tp.

    Attributes:
        policy_optim (Optimizer): the optimizer of alpha_o.
        tp_optim (Optimizer): the optimizer of alpha_tp.
        num_skipped (int): the steps skipped so far.
    """

    def __init__(self, policy: DDASPolicy, policy_optim: dict,
                 tp_optim: dict):
        self.policy = policy
        self.policy_optim = OPTIMIZERS.build(
            dict(policy_optim, params=[policy.alpha_o]))
        self.tp_optim = OPTIMIZERS.build(
            dict(tp_optim, params=[policy.alpha_tp]))
        self.num_skipped = 0

    def step(self, d: Optional[torch.Tensor], z_g: Optional[torch.Tensor],
             weights: torch.Tensor, policies: torch.Tensor,
             iteration: int) -> bool:
        """Step with the gradient of Eq. 16-17, unless there is no ``d``
        (the network step was skipped), it is not finite or ``Z_g == 0``:
        then the step is skipped, counted and reported.

        Args:
            d (Tensor | None): (L-hat,) ``d_l`` of Eq. 15.
            z_g (Tensor | None): ``Z_g`` of Eq. 15.
            weights (Tensor): (L-hat + 1,) branch weights of Eq. 12.
            policies (Tensor): (L-hat, N_o) the step's policies.
            iteration (int): the iteration (1-based), for the report.

        Returns:
            bool: whether the step was taken.
        """
        cause = skip_cause(d, z_g)
        if cause is not None:
            self.num_skipped += 1
            print_log(
                f'DDAS: policy step skipped at iteration {iteration} '
                f'({cause}); {self.num_skipped} skipped so far.',
                logger='current',
                level=logging.WARNING)
            return False
        self.policy.alpha_o.grad, self.policy.alpha_tp.grad = (
            policy_gradients(d, z_g, weights[1:], policies, self.policy.p_o,
                             self.policy.p_tp))
        self.policy_optim.step()
        self.tp_optim.step()
        return True

    def state_dict(self) -> dict:
        """The optimizers' state and the skip count (plain types and
        tensors)."""
        return dict(
            policy_optim=self.policy_optim.state_dict(),
            tp_optim=self.tp_optim.state_dict(),
            num_skipped=self.num_skipped)

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.policy_optim.load_state_dict(state['policy_optim'])
        self.tp_optim.load_state_dict(state['tp_optim'])
        self.num_skipped = int(state['num_skipped'])
