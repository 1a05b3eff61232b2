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
`serve`'s page does the same on its first fast-tier frame.
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
    rungs = [r for r in ladder if r < h]
    if h <= ladder[0]:
        rungs.insert(0, h)
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
