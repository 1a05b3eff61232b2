"""Running a style network on uint8 RGB frames.

Responsibilities kept out of the pure network: device placement (fp16 and
channels_last on CUDA), padding to a size the network accepts and cropping
back, blending with the original frame (strength) and preserve-colour.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .engines import OpenVINOEngine, pick_engine
from ..nets.model_io import load_network


# Networks with zero-padded convolutions (the first `fast` design, still loadable)
# darken a ~30 px band at the edges (the receptive field of the 1/8-resolution
# blocks), so their input gets a 32 px reflected border (16-24 px left a bright
# band), at ~25% more pixels for 640x480. Networks trained with only the stem
# zero-padded paint stripes along the edges and get the same border. The current
# `fast` design pads every convolution by reflection and needs none.
BORDER = 32


def pad_amounts(h: int, w: int, multiple: int, border: int = BORDER) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding: `border` on every side, then up to a multiple,
    and at least two multiples per side (reflect padding inside the network needs
    two pixels at its lowest resolution)."""
    def grow(n: int) -> int:
        n += 2 * border
        return max(n + (-n) % multiple, 2 * multiple) - n

    return border, border + grow(w), border, border + grow(h)


def preserve_colour(styled: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Luminance (texture) from the styled frame, chroma from the original (YCrCb)."""
    s = cv2.cvtColor(styled, cv2.COLOR_RGB2YCrCb)
    o = cv2.cvtColor(original, cv2.COLOR_RGB2YCrCb)
    o[..., 0] = s[..., 0]
    return cv2.cvtColor(o, cv2.COLOR_YCrCb2RGB)


class Stylizer:
    """Applies one network to frames. Not thread-safe: one worker owns it."""

    def __init__(self, net: torch.nn.Module, device: torch.device | str = "cpu", name: str = "",
                 engine: str = "auto"):
        self.device = torch.device(device)
        self.engine = pick_engine(engine, self.device)
        # On a CPU the network runs in OpenVINO (see engines.py); torch keeps the module.
        self._openvino = OpenVINOEngine(net) if self.engine == "openvino" else None
        self.name = name
        self.cuda = self.device.type == "cuda"
        if self.cuda:
            # A stream's frames all have one size: let cuDNN time its convolution
            # algorithms once per size and keep the fastest (benchmarks/gpu_network.py).
            torch.backends.cudnn.benchmark = True
        self.dtype = torch.float16 if self.cuda else torch.float32
        # channels_last on every device: on this project's CPU it halves the
        # network's time (oneDNN's NHWC kernels), and HWC frames arrive in it for free.
        self.net = net.eval().to(self.device, self.dtype).to(memory_format=torch.channels_last)
        self.multiple = getattr(net, "multiple", 8)
        self.strength = 1.0
        self.keep_colour = False
        self.clock = None  # a StageClock, set by benchmarks
        self.border = BORDER if getattr(net, "needs_border", True) else 0
        self.work_height = 0  # 0: stylize at the frame's own size (see __call__)
        self.tier = getattr(getattr(net, "config", None), "arch", "fast")

    @property
    def preserve_colour(self) -> bool:
        """Keep the frame's own colours and take the style's luminance texture."""
        return self.keep_colour

    @preserve_colour.setter
    def preserve_colour(self, value: bool) -> None:
        self.keep_colour = bool(value)

    def _mark(self, stage: str, t0: float) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        t1 = time.perf_counter()
        self.clock.add(stage, t1 - t0)
        return t1

    @classmethod
    def from_file(cls, path, device="cpu", name: str = "", engine: str = "auto") -> "Stylizer":
        return cls(load_network(path), device, name, engine)

    @torch.inference_mode()
    def network_rgb(self, rgb, on_device: bool = False):
        """The raw network output for one RGB uint8 frame (same size): numpy, or with
        `on_device` on a GPU a uint8 (H, W, 3) tensor left there for a stabilizer
        that works on the device (one download after it instead of before).
        `rgb`: numpy, or a uint8 (H, W, 3) tensor (a device stabilizer's pre-filtered
        frame, already uploaded), padded and converted where it is."""
        clock = self.clock
        t = time.perf_counter() if clock else 0.0
        h, w = rgb.shape[:2]
        left, right, top, bottom = pad_amounts(h, w, self.multiple, self.border)
        # Frames too small to reflect are padded by replicating their edges.
        small = max(top, bottom) >= h or max(left, right) >= w
        if self.device.type != "cpu" or isinstance(rgb, torch.Tensor) and self._openvino is None:
            # On a GPU the 4x smaller uint8 frame goes up and is converted and padded there;
            # a tensor frame (a device stabilizer's) is taken where it is.
            frame = rgb if isinstance(rgb, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(rgb))
            x = self._tensor_input(frame, (left, right, top, bottom), small)
        else:
            if isinstance(rgb, torch.Tensor):
                rgb = rgb.cpu().numpy()  # a tensor frame for OpenVINO
            # Pad the uint8 frame with OpenCV (BORDER_REFLECT_101 is torch's "reflect"): 4x
            # fewer bytes than padding the float tensor, and no layout copy afterwards.
            if top or bottom or left or right:
                padded = cv2.copyMakeBorder(rgb, top, bottom, left, right,
                                            cv2.BORDER_REPLICATE if small else cv2.BORDER_REFLECT_101)
            else:
                padded = np.ascontiguousarray(rgb)
            if self._openvino is not None:
                return self._network_openvino(padded, top, left, h, w)
            # One fused numpy pass (uint8 -> scaled float32) is ~5x faster than torch's convert-then-scale;
            # (H, W, 3) permuted to NCHW is already channels_last in memory: no copy.
            x = torch.from_numpy(np.multiply(padded, np.float32(1.0 / 255.0), dtype=np.float32))
            x = x.permute(2, 0, 1).unsqueeze(0)
        if clock:
            t = self._mark("to_tensor", t)
        y = self.net(x)
        if clock:
            t = self._mark("network", t)
        y = y[0, :, top:top + h, left:left + w].permute(1, 2, 0)
        if self.device.type == "cpu":
            # One saturating, rounding SIMD pass from the float NHWC output to uint8 HWC
            # (~0.4 vs ~1.2 ms for torch's scale, round, clamp and cast at 640x480).
            out = cv2.convertScaleAbs(y.numpy(), alpha=255.0)
        else:
            # Convert on the device, download 4x fewer bytes.
            out = y.mul(255.0).add_(0.5).clamp_(0, 255).to(torch.uint8).contiguous()
            if not on_device:
                out = out.cpu().numpy()
        if clock:
            self._mark("from_tensor", t)
        return out

    def _tensor_input(self, rgb: torch.Tensor, pads: tuple[int, int, int, int], small: bool) -> torch.Tensor:
        """The network's input for a uint8 (H, W, 3) tensor: moved to the network's device
        if need be, converted there, then padded as the numpy path pads (the same values)."""
        x = rgb.to(self.device, non_blocking=True).permute(2, 0, 1).unsqueeze(0).to(self.dtype).mul_(1.0 / 255.0)
        if any(pads):
            x = F.pad(x, pads, mode="replicate" if small else "reflect")
        return x.contiguous(memory_format=torch.channels_last)

    def _network_openvino(self, padded: np.ndarray, top: int, left: int, h: int, w: int) -> np.ndarray:
        clock = self.clock
        t = time.perf_counter() if clock else 0.0
        x = np.multiply(padded, np.float32(1.0 / 255.0), dtype=np.float32)[None]  # NHWC: the engine's layout
        if clock:
            t = self._mark("to_tensor", t)
        y = self._openvino(x)
        if clock:
            t = self._mark("network", t)
        out = cv2.convertScaleAbs(y[0, top:top + h, left:left + w], alpha=255.0)
        if clock:
            self._mark("from_tensor", t)
        return out

    def __call__(self, rgb: np.ndarray, stabilizer=None) -> np.ndarray:
        """Stylize one RGB uint8 frame; `stabilizer` (see finish) smooths it over time.

        Frames taller than `work_height` go through the network (and the
        stabilizer) at that height and are scaled back up: the network's
        strokes have a fixed size in pixels, so this keeps the look the same
        relative to the frame at any resolution, and costs what a 480-line
        frame costs. Strength and colour are mixed in at full resolution."""
        on_device = getattr(stabilizer, "takes_tensors", False)
        return self.finish(rgb, self.run_network(self.prepare(rgb, stabilizer), on_device), stabilizer)

    # The three steps of __call__, for pipelines that run them on separate threads:
    # prepare in frame order, the network on one or more workers, finish (stabilize,
    # rescale, blend) in frame order on a thread of its own.
    def prepare(self, rgb: np.ndarray, stabilizer=None) -> tuple[object, object]:
        """(the frame at work height as the network should see it, what the stabilizer's
        blend needs later): the stabilizer's `prepare`, which must see frames in order
        (a device stabilizer's frame is a tensor on its device, see network_rgb)."""
        h, w = rgb.shape[:2]
        small = rgb
        if 0 < self.work_height < h:
            size = (max(1, round(w * self.work_height / h)), self.work_height)
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        if stabilizer is None:
            return small, None
        t = time.perf_counter()
        prepared = stabilizer.prepare(small)
        if self.clock:
            self.clock.add("flow", time.perf_counter() - t)
        return prepared

    def run_network(self, prepared: tuple[object, object], on_device: bool = False) -> tuple[object, object]:
        """(the network's output for prepare's frame, see network_rgb for on_device;
        the stabilizer's motion, passed on)."""
        frame, motion = prepared
        return self.network_rgb(frame, on_device), motion

    def finish(self, rgb: np.ndarray, painted: tuple[object, object], stabilizer=None) -> np.ndarray:
        """Stabilize, scale back to the frame's size, then colour and strength.
        `stabilizer`: the one given to prepare, a stabilize.Stabilizer or a
        device_stabilizer.DeviceStabilizer."""
        out, motion = painted
        if isinstance(out, torch.Tensor) and not getattr(stabilizer, "takes_tensors", False):
            out = out.cpu().numpy()
        if stabilizer is not None:
            t = time.perf_counter()
            out = stabilizer.blend(out, motion)
            if self.clock:
                self.clock.add("stabilize", time.perf_counter() - t)
        if isinstance(out, torch.Tensor):
            out = out.cpu().numpy()  # the one download, after stabilizing on the device
        h, w = rgb.shape[:2]
        if out.shape[:2] != (h, w):
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        if self.keep_colour:
            out = preserve_colour(out, rgb)
        if self.strength < 1.0:
            out = cv2.addWeighted(out, self.strength, rgb, 1.0 - self.strength, 0.0)
        return out
