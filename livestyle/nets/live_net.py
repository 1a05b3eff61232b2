"""The v3 `fast` design ("live"): learned layers all the way up to full resolution.

The v2 design (networks.FastStyleNet) ends in a bilinearly upsampled RGB image
plus a 1x1 colour map of the input: the input's sharp edges laid over the
network's soft, shifted ones (a halo), and no stroke finer than a few pixels.
Here every upsampling step is nearest x2 + a learned 3x3 convolution (as in
Johnson et al. and the light networks distilled from them), U-Net-style
additive skips carry the layout down each scale, and the last two layers run
at full resolution with few channels (a depthwise 3x3 + 1x1 to 8 channels,
then 3x3 to RGB) so strokes can be drawn at the pixel level.

    1/2: 3x3 s2 conv, 3 -> c1          1/2: up + 3x3 conv c2 -> c1, + skip
    1/4: 3x3 s2 conv, c1 -> c2         1/4: up + 3x3 conv c3 -> c2, + skip
    1/8: 3x3 s2 conv, c2 -> c3, residual blocks
    1/2: depthwise 3x3 (c1) + 1x1 c1 -> 8;  full: up + 3x3 conv 8 -> 3

~5.4k MACs per pixel at widths (16, 32, 64) with two residual blocks.
Reflect padding everywhere, so frame edges need no border. Pure nn.Module.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .networks import InstanceNorm, NetworkConfig, _ResBlock
from .upconv import NearestUpConv

FULL_RES_CHANNELS = 8


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, padding_mode="reflect")


class LiveStyleNet(nn.Module):
    multiple = 8
    needs_border = False

    def __init__(self, config: NetworkConfig | None = None):
        super().__init__()
        self.config = cfg = config or NetworkConfig(arch="fast", widths=(16, 32, 64), res_blocks=2, design="v3")
        if len(cfg.widths) != 3:
            raise ValueError(f"the v3 fast design takes three widths, got {cfg.widths}")
        c1, c2, c3 = cfg.widths
        self.enc1, self.norm1 = _conv(3, c1, stride=2), InstanceNorm(c1)
        self.enc2, self.norm2 = _conv(c1, c2, stride=2), InstanceNorm(c2)
        self.enc3, self.norm3 = _conv(c2, c3, stride=2), InstanceNorm(c3)
        self.res = nn.Sequential(*[_ResBlock(c3, "reflect") for _ in range(cfg.res_blocks)])
        self.dec2, self.dnorm2 = NearestUpConv(c3, c2), InstanceNorm(c2)
        self.dec1, self.dnorm1 = NearestUpConv(c2, c1), InstanceNorm(c1)
        self.full_dw = _conv(c1, c1, groups=c1)
        self.full_pw = nn.Conv2d(c1, FULL_RES_CHANNELS, 1)
        self.rgb = NearestUpConv(FULL_RES_CHANNELS, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = F.relu(self.norm1(self.enc1(x)))
        e2 = F.relu(self.norm2(self.enc2(e1)))
        y = self.res(F.relu(self.norm3(self.enc3(e2))))
        y = F.relu(self.dnorm2(self.dec2(y)) + e2)
        y = F.relu(self.dnorm1(self.dec1(y)) + e1)
        # The depthwise + 1x1 to 8 channels runs at 1/2 resolution and only its 8
        # channels are upsampled: half the full-resolution memory traffic (the
        # cost on a CPU), and the last conv still draws at the pixel level.
        y = F.relu(self.full_pw(self.full_dw(y)))
        y = self.rgb(y)
        # Clamping only at inference keeps gradients alive during training.
        return y if self.training else y.clamp(0.0, 1.0)
