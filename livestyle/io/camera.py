"""Camera (or any cv2 source) capture, opened with a deadline."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import MediaError

OPEN_TIMEOUT_S = 5.0


@dataclass
class CapturedFrame:
    seq: int
    t: float  # time.monotonic() when the frame was read
    rgb: np.ndarray


def parse_source(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text


def parse_size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise MediaError(f"--size must look like 640x480 (got '{text}')") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise MediaError(f"--size {w}x{h} is out of range (16x16 .. 7680x4320)")
    return w, h


class CameraSource:
    """cv2.VideoCapture with a bounded open time, fixed output size and file pacing.

    File sources are paced at `fps` (default: the file's own rate) so they
    behave like a camera; `loop` restarts them at the end (for soak tests).
    """

    def __init__(self, source: int | str, size: tuple[int, int] | None = None, fps: float | None = None,
                 loop: bool = False, timeout: float = OPEN_TIMEOUT_S):
        self.source = source
        self.is_camera = isinstance(source, int)
        self.size = size
        self.loop = loop
        cap, self._first = self._open_with_deadline(source, timeout)
        if self.is_camera and size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a backlog
        self.cap = cap
        src_fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.fps = fps or (src_fps if 1 <= src_fps <= 240 else 30.0)
        self.pace = (not self.is_camera) and (fps is None or fps > 0)
        self._seq = 0

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames this source delivers."""
        if self.size:
            return self.size
        h, w = self._first.shape[:2] if self._first is not None else (
            int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)))
        return w, h

    @staticmethod
    def _open_with_deadline(source, timeout: float) -> tuple[cv2.VideoCapture, np.ndarray]:
        result: dict = {}

        def opener():
            try:
                result["cap"] = cv2.VideoCapture(source)
            except Exception as e:  # noqa: BLE001
                result["error"] = e

        t = threading.Thread(target=opener, name="livestyle-camera-open", daemon=True)
        # A daemon only here: a driver that hangs in open() cannot be joined; it is abandoned.
        # OpenCV's own multi-line warnings about a failed open are silenced: our one line says it.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            t.start()
            t.join(timeout)
        finally:
            cv2.utils.logging.setLogLevel(level)
        name = f"camera {source}" if isinstance(source, int) else f"source '{source}'"
        if t.is_alive():
            raise MediaError(f"{name} did not open within {timeout:.0f} s")
        cap = result.get("cap")
        if cap is None or not cap.isOpened():
            why = f" ({str(result['error']).splitlines()[0]})" if "error" in result else ""
            raise MediaError(f"{name} could not be opened{why}")
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise MediaError(f"{name} opened but delivers no frames")
        return cap, frame

    def frames(self, stop: threading.Event):
        """Yield CapturedFrames until the source ends or `stop` is set."""
        first, self._first = self._first, None
        period = 1.0 / self.fps if self.pace else 0.0
        next_t = time.monotonic()
        while not stop.is_set():
            if first is not None:
                ok, bgr, first = True, first, None
            else:
                ok, bgr = self.cap.read()
            if not ok or bgr is None:
                if self.loop and not self.is_camera:
                    self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, bgr = self.cap.read()
                if not ok or bgr is None:
                    return
            if period:
                next_t += period
                delay = next_t - time.monotonic()
                if delay > 0:
                    stop.wait(delay)
                else:
                    next_t = time.monotonic()
            if self.size and (bgr.shape[1], bgr.shape[0]) != self.size:
                bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            self._seq += 1
            yield CapturedFrame(self._seq, time.monotonic(), rgb)

    def release(self) -> None:
        self.cap.release()
