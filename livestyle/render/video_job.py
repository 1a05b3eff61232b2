"""File to file: decode [-> prepare] -> process [-> finish] -> encode on threads, lossless and in order.

Used by `livestyle video` and by `livestyle bench`. The caller supplies
`process(rgb) -> rgb` (stylize + stabilize), or splits the work in three:
`prepare(rgb) -> prepared` (the stabilizer's flow and input pre-filter, in
frame order), `process(prepared) -> state` (the network, on one or more
workers) and `finish(rgb, state) -> rgb` (stabilize, rescale, blend), each
of the two on a thread of its own, so the network's threads do nothing else.
Ctrl-C stops the stages and finalizes the output, so what was written so far
stays playable.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .pipeline import Channel, Pipeline
from .timing import StageClock
from ..io.video_reader import MediaError, VideoFileSource
from ..io.video_writer import VideoWriter, even_size


class NoFramesDecoded(MediaError):
    pass


@dataclass
class JobResult:
    path: Path | None
    frames: int
    corrupt_frames: int
    seconds: float
    width: int
    height: int
    audio_kept: bool
    audio_transcoded: bool
    interrupted: bool
    stage_ms: dict = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def output_size(width: int, height: int, scale: float) -> tuple[int, int]:
    if scale != 1.0:
        width, height = max(2, round(width * scale)), max(2, round(height * scale))
    return even_size(width, height)


def run_job(source: VideoFileSource, output: str | Path, process: Callable[[np.ndarray], np.ndarray], *,
            scale: float = 1.0, crf: int = 20, preset: str = "superfast", progress: str | None = None,
            warn: Callable[[str], None] = lambda m: None, clock: StageClock | None = None,
            max_frames: int | None = None, slow_s: float = 0.0,
            finish: Callable[[np.ndarray, object], np.ndarray] | None = None, workers: int = 1,
            prepare: Callable[[np.ndarray], object] | None = None,
            encoder: str = "libx264") -> JobResult:
    info = source.info
    out_w, out_h = output_size(info.width, info.height, scale)
    if out_w < 2 or out_h < 2:
        from ..errors import UsageError  # late: errors imports most modules

        raise UsageError(f"--scale {scale:g} makes {info.width}x{info.height} frames too small")
    clock = clock or StageClock()
    writer = VideoWriter(output, out_w, out_h, info.rate, info.time_base, crf=crf, preset=preset,
                         audio_from=source.path, codec=encoder)
    warned = False

    def read(out: Channel):
        nonlocal warned
        n = 0
        it = iter(source)
        while max_frames is None or n < max_frames:
            t = time.perf_counter()
            f = next(it, None)
            if f is None:
                return
            rgb = f.rgb
            if (rgb.shape[1], rgb.shape[0]) != (out_w, out_h):
                if scale != 1.0:
                    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
                    rgb = cv2.resize(rgb, (out_w, out_h), interpolation=interp)
                else:
                    rgb = rgb[:out_h, :out_w]  # odd sides: drop the last column/row
            clock.add("decode", time.perf_counter() - t)
            if source.corrupt_frames and not warned:
                warned = True
                warn(f"warning: skipping corrupt frames in {source.path}")
            out.put((f.pts, rgb, rgb, time.perf_counter()))  # the third: what the network gets
            n += 1

    def prepare_stage(inp: Channel, out: Channel):
        for pts, rgb, _, t_in in inp:
            out.put((pts, rgb, prepare(rgb), t_in))

    def work(item):
        pts, rgb, prepared, t_in = item
        if slow_s:
            time.sleep(slow_s)
        return pts, rgb, process(prepared), t_in

    def finish_stage(inp: Channel, out: Channel):
        for pts, rgb, state, t_in in inp:
            out.put((pts, finish(rgb, state) if finish else state, t_in))

    bar = None
    if progress is not None:
        from tqdm import tqdm

        total = min(info.frames, max_frames) if max_frames else info.frames
        bar = tqdm(total=total or None, unit="frame", file=sys.stderr, dynamic_ncols=True, desc=progress,
                   smoothing=0.1)
    interrupted = False
    pipe = Pipeline()
    t0 = time.monotonic()
    try:
        decoded = pipe.channel(4, "block")
        stylized = pipe.channel(4, "block")
        processed = pipe.channel(4, "block")
        pipe.stage("decode", read, decoded, closes=decoded)
        if prepare is not None:  # in frame order, on a thread of its own, beside the network
            prepared = pipe.channel(4, "block")
            pipe.stage("prepare", prepare_stage, decoded, prepared, closes=prepared)
        else:
            prepared = decoded
        pipe.ordered_map("stylize", work, prepared, stylized, workers)
        pipe.stage("finish", finish_stage, stylized, processed, closes=processed)
        for pts, rgb, t_in in processed:
            t = time.perf_counter()
            writer.write(rgb, pts)
            clock.add("encode", time.perf_counter() - t)
            clock.add("latency", time.perf_counter() - t_in)
            if bar is not None:
                bar.update(1)
        pipe.join()
    except KeyboardInterrupt:
        interrupted = True
        pipe.join(stop=True)
    except BaseException:
        writer.abort()
        pipe.join(stop=True)  # re-raises a stage's own error, which explains this one
        raise
    finally:
        if bar is not None:
            bar.close()
    if writer.frames == 0:
        writer.abort()
        if interrupted:
            raise KeyboardInterrupt
        raise NoFramesDecoded(f"no frame could be decoded from {source.path}")
    path = writer.finish()
    seconds = time.monotonic() - t0
    return JobResult(path, writer.frames, source.corrupt_frames, seconds, out_w, out_h, writer.audio_kept,
                     writer.audio_transcoded, interrupted, clock.per_call_ms())
