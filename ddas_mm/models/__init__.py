"""Models the paper's experiments need and mmpretrain lacks."""
from .wide_resnet import WideResNet

__all__ = ['WideResNet']
