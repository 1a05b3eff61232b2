"""The disk cache for exported graphs and compiled kernels (render/engine_cache.py)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from livestyle.nets.networks import build_network, default_config
from livestyle.render import engine_cache, engines


def _net(seed=0):
    torch.manual_seed(seed)
    net = build_network(default_config("fast"))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net


class CountingExport:
    def __init__(self):
        self.calls = 0

    def __call__(self, net):
        self.calls += 1
        return engines.export_onnx(net)


def test_a_network_is_exported_once_then_read_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv(engine_cache.ENV, str(tmp_path))
    export = CountingExport()
    first = engine_cache.cached_onnx(_net(), engines.ONNX_OPSET, export)
    again = engine_cache.cached_onnx(_net(), engines.ONNX_OPSET, export)
    assert export.calls == 1 and first == again
    assert len(list((tmp_path / "onnx").glob("*.onnx"))) == 1
    # other weights are another graph
    engine_cache.cached_onnx(_net(seed=1), engines.ONNX_OPSET, export)
    assert export.calls == 2


def test_the_key_follows_weights_and_opset():
    a, b = _net(), _net()
    assert engine_cache.network_key(a, 17) == engine_cache.network_key(b, 17)
    assert engine_cache.network_key(a, 17) != engine_cache.network_key(a, 18)
    with torch.no_grad():
        next(b.parameters()).view(-1)[0] += 1e-3
    assert engine_cache.network_key(a, 17) != engine_cache.network_key(b, 17)


@pytest.mark.parametrize("setting", ["off", ""])
def test_switched_off_it_writes_nothing(tmp_path, monkeypatch, setting):
    monkeypatch.setenv(engine_cache.ENV, setting)
    monkeypatch.chdir(tmp_path)
    assert engine_cache.cache_dir() is None and engine_cache.openvino_dir() is None
    export = CountingExport()
    engine_cache.cached_onnx(_net(), engines.ONNX_OPSET, export)
    engine_cache.cached_onnx(_net(), engines.ONNX_OPSET, export)
    assert export.calls == 2 and not any(tmp_path.iterdir())


def test_an_unwritable_folder_only_means_exporting(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(engine_cache.ENV, str(blocked / "cache"))
    assert engine_cache.cache_dir() is None
    assert engine_cache.cached_onnx(_net(), engines.ONNX_OPSET, engines.export_onnx)


def test_the_engine_survives_a_damaged_cached_graph(tmp_path, monkeypatch):
    pytest.importorskip("openvino")
    monkeypatch.setenv(engine_cache.ENV, str(tmp_path))
    net = _net()
    x = np.random.default_rng(0).random((1, 32, 48, 3), dtype=np.float32)
    want = engines.OpenVINOEngine(net, precision="f32")(x)
    (path,) = (tmp_path / "onnx").glob("*.onnx")
    path.write_bytes(b"not an onnx graph")
    assert np.array_equal(engines.OpenVINOEngine(net, precision="f32")(x), want)
    assert path.read_bytes().startswith(b"\x08")  # written again (ONNX: ir_version first)
    (blobs,) = (tmp_path / "openvino").iterdir()  # OpenVINO keeps its compiled kernels there,
    assert list(blobs.iterdir())  # in a folder for this CPU's instruction set


def test_prune_drops_the_least_recently_used_first(tmp_path):
    for i, name in enumerate(["old", "mid", "new"]):
        p = tmp_path / name
        p.write_bytes(b"x" * 100)
        os.utime(p, (1000 + i, 1000 + i))
    engine_cache.prune(tmp_path, max_bytes=200)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mid", "new"]
