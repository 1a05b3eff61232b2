from __future__ import annotations

import numpy as np

from livestyle.bench.metrics import warping_error
from livestyle.render.stabilize import Stabilizer, texture_keeping_weight


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
    stab = Stabilizer("flow", 0.6).stabilize_painted(frames, styled)
    on = warping_error(frames, stab)
    assert warping_error(frames, frames) < 0.05 * off  # the input itself is the floor
    assert on < 0.6 * off, (on, off)


def test_scene_cut_resets_and_off_is_identity():
    frames = panning_clip(4)
    s = Stabilizer("flow", 0.9)
    s.stabilize_painted(frames[:1], frames[:1])
    black = np.zeros_like(frames[0])
    x, motion = s.prepare(black)
    assert s.cuts == 1 and motion is None and x is black
    assert np.array_equal(s.blend(black, motion), black)
    off = Stabilizer("off")
    x, motion = off.prepare(frames[1])
    assert x is frames[1] and off.blend(frames[2], motion) is frames[2]


def test_blend_mode_averages():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = np.full((32, 32, 3), 110, np.uint8)
    s = Stabilizer("blend", 0.5)
    s.stabilize_painted([a], [a])
    x, motion = s.prepare(a)
    assert x is a  # no flow, no pre-filter
    assert abs(int(s.blend(b, motion)[0, 0, 0]) - 105) <= 1  # flat frames lose no texture: the full 0.5


def test_make_stabilizer_picks_the_flow_by_device():
    import pytest
    import torch

    from livestyle.render.device_stabilizer import DeviceStabilizer
    from livestyle.render.stabilize import make_stabilizer

    cpu = make_stabilizer("flow", 0.3, "cpu")
    assert type(cpu) is Stabilizer and cpu.strength == 0.3 and not cpu.takes_tensors
    gpu = make_stabilizer("flow", 0.3, torch.device("cuda"))  # chosen by device type, nothing allocated
    assert isinstance(gpu, DeviceStabilizer) and gpu.takes_tensors and gpu.device.type == "cuda"
    assert gpu.flow == "torch"
    assert isinstance(make_stabilizer("blend", 0.3, "cpu", flow="torch"), DeviceStabilizer)
    # DIS on CUDA: the frames stay on the device, only the flow is computed on the CPU.
    dis = make_stabilizer("flow", 0.3, "cuda", flow="dis")
    assert isinstance(dis, DeviceStabilizer) and dis.flow == "dis"
    assert type(make_stabilizer("flow", 0.3, "cpu", flow="dis")) is Stabilizer
    with pytest.raises(ValueError):
        make_stabilizer("flow", 0.3, "cpu", flow="farneback")


def test_texture_keeping_weight_keeps_that_much_texture():
    rng = np.random.default_rng(0)
    hs = rng.normal(size=1000)
    for corr in (-1.0, -0.5, 0.0):  # the previous frame's strokes: opposite, partly, unrelated
        prev = corr * hs + np.sqrt(1 - corr * corr) * rng.normal(size=1000)
        hd = prev - hs  # the blend's step, warped previous minus current
        a, b, c = hs @ hs, hs @ hd, hd @ hd
        k = texture_keeping_weight(a, b, c, strength=0.95, keep=0.8, floor=0.0)
        kept = np.linalg.norm(hs + k * hd) / np.linalg.norm(hs)
        assert k < 0.95 and abs(kept - 0.8) < 1e-6, (corr, k, kept)
    # The same strokes (no change): any weight keeps them all.
    assert texture_keeping_weight(hs @ hs, 0.0, 0.0, 0.7) == 0.7
    # Never above the strength, never below the floor (or the strength, if lower).
    a, b, c = 1.0, -1.0, 1.0  # out = (1 - k) s: the texture fades linearly
    assert abs(texture_keeping_weight(a, b, c, 0.9, keep=0.8, floor=0.0) - 0.2) < 1e-9
    assert texture_keeping_weight(a, b, c, 0.9, keep=0.8, floor=0.3) == 0.3
    assert texture_keeping_weight(a, b, c, 0.1, keep=0.8, floor=0.3) == 0.1


def test_blend_weight_is_high_for_aligned_strokes_and_low_for_redrawn_ones():
    frames = panning_clip(6)
    aligned, redrawn = Stabilizer("flow", 0.85), Stabilizer("flow", 0.85)
    aligned.stabilize_painted(frames, frames)  # the same strokes, moving with the scene
    redrawn.stabilize_painted(frames, shimmer(frames, 60))  # new strokes every frame
    assert min(aligned.weights) == 0.85
    assert max(redrawn.weights) < 0.6 and len(redrawn.weights) == 5


def test_prefilter_steadies_the_network_input():
    frames = panning_clip(8)
    noisy = shimmer(frames, 10)  # camera noise over a pan
    s = Stabilizer("flow")
    inputs = [s.prepare(f)[0] for f in noisy]
    assert inputs[0] is noisy[0]  # nothing to blend with yet
    assert warping_error(frames, inputs) < 0.6 * warping_error(frames, noisy)
    # Without it the input passes through.
    s = Stabilizer("flow", prefilter=0.0)
    assert all(s.prepare(f)[0] is f for f in noisy)


def test_reset_output_keeps_the_input_side():
    frames = panning_clip(3)
    s = Stabilizer("flow")
    s.stabilize_painted(frames[:2], frames[:2])
    s.reset_output()
    x, motion = s.prepare(frames[2])
    assert motion is not None and x is not frames[2]  # flow and pre-filter go on
    assert s.blend(frames[2], motion) is frames[2]  # nothing to blend with after the reset
