"""The temporal stabilizer of stabilize.py, on the device the frames live on.

Same semantics as `stabilize.Stabilizer` (flow-warped previous output blended
in where the warp is trustworthy, with the per-frame weight that keeps the
strokes, reset on scene cuts, `blend` and `off` modes), but every step is a
torch op: the flow is `torch_flow.dense_flow` instead of OpenCV DIS, the warps
are grid_sample. One difference: it does not pre-filter the network's input
(`prepare` hands the frame on as it is and the whole work happens in
`blend`), because the input reaches the network as a numpy frame that the
network uploads itself. On CUDA a frame that the
network painted on the GPU is stabilized there before the one download,
instead of being downloaded, stabilized on the CPU (~11 ms of DIS at 720p) and
kept in two places.

Frames are uint8 (H, W, 3) tensors; numpy arrays are accepted too (moved to
the stabilizer's device, the result comes back as numpy), so it drops in
wherever a `Stabilizer` is used, e.g. the stability benchmark.
"""
from __future__ import annotations

from collections import deque
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from .stabilize import (DEFAULT_STRENGTH, FLOW_WIDTH, MIN_FLOW_SIDE, TEXTURE_SIGMA, WEIGHTS_KEPT,
                        StabilizerSettings, texture_keeping_weight)
from .torch_flow import dense_flow, resize_to_width, rgb_to_gray, scale_flow, warp

# Grey, flow, weights and the blend. float32 on every device: at the flow's 640 px
# a GPU's cost is kernel launches, not bytes, and the LK solve needs float32
# anyway (torch_flow.SOLVE_DTYPES).
DTYPE = torch.float32


