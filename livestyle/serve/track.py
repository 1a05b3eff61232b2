"""The stylized video track one WebRTC connection sends back, and what paints its frames.

Latency policy: a reader task drains the browser's track as fast as frames
arrive and keeps only the newest one (one slot, overwritten). Each time the
sender asks for a frame, the newest is painted in this connection's own
worker thread; frames that arrived meanwhile were overwritten (dropped, and
counted). A slow style lowers the frame rate, never adds delay: a frame is
at most one paint time old when painting starts.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from ..api import load_style
from ..render.live_height import HeightGovernor, fit_live_work_height
from ..render.stabilize import make_stabilizer

# Live frames are painted at this height and scaled back (what `livestyle cam`
# does): the cost of a 480-line frame whatever the camera sends. On a CPU the
# fast tier fits a lower one where the network is too slow for it (as cam).
WORK_HEIGHT = 480
# What a browser's camera sends, for fitting the work height.
BROWSER_FPS = 30.0
# Stylizers a connection keeps loaded, so flipping between styles is instant.
CACHED_STYLIZERS = 4


class LatestFrameTrack(MediaStreamTrack):
    """`source` -> `process` (RGB uint8 in, same out, in a worker thread) -> out.

    `on_error(message)` is called on the event loop when `process` raises; the
    frame then goes out unpainted rather than ending the stream."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, process: Callable[[np.ndarray], np.ndarray],
                 on_error: Callable[[str], None] | None = None):
        super().__init__()
        self._source = source
        self._process = process
        self._on_error = on_error or (lambda message: None)
        self._loop = asyncio.get_running_loop()
        # One thread per connection: a Stylizer is not thread-safe, frames of one
        # connection are painted in order, and the event loop never waits on torch.
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="livestyle-paint")
        self._pending: concurrent.futures.Future | None = None
        self._latest: VideoFrame | None = None
        self._arrived = asyncio.Event()
        self._source_ended = False
        self.received = self.dropped = self.sent = 0
        self.paint_seconds = 0.0  # the last frame's paint time
        self._reader = self._loop.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                frame = await self._source.recv()
                self.received += 1
                if self._latest is not None:
                    self.dropped += 1  # nobody took it in time: the newer frame wins
                self._latest = frame
                self._arrived.set()
        except MediaStreamError:
            pass
        finally:
            self._source_ended = True
            self._arrived.set()

    async def recv(self) -> VideoFrame:
        while self._latest is None:
            if self._source_ended or self.readyState != "live":
                self.stop()
                raise MediaStreamError
            # No await between the check above and wait(): the reader cannot slip a frame in unseen.
            self._arrived.clear()
            await self._arrived.wait()
        if self.readyState != "live":
            raise MediaStreamError
        frame, self._latest = self._latest, None
        self._pending = self._executor.submit(self._paint, frame)
        out = await asyncio.wrap_future(self._pending)
        self.sent += 1
        return out

    def _paint(self, frame: VideoFrame) -> VideoFrame:
        """Worker thread: decode to RGB, paint, wrap with the input's timestamp."""
        t = time.perf_counter()
        rgb = frame.to_ndarray(format="rgb24")
        try:
            rgb = self._process(rgb)
        except Exception as e:  # noqa: BLE001 - report, and keep the stream going with the raw frame
            message = f"{type(e).__name__}: {e}".splitlines()[0]
            try:
                self._loop.call_soon_threadsafe(self._on_error, message)
            except RuntimeError:  # the loop closed meanwhile (server shutting down)
                pass
        out = VideoFrame.from_ndarray(rgb, format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        self.paint_seconds = time.perf_counter() - t
        return out

    def stop(self) -> None:
        """Called by aiortc's sender when the connection ends, and by aclose."""
        super().stop()
        self._reader.cancel()
        # Queued work is cancelled; a frame being painted finishes (aclose waits for it).
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """Stop, and wait for the worker thread to finish its frame and exit."""
        self.stop()
        pending = self._pending
        if pending is not None and not pending.done():
            try:
                await asyncio.wrap_future(pending)
            except BaseException:  # noqa: BLE001 - the frame is discarded anyway (incl. cancelled)
                pass
        # The thread is idle now, so joining it does not block the loop noticeably.
        self._executor.shutdown(wait=True)


@dataclass(frozen=True)
class Settings:
    """What the page chose; `tier` is resolved ("fast" or "quality", never "auto")."""

    style: str
    tier: str
    strength: float = 1.0


class Painter:
    """A connection's `process`: its own stylizers and temporal stabilizer.

    The event loop replaces `settings` (one attribute assignment of a frozen
    object, atomic under the GIL); the worker thread reads it once per frame,
    so a change applies from the next frame on, without reconnecting."""

    def __init__(self, settings: Settings, device: str = "auto", work_height: int | None = None,
                 load: Callable = load_style):
        """work_height None: WORK_HEIGHT, or on a CPU the height fitted to it when the
        fast tier paints its first frame (render/live_height.py)."""
        self.settings = settings
        self._device = device
        self._work_height = WORK_HEIGHT if work_height is None else work_height
        self._fit_pending = work_height is None
        self._load = load
        self._stylizers: OrderedDict = OrderedDict()  # (style, tier) -> Stylizer, most recent last
        self._stabilizer = None  # made with the first stylizer, for the device it paints on
        self._painting: tuple[str, str] | None = None
        # (frames received, dropped) of the connection's track, set by the connection: with
        # them a fitted height keeps being fitted while the stream runs (as in cam).
        self.stream_counts: Callable[[], tuple[int, int]] | None = None
        self._governor: HeightGovernor | None = None

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        s = self.settings
        key = (s.style, s.tier)
        st = self._stylizer(key)
        if self._fit_pending:
            self._fit_work_height(st, rgb.shape)
        self._govern(key)
        if self._stabilizer is None:
            self._stabilizer = make_stabilizer("flow", device=st.device)
        if key != self._painting:
            # The stabilizer blends in the previous output: another style's strokes would linger.
            self._stabilizer.reset_output()
            self._painting = key
        st.strength = s.strength
        return st(rgb, self._stabilizer)

    @property
    def work_height(self) -> int:
        return self._work_height

    def _fit_work_height(self, st, shape) -> None:
        h, w = shape[:2]
        fitted = fit_live_work_height(st, (w, h), BROWSER_FPS)
        if fitted is None:  # not the fast tier on a CPU: fitted when that first paints
            return
        self._fit_pending = False
        self._set_work_height(fitted[0])
        if fitted[1] is not None:  # more than one height to choose from
            self._governor = HeightGovernor.for_frame(h, fitted[0], time.monotonic())

    def _govern(self, key: tuple[str, str]) -> None:
        g, counts = self._governor, self.stream_counts
        if g is None or counts is None:
            return
        if key[1] != "fast":  # the quality tier drops frames at any height on a CPU
            g.restart(time.monotonic())
            return
        height = g.update(time.monotonic(), *counts(), key)
        if height is not None:
            self._set_work_height(height)

    def _set_work_height(self, height: int) -> None:
        self._work_height = height
        for loaded in self._stylizers.values():
            loaded.work_height = height

    def _stylizer(self, key: tuple[str, str]):
        # Loaded in the worker thread (tens of ms to seconds): the page keeps running.
        st = self._stylizers.pop(key, None)
        if st is None:
            st = self._load(key[0], key[1], self._device, work_height=self._work_height)
        self._stylizers[key] = st
        while len(self._stylizers) > CACHED_STYLIZERS:
            self._stylizers.popitem(last=False)
        return st
