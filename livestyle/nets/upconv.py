"""Nearest-neighbour x2 upsampling + 3x3 convolution, computed without upsampling.

Both network designs upsample this way (as Johnson et al.). On the upsampled
grid every 2x2 block repeats one input pixel, so for each of the four output
phases (even/odd row, even/odd column) the 3x3 kernel touches only a 2x2
window of the *input*: rows {k0 | k1+k2} for an even output row, {k0+k1 | k2}
for an odd one, the same for columns. One 2x2 convolution with four kernels
per output channel over the input (edge-padded by one pixel) gives all four
phases, and a pixel shuffle interleaves them. The same function (to float
rounding), 16 taps per 2x2 output block instead of 36: 2.25x fewer
multiply-adds in these layers, forward and backward, and no upsampled copy of
the input in memory. Measured at 640x480 on 2 AVX2 cores: the quality network
596 -> 397 ms in torch, the fast network ~20% faster in OpenVINO.

Borders: reflect padding of the upsampled grid reads the row next to the
edge, a copy of the edge row, so it is replicate ("edge") padding of the
input; zero padding stays zero padding. Pure nn.Module.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# The 3x3 taps that land on each row (column) of the input's 2x2 window, for an
# even (0) and an odd (1) output row (column).
_TAPS = (((0,), (1, 2)), ((0, 1), (2,)))
# Window i covers input rows i-1 and i, which feed output rows 2i-1 (odd) and
# 2i (even): the odd phase comes first. pixel_shuffle puts channel o * 4 + k at
# sub-position k = 2 * row + column.
_PHASES = ((1, 1), (1, 0), (0, 1), (0, 0))
_INPUT_PADDING = {"reflect": "replicate", "zeros": "constant"}


class NearestUpConv(nn.Conv2d):
    """Nearest x2 upsampling, then this 3x3 convolution (padding 1). A Conv2d
    subclass, so saved weights keep a plain convolution's names and shapes."""

    def __init__(self, cin: int, cout: int, padding_mode: str = "reflect"):
        if padding_mode not in _INPUT_PADDING:
            raise ValueError(f"padding mode must be one of {', '.join(_INPUT_PADDING)}, got {padding_mode!r}")
        super().__init__(cin, cout, 3, padding=1, padding_mode=padding_mode)

    def phase_kernels(self) -> torch.Tensor:
        """(4 * cout, cin, 2, 2): output channel o * 4 + k is phase k of channel o.
        Sums of the 3x3 taps, so gradients flow back to the 3x3 weight."""
        w = self.weight
        kernels = []
        for a, b in _PHASES:
            rows = torch.stack([w[:, :, list(taps)].sum(2) for taps in _TAPS[a]], 2)
            kernels.append(torch.stack([rows[..., list(taps)].sum(3) for taps in _TAPS[b]], 3))
        return torch.stack(kernels, 1).flatten(0, 1)

    def _phase_weights(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(phase kernels, bias per phase). Without gradients they are kept until the
        weight or bias changes (an in-place update bumps its version; a move changes
        its storage): a frame then runs one convolution, not a dozen small ops more
        (kernel launches, on a GPU)."""
        tensors = [t for t in (self.weight, self.bias) if t is not None]
        # Weights made under inference_mode have no version counter: computed every call.
        keep = not torch.is_grad_enabled() and not any(t.is_inference() for t in tensors)
        key = tuple((t._version, t.data_ptr(), t.dtype, t.device) for t in tensors) if keep else None
        if keep and getattr(self, "_cached_key", None) == key:
            return self._cached
        bias = None if self.bias is None else self.bias.repeat_interleave(4)
        weights = (self.phase_kernels(), bias)
        if keep:
            self._cached_key, self._cached = key, weights
        return weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernels, bias = self._phase_weights()
        y = F.conv2d(F.pad(x, (1, 1, 1, 1), mode=_INPUT_PADDING[self.padding_mode]), kernels, bias)
        # Shuffled rows are output rows -1 .. 2H: one pixel cropped on each side.
        return F.pixel_shuffle(y, 2)[:, :, 1:-1, 1:-1]

    def reference_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The definition: upsample, then convolve (for tests)."""
        return super().forward(F.interpolate(x, scale_factor=2.0, mode="nearest"))
