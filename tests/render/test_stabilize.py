from __future__ import annotations

import numpy as np

from livestyle.bench.metrics import warping_error
from livestyle.render.stabilize import Stabilizer


def panning_clip(n=10, h=96, w=128, step=2):
    rng = np.random.default_rng(0)
    big = rng.integers(0, 255, (h // 4, (w + n * step) // 4, 3)).astype(np.uint8)
    import cv2

    big = cv2.resize(big, ((w + n * step), h), interpolation=cv2.INTER_CUBIC)
    return [np.ascontiguousarray(big[:, i * step:i * step + w]) for i in range(n)]


def shimmer(frames, amount=40):
    """A stand-in for a network that re-draws texture slightly differently every frame."""
    rng = np.random.default_rng(1)
    return [np.clip(f.astype(np.int16) + rng.integers(-amount, amount, f.shape), 0, 255).astype(np.uint8)
            for f in frames]


def test_flow_stabilization_reduces_warping_error():
    frames = panning_clip()
    styled = shimmer(frames)
    off = warping_error(frames, styled)
    flow = Stabilizer("flow", 0.6)
    stab = [flow(f, s) for f, s in zip(frames, styled)]
    on = warping_error(frames, stab)
    assert warping_error(frames, frames) < 0.05 * off  # the input itself is the floor
    assert on < 0.6 * off, (on, off)


def test_scene_cut_resets_and_off_is_identity():
    frames = panning_clip(4)
    s = Stabilizer("flow", 0.9)
    s(frames[0], frames[0])
    black = np.zeros_like(frames[0])
    out = s(black, black)
    assert s.cuts == 1 and np.array_equal(out, black)
    assert Stabilizer("off")(frames[1], frames[2]) is frames[2]


def test_blend_mode_averages():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = np.full((32, 32, 3), 110, np.uint8)
    s = Stabilizer("blend", 0.5)
    s(a, a)
    assert abs(int(s(a, b)[0, 0, 0]) - 105) <= 1


def test_make_stabilizer_picks_the_flow_by_device():
    import pytest
    import torch

    from livestyle.render.device_stabilizer import DeviceStabilizer
    from livestyle.render.stabilize import make_stabilizer

    cpu = make_stabilizer("flow", 0.3, "cpu")
    assert type(cpu) is Stabilizer and cpu.strength == 0.3 and not cpu.takes_tensors
    gpu = make_stabilizer("flow", 0.3, torch.device("cuda"))  # chosen by device type, nothing allocated
    assert isinstance(gpu, DeviceStabilizer) and gpu.takes_tensors and gpu.device.type == "cuda"
    assert isinstance(make_stabilizer("blend", 0.3, "cpu", flow="torch"), DeviceStabilizer)
    assert type(make_stabilizer("flow", 0.3, "cuda", flow="dis")) is Stabilizer
    with pytest.raises(ValueError):
        make_stabilizer("flow", 0.3, "cpu", flow="farneback")
