"""How many lines a live stream is painted at on this CPU, measured at start-up.

The `fast` network's cost grows with the pixels it paints, and CPUs differ by
more than the stream's headroom: at 640x480 the network alone takes 11.5 ms on
an AVX-512 bf16 host and 28 ms on an AVX2 one (AMD EPYC Zen 3, 2 cores), where
30 frames/s end to end leaves the network about half of each 33 ms frame beside
capture, flow, blend and display (measured there: 26.7 frames/s shown at 480 lines, 29.8-30.0
fitted, docs/benchmarks.md).
So, as a game picks its render scale, `cam` times the network on the stream's
frame size and steps down a ladder of heights until it fits; frames are scaled
back up after the network (Stylizer's work height), so strokes grow a little
relative to the frame and the stream keeps its rate. `--work-height` pins it.
`serve`'s page does the same on its first fast-tier frame. While the stream runs,
a HeightGovernor keeps the choice honest: frames dropped step it down, a calm
tries a rung up.
"""
from __future__ import annotations

import functools
import time
from typing import Callable

import numpy as np

# Heights tried, highest first: 480 is the default work height on a CPU.
LADDER = (480, 432, 384, 336, 288, 240)
# The share of a frame interval the network may take (the rest: capture, flow,
# blend, display and the OS, on the same cores).
NETWORK_SHARE = 0.5
TIMED_RUNS = 4


def network_ms(stylizer, height: int, width: int, runs: int = TIMED_RUNS) -> float:
    """The network's time on a frame of this size: the best of `runs` after one warm-up
    (the first run compiles the engine for the size). The best, not the median: other
    work on the cores only adds time, and the question is what the network needs."""
    frame = np.zeros((height, width, 3), np.uint8)
    stylizer.network_rgb(frame)
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        stylizer.network_rgb(frame)
        best = min(best, time.perf_counter() - t)
    return best * 1000.0


def ladder_for(frame_h: int, ladder: tuple[int, ...] = LADDER) -> list[int]:
    """The heights a frame of `frame_h` lines can be painted at, highest first: the
    frame's own first when it is no taller than the ladder's top, then the lower rungs."""
    rungs = [r for r in ladder if r < frame_h]
    if frame_h <= ladder[0]:
        rungs.insert(0, frame_h)
    return rungs


def live_work_height(frame_size: tuple[int, int], fps: float, measure: Callable[[int, int], float],
                     ladder: tuple[int, ...] = LADDER) -> tuple[int, float | None]:
    """(work height, the network's ms there) for a live stream of `frame_size` (w, h)
    at `fps` (0: unknown, taken as 30), `measure(height, width)` giving the network's
    ms at a size (network_ms): the highest rung of `ladder` (the frame's own height
    first when it is lower than the top) whose time fits NETWORK_SHARE of the frame
    interval, else the lowest. Height 0 means the frame's own; ms is None when the
    frame is no taller than the ladder's lowest rung (nothing to choose, nothing timed)."""
    w, h = frame_size
    budget_ms = 1000.0 * NETWORK_SHARE / (fps if fps and fps > 0 else 30.0)
    rungs = ladder_for(h, ladder)
    if len(rungs) == 1:
        return 0, None  # nothing lower to choose: no need to time it
    for rung in rungs:
        ms = measure(rung, max(1, round(w * rung / h)))
        if ms <= budget_ms:
            break
    return (0 if rung == h else rung), ms


def fit_live_work_height(stylizer, frame_size: tuple[int, int], fps: float) -> tuple[int, float | None] | None:
    """live_work_height for `stylizer` where fitting applies (the fast tier on a CPU:
    on a GPU frames are painted at their own size, and the quality tier is not live
    on a CPU at any height), else None."""
    if stylizer.device.type != "cpu" or stylizer.tier != "fast":
        return None
    return live_work_height(frame_size, fps, functools.partial(network_ms, stylizer))


