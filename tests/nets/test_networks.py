from __future__ import annotations

import io

import pytest
import torch

from livestyle.nets.networks import JOHNSON_FULL_WIDTHS, FastStyleNet, JohnsonNet, NetworkConfig, build_network, default_config, macs_per_pixel


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
    full = macs_per_pixel(JohnsonNet(NetworkConfig(arch="quality", widths=JOHNSON_FULL_WIDTHS, res_blocks=5)))
    assert fast < 2500 < 30000 < quality < 60000 < 100000 < full  # ~2.1k, ~42k (half width), ~168k


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


def test_files_written_before_the_new_options_rebuild_the_first_design():
    legacy = NetworkConfig.from_dict({"arch": "fast", "widths": [32, 64], "res_blocks": 2})
    assert (legacy.mid, legacy.padding) == ("full", "zeros")
    net = build_network(legacy)
    assert isinstance(net.mid, torch.nn.Conv2d) and net.needs_border
    assert round(macs_per_pixel(net, 64, 64)) == 3655


# The design new fast networks get (v3) and the v2 design older files still load as.
FAST_DESIGNS = pytest.mark.parametrize("config", [default_config("fast"), NetworkConfig(arch="fast")], ids=["v3", "v2"])


@FAST_DESIGNS
def test_fast_designs_need_no_border_and_v2_rejects_unknown_options(config):
    net = build_network(config)
    assert not net.needs_border and not JohnsonNet().needs_border
    with pytest.raises(ValueError, match="unknown fast-network options"):
        FastStyleNet(NetworkConfig(mid="huge"))


@FAST_DESIGNS
def test_reflect_design_pads_every_spatial_conv_by_reflection(config):
    net = build_network(config)
    spatial = {n: m for n, m in net.named_modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1)}
    assert spatial and all(m.padding_mode == "reflect" for m in spatial.values())


@FAST_DESIGNS
def test_flat_frame_stays_flat_to_the_edges(config):
    # Nothing in either design can tell where the frame ends, so it cannot
    # paint stripes along the edges; a zero-padded stem could.
    torch.manual_seed(0)
    flat = torch.full((1, 3, 48, 64), 0.4)
    out = build_network(config).eval()(flat)
    assert (out - out[..., 24:25, 32:33]).abs().max() < 1e-5
    zero_stem = build_network(NetworkConfig(stem_padding="zeros")).eval()(flat)
    assert (zero_stem - zero_stem[..., 24:25, 32:33]).abs().max() > 1e-3


def test_files_with_a_zero_padded_stem_get_a_border():
    v2 = NetworkConfig.from_dict({"arch": "fast", "widths": [32, 48], "mid": "separable", "padding": "reflect"})
    assert v2.stem_padding == "zeros" and build_network(v2).needs_border


def test_separable_upsample_matches_interpolate():
    import torch.nn.functional as F

    from livestyle.nets.networks import _up2_separable

    for shape in [(1, 3, 7, 9), (2, 3, 24, 32), (1, 2, 1, 5)]:
        x = torch.randn(shape)
        ref = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        assert torch.allclose(_up2_separable(x), ref, atol=1e-5)
        xc = x.contiguous(memory_format=torch.channels_last)
        assert torch.allclose(_up2_separable(xc), ref, atol=1e-5)


def test_v3_fast_design():
    from livestyle.nets.live_net import LiveStyleNet
    from livestyle.nets.networks import V3_CONFIG

    net = build_network(V3_CONFIG)
    assert isinstance(net, LiveStyleNet) and not net.needs_border
    assert NetworkConfig.from_dict(V3_CONFIG.to_dict()) == V3_CONFIG
    assert 4000 < macs_per_pixel(net, 64, 64) < 7000
    y = net.eval()(torch.rand(1, 3, 40, 64))
    assert y.shape == (1, 3, 40, 64) and 0 <= float(y.min()) and float(y.max()) <= 1
    # no bilinear path: every upsampling is nearest + a learned convolution
    assert not any(isinstance(m, torch.nn.Upsample) for m in net.modules())
    with pytest.raises(ValueError, match="design"):
        build_network(NetworkConfig(arch="fast", design="v9"))
