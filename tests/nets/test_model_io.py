from __future__ import annotations

import json

import pytest
import torch

from livestyle.nets.model_io import ModelFileError, load_network, read_config, save_network
from livestyle.nets.networks import FastStyleNet, NetworkConfig


def test_roundtrip_fp16_without_pickle(tmp_path):
    net = FastStyleNet(NetworkConfig(widths=(8, 16), res_blocks=1)).eval()
    save_network(net, tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    assert not raw.startswith(b"\x80")  # not a pickle stream
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert json.loads(header["__metadata__"]["config"])["widths"] == [8, 16]
    loaded = load_network(tmp_path / "m.safetensors")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(loaded(x), net(x), atol=2e-2)
    assert read_config(tmp_path / "m.safetensors").res_blocks == 1


def test_truncated_file(tmp_path):
    save_network(FastStyleNet(), tmp_path / "m.safetensors")
    data = (tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_network(tmp_path / "cut.safetensors")


def test_file_without_config(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(ModelFileError, match="no livestyle network config"):
        load_network(tmp_path / "x.safetensors")
