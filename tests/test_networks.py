from __future__ import annotations

import io

import pytest
import torch

from livestyle.networks import FastStyleNet, JohnsonNet, NetworkConfig, build_network, default_config, macs_per_pixel


@pytest.mark.parametrize("arch", ["fast", "quality"])
def test_shapes_range_and_training_mode(arch):
    net = build_network(default_config(arch))
    x = torch.rand(2, 3, 64, 96)
    net.train()
    assert net(x).shape == x.shape
    net.eval()
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1


def test_fast_is_much_cheaper_than_quality():
    fast, quality = macs_per_pixel(FastStyleNet()), macs_per_pixel(JohnsonNet())
    assert fast < 5000 < 100000 < quality  # ~3.7k vs ~154k MACs per output pixel


def test_fast_file_is_small():
    params = sum(p.numel() for p in FastStyleNet().parameters())
    assert params * 2 < 2 * 1024 * 1024  # fp16 on disk, under 2 MB


@pytest.mark.parametrize("arch", ["fast", "quality"])
def test_onnx_export(arch):
    pytest.importorskip("onnx")
    net = build_network(default_config(arch)).eval()
    buf = io.BytesIO()
    torch.onnx.export(net, torch.rand(1, 3, 64, 64), buf, input_names=["x"], output_names=["y"], dynamo=False)
    assert len(buf.getvalue()) > 10000


def test_config_roundtrip():
    c = NetworkConfig(arch="fast", widths=(16, 32), res_blocks=1)
    assert NetworkConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="unknown architecture"):
        build_network(NetworkConfig(arch="nope"))


def test_separable_upsample_matches_interpolate():
    import torch.nn.functional as F

    from livestyle.networks import _up2_separable

    for shape in [(1, 3, 7, 9), (2, 3, 24, 32), (1, 2, 1, 5)]:
        x = torch.randn(shape)
        ref = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        assert torch.allclose(_up2_separable(x), ref, atol=1e-5)
        xc = x.contiguous(memory_format=torch.channels_last)
        assert torch.allclose(_up2_separable(xc), ref, atol=1e-5)