class HeightGovernor:
    """Keeps a live stream at its source's rate while it runs, by moving the work
    height along the ladder: the start-up fit (live_work_height) times a quiet
    moment, but these machines' speed drifts by up to 2x within minutes, and the
    network shares the cores with flow, blend, display and whatever else runs.

    The signal is the stream itself: the share of captured frames dropped (a
    `latest` mailbox replaced before the pipeline took its frame) over a window.
    Over DROP_SHARE in two windows running, or over BURST_SHARE in one, it steps
    one rung down (a lone hiccup of a few frames is not a slow machine); after
    CALM_S without a drop it tries one rung up, and a rung it had to leave is not
    tried again for BACKOFF_S, doubled each time (a game's dynamic resolution,
    with hysteresis so that the strokes' size does not flicker between two
    rungs). The second after a change is not counted: its first frame compiles
    the engine for the new size, and the stabilizer starts over."""

    WINDOW_S = 2.0
    SETTLE_S = 1.0
    DROP_SHARE = 0.05
    BURST_SHARE = 0.2
    CALM_S = 10.0
    BACKOFF_S = 20.0
    MAX_BACKOFF_S = 300.0

    def __init__(self, rungs: list[int], height: int, now: float):
        """rungs: ladder_for the frame, highest first; height: the fitted one (a rung)."""
        self.rungs = list(rungs)
        self.index = self.rungs.index(height)
        self.changes = 0
        self._backoff: dict[int, float] = {}  # rung index -> seconds it stays out after failing
        self._blocked_until: dict[int, float] = {}
        self._calm_since = now  # no frame dropped, no change, counted from then on
        self._strikes = 0  # windows running over DROP_SHARE
        self._settle_until = now
        self._window = None  # (start time, captured, dropped) of the window being counted
        self._painting = None  # what the window is counting (e.g. a style and tier)

    @classmethod
    def for_frame(cls, frame_h: int, height: int, now: float) -> "HeightGovernor":
        """A governor over ladder_for(frame_h) in the Stylizer's terms (work height 0:
        the frame's own), starting at the fitted `height`."""
        return cls([0 if r == frame_h else r for r in ladder_for(frame_h)], height, now)

    @property
    def height(self) -> int:
        return self.rungs[self.index]

    def restart(self, now: float) -> None:
        """Forget the window being counted (a style or tier switch, a preload: frames
        dropped then say nothing about the height, and nor does a calm)."""
        self._window = None
        self._strikes = 0
        self._calm_since = now

    def update(self, now: float, captured: int, dropped: int, painting=None) -> int | None:
        """Feed the stream's counters (frames captured and dropped so far) and what is
        being painted (a change of it restarts the count: loading a style drops frames
        at any height); returns the new height when it changes, else None."""
        if painting != self._painting:
            self._painting = painting
            self.restart(now)
            return None
        if now < self._settle_until:
            return None
        if self._window is None:
            self._window = (now, captured, dropped)
            return None
        t0, c0, d0 = self._window
        if now - t0 < self.WINDOW_S:
            return None
        share = (dropped - d0) / max(1, captured - c0)
        self._window = (now, captured, dropped)
        if dropped > d0:
            self._calm_since = now
        self._strikes = self._strikes + 1 if share > self.DROP_SHARE else 0
        behind = self._strikes >= 2 or share > self.BURST_SHARE
        if behind and self.index < len(self.rungs) - 1:
            left = self.index
            backoff = min(self.MAX_BACKOFF_S, 2 * self._backoff[left]) if left in self._backoff else self.BACKOFF_S
            self._backoff[left] = backoff
            self._blocked_until[left] = now + backoff
            return self._move(self.index + 1, now)
        if (self.index > 0 and now - self._calm_since >= self.CALM_S
                and now >= self._blocked_until.get(self.index - 1, 0.0)):
            return self._move(self.index - 1, now)
        return None

    def _move(self, index: int, now: float) -> int:
        self.index = index
        self.changes += 1
        self._calm_since = now
        self._settle_until = now + self.SETTLE_S  # the change's own stall (see the class note)
        self._window = None
        self._strikes = 0
        return self.height
