"""FlatGradients: the branch gradients of a search step in one buffer.

A search step needs the gradients of L-hat + 1 train passes and of one
validation pass side by side (Eq. 12 and 15). Each is copied into a row of
one float32 buffer, allocated once, so that one all-reduce carries all the
rows of a step and the estimator works on plain (rows, P) tensors.
"""
from typing import Iterable, List

import torch
from mmengine.dist import all_reduce, get_world_size


class FlatGradients:
    """Rows of flattened gradients of a fixed list of parameters.

    Row ``i`` holds the P gradient values, then one flag per parameter (1
    where it received a gradient), so that the collective that averages the
    gradients also tells every rank which parameters any rank used. Until
    that collective (and without one, in a single process) the flags are
    kept in Python lists: a capture is one copy.

    Args:
        params (Iterable[Parameter]): the parameters, in a fixed order.
        rows (int): the number of gradients held at once.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], rows: int):
        self.params: List[torch.nn.Parameter] = list(params)
        if not self.params:
            raise ValueError('FlatGradients needs at least one parameter.')
        self.numel = sum(p.numel() for p in self.params)  # P
        device = self.params[0].device
        self.buffer = torch.zeros(
            rows,
            self.numel + len(self.params),
            dtype=torch.float32,
            device=device)
        self._zeros = torch.zeros(
            max(p.numel() for p in self.params), device=device)
        self._received: List[List[bool]] = [[False] * len(self.params)
                                            for _ in range(rows)]

    @classmethod
    def of_optimizer(cls, optim_wrapper, rows: int) -> 'FlatGradients':
        """The parameters an optimizer updates (only they move from theta_t
        to theta_{t+1}, so only they enter d_l), once each, in order."""
        params = {}
        for group in optim_wrapper.param_groups:
            params.update(
                (id(p), p) for p in group['params'] if p.requires_grad)
        return cls(params.values(), rows)

    def gradients(self, rows: slice) -> torch.Tensor:
        """The (rows, P) gradient values of some rows (a view)."""
        return self.buffer[rows, :self.numel]

    def used(self, rows: slice) -> List[bool]:
        """Per parameter: whether any of the rows received its gradient (on
        any rank, once :meth:`all_reduce` has run on them)."""
        return [any(flags) for flags in zip(*self._received[rows])]

    def capture(self, row: int) -> None:
        """Copy the parameters' gradients into a row (zeros where none) and
        note those that received one."""
        grads = [p.grad for p in self.params]
        self._received[row] = [grad is not None for grad in grads]
        pieces = [
            self._zeros[:p.numel()] if grad is None else grad.reshape(-1)
            for p, grad in zip(self.params, grads)
        ]
        # One copy into the row; cat converts other dtypes to float32.
        torch.cat(pieces, out=self.buffer[row, :self.numel])

    def all_reduce(self, rows: slice) -> None:
        """Average some rows over the ranks, with their flags, in one
        collective."""
        if get_world_size() == 1:
            return
        flags = self.buffer[rows, self.numel:]
        flags.copy_(torch.tensor(self._received[rows]))
        all_reduce(self.buffer[rows], op='mean')
        self._received[rows] = (flags > 0).tolist()

    def assign(self, flat: torch.Tensor, used: List[bool]) -> None:
        """Make a flat (P,) gradient the parameters' ``.grad``; parameters
        no branch used on any rank keep none, so the optimizer skips them as
        in ordinary training."""
        offset = 0
        for p, p_used in zip(self.params, used):
            view = flat[offset:offset + p.numel()].view_as(p)
            p.grad = view.to(p.dtype) if p_used else None
            offset += p.numel()

    def clear(self) -> None:
        """Drop the parameters' gradients (the buffer keeps its rows)."""
        for p in self.params:
            p.grad = None
