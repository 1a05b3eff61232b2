"""The stylized stream as a virtual camera that video-call apps (Zoom, Meet, OBS,
Discord) can pick, through pyvirtualcam (an optional extra: livestyle[vcam]).

Backends: v4l2loopback on Linux, OBS's virtual camera on Windows and macOS,
Unity Capture on Windows. Without one there is nothing to send to; the user
gets one line saying what to install or load.
"""
from __future__ import annotations

import sys

import numpy as np

from ..errors import MediaError


def _hint() -> str:
    if sys.platform.startswith("linux"):
        return "load the v4l2loopback kernel module: sudo modprobe v4l2loopback exclusive_caps=1 card_label=livestyle"
    if sys.platform == "darwin":
        return "install OBS Studio and start its virtual camera once"
    return "install OBS Studio (its virtual camera) or Unity Capture"


class VirtualCamera:
    """Sends RGB uint8 frames of a fixed size to a virtual camera device."""

    def __init__(self, width: int, height: int, fps: float, device: str | None = None, backend: str | None = None):
        try:
            import pyvirtualcam
        except ImportError:
            raise MediaError("--virtual-cam needs pyvirtualcam: pip install 'livestyle[vcam]'") from None
        try:
            self._cam = pyvirtualcam.Camera(width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB,
                                            device=device, backend=backend)
        except (RuntimeError, ValueError, OSError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise MediaError(f"no virtual camera available ({first}); {_hint()}") from None
        self.size = (width, height)
        self.device = getattr(self._cam, "device", device)
        self.frames = 0

    def send(self, rgb: np.ndarray) -> None:
        if (rgb.shape[1], rgb.shape[0]) != self.size:  # the camera's size is fixed when it opens
            import cv2

            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        self._cam.send(np.ascontiguousarray(rgb))
        self.frames += 1

    def close(self) -> None:
        self._cam.close()
