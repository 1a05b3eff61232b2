"""bench/metrics.py figures on images whose answer is known."""
from __future__ import annotations

import cv2
import numpy as np

from livestyle.bench.metrics import pixel_comb


def smooth_texture(h=96, w=128, seed=0):
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 255, (h // 4, w // 4, 3)).astype(np.uint8), (w, h),
                      interpolation=cv2.INTER_CUBIC)


def test_pixel_comb_reads_one_without_a_grid_and_sees_two_pixel_blocks_on_either_axis():
    img = smooth_texture()
    assert pixel_comb(img) < 1.1
    # Columns in alike pairs (each pair the mean of its two): the blocks of an x2 upsampling.
    pairs = img.reshape(96, 64, 2, 3).mean(axis=2, keepdims=True)
    combed = np.repeat(pairs, 2, axis=2).reshape(96, 128, 3).astype(np.uint8)
    assert pixel_comb(combed) > 10
    # Wherever the grid starts, and along rows as along columns.
    assert abs(pixel_comb(combed[:, 1:]) - pixel_comb(combed)) < 0.2
    assert abs(pixel_comb(np.ascontiguousarray(combed.transpose(1, 0, 2))) - pixel_comb(combed)) < 1e-6
    assert pixel_comb(np.zeros((8, 8, 3), np.uint8)) == 1.0  # flat: nothing to compare
