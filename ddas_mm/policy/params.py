"""The learnable DDAS policy: ``alpha_tp`` and ``alpha_o``.

Paper §3.1 and §3.5.2: a policy ``phi`` is ``N_o`` candidate ops applied in
sequence; whether to augment at all is decided by the total probability
``p_tp = sigmoid(alpha_tp)``, which op by ``p_o = softmax(alpha_o)``.
"""
import math

import torch
from torch import nn

from ddas_mm.argument_checks import is_count
from .defaults import INIT_TP, NUM_OPS


class DDASPolicy(nn.Module):
    """Augmentation parameters of DDAS and what the search asks of them.

    Args:
        num_candidates (int): K, the number of candidate (op, level) pairs.
        num_ops (int): N_o, ops per policy. Defaults to 2.
        init_tp (float): initial p_tp, in (0, 1). The paper uses 0.35.
            ``p_o`` starts uniform (``alpha_o = 0``).

    Raises:
        ValueError: on a bad K, N_o or initial p_tp.
    """

    def __init__(self,
                 num_candidates: int,
                 num_ops: int = NUM_OPS,
                 init_tp: float = INIT_TP):
        super().__init__()
        if not is_count(num_candidates):
            raise ValueError(f'num_candidates (K) must be an integer >= 1, '
                             f'got {num_candidates!r}: give the search space '
                             f'at least one op.')
        if not is_count(num_ops):
            raise ValueError(f'num_ops (N_o) must be an integer >= 1, got '
                             f'{num_ops!r}; the paper uses {NUM_OPS}.')
        if not (isinstance(init_tp, (int, float)) and 0.0 < init_tp < 1.0):
            raise ValueError(f'init_tp must be a probability strictly between '
                             f'0 and 1 (p_tp = sigmoid(alpha_tp) never '
                             f'reaches 0 or 1), got {init_tp!r}; the paper '
                             f'uses {INIT_TP}.')
        self.num_candidates = num_candidates
        self.num_ops = num_ops
        # p_tp = sigmoid(alpha_tp) (§3.5.2), so alpha_tp = logit(init_tp).
        self.alpha_tp = nn.Parameter(
            torch.tensor(math.log(init_tp / (1.0 - init_tp))))
        # p_o = softmax(alpha_o) (§3.5.2); equal alphas give a uniform p_o.
        self.alpha_o = nn.Parameter(torch.zeros(num_candidates))

    @property
    def p_tp(self) -> torch.Tensor:
        """Tensor: scalar total augmentation probability, differentiable."""
        return torch.sigmoid(self.alpha_tp)

    @property
    def p_o(self) -> torch.Tensor:
        """Tensor: (K,) probability of each candidate op, differentiable."""
        return torch.softmax(self.alpha_o, dim=0)

    def sample(self, num_policies: int,
               generator: torch.Generator) -> torch.Tensor:
        """Draw policies uniformly, NOT from ``p_o``.

        Paper §3.5.1: uniform sampling keeps ops with a large probability
        from being selected and promoted over and over (the Matthew effect).
        Drawing from a generator seeded identically on every rank gives every
        rank the same policies.

        Args:
            num_policies (int): L-hat, the number of policies.
            generator (torch.Generator): a CPU generator.

        Returns:
            Tensor: (L-hat, N_o) int64 indices of candidate ops; row l is
            policy phi_l, applied left to right.
        """
        return torch.randint(
            self.num_candidates, (num_policies, self.num_ops),
            generator=generator)

    def log_prob(self, policies: torch.Tensor) -> torch.Tensor:
        """Return ``log P(phi_l) = sum_i log p_o[o_l^i]`` (Eq. 3).

        Args:
            policies (Tensor): (L-hat, N_o) indices from :meth:`sample`.

        Returns:
            Tensor: (L-hat,) log-probabilities, differentiable w.r.t.
            ``alpha_o``.
        """
        log_p_o = torch.log_softmax(self.alpha_o, dim=0)
        return log_p_o[policies].sum(dim=1)

    def entropy(self) -> torch.Tensor:
        """Return the entropy of ``p_o`` in nats (log K when uniform)."""
        log_p_o = torch.log_softmax(self.alpha_o.detach(), dim=0)
        return -(log_p_o.exp() * log_p_o).sum()

    def top_ops(self, k: int = 3) -> torch.Tensor:
        """Return the indices of the ``k`` most likely ops, most likely first.
        """
        k = min(k, self.num_candidates)
        return torch.topk(self.alpha_o.detach(), k).indices
