"""A test-only neck whose parameter only rank 1 uses: in a 2-process search
the ranks then disagree on which parameters received a gradient."""
import torch
from mmengine.dist import get_rank
from mmengine.model import BaseModule
from mmengine.registry import MODELS


@MODELS.register_module()
class RankOneOnlyNeck(BaseModule):
    """Scale the features by a learnt factor on rank 1 only."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs):
        if get_rank() != 1:
            return inputs
        return tuple(x * self.scale for x in inputs)
