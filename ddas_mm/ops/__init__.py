"""Augmentation ops on uint8 image tensors (and their boxes, instance masks
and semantic maps) and the search spaces built from them."""
from .constants import MIN_BOX_SIZE
from .functional import (BACKENDS, CHANNEL_ORDERS, apply_op,
                         apply_op_to_targets, check_channel_order)
from .geometry import nondegenerate_boxes
from .op_classes import GeometricOp, Op, PixelOp
from .space import PRESETS, SearchSpace
from .definitions import OPS, get_op, register_op
from .targets import (SEG_IGNORE_LABEL, Targets, drop_lost_instances,
                      kept_instances)

__all__ = [
    'apply_op', 'apply_op_to_targets', 'SearchSpace', 'OPS', 'get_op',
    'register_op', 'Op', 'PixelOp', 'GeometricOp', 'PRESETS',
    'CHANNEL_ORDERS', 'BACKENDS', 'check_channel_order', 'MIN_BOX_SIZE', 'nondegenerate_boxes',
    'kept_instances', 'drop_lost_instances', 'Targets', 'SEG_IGNORE_LABEL'
]
