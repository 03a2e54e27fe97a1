"""A small VGG-style network for small grey images on the CPU.

Stages of one conv3x3-BN-ReLU each (mmcv's ``ConvModule``), the given
widths, 2x2 max pooling between stages. With widths (16, 32, 64) on 28x28
Fashion-MNIST images it takes about three times LeNet-5's time per step
(one CPU thread), and unlike mmpretrain's LeNet-5 (tanh, average pooling)
it is the kind of network the standard augmentation is made for.
"""
from typing import Sequence, Tuple

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import nn


@MODELS.register_module()
class SmallConvNet(BaseModule):
    """Conv3x3-BN-ReLU stages with max pooling between them.

    Args:
        widths (Sequence[int]): output channels of each stage. Defaults to
            (16, 32, 64).
        in_channels (int): image channels. Defaults to 1.
        norm_cfg (dict): normalisation layer config. Defaults to BN.
        init_cfg (dict | list, optional): mmengine initialisation config.

    Returns (forward):
        tuple[Tensor]: the last stage's feature map, (N, widths[-1], H / 2^k,
        W / 2^k) for k = len(widths) - 1 poolings; a neck such as
        ``GlobalAveragePooling`` follows.
    """

    def __init__(self,
                 widths: Sequence[int] = (16, 32, 64),
                 in_channels: int = 1,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg)
        if not widths or any(int(w) != w or w < 1 for w in widths):
            raise ValueError(f'widths must be positive integers, got '
                             f'{widths!r}')
        layers = []
        for stage, width in enumerate(widths):
            if stage:
                layers.append(nn.MaxPool2d(2))
            layers.append(
                ConvModule(in_channels, width, 3, padding=1,
                           norm_cfg=norm_cfg))
            in_channels = width
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        return (self.layers(x), )
