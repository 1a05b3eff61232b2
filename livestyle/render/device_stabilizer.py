"""The temporal stabilizer of stabilize.py, on the device the frames live on.

Same semantics as `stabilize.Stabilizer` (flow-warped previous output blended
in where the warp is trustworthy, reset on scene cuts, `blend` and `off`
modes), but every step is a torch op: the flow is `torch_flow.dense_flow`
instead of OpenCV DIS, the warps are grid_sample. On CUDA a frame that the
network painted on the GPU is stabilized there before the one download,
instead of being downloaded, stabilized on the CPU (~11 ms of DIS at 720p) and
kept in two places.

Frames are uint8 (H, W, 3) tensors; numpy arrays are accepted too (moved to
the stabilizer's device, the result comes back as numpy), so it drops in
wherever a `Stabilizer` is used, e.g. the stability benchmark.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .stabilize import DEFAULT_STRENGTH, FLOW_WIDTH, MIN_FLOW_SIDE, StabilizerSettings
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
        self._prev_small = None
        self._prev_out = None
        self.cuts = 0

    def __call__(self, input_rgb, styled_rgb):
        """The stabilized styled frame: uint8 (H, W, 3), a tensor on the styled frame's
        device for a tensor, numpy for numpy. A numpy frame goes to the styled tensor's
        device, or to the stabilizer's when both are numpy."""
        if self.mode == "off" or self.strength <= 0:
            return styled_rgb
        as_numpy = isinstance(styled_rgb, np.ndarray)
        device = self.device if as_numpy else styled_rgb.device
        out = self._stabilize(_on(input_rgb, device), _on(styled_rgb, device))
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
            warped, weight = prev_out.permute(2, 0, 1).unsqueeze(0), self.strength
        else:
            warped, weight = self._warp_and_weight(small, prev_small, prev_out, styled.shape[:2])
        out = self._blend(styled, warped, weight)
        self._prev_out = out
        return out

    def _warp_and_weight(self, small, prev_small, prev_out, size):
        flow = dense_flow(small, prev_small)
        # Occlusion/unreliable flow: the warped previous input does not match the current one.
        err = (warp(prev_small, flow) - small).abs()
        weight = (self.strength - err * (self.strength / self.occlusion_threshold)).clamp_(min=0.0)
        h, w = size
        sh, sw = small.shape[-2:]
        if (sh, sw) != (h, w):
            # Full-frame pixels: the maps p + flow(p) of stabilize.py, resized linearly,
            # are the full-frame grid plus the flow resized and scaled the same way.
            flow = scale_flow(flow, (h, w))
            weight = F.interpolate(weight, size=(h, w), mode="bilinear", align_corners=False)
        # Nearest-pixel warp of the previous output (stabilize.py, WARP_INTERPOLATION).
        prev = prev_out.permute(2, 0, 1).unsqueeze(0)
        warped = warp(prev.to(flow.dtype), flow, mode="nearest")
        return warped, weight

    @staticmethod
    def _blend(styled: torch.Tensor, warped: torch.Tensor, weight: torch.Tensor | float) -> torch.Tensor:
        # out = (1 - weight) * styled + weight * warped, rounded like cv2.blendLinear.
        s = styled.permute(2, 0, 1).unsqueeze(0).to(DTYPE)
        out = s + weight * (warped.to(DTYPE) - s)
        return out.round_().clamp_(0, 255).to(torch.uint8)[0].permute(1, 2, 0).contiguous()


def _on(frame, device: torch.device) -> torch.Tensor:
    if isinstance(frame, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(frame)).to(device)
    return frame
