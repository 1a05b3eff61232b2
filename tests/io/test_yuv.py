"""yuv.py: OpenCV's BT.601 conversions agree with FFmpeg's swscale."""
from __future__ import annotations

import av
import numpy as np

from livestyle.io.yuv import BT601, frame_to_rgb, rgb_to_frame


def gradient(h: int = 96, w: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x * 3 + y) % 256], -1).astype(np.uint8)


def test_rgb_to_frame_matches_swscale_and_is_tagged():
    rgb = gradient()
    ours = rgb_to_frame(rgb)
    theirs = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    a, b = ours.to_ndarray().astype(int), theirs.to_ndarray().astype(int)
    luma = rgb.shape[0]
    assert np.abs(a[:luma] - b[:luma]).max() <= 1
    # Chroma: OpenCV averages 2x2 blocks, swscale filters a little wider; they
    # differ only next to the pattern's sharp wraps.
    assert np.abs(a[luma:] - b[luma:]).mean() < 1.5
    assert (ours.colorspace, ours.color_range) == (BT601["colorspace"], BT601["color_range"])


def test_frame_to_rgb_round_trip_and_matches_swscale():
    rgb = gradient()
    frame = rgb_to_frame(rgb)
    back = frame_to_rgb(frame)
    assert back.shape == rgb.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - rgb.astype(int)).mean() < 2.5
    assert np.abs(back.astype(int) - frame.to_ndarray(format="rgb24").astype(int)).max() <= 3


def test_other_formats_and_odd_sizes_fall_back_to_swscale():
    odd = av.VideoFrame.from_ndarray(gradient(33, 45), format="rgb24").reformat(format="yuv420p")
    assert frame_to_rgb(odd).shape == (33, 45, 3)
    full = av.VideoFrame.from_ndarray(gradient(), format="rgb24").reformat(format="yuvj420p")
    assert np.array_equal(frame_to_rgb(full), full.to_ndarray(format="rgb24"))
