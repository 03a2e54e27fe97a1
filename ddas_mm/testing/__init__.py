"""Small real datasets and configs for tests, benchmarks and demos (no
downloads)."""
from .configs import write_child_config
from .toy_data import (fashion_mnist_root, load_fashion_mnist,
                       make_coco_detection_set, make_coco_panoptic_set)

__all__ = [
    'fashion_mnist_root', 'load_fashion_mnist', 'make_coco_detection_set',
    'make_coco_panoptic_set', 'write_child_config'
]
