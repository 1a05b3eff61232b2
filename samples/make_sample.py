#!/usr/bin/env python3
"""Make samples/astronaut.mp4: the project's default clip for the Quick start and benchmarks.

A slow pan and zoom across scikit-image's `astronaut` photo (Eileen Collins,
NASA, public domain) at 640x480, 30 frames/s, H.264, with a generated sound
track (a soft chord with a slow tremolo, AAC). Needs scikit-image only here:

    pip install scikit-image && python samples/make_sample.py
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

W, H, FPS, SECONDS, RATE = 640, 480, 30, 6, 48000


def frames(photo: np.ndarray):
    ph, pw = photo.shape[:2]
    n = FPS * SECONDS
    for i in range(n):
        t = i / (n - 1)
        ease = 0.5 - 0.5 * np.cos(np.pi * t)
        zoom = 1.0 + 0.6 * ease  # 1.0 -> 1.6
        # Window of the output's aspect ratio, panning from the face towards the shuttle model.
        win_h = ph / zoom * 0.78
        win_w = win_h * W / H
        cx = pw * (0.42 + 0.16 * ease) if win_w < pw else pw / 2
        cy = ph * (0.45 - 0.08 * ease)
        x0 = float(np.clip(cx - win_w / 2, 0, max(0, pw - win_w)))
        y0 = float(np.clip(cy - win_h / 2, 0, max(0, ph - win_h)))
        m = np.array([[W / win_w, 0, -x0 * W / win_w], [0, H / win_h, -y0 * H / win_h]], np.float32)
        yield cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def soundtrack() -> np.ndarray:
    t = np.arange(SECONDS * RATE) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63, 440.0)) / 4
    tremolo = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
    fade = np.minimum(1.0, np.minimum(t / 0.5, (SECONDS - t) / 0.5))
    return (0.25 * chord * tremolo * fade).astype(np.float32)


def main(out: Path) -> int:
    from skimage import data

    photo = np.ascontiguousarray(data.astronaut())  # 512x512 RGB; NASA, public domain
    photo = cv2.resize(photo, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    with av.open(str(out), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        v.options = {"crf": "26", "preset": "slow", "movflags": "+faststart"}
        a = c.add_stream("aac", rate=RATE)
        a.layout = "stereo"
        a.bit_rate = 64000
        for i, rgb in enumerate(frames(photo)):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, FPS)
            for p in v.encode(f):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        pcm = soundtrack()
        for k in range(0, len(pcm), 1024):
            chunk = pcm[k:k + 1024]
            af = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = RATE, k, Fraction(1, RATE)
            for p in a.encode(af):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("astronaut.mp4")))
