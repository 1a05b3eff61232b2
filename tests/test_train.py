"""Warm starts in livestyle.train: a deeper network picks up exactly where the source left off."""
from __future__ import annotations

import pytest
import torch

from livestyle.model_io import load_network, save_network
from livestyle.networks import FastStyleNet, NetworkConfig
from livestyle.train import TrainConfig, TrainError, _initial_network


def _source(tmp_path, blocks=2):
    torch.manual_seed(0)
    net = FastStyleNet(NetworkConfig(res_blocks=blocks))
    with torch.no_grad():  # non-trivial norms, so an added block that was not the identity would show
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    path = tmp_path / "src.safetensors"
    save_network(net, path)
    return path


def _cfg(path, **kw):
    return TrainConfig(style_image="unused", data="unused", name="t", init_from=str(path), **kw)


def test_added_residual_blocks_start_as_identity(tmp_path):
    path = _source(tmp_path)
    src = load_network(path).eval()  # as stored (fp16 weights)
    net = _initial_network(_cfg(path, res_blocks=4)).eval()
    assert net.config.res_blocks == 4 and len(net.res) == 4
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.allclose(net(x), src(x), atol=1e-6)
    # ...and the added blocks can learn: their convs and norms are trainable parameters.
    assert all(p.requires_grad for p in net.res[3].parameters())


def test_warm_start_keeps_the_source_depth_by_default(tmp_path):
    path = _source(tmp_path, blocks=3)
    assert _initial_network(_cfg(path)).config.res_blocks == 3


def test_warm_start_cannot_drop_blocks_or_change_architecture(tmp_path):
    path = _source(tmp_path, blocks=3)
    with pytest.raises(TrainError, match="fewer"):
        _initial_network(_cfg(path, res_blocks=2))
    with pytest.raises(TrainError, match="not 'quality'"):
        _initial_network(_cfg(path, arch="quality"))


def test_fresh_network_takes_the_requested_depth():
    net = _initial_network(TrainConfig(style_image="x", data="x", name="t", res_blocks=3))
    assert len(net.res) == 3
