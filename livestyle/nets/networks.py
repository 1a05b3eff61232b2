"""Feed-forward style transfer networks: pure nn.Modules, no I/O.

Both networks map an RGB batch in [0, 1] (N, 3, H, W) to an RGB batch of the
same size. H and W must be multiples of ``network.multiple``; callers pad
(see ``livestyle.stylize``).

* ``FastStyleNet`` ("fast", v2): our first design for live video on a CPU, kept for
  the files made with it; new fast networks get the v3 design (live_net.py). All heavy
  work happens at 1/4 and 1/8 resolution; full resolution is touched only by
  the strided stem going in, a 3-channel upsample coming out and a 1x1 colour map,
  because on a 2-core CPU a layer's cost is dominated by how many full-size
  activations it reads and writes, not by its MACs. Instance norm is used only
  at low resolution where its statistics are cheap.
* ``JohnsonNet`` ("quality"): Johnson et al. 2016 with instance norm
  (Ulyanov et al. 2016) and nearest-upsample + conv, for GPUs and offline use.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .upconv import NearestUpConv


@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to rebuild a network; stored in every model file."""

    arch: str = "fast"
    widths: tuple[int, ...] = (32, 48)
    res_blocks: int = 2
    # "fast" only. mid: the 3x3 conv at 1/2 resolution, "full" or depthwise-"separable"
    # (6x fewer MACs where the decoder is widest in pixels). padding: "reflect" lets
    # the network style frame edges itself, so the stylizer needs no extra border.
    mid: str = "separable"
    padding: str = "reflect"
    # The stem's 2-px pad. Zeros there let the network see where the frame ends,
    # and networks trained that way paint stripes along the edges (~30 px);
    # reflect hides the edge (+0.7 ms at 640x480) and the stylizer needs no border.
    stem_padding: str = "reflect"
    # "fast" only: "" is the v2 design above (FastStyleNet), "v3" the full-resolution
    # design of live_net.LiveStyleNet.
    design: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "NetworkConfig":
        # Missing keys mean a file written before they existed: the first "fast" design.
        return cls(
            arch=str(d.get("arch", "fast")),
            widths=tuple(int(w) for w in d.get("widths", (32, 64))),
            res_blocks=int(d.get("res_blocks", 2)),
            mid=str(d.get("mid", "full")),
            padding=str(d.get("padding", "zeros")),
            stem_padding=str(d.get("stem_padding", "zeros")),
            design=str(d.get("design", "")),
        )


class InstanceNorm(nn.InstanceNorm2d):
    """Instance norm (affine) computed as one var_mean pass and one fused
    multiply-add. Same parameters and results as nn.InstanceNorm2d, but no
    reshape copies, which cost more than the arithmetic on channels_last
    tensors on a CPU."""

    def __init__(self, ch: int):
        super().__init__(ch, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]
        if x.dtype == torch.float32 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            # NHWC viewed as (N, HW, C): reducing over HW is a fast column sum
            # there, ~9x faster than var_mean over (2, 3) on a CPU. E[x^2]-E[x]^2
            # is fine in float32 (fp16 keeps the two-pass path below).
            xv = x.permute(0, 2, 3, 1).reshape(n, -1, c)
            mean = xv.mean(1)
            var = (xv * xv).mean(1) - mean * mean
            mean, var = mean.view(n, c, 1, 1), var.clamp_min(0).view(n, c, 1, 1)
        else:
            var, mean = torch.var_mean(x, dim=(2, 3), unbiased=False, keepdim=True)
        scale = self.weight.view(1, -1, 1, 1) * torch.rsqrt(var + self.eps)
        return torch.addcmul(self.bias.view(1, -1, 1, 1) - mean * scale, x, scale)


