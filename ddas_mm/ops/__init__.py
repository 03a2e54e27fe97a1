"""Augmentation ops on uint8 image tensors (and their boxes) and the search
spaces built from them."""
from .functional import apply_op
from .space import PRESETS, SearchSpace
from .table import OPS

__all__ = ['apply_op', 'SearchSpace', 'OPS', 'PRESETS']
