"""Decoding video files with PyAV: validated opening, upright RGB frames, timestamps kept."""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import MediaError  # noqa: F401  (defined there so errors need no PyAV; re-exported)
from .yuv import frame_to_rgb


@dataclass
class VideoInfo:
    path: Path
    width: int  # upright (after rotation)
    height: int
    rotation: int  # degrees counter-clockwise to apply, one of 0, 90, 180, 270
    time_base: Fraction
    rate: Fraction
    frames: int  # container's count or an estimate; 0 when unknown
    duration_s: float
    codec: str
    has_audio: bool


@dataclass
class DecodedFrame:
    index: int
    pts: int | None
    rgb: np.ndarray  # upright RGB uint8


def _rotation_of(stream, first_frame=None) -> int:
    rot = 0
    if first_frame is not None:
        rot = int(round(getattr(first_frame, "rotation", 0) or 0))
    if not rot:
        try:
            rot = -int(stream.metadata.get("rotate", 0))
        except (TypeError, ValueError):
            rot = 0
    return rot % 360 if rot % 90 == 0 else 0


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display rotation (degrees counter-clockwise) to the pixels."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


class VideoFileSource:
    """A video file opened for decoding. Iterate it for DecodedFrames, in order."""

    def __init__(self, path: str | os.PathLike, hwaccel: str | None = None):
        """hwaccel "cuda": decode with NVDEC where the machine offers it; elsewhere on the
        CPU, with the reason in `hwaccel_problem` (the frames are the same either way)."""
        self.path = Path(path)
        if not self.path.exists():
            raise MediaError(f"input not found: {self.path}")
        if self.path.is_dir():
            raise MediaError(f"input is a folder, not a video: {self.path}")
        self.decoder, self.hwaccel_problem = "cpu", None
        try:
            self.container = self._open(hwaccel)
        except av.EOFError:
            raise MediaError(f"video has no frames (empty or truncated): {self.path}") from None
        except (av.FFmpegError, UnicodeDecodeError, OSError) as e:
            raise MediaError(f"not a video file: {self.path} ({_short(e)})") from None
        try:
            if not self.container.streams.video:
                raise MediaError(f"not a video file (no video stream): {self.path}")
            self.stream = self.container.streams.video[0]
            if self.stream.codec_context is None or self.stream.codec_context.name is None:
                raise MediaError(f"unsupported video codec in {self.path}")
            self.stream.thread_type = "AUTO"  # frame+slice threads inside FFmpeg
            self.corrupt_frames = 0
            self._frames = self._decode()
            try:
                first = next(self._frames)
            except StopIteration:
                raise MediaError(f"video has no frames: {self.path}") from None
            self._first = first
            self.info = self._make_info(first)
        except BaseException:
            self.container.close()
            raise

    def _open(self, hwaccel: str | None):
        if hwaccel:
            from av.codec.hwaccel import HWAccel

            try:
                container = av.open(str(self.path), "r", hwaccel=HWAccel(hwaccel, allow_software_fallback=True))
                self.decoder = hwaccel
                return container
            except (av.FFmpegError, OSError, ValueError) as e:  # no device or driver: decode on the CPU
                self.hwaccel_problem = _short(e)
        return av.open(str(self.path), "r")

    def _make_info(self, first: av.VideoFrame) -> VideoInfo:
        s = self.stream
        rot = _rotation_of(s, first)
        w, h = first.width, first.height
        if rot in (90, 270):
            w, h = h, w
        rate = s.average_rate or s.guessed_rate or Fraction(25)
        duration = float(s.duration * s.time_base) if s.duration else (
            float(self.container.duration) / av.time_base if self.container.duration else 0.0)
        frames = int(s.frames or 0) or int(round(duration * float(rate)))
        return VideoInfo(self.path, w, h, rot, s.time_base or Fraction(1, 90000), Fraction(rate), frames,
                         duration, s.codec_context.name, bool(self.container.streams.audio))

    def _decode(self) -> Iterator[av.VideoFrame]:
        demux = self.container.demux(self.stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except av.InvalidDataError:
                self.corrupt_frames += 1
                continue
            except av.FFmpegError as e:
                raise MediaError(f"cannot read {self.path}: {_short(e)}") from None
            try:
                frames = packet.decode()
            except (av.InvalidDataError, av.error.UndefinedError, ValueError):
                self.corrupt_frames += 1
                continue
            except av.FFmpegError as e:
                if "not implemented" in str(e).lower() or "decoder" in str(e).lower():
                    raise MediaError(f"unsupported video codec in {self.path}: {_short(e)}") from None
                self.corrupt_frames += 1
                continue
            yield from frames

    def __iter__(self) -> Iterator[DecodedFrame]:
        rot = self.info.rotation
        index = 0
        frames = self._frames
        first, self._first = self._first, None
        if first is not None:
            yield DecodedFrame(index, first.pts, upright(frame_to_rgb(first), rot))
            index += 1
        for frame in frames:
            yield DecodedFrame(index, frame.pts, upright(frame_to_rgb(frame), rot))
            index += 1

    def close(self) -> None:
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _short(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.splitlines()[0] if msg else type(e).__name__
