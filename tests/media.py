"""Synthetic media for the tests, written with PyAV (no files from outside the repo)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BITS = 8  # frame index encoded as 8 vertical bars (white = 1)


def index_frame(i: int, width: int = 160, height: int = 120) -> np.ndarray:
    """A frame whose index can be read back after lossy coding: 8 black/white bars."""
    img = np.zeros((height, width, 3), np.uint8)
    bar = width // BITS
    for b in range(BITS):
        if (i >> b) & 1:
            img[:, b * bar:(b + 1) * bar] = 255
    return img


def read_index(rgb: np.ndarray) -> int:
    h, w = rgb.shape[:2]
    bar = w // BITS
    gray = rgb.mean(axis=2)
    value = 0
    for b in range(BITS):
        # Sample the middle of each bar, away from edges blurred by the codec.
        x0, x1 = b * bar + bar // 4, (b + 1) * bar - bar // 4
        if gray[h // 4: 3 * h // 4, x0:x1].mean() > 127:
            value |= 1 << b
    return value


def write_video(path: Path, frames: int = 24, size: tuple[int, int] = (160, 120), fps: int = 24,
                pts_ms: list[int] | None = None, audio: bool | str = False, rotation: int = 0,
                codec: str = "libx264", content=None) -> Path:
    """audio: False, True (AAC) or an FFmpeg audio codec name (e.g. 'pcm_s16le')."""
    """Write a test clip. pts_ms gives explicit (VFR) timestamps in milliseconds."""
    w, h = size
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height = w, h
        v.pix_fmt = "yuv420p" if codec != "mjpeg" else "yuvj420p"
        if pts_ms is not None:
            v.time_base = Fraction(1, 1000)
            v.codec_context.time_base = Fraction(1, 1000)
        if codec == "libx264":
            v.options = {"crf": "10", "preset": "ultrafast"}
        if rotation:
            v.set_display_rotation(rotation)
        a = None
        if audio:
            acodec = audio if isinstance(audio, str) else "aac"
            a = out.add_stream(acodec, rate=48000)
            a.layout = "mono"
            a.format = "s16" if acodec == "pcm_s16le" else "fltp"
        for i in range(frames):
            rgb = content(i, w, h) if content else index_frame(i, w, h)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if pts_ms is not None:
                frame.pts = pts_ms[i]
                frame.time_base = Fraction(1, 1000)
            else:
                frame.pts = i
                frame.time_base = Fraction(1, fps)
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode(None):
            out.mux(p)
        if a is not None:
            duration = (pts_ms[-1] / 1000 + 1 / fps) if pts_ms else frames / fps
            n = int(duration * 48000)
            t = np.arange(n) / 48000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            if a.format.name == "s16":
                samples = (samples * 32767).astype(np.int16)
            step = 1024
            for k in range(0, n, step):
                chunk = samples[k:k + step][None, :]
                af = av.AudioFrame.from_ndarray(chunk, format=a.format.name, layout="mono")
                af.sample_rate = 48000
                af.pts = k
                af.time_base = Fraction(1, 48000)
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode(None):
                out.mux(p)
    return path


def write_corrupt_mjpeg(path: Path, frames: int = 12, bad: tuple[int, ...] = (5, 6)) -> Path:
    """An MJPEG clip in which some packets are garbage (decode errors mid-stream)."""
    with av.open(str(path), "w", format="matroska") as out:
        v = out.add_stream("mjpeg", rate=12)
        v.width, v.height, v.pix_fmt = 160, 120, "yuvj420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(index_frame(i), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 12)
            for p in v.encode(frame):
                if i in bad:
                    junk = av.Packet(bytes(np.random.default_rng(i).integers(0, 255, 800, dtype=np.uint8)))
                    junk.pts, junk.dts, junk.time_base, junk.stream = p.pts, p.dts, p.time_base, v
                    out.mux(junk)
                else:
                    out.mux(p)
        for p in v.encode(None):
            out.mux(p)
    return path


def write_empty_video(path: Path) -> Path:
    """A container with a video stream and no frames."""
    with av.open(str(path), "w", format="matroska") as out:
        v = out.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()
    return path


def probe(path: Path) -> dict:
    """Frames (RGB), timestamps in seconds, rate, size and audio duration of a file."""
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        frames, times = [], []
        for f in c.decode(vs):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(float(f.pts * f.time_base))
        info = {"frames": frames, "times": times, "rate": vs.average_rate, "width": vs.width,
                "height": vs.height, "codec": vs.codec_context.name, "pix_fmt": vs.codec_context.pix_fmt,
                "audio": None}
    with av.open(str(path)) as c:
        if c.streams.audio:
            a = c.streams.audio[0]
            end = 0.0
            for p in c.demux(a):
                if p.pts is not None and p.duration:
                    end = max(end, float((p.pts + p.duration) * p.time_base))
            info["audio"] = {"codec": a.codec_context.name, "end": end}
    return info


def synthetic_photo(h=96, w=128):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float32)
    img[..., 0] = 0.5 + 0.4 * (xx / w)
    img[..., 1] = 0.4 + 0.3 * (yy / h)
    img[..., 2] = 0.3
    img[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 4) ** 2] = (0.9, 0.8, 0.2)  # a "sun"
    img[yy > 0.7 * h] = (0.2, 0.5, 0.2)  # "grass"
    rng = np.random.default_rng(3)
    for _ in range(12):  # "houses": edges and corners at several scales, like a real photo
        y0, x0 = rng.integers(0, h - 16), rng.integers(0, w - 16)
        img[y0:y0 + rng.integers(6, 16), x0:x0 + rng.integers(6, 16)] = rng.random(3)
    img += rng.normal(0, 0.04, img.shape)  # fine texture
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def synthetic_painting(h=128, w=128):
    yy, xx = np.mgrid[0:h, 0:w]
    swirl = np.sin(xx / 4 + 3 * np.sin(yy / 9)) * np.cos(yy / 5 - 2 * np.cos(xx / 11))
    img = np.stack([0.2 + 0.2 * swirl, 0.3 + 0.25 * swirl, 0.6 + 0.35 * swirl], -1)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)