class _ResBlock(nn.Module):
    def __init__(self, ch: int, padding_mode: str = "zeros"):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1, padding_mode=padding_mode)
        self.norm1 = InstanceNorm(ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1, padding_mode=padding_mode)
        self.norm2 = InstanceNorm(ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        return x + self.norm2(self.conv2(y))


class FastStyleNet(nn.Module):
    """Live-on-CPU style network (see module docstring).

    stem:    8x8 conv, stride 4 (overlapping patches) straight to 1/4 resolution;
             skipping a 1/2-resolution encoder stage saves the most memory traffic.
    body:    stride-2 conv to 1/8 and residual blocks there (receptive field for
             strokes), then 1x1 conv at 1/8 and bilinear x2 back to 1/4 (1x1 conv
             and bilinear upsampling commute, so the conv runs on the small tensor)
             plus a skip from the stem.
    decoder: depthwise 3x3 + 1x1 at 1/4, bilinear x2, a 3x3 conv at 1/2 with few
             channels, 1x1 to RGB, bilinear x2 to full resolution, plus a 1x1
             colour map of the input ("detail") so edges finer than the decoder
             survive. No pixel shuffle and no transposed conv: neither can print
             a periodic grid (a tiled sub-pixel pattern is the cheapest way to
             fool low-layer Gram losses, and a network will find it).
    """

    multiple = 8

    def __init__(self, config: NetworkConfig | None = None):
        super().__init__()
        self.config = cfg = config or NetworkConfig()
        pads = ("zeros", "reflect")
        if cfg.mid not in ("full", "separable") or cfg.padding not in pads or cfg.stem_padding not in pads:
            raise ValueError(f"unknown fast-network options mid={cfg.mid!r} padding={cfg.padding!r} "
                             f"stem_padding={cfg.stem_padding!r}")
        c2, c3 = cfg.widths
        c1 = max(4, c2 // 2)
        pm = cfg.padding
        # Any zero-padded layer marks the frame edge (dark bands or stripes there);
        # callers add a reflected border for such networks.
        self.needs_border = "zeros" in (pm, cfg.stem_padding)
        self.stem = nn.Conv2d(3, c2, 8, stride=4, padding=2, padding_mode=cfg.stem_padding)
        self.stem_norm = InstanceNorm(c2)
        self.down = nn.Conv2d(c2, c3, 3, stride=2, padding=1, padding_mode=pm)
        self.down_norm = InstanceNorm(c3)
        self.res = nn.Sequential(*[_ResBlock(c3, pm) for _ in range(cfg.res_blocks)])
        self.up = nn.Conv2d(c3, c2, 1)
        self.up_norm = InstanceNorm(c2)
        self.smooth = nn.Conv2d(c2, c2, 3, padding=1, groups=c2, padding_mode=pm)
        self.narrow = nn.Conv2d(c2, c1, 1)
        if cfg.mid == "full":
            self.mid = nn.Conv2d(c1, c1, 3, padding=1)
        else:
            self.mid = nn.Sequential(nn.Conv2d(c1, c1, 3, padding=1, groups=c1, padding_mode=pm), nn.Conv2d(c1, c1, 1))
        self.rgb = nn.Conv2d(c1, 3, 1)
        self.detail = nn.Conv2d(3, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.stem_norm(self.stem(x)))
        y = F.relu(self.down_norm(self.down(a)))
        y = self.res(y)
        y = F.relu(self.up_norm(_up2(self.up(y))) + a)
        y = _up2(self.narrow(F.relu(self.smooth(y))))
        y = self.rgb(F.relu(self.mid(F.relu(y))))
        y = _up2(y) + self.detail(x)
        # Clamping only at inference keeps gradients alive during training.
        return y if self.training else y.clamp(0.0, 1.0)


def _up2(x: torch.Tensor) -> torch.Tensor:
    """Bilinear x2 (align_corners=False)."""
    if x.shape[1] <= 4:
        return _up2_separable(x)
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def _up2_separable(x: torch.Tensor) -> torch.Tensor:
    """The same bilinear x2 as F.interpolate, as a few elementwise ops per axis.

    PyTorch's CPU kernel is slow for few channels (~12 ms for 3x240x320 ->
    3x480x640 on 2 cores, whatever the layout); this takes ~1.4 ms with
    identical output (edges clamped, weights 0.75/0.25)."""

    def along(t: torch.Tensor, dim: int) -> torch.Tensor:
        n = t.shape[dim]
        prev = torch.cat([t.narrow(dim, 0, 1), t.narrow(dim, 0, n - 1)], dim)
        nxt = torch.cat([t.narrow(dim, 1, n - 1), t.narrow(dim, n - 1, 1)], dim)
        return torch.stack([0.75 * t + 0.25 * prev, 0.75 * t + 0.25 * nxt], dim + 1).flatten(dim, dim + 1)

    return along(along(x, 3), 2)


class _UpConv(nn.Module):
    """Keeps the saved weights' names (decoder.N.conv.*)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = NearestUpConv(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


# Johnson et al.'s widths, and half of them: a quarter of the MACs (~42k per pixel
# instead of ~168k), which the authors of fast-neural-style report shows no
# visible loss; the quality tier ships the half width.
JOHNSON_FULL_WIDTHS = (32, 64, 128)
JOHNSON_HALF_WIDTHS = (16, 32, 64)


class JohnsonNet(nn.Module):
    """Johnson et al. 2016 transformer with instance norm ("quality")."""

    multiple = 4
    needs_border = False  # reflect padding throughout

    def __init__(self, config: NetworkConfig | None = None):
        super().__init__()
        self.config = config or default_config("quality")
        c1, c2, c3 = self.config.widths

        def block(cin, cout, k, stride):
            return [
                nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, padding_mode="reflect"),
                nn.InstanceNorm2d(cout, affine=True),
                nn.ReLU(inplace=True),
            ]

        self.encoder = nn.Sequential(*block(3, c1, 9, 1), *block(c1, c2, 3, 2), *block(c2, c3, 3, 2))
        self.res = nn.Sequential(*[_ResBlock(c3, "reflect") for _ in range(self.config.res_blocks)])
        self.decoder = nn.Sequential(
            _UpConv(c3, c2), nn.InstanceNorm2d(c2, affine=True), nn.ReLU(inplace=True),
            _UpConv(c2, c1), nn.InstanceNorm2d(c1, affine=True), nn.ReLU(inplace=True),
            nn.Conv2d(c1, 3, 9, padding=4, padding_mode="reflect"),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.decoder(self.res(self.encoder(x)))
        return y if self.training else y.clamp(0.0, 1.0)


ARCHITECTURES = {"fast": FastStyleNet, "quality": JohnsonNet}


def build_network(config: NetworkConfig) -> nn.Module:
    if config.arch == "fast" and config.design == "v3":
        from .live_net import LiveStyleNet

        return LiveStyleNet(config)
    if config.design:
        raise ValueError(f"unknown {config.arch!r} design {config.design!r}")
    try:
        cls = ARCHITECTURES[config.arch]
    except KeyError:
        raise ValueError(f"unknown architecture {config.arch!r} (known: {', '.join(ARCHITECTURES)})") from None
    return cls(config)


V3_CONFIG = NetworkConfig(arch="fast", widths=(16, 32, 64), res_blocks=2, design="v3")


def default_config(arch: str) -> NetworkConfig:
    """The design a new network of the tier gets: the shipped ones (v3 for "fast": the v2
    design's upsampled output lays a halo beside every contour). NetworkConfig's own
    defaults stay the first design's, which files without the newer keys were made with."""
    if arch == "quality":
        return NetworkConfig(arch="quality", widths=JOHNSON_HALF_WIDTHS, res_blocks=5)
    if arch == "fast":
        return V3_CONFIG
    return NetworkConfig(arch=arch)


def macs_per_pixel(net: nn.Module, height: int = 480, width: int = 640) -> float:
    """Multiply-accumulates per output pixel, counted with forward hooks on convs."""
    total = 0

    def hook(mod, _inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        total += out.numel() * k

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            was_training = net.training
            net.eval()
            net(torch.zeros(1, 3, height, width))
            net.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return total / (height * width)
