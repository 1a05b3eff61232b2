#!/usr/bin/env python3
"""Make a benchmark clip with sound from the real clips in ../shared/data/clips.

The issue's file-to-file targets are for real footage with an audio track; the
shared clips have none. This joins every clip (in name order), resizes to the
requested size and adds a generated tone, so `livestyle bench pipeline --clip`
also times the audio remux:

    python benchmarks/make_bench_clip.py --size 854x480 -o /tmp/clips_854x480.mp4
    python benchmarks/make_bench_clip.py --size 1280x720 -o /tmp/clips_1280x720.mp4
    livestyle bench pipeline --clip /tmp/clips_854x480.mp4
"""
from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

RATE = 48000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"))
    ap.add_argument("--size", default="854x480")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    paths = sorted(Path(args.clips).glob("*.mp4"))
    if not paths:
        print(f"no clips in {args.clips}", file=sys.stderr)
        return 2
    fps = 24
    n = 0
    with av.open(args.output, "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"crf": "18", "preset": "medium"}
        a = out.add_stream("aac", rate=RATE)
        a.layout = "mono"
        for p in paths:
            with av.open(str(p)) as src:
                for frame in src.decode(video=0):
                    rgb = frame.to_ndarray(format="rgb24")
                    if rgb.shape[:2] != (h, w):
                        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if w < rgb.shape[1] else cv2.INTER_CUBIC)
                    f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                    f.pts, f.time_base = n, Fraction(1, fps)
                    n += 1
                    for pkt in v.encode(f):
                        out.mux(pkt)
        for pkt in v.encode(None):
            out.mux(pkt)
        t = np.arange(int(n / fps * RATE)) / RATE
        pcm = (0.2 * np.sin(2 * np.pi * 330.0 * t)).astype(np.float32)
        for k in range(0, len(pcm), 1024):
            af = av.AudioFrame.from_ndarray(pcm[None, k:k + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts, af.time_base = RATE, k, Fraction(1, RATE)
            for pkt in a.encode(af):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
    print(f"wrote {args.output}: {n} frames {w}x{h} at {fps} frames/s with a tone track")
    return 0


if __name__ == "__main__":
    sys.exit(main())
