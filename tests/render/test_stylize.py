"""Stylizer: padding, cropping, work height and blending around a real network."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import identity_net, random_net
from livestyle.nets.networks import FastStyleNet, NetworkConfig, build_network, default_config
from livestyle.render.stabilize import Stabilizer
from livestyle.render.stylize import Stylizer


def gradient(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x + y) % 256], -1).astype(np.uint8)


def test_odd_sizes_come_back_the_same_size():
    st = Stylizer(random_net(0))
    for h, w in ((37, 53), (240, 321), (8, 8)):
        assert st(gradient(h, w)).shape == (h, w, 3)


def test_default_network_needs_no_border_and_keeps_sizes():
    st = Stylizer(build_network(default_config("fast")))
    assert st.border == 0
    assert st(gradient(101, 203)).shape == (101, 203, 3)


def test_work_height_runs_small_and_returns_full_size():
    st = Stylizer(identity_net())
    frame = gradient(720, 1280)
    st.work_height = 360
    out = st(frame, Stabilizer())
    assert out.shape == frame.shape
    # The identity network through a 2x down/up scale stays close to the smooth input.
    assert np.abs(out.astype(int) - frame.astype(int))[8:-8, 8:-8].mean() < 4


def test_strength_zero_returns_the_input():
    st = Stylizer(random_net(1))
    st.strength = 0.0
    frame = gradient(48, 64)
    assert np.array_equal(st(frame), frame)


def test_legacy_network_gets_a_border():
    legacy = FastStyleNet(NetworkConfig.from_dict({"arch": "fast", "widths": [8, 16], "res_blocks": 1}))
    assert Stylizer(legacy).border > 0


def test_a_tensor_frame_gets_the_same_output_as_numpy():
    # What a device stabilizer hands the network: its pre-filtered frame as a tensor.
    st = Stylizer(random_net(0), engine="torch")
    for h, w in ((37, 53), (8, 8)):  # reflected and (too small to reflect) replicated borders
        f = gradient(h, w)
        assert np.array_equal(st.network_rgb(torch.from_numpy(f)), st.network_rgb(f))


def test_a_device_stabilizer_takes_the_output_as_a_tensor_and_the_caller_gets_numpy():
    import torch

    from livestyle.render.device_stabilizer import DeviceStabilizer

    st = Stylizer(identity_net(), engine="torch")
    frames = [gradient(48, 64), np.roll(gradient(48, 64), 2, axis=1)]
    stab, ref = DeviceStabilizer(device="cpu"), Stabilizer("blend", 0.5)
    for f in frames:
        out, motion = st.run_network(st.prepare(f, stab), on_device=True)
        assert isinstance(out, np.ndarray)  # a CPU stylizer hands back numpy whatever is asked
        # What a GPU stylizer hands over: the output as a uint8 tensor on its device.
        got = st.finish(f, (torch.from_numpy(out), motion), stab)
        assert isinstance(got, np.ndarray) and got.shape == f.shape
        # A numpy-only stabilizer gets the tensor downloaded first.
        _, ref_motion = st.prepare(f, ref)
        assert isinstance(st.finish(f, (torch.from_numpy(out), ref_motion), ref), np.ndarray)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_output_stays_on_the_gpu_until_stabilized():
    from livestyle.render.stabilize import make_stabilizer

    st = Stylizer(identity_net(), "cuda", engine="torch")
    stab = make_stabilizer("flow", 0.5, st.device)
    assert stab.takes_tensors
    f = gradient(96, 128)
    out, _ = st.run_network(st.prepare(f), on_device=True)
    assert isinstance(out, torch.Tensor) and out.device.type == "cuda"
    for _ in range(2):
        got = st(f, stab)
        assert isinstance(got, np.ndarray) and got.shape == f.shape


def test_a_tensor_frame_reaches_the_openvino_engine_as_numpy():
    st = Stylizer(random_net(0))  # the default engine on a CPU
    f = gradient(37, 53)
    assert np.array_equal(st.network_rgb(torch.from_numpy(f)), st.network_rgb(f))
