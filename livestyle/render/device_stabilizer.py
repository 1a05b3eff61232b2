"""The temporal stabilizer of stabilize.py, on the device the frames live on.

Same semantics as `stabilize.Stabilizer` (the input pre-filter in `prepare`;
in `blend` the flow-warped previous output blended in where the warp is
trustworthy, with the per-frame weight that keeps the strokes; reset on scene
cuts; `blend` and `off` modes), but every step is a torch op: the flow is
`torch_flow.dense_flow` (or OpenCV DIS on the host, `flow="dis"`), the warps
are grid_sample.
On CUDA the frame is uploaded once, in `prepare`; the network takes the
pre-filtered tensor where it is, paints on the GPU, and its output is
stabilized there before the one download, instead of being downloaded,
stabilized on the CPU (~11 ms of DIS at 720p) and kept in two places.

Frames are uint8 (H, W, 3) tensors; numpy arrays are accepted too (moved to
the stabilizer's device, the result comes back as numpy), so it drops in
wherever a `Stabilizer` is used, e.g. the stability benchmark.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from .stabilize import (DEFAULT_STRENGTH, FLOW_WIDTH, MIN_FLOW_SIDE, PREFILTER_STRENGTH, TEXTURE_SIGMA,
                        StabilizerSettings, make_dis, texture_keeping_weight)
from .torch_flow import dense_flow, resize_to_width, rgb_to_gray, scale_flow, warp

# Where the flow is computed: torch_flow on the device, or OpenCV DIS on the host.
DEVICE_FLOWS = ("torch", "dis")

# Grey, flow, weights and the blend. float32 on every device: at the flow's 640 px
# a GPU's cost is kernel launches, not bytes, and the LK solve needs float32
# anyway (torch_flow.SOLVE_DTYPES).
DTYPE = torch.float32


class DeviceMotion(NamedTuple):
    """stabilize.Motion on a device: the backward flow at the frame's size, (1, 2, H, W)
    in pixels (None: no flow, `blend` mode), and the trust in its warp, (1, 1, H, W)
    in 0..1 (a float for `blend` mode)."""
    flow: torch.Tensor | None
    trust: torch.Tensor | float


class DeviceStabilizer(StabilizerSettings):
    """prepare(input) -> (network input, motion) before the network, blend(styled,
    motion) -> frame after it, as stabilize.Stabilizer, in torch on the frames' device."""
    # A network's output may stay on its device (Stylizer.run_network(on_device=True)).
    takes_tensors = True

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0,
                 prefilter: float = PREFILTER_STRENGTH, device: torch.device | str | None = None,
                 flow: str = "torch"):
        """device: where numpy frames are moved to (default: CUDA when available, else
        the CPU); tensor frames are stabilized where they are.
        flow: "torch" (torch_flow's Lucas-Kanade, on the device) or "dis" (OpenCV DIS on
        the CPU, as stabilize.Stabilizer: only the small grey frames come down and the flow
        goes up; the warps, the pre-filter and the blend stay on the device). DIS is the
        steadier of the two (docs/benchmarks.md, twenty-first session) and costs a CPU
        thread ~7-10 ms per frame."""
        super().__init__(mode, strength, flow_width, cut_threshold, occlusion_threshold, prefilter)
        if flow not in DEVICE_FLOWS:
            raise ValueError(f"flow must be one of {DEVICE_FLOWS}")
        self.device = torch.device(device) if device is not None else torch.device(
            "cuda" if torch.cuda.is_available() else "cpu")
        self.flow = flow
        self._dis = make_dis() if flow == "dis" and mode == "flow" else None
        self.reset()

    def reset(self) -> None:
        self._last_gray8 = None  # (small, its uint8 copy on the host) for DIS
        super().reset()

    def prepare(self, input_rgb):
        """(the frame for the network, pre-filtered as Stabilizer.prepare does; the motion
        for `blend`, None: nothing to blend with, a first frame or a scene cut).

        A numpy frame on a CPU stabilizer comes back as numpy; otherwise the frame comes
        back as a uint8 (H, W, 3) tensor on the stabilizer's device (a tensor's own
        device), which Stylizer.network_rgb takes without another upload."""
        if not self.active:
            return input_rgb, None
        frame = _on(input_rgb, self.device)
        out, motion = self._prepare(frame)
        if isinstance(input_rgb, np.ndarray) and out.device.type == "cpu":
            return (input_rgb if out is frame else out.numpy()), motion
        return out, motion

    def blend(self, styled_rgb, motion: DeviceMotion | None):
        """The stabilized styled frame: uint8 (H, W, 3), a tensor on the styled frame's
        device for a tensor, numpy for numpy (stabilized on the stabilizer's device)."""
        if not self.active:
            return styled_rgb
        as_numpy = isinstance(styled_rgb, np.ndarray)
        styled = _on(styled_rgb, self.device if as_numpy else styled_rgb.device)
        prev_out = self._prev_out
        self._prev_out = styled
        if motion is None or prev_out is None or prev_out.shape != styled.shape:
            return styled_rgb
        out = self._blend(styled, prev_out, motion)
        self._prev_out = out
        return out.cpu().numpy() if as_numpy else out

    @torch.inference_mode()
    def _prepare(self, frame: torch.Tensor) -> tuple[torch.Tensor, DeviceMotion | None]:
        small = resize_to_width(rgb_to_gray(frame, DTYPE), self.flow_width)
        prev_small, prev_in = self._prev_small, self._prev_in
        self._prev_small, self._prev_in = small, frame
        if prev_small is None or prev_small.shape != small.shape or prev_in.shape != frame.shape:
            return frame, None
        # One device-to-host sync per frame: the cut decision is a branch in Python.
        if float((small - prev_small).abs().mean()) > self.cut_threshold:
            self.cuts += 1
            return frame, None
        if self.mode == "blend" or min(small.shape[-2:]) < MIN_FLOW_SIDE:
            return frame, DeviceMotion(None, 1.0)
        motion = self._motion(small, prev_small, frame.shape[:2])
        if self.prefilter > 0:
            # Bilinear, as stabilize.PREFILTER_INTERPOLATION; recursive, as the output blend.
            warped_in = warp(_nchw(prev_in), motion.flow, mode="bilinear")
            frame = _mix(frame, warped_in, motion.trust * self.prefilter)
            self._prev_in = frame
        return frame, motion

    @torch.inference_mode()
    def _blend(self, styled: torch.Tensor, prev_out: torch.Tensor, motion: DeviceMotion) -> torch.Tensor:
        flow, trust = motion
        prev = _nchw(prev_out)
        if flow is None:
            warped = prev
        else:
            # Nearest-pixel warp of the previous output (stabilize.py, WARP_INTERPOLATION).
            flow = flow.to(styled.device)
            trust = trust.to(styled.device)
            warped = warp(prev, flow, mode="nearest")
        k = self._weight(styled, warped, trust)
        self.weights.append(k)
        return _mix(styled, warped, trust * k)

    def _weight(self, styled: torch.Tensor, warped: torch.Tensor, trust) -> float:
        # stabilize.Stabilizer._weight: the high-pass energies on grey frames.
        s = rgb_to_gray(styled, DTYPE)
        d = (rgb_to_gray(warped[0].permute(1, 2, 0), DTYPE) - s) * trust
        hs, hd = _high_pass(s), _high_pass(d)
        # One device-to-host sync for the three sums.
        a, b, c = torch.stack([(hs * hs).sum(), (hs * hd).sum(), (hd * hd).sum()]).tolist()
        return texture_keeping_weight(a, b, c, self.strength)

    def _dense_flow(self, small: torch.Tensor, prev_small: torch.Tensor) -> torch.Tensor:
        """The backward flow (1, 2, h, w) from small to prev_small, by the chosen method."""
        if self._dis is None:
            return dense_flow(small, prev_small)
        # DIS wants uint8 grey on the host; the previous frame's copy is kept from last time.
        last = self._last_gray8
        prev8 = last[1] if last is not None and last[0] is prev_small else _host_gray8(prev_small)
        cur8 = _host_gray8(small)
        self._last_gray8 = (small, cur8)
        flow = torch.from_numpy(self._dis.calc(cur8, prev8, None))
        return flow.to(small.device, non_blocking=True).permute(2, 0, 1).unsqueeze(0)

    def _motion(self, small, prev_small, size) -> DeviceMotion:
        flow = self._dense_flow(small, prev_small)
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
        return DeviceMotion(flow, trust)


def _host_gray8(gray: torch.Tensor) -> np.ndarray:
    """A (1, 1, h, w) grey frame as uint8 (h, w) numpy, rounded on its device (4x fewer bytes to move)."""
    return gray[0, 0].round().clamp_(0, 255).to(torch.uint8).cpu().numpy()


def _nchw(frame: torch.Tensor) -> torch.Tensor:
    """A (H, W, 3) frame as a (1, 3, H, W) view."""
    return frame.permute(2, 0, 1).unsqueeze(0)


def _mix(a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor | float) -> torch.Tensor:
    """(1 - weight) * a + weight * b as a uint8 (H, W, 3) frame, rounded like
    cv2.blendLinear: a a uint8 (H, W, 3) frame, b (1, 3, H, W) of any dtype, weight
    a float or (1, 1, H, W)."""
    s = _nchw(a).to(DTYPE)
    out = s + weight * (b.to(DTYPE) - s)
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
