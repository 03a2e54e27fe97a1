"""Small real datasets for tests, benchmarks and demos (no downloads)."""
from .toy_data import (fashion_mnist_root, load_fashion_mnist,
                       make_coco_detection_set, make_coco_panoptic_set)

__all__ = [
    'fashion_mnist_root', 'load_fashion_mnist', 'make_coco_detection_set',
    'make_coco_panoptic_set'
]
