from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from livestyle.bench.metrics import warping_error
from livestyle.render import torch_flow
from livestyle.render.device_stabilizer import DeviceStabilizer
from livestyle.render.stabilize import DEFAULT_STRENGTH, Stabilizer
from livestyle.render.torch_flow import dense_flow, warp


def texture(h, w, seed=0):
    """Smooth random RGB texture: trackable at every scale of a small pyramid."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (h // 4, w // 4, 3)).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def panning_clip(n=10, h=96, w=128, step=2):
    big = texture(h, w + n * step)
    return [np.ascontiguousarray(big[:, i * step:i * step + w]) for i in range(n)]


def shimmer(frames, amount=40):
    """A stand-in for a network that re-draws texture slightly differently every frame."""
    rng = np.random.default_rng(1)
    return [np.clip(f.astype(np.int16) + rng.integers(-amount, amount, f.shape), 0, 255).astype(np.uint8)
            for f in frames]


def gray(rgb, dtype=torch.float32):
    return torch.from_numpy(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)).to(dtype)


def shifted_pair(dx=3.0, dy=-2.0, h=96, w=128):
    """(cur, prev) with cur(p) = prev(p + (dx, dy)), sub-pixel shifts by bilinear resampling."""
    prev = texture(h, w)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    cur = cv2.warpAffine(prev, shift, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT)
    return cur, prev


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("shift", [(3.0, -2.0), (-1.5, 4.25)])
def test_flow_recovers_a_translation(dtype, shift):
    cur, prev = shifted_pair(*shift)
    flow = dense_flow(gray(cur, dtype), gray(prev, dtype))  # half types are solved in float32
    assert flow.shape == (96, 128, 2)
    err = (flow[12:-12, 12:-12].double() - torch.tensor(shift, dtype=torch.float64)).abs()
    assert float(err.mean()) < 0.2 and float(err.quantile(0.95)) < 0.5, (float(err.mean()), float(err.max()))


def test_flow_is_batched_and_warp_brings_prev_onto_cur():
    pairs = [shifted_pair(dx=2, dy=1), shifted_pair(dx=-1, dy=3)]
    cur = torch.stack([gray(c) for c, _ in pairs])[:, None]
    prev = torch.stack([gray(p) for _, p in pairs])[:, None]
    flow = dense_flow(cur, prev)
    assert flow.shape == (2, 2, 96, 128)
    assert torch.allclose(flow[:, :, 12:-12, 12:-12].mean((2, 3)), torch.tensor([[2.0, 1.0], [-1.0, 3.0]]), atol=0.1)
    before = (prev - cur)[..., 12:-12, 12:-12].abs().mean()
    after = (warp(prev, flow) - cur)[..., 12:-12, 12:-12].abs().mean()
    assert after < 0.1 * before


def test_cpu_box_filter_matches_avg_pool():
    x = torch.rand(2, 5, 23, 31) * 1000
    for size in (3, 9):
        ref = F.avg_pool2d(x, size, stride=1, padding=size // 2, count_include_pad=False)
        assert torch.allclose(torch_flow._box(x, size), ref, rtol=1e-4, atol=1e-2)


def test_warping_error_close_to_the_cpu_stabilizer():
    frames = panning_clip()
    styled = shimmer(frames)
    off = warping_error(frames, styled)
    cpu = Stabilizer("flow", 0.6)
    dev = DeviceStabilizer("flow", 0.6, device="cpu")
    on_cpu = warping_error(frames, cpu.stabilize_painted(frames, styled))
    on_dev = warping_error(frames, dev.stabilize_painted(frames, styled))
    assert on_dev < 0.6 * off, (on_dev, off)
    assert on_dev < 1.1 * on_cpu, (on_dev, on_cpu)
    # The same per-frame weights (the texture each keeps), within the flows' differences.
    assert np.allclose(dev.weights, cpu.weights, atol=0.05), (dev.weights, cpu.weights)


def test_numpy_in_numpy_out_and_tensor_in_tensor_out():
    frames = panning_clip(3)
    styled = shimmer(frames)
    s = DeviceStabilizer(device="cpu")
    assert s.strength == DEFAULT_STRENGTH and s.mode == "flow"
    outs = s.stabilize_painted(frames, styled)
    assert all(isinstance(o, np.ndarray) and o.dtype == np.uint8 and o.shape == frames[0].shape for o in outs)
    t = DeviceStabilizer(device="cpu")
    touts = t.stabilize_painted([torch.from_numpy(f) for f in frames], [torch.from_numpy(o) for o in styled])
    assert all(isinstance(o, torch.Tensor) and o.dtype == torch.uint8 and o.shape == (96, 128, 3) for o in touts)
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(outs, touts))


def test_flow_at_lower_resolution_than_the_frame():
    big = [cv2.resize(f, (256, 192), interpolation=cv2.INTER_LINEAR) for f in panning_clip(4)]
    styled = shimmer(big)
    cpu, dev = Stabilizer("flow", flow_width=128), DeviceStabilizer("flow", flow_width=128, device="cpu")
    a, b = cpu.stabilize_painted(big, styled)[-1], dev.stabilize_painted(big, styled)[-1]
    assert b.shape == big[0].shape
    assert np.abs(a.astype(np.int16) - b).mean() < 3.0


def test_scene_cut_resets_and_off_is_identity():
    frames = panning_clip(4)
    s = DeviceStabilizer("flow", 0.9, device="cpu")
    s.stabilize_painted(frames[:1], frames[:1])
    black = np.zeros_like(frames[0])
    out = s.stabilize_painted([black], [black])[0]
    assert s.cuts == 1 and np.array_equal(out, black)
    s.reset()
    assert s.cuts == 0
    off = DeviceStabilizer("off", device="cpu")
    assert off.stabilize_painted([frames[1]], [frames[2]])[0] is frames[2]
    styled = torch.from_numpy(frames[2])
    assert off.stabilize_painted([torch.from_numpy(frames[1])], [styled])[0] is styled


def test_blend_mode_averages():
    a = torch.full((32, 32, 3), 100, dtype=torch.uint8)
    b = torch.full((32, 32, 3), 110, dtype=torch.uint8)
    s = DeviceStabilizer("blend", 0.5, device="cpu")
    assert abs(int(s.stabilize_painted([a, a], [a, b])[1][0, 0, 0]) - 105) <= 1


def test_rejects_unknown_mode():
    with pytest.raises(ValueError):
        DeviceStabilizer("median")


def test_prefilter_steadies_the_network_input_as_the_cpu_one_does():
    frames = panning_clip(8)
    noisy = shimmer(frames, 10)  # camera noise over a pan
    cpu, dev = Stabilizer("flow"), DeviceStabilizer("flow", device="cpu")
    on_cpu = [cpu.prepare(f)[0] for f in noisy]
    on_dev = [dev.prepare(f)[0] for f in noisy]
    assert on_dev[0] is noisy[0]  # nothing to blend with yet: handed on as it came
    assert all(isinstance(x, np.ndarray) and x.dtype == np.uint8 for x in on_dev)
    assert warping_error(frames, on_dev) < 0.6 * warping_error(frames, noisy)
    assert warping_error(frames, on_dev) < 1.1 * warping_error(frames, on_cpu)
    # Without it the input passes through.
    off = DeviceStabilizer("flow", prefilter=0.0, device="cpu")
    assert all(off.prepare(f)[0] is f for f in noisy)


def test_a_tensor_frame_is_prepared_where_it_is():
    frames = [torch.from_numpy(f) for f in panning_clip(3)]
    s = DeviceStabilizer(device="cpu")
    prepared = [s.prepare(f) for f in frames]
    assert all(isinstance(x, torch.Tensor) and x.shape == (96, 128, 3) and x.dtype == torch.uint8
               for x, _ in prepared)
    _, motion = prepared[-1]
    assert motion.flow.shape == (1, 2, 96, 128) and motion.trust.shape == (1, 1, 96, 128)
    out = s.blend(frames[-1], motion)
    assert isinstance(out, torch.Tensor) and out.shape == (96, 128, 3)


def test_reset_output_keeps_the_input_side():
    frames = panning_clip(3)
    s = DeviceStabilizer(device="cpu")
    s.stabilize_painted(frames[:2], frames[:2])
    s.reset_output()
    x, motion = s.prepare(frames[2])
    assert motion is not None and x is not frames[2]  # flow and pre-filter go on
    assert s.blend(frames[2], motion) is frames[2]  # nothing to blend with after the reset


def test_dis_flow_on_the_device_matches_the_cpu_stabilizer():
    # The same flow as stabilize.Stabilizer, the warps and blends in torch: the same outputs
    # but for the grey frames' rounding (area resize before or after the grey conversion).
    frames = panning_clip(6)
    styled = shimmer(frames)
    cpu, dev = Stabilizer("flow"), DeviceStabilizer("flow", device="cpu", flow="dis")
    a, b = cpu.stabilize_painted(frames, styled), dev.stabilize_painted(frames, styled)
    assert all(np.abs(x.astype(np.int16) - y).mean() < 1.0 for x, y in zip(a, b))
    assert np.allclose(dev.weights, cpu.weights, atol=0.02)
    c, d = Stabilizer("flow"), DeviceStabilizer("flow", device="cpu", flow="dis")
    inputs_cpu, inputs_dev = [c.prepare(f)[0] for f in frames], [d.prepare(f)[0] for f in frames]
    assert not np.array_equal(inputs_cpu[-1], frames[-1])  # pre-filtered
    assert all(np.abs(x.astype(np.int16) - y).mean() < 1.0 for x, y in zip(inputs_cpu, inputs_dev))
    with pytest.raises(ValueError):
        DeviceStabilizer(flow="farneback")


def test_resize_to_width_is_opencv_area():
    frame = texture(96, 854 // 4 * 4 + 2)  # 856 -> 640: not a whole ratio
    ref = cv2.resize(frame, (640, 72), interpolation=cv2.INTER_AREA).astype(np.float32)
    x = torch.from_numpy(frame).permute(2, 0, 1).unsqueeze(0).float()
    got = torch_flow.resize_to_width(x, 640)[0].permute(1, 2, 0).numpy()
    assert got.shape == ref.shape and np.abs(got - ref).max() <= 1.0  # OpenCV rounds to uint8
    assert torch_flow.resize_to_width(x, 1000) is x  # never upsampled
