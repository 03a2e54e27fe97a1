"""Wide residual networks (Zagoruyko & Komodakis, BMVC 2016) for CIFAR.

The paper searches with WRN-40-2 and retrains WRN-28-10 (§4.2); mmpretrain
has neither. The layout is the original one: a 3x3 stem with 16 channels,
three groups of ``(depth - 4) / 6`` pre-activation basic blocks of widths
``16k, 32k, 64k`` (strides 1, 2, 2), and a final BN-ReLU.
"""
from typing import Sequence, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import nn

# Channels of the stem and of the first group before widening (WRN paper,
# Table 1).
STEM_CHANNELS = 16
GROUP_CHANNELS = (16, 32, 64)
GROUP_STRIDES = (1, 2, 2)


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-(dropout)-conv3x3 with a shortcut.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        stride (int): stride of the first convolution.
        drop_rate (float): dropout between the convolutions.
        norm_cfg (dict): normalisation layer config.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 drop_rate: float, norm_cfg: dict):
        super().__init__()
        self.norm1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.norm2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(drop_rate) if drop_rate > 0 else None
        # A 1x1 projection where the shape changes, identity elsewhere.
        self.shortcut = None
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.norm1(x))
        # The projection sees the pre-activated input, as in the original.
        identity = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)
        out = self.relu(self.norm2(out))
        if self.dropout is not None:
            out = self.dropout(out)
        return self.conv2(out) + identity


@MODELS.register_module()
class WideResNet(BaseModule):
    """WRN-depth-k backbone, e.g. WRN-40-2 (search) and WRN-28-10 (retrain).

    Use it in mmpretrain's ``ImageClassifier`` with a
    ``GlobalAveragePooling`` neck and a ``LinearClsHead`` of
    ``in_channels=64 * widen_factor``.

    Args:
        depth (int): total depth, ``6n + 4`` (28, 40, ...).
        widen_factor (int): k, the width multiplier.
        in_channels (int): image channels. Defaults to 3.
        drop_rate (float): dropout inside each block. Defaults to 0.
        out_indices (Sequence[int]): groups (0, 1, 2) whose outputs are
            returned; the last group's output has the final BN-ReLU.
            Defaults to (2,).
        norm_cfg (dict): normalisation layers. Defaults to BN.
        init_cfg (list[dict]): Kaiming convolutions, unit BN scales.

    Returns (forward):
        tuple[Tensor]: the feature maps of ``out_indices``.
    """

    def __init__(self,
                 depth: int,
                 widen_factor: int,
                 in_channels: int = 3,
                 drop_rate: float = 0.0,
                 out_indices: Sequence[int] = (2, ),
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                           dict(
                               type='Constant',
                               val=1,
                               layer=['_BatchNorm', 'GroupNorm']))):
        super().__init__(init_cfg=list(init_cfg))
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(f'WideResNet depth must be 6n + 4 with n >= 1 '
                             f'(e.g. 28 or 40), got {depth}.')
        if widen_factor < 1:
            raise ValueError(f'WideResNet widen_factor must be >= 1, got '
                             f'{widen_factor}.')
        if not out_indices or not set(out_indices) <= {0, 1, 2}:
            raise ValueError(f'WideResNet out_indices must be a non-empty '
                             f'subset of (0, 1, 2), got {out_indices}.')
        self.out_indices = tuple(out_indices)
        blocks_per_group = (depth - 4) // 6
        self.stem = nn.Conv2d(
            in_channels, STEM_CHANNELS, 3, padding=1, bias=False)
        channels = STEM_CHANNELS
        self.groups = nn.ModuleList()
        for width, stride in zip(GROUP_CHANNELS, GROUP_STRIDES):
            out_channels = width * widen_factor
            blocks = []
            for b in range(blocks_per_group):
                blocks.append(
                    PreActBlock(channels, out_channels,
                                stride if b == 0 else 1, drop_rate, norm_cfg))
                channels = out_channels
            self.groups.append(nn.Sequential(*blocks))
        self.out_channels = channels
        self.final_norm = build_norm_layer(norm_cfg, channels)[1]
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.stem(x)
        outs = []
        for i, group in enumerate(self.groups):
            x = group(x)
            if i == len(self.groups) - 1:
                x = self.relu(self.final_norm(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
