"""Models the paper's experiments need and mmpretrain lacks."""
from .small_convnet import SmallConvNet
from .wide_resnet import WideResNet

__all__ = ['SmallConvNet', 'WideResNet']