class DeviceStabilizer(StabilizerSettings):
    # A network's output may stay on its device (Stylizer.run_network(on_device=True)).
    takes_tensors = True

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0,
                 device: torch.device | str | None = None):
        """device: where numpy frames are moved to (default: CUDA when available, else
        the CPU); tensor frames are stabilized where they are."""
        super().__init__(mode, strength, flow_width, cut_threshold, occlusion_threshold)
        self.device = torch.device(device) if device is not None else torch.device(
            "cuda" if torch.cuda.is_available() else "cpu")
        self.reset()

    def reset(self) -> None:
        self.cuts = 0
        self.reset_output()

    def reset_output(self) -> None:
        # Every step happens in blend, so the input side goes too.
        self._prev_small = None
        self._prev_out = None
        self.weights: deque[float] = deque(maxlen=WEIGHTS_KEPT)  # as Stabilizer.weights

    def prepare(self, input_rgb):
        """(the frame for the network, unchanged; what `blend` needs: the frame itself)."""
        return input_rgb, (input_rgb if self.active else None)

    def blend(self, styled_rgb, motion):
        """The stabilized styled frame: uint8 (H, W, 3), a tensor on the styled frame's
        device for a tensor, numpy for numpy. `motion` is prepare's: the input frame,
        moved to the styled tensor's device, or to the stabilizer's when both are numpy."""
        if motion is None:
            return styled_rgb
        as_numpy = isinstance(styled_rgb, np.ndarray)
        device = self.device if as_numpy else styled_rgb.device
        out = self._stabilize(_on(motion, device), _on(styled_rgb, device))
        return out.cpu().numpy() if as_numpy else out

    @torch.inference_mode()
    def _stabilize(self, input_rgb: torch.Tensor, styled: torch.Tensor) -> torch.Tensor:
        small = resize_to_width(rgb_to_gray(input_rgb, DTYPE), self.flow_width)
        prev_small, prev_out = self._prev_small, self._prev_out
        self._prev_small = small
        if prev_out is None or prev_out.shape != styled.shape or prev_small.shape != small.shape:
            self._prev_out = styled
            return styled
        # One device-to-host sync per frame: the cut decision is a branch in Python.
        if float((small - prev_small).abs().mean()) > self.cut_threshold:
            self.cuts += 1
            self._prev_out = styled
            return styled
        if self.mode == "blend" or min(small.shape[-2:]) < MIN_FLOW_SIDE:
            warped, trust = prev_out.permute(2, 0, 1).unsqueeze(0), 1.0
        else:
            warped, trust = self._warp_and_trust(small, prev_small, prev_out, styled.shape[:2])
        k = self._weight(styled, warped, trust)
        self.weights.append(k)
        out = self._blend(styled, warped, trust * k)
        self._prev_out = out
        return out

    def _weight(self, styled: torch.Tensor, warped: torch.Tensor, trust) -> float:
        # stabilize.Stabilizer._weight: the high-pass energies on grey frames.
        s = rgb_to_gray(styled, DTYPE)
        d = (rgb_to_gray(warped[0].permute(1, 2, 0), DTYPE) - s) * trust
        hs, hd = _high_pass(s), _high_pass(d)
        # One device-to-host sync for the three sums.
        a, b, c = torch.stack([(hs * hs).sum(), (hs * hd).sum(), (hd * hd).sum()]).tolist()
        return texture_keeping_weight(a, b, c, self.strength)

    def _warp_and_trust(self, small, prev_small, prev_out, size):
        flow = dense_flow(small, prev_small)
        # Occlusion/unreliable flow: the warped previous input does not match the current one.
        err = (warp(prev_small, flow) - small).abs()
        trust = (1.0 - err * (1.0 / self.occlusion_threshold)).clamp_(min=0.0)
        h, w = size
        sh, sw = small.shape[-2:]
        # No source in the previous frame (content coming in at an edge): stabilize._motion.
        xs = torch.arange(sw, device=flow.device, dtype=flow.dtype).view(1, 1, sw) + flow[:, 0]
        ys = torch.arange(sh, device=flow.device, dtype=flow.dtype).view(1, sh, 1) + flow[:, 1]
        outside = (xs < -0.5) | (xs > sw - 0.5) | (ys < -0.5) | (ys > sh - 0.5)
        trust = trust.masked_fill(outside.unsqueeze(1), 0.0)
        if (sh, sw) != (h, w):
            # Full-frame pixels: the maps p + flow(p) of stabilize.py, resized linearly,
            # are the full-frame grid plus the flow resized and scaled the same way.
            flow = scale_flow(flow, (h, w))
            trust = F.interpolate(trust, size=(h, w), mode="bilinear", align_corners=False)
        # Nearest-pixel warp of the previous output (stabilize.py, WARP_INTERPOLATION).
        prev = prev_out.permute(2, 0, 1).unsqueeze(0)
        warped = warp(prev.to(flow.dtype), flow, mode="nearest")
        return warped, trust

    @staticmethod
    def _blend(styled: torch.Tensor, warped: torch.Tensor, weight: torch.Tensor | float) -> torch.Tensor:
        # out = (1 - weight) * styled + weight * warped, rounded like cv2.blendLinear.
        s = styled.permute(2, 0, 1).unsqueeze(0).to(DTYPE)
        out = s + weight * (warped.to(DTYPE) - s)
        return out.round_().clamp_(0, 255).to(torch.uint8)[0].permute(1, 2, 0).contiguous()


@lru_cache(maxsize=8)
def _gaussian_kernel(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """The 1-D Gaussian of TEXTURE_SIGMA with OpenCV's size for float images; built once
    per device, not per frame."""
    size = int(round(TEXTURE_SIGMA * 8 + 1)) | 1
    x = torch.arange(size, device=device, dtype=dtype) - size // 2
    k = torch.exp(-x * x / (2 * TEXTURE_SIGMA ** 2))
    return k / k.sum()


def _high_pass(gray: torch.Tensor) -> torch.Tensor:
    """gray minus its Gaussian blur (sigma TEXTURE_SIGMA), as stabilize._high_pass:
    OpenCV's kernel size for float images and its reflect-101 border."""
    k = _gaussian_kernel(gray.device, gray.dtype)
    size = k.numel()
    g = gray.reshape(1, 1, *gray.shape[-2:])
    r = size // 2
    blur = F.conv2d(F.pad(g, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, size))
    blur = F.conv2d(F.pad(blur, (0, 0, r, r), mode="reflect"), k.view(1, 1, size, 1))
    return (g - blur).reshape(gray.shape)


def _on(frame, device: torch.device) -> torch.Tensor:
    if isinstance(frame, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(frame)).to(device)
    return frame
