"""Encoding H.264 (yuv420p) with PyAV, with the source's audio remuxed alongside.

The file is written under a temporary name and moved into place by
``finish()``; ``abort()`` removes it. So a crash never leaves a
half-written file that looks complete, while an interrupted run (Ctrl-C)
calls ``finish()`` and leaves a shorter but playable file.

Audio packets are copied, not re-encoded, and interleaved with video by
time. Only when the output container cannot hold the source codec is the
audio transcoded (AAC for MP4/MOV).
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .encoders import encoder_options
from .video_reader import MediaError
from .yuv import BT601, rgb_to_frame

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
# Audio codecs each container takes as a plain packet copy.
REMUXABLE_AUDIO = {
    "mp4": {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"},
    "mov": {"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le", "pcm_f32le"},
    "matroska": None,  # anything
}


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even sides: drop the last column/row of odd sizes (321x241 -> 320x240)."""
    return width - width % 2, height - height % 2


def check_output_path(path: str | os.PathLike, input_path: str | os.PathLike | None = None) -> Path:
    out = Path(path)
    fmt = CONTAINERS.get(out.suffix.lower())
    if fmt is None:
        raise MediaError(f"unsupported output type '{out.suffix or out.name}': use .mp4, .mov, .m4v or .mkv")
    if input_path is not None and out.resolve() == Path(input_path).resolve():
        raise MediaError(f"output path is the input file: {out}")
    if out.is_dir():
        raise MediaError(f"output path not writable: {out} is a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise MediaError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise MediaError(f"output path not writable: {out}")
    # Mode bits are not the whole story (root, read-only mounts, /proc): try it.
    probe = out.with_name(f".{out.name}.part")
    try:
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise MediaError(f"output path not writable: {out} ({e.strerror or e})") from None
    return out


class VideoWriter:
    def __init__(self, path: str | os.PathLike, width: int, height: int, rate: Fraction,
                 time_base: Fraction | None = None, crf: int = 20, preset: str = "superfast",
                 audio_from: str | os.PathLike | None = None, threads: int = 0, codec: str = "libx264"):
        self.path = check_output_path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        self.width, self.height = even_size(width, height)
        if self.width < 2 or self.height < 2:
            raise MediaError(f"frame too small to encode: {width}x{height}")
        fmt = CONTAINERS[self.path.suffix.lower()]
        try:
            self.out = av.open(str(self.tmp), "w", format=fmt)
        except (av.FFmpegError, OSError) as e:
            raise MediaError(f"output path not writable: {self.path} ({e})") from None
        try:
            rate = Fraction(rate).limit_denominator(100000) if rate else Fraction(30)
            self.codec = codec  # libx264 or h264_nvenc (io/encoders.pick_encoder)
            self.video = self.out.add_stream(codec, rate=rate)
            self.video.width, self.video.height = self.width, self.height
            self.video.pix_fmt = "yuv420p"
            for key, value in BT601.items():  # the matrix rgb_to_frame converts with
                setattr(self.video.codec_context, key, value)
            # Keep the source's time base so timestamps (and VFR) pass through unchanged.
            self.time_base = Fraction(time_base) if time_base else 1 / rate
            self.video.time_base = self.time_base
            self.video.codec_context.time_base = self.time_base
            self.video.thread_count = threads
            # Settings that every player takes (yuv420p, High profile); faststart for the web.
            self.video.options = encoder_options(codec, crf, preset)
            if crf > 0 or codec != "libx264":  # lossless (crf 0) needs x264's High 4:4:4 Predictive profile: let it choose
                self.video.codec_context.profile = "High"
            self._audio_in = None
            self._audio_packets = None
            self._audio_out = None
            self.audio_kept = False
            self.audio_transcoded = False
            if audio_from is not None:
                self._open_audio(audio_from, fmt)
        except BaseException:
            self.abort()
            raise
        self.frames = 0
        self._last_pts = None
        self._last_time = 0.0

    # --- audio -----------------------------------------------------------
    def _open_audio(self, source, fmt) -> None:
        try:
            inp = av.open(str(source), "r")
        except av.FFmpegError:
            return
        if not inp.streams.audio:
            inp.close()
            return
        a_in = inp.streams.audio[0]
        allowed = REMUXABLE_AUDIO.get(fmt)
        if allowed is None or a_in.codec_context.name in allowed:
            self._audio_out = self.out.add_stream_from_template(a_in)
        else:
            self._audio_out = self.out.add_stream("aac", rate=a_in.codec_context.sample_rate or 48000)
            self.audio_transcoded = True
        self._audio_in = inp
        self._audio_src = a_in
        self._audio_packets = inp.demux(a_in)
        self._pending_audio = None
        self.audio_kept = True

    def _mux_audio_until(self, t: float | None) -> None:
        """Mux source audio packets up to time t (seconds); None = to the end."""
        if self._audio_packets is None:
            return
        tb = self._audio_src.time_base
        while True:
            pkt = self._pending_audio
            if pkt is None:
                try:
                    pkt = next(self._audio_packets)
                except (StopIteration, av.FFmpegError):
                    self._audio_packets = None
                    return
            if pkt.dts is None and pkt.size == 0:  # flush packet from demux
                continue
            if t is not None and pkt.pts is not None and float(pkt.pts * tb) > t:
                self._pending_audio = pkt
                return
            self._pending_audio = None
            if self.audio_transcoded:
                for frame in pkt.decode():
                    frame.pts = None
                    for out_pkt in self._audio_out.encode(frame):
                        self.out.mux(out_pkt)
            else:
                pkt.stream = self._audio_out
                self.out.mux(pkt)

    # --- video -----------------------------------------------------------
    def write(self, rgb: np.ndarray, pts: int | None = None) -> None:
        """Encode one RGB frame. `pts` is in the writer's time base; None = next frame."""
        h, w = rgb.shape[:2]
        if (w, h) != (self.width, self.height):
            rgb = rgb[: self.height, : self.width]
        frame = rgb_to_frame(np.ascontiguousarray(rgb))
        if pts is None or (self._last_pts is not None and pts <= self._last_pts):
            pts = 0 if self._last_pts is None else self._last_pts + max(1, int(round(1 / (self.video.average_rate or 30) / self.time_base)))
        frame.pts = pts
        frame.time_base = self.time_base
        self._last_pts = pts
        self._last_time = float(pts * self.time_base)
        self._mux_audio_until(self._last_time)
        for packet in self.video.encode(frame):
            self.out.mux(packet)
        self.frames += 1

    def finish(self) -> Path:
        """Flush, close and move the file into place. Audio stops where the video does."""
        try:
            for packet in self.video.encode(None):
                self.out.mux(packet)
            if self._audio_packets is not None:
                frame_s = float(1 / (self.video.average_rate or 30))
                self._mux_audio_until(self._last_time + frame_s)
                if self.audio_transcoded:
                    for packet in self._audio_out.encode(None):
                        self.out.mux(packet)
        finally:
            self._close_all()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._close_all()
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass

    def _close_all(self) -> None:
        for c in (getattr(self, "out", None), getattr(self, "_audio_in", None)):
            if c is not None:
                try:
                    c.close()
                except Exception:
                    pass
        self.out = None
        self._audio_in = None
