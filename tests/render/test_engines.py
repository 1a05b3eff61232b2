"""CPU inference engines: OpenVINO against the torch reference, ONNX export."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from livestyle.render import engines
from livestyle.nets.networks import FastStyleNet, JohnsonNet, NetworkConfig, build_network, default_config
from livestyle.render.stylize import Stylizer


def _frame(h=72, w=100, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def _nets():
    """Networks with trained-looking weights. (Fresh ones keep every norm at scale 1 and
    bias 0, which trips a constant-folding bug in torch's TorchScript ONNX exporter.)"""
    torch.manual_seed(0)
    nets = {"fast": build_network(default_config("fast")), "fast-v2": FastStyleNet(),
            "quality": JohnsonNet(NetworkConfig(arch="quality", widths=(8, 16, 16), res_blocks=2))}
    with torch.no_grad():
        for net in nets.values():
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.05)
    return nets


@pytest.mark.parametrize("arch", ["fast", "fast-v2", "quality"])
def test_openvino_matches_torch(arch):
    pytest.importorskip("openvino")
    net = _nets()[arch]
    ref = Stylizer(net, engine="torch")
    ov = Stylizer(net, engine="openvino")
    assert (ref.engine, ov.engine) == ("torch", "openvino")
    frame = _frame()
    a, b = ref(frame).astype(int), ov(frame).astype(int)
    assert a.shape == b.shape == frame.shape
    # f32 for the v2 fast design: the same to rounding; bf16 for the v3 fast design and quality
    # (engines.default_precision): within a few levels on average.
    if arch == "fast-v2":
        assert np.abs(a - b).max() <= 1
    else:
        assert np.abs(a - b).mean() < 3 and np.abs(a - b).max() <= 24
    # exact in f32 whatever the tier
    exact = engines.OpenVINOEngine(net, precision="f32")
    x = np.random.default_rng(1).random((1, 48, 64, 3), dtype=np.float32)
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    assert np.abs(exact(x) - want).max() < 1e-3


def test_openvino_serves_two_threads_and_two_sizes():
    pytest.importorskip("openvino")
    import threading

    st = Stylizer(_nets()["fast"], engine="openvino")
    results = {}

    def work(i):
        results[i] = st(_frame(48 + 8 * i, 64, seed=i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0].shape == (48, 64, 3) and results[1].shape == (56, 64, 3)


def test_missing_openvino_falls_back_to_torch_with_one_warning(monkeypatch, capsys):
    monkeypatch.setattr(engines, "openvino_available", lambda: False)
    monkeypatch.setattr(engines, "_warned", set())
    assert engines.pick_engine("auto", torch.device("cpu")) == "torch"
    assert engines.pick_engine("openvino", torch.device("cpu")) == "torch"
    err = capsys.readouterr().err
    assert err.count("warning: OpenVINO is not installed") == 1
    assert engines.pick_engine("auto", torch.device("cuda")) == "torch"  # GPUs run torch


@pytest.mark.parametrize("arch", ["fast", "fast-v2", "quality"])
def test_onnx_export_runs_in_onnxruntime_at_any_size(arch):
    ort = pytest.importorskip("onnxruntime")
    net = _nets()[arch].eval()
    session = ort.InferenceSession(engines.export_onnx(net), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["rgb"]
    for h, w in ((64, 96), (120, 80)):
        x = torch.rand(1, 3, h, w)
        with torch.no_grad():
            want = net(x).numpy()
        got = session.run(None, {"rgb": x.numpy()})[0]
        assert got.shape == (1, 3, h, w) and np.abs(got - want).max() < 1e-4


def test_exports_from_two_threads_at_once_both_succeed():
    """The cam preloads styles on one thread while a network worker loads a newly
    picked tier on another: torch's exporter keeps global state, so exports queue."""
    import threading

    nets = _nets()
    results, errors = {}, []
    start = threading.Barrier(len(nets))

    def work(arch):
        try:
            start.wait()
            for _ in range(3):
                results[arch] = engines.export_onnx(nets[arch])
        except Exception as e:  # noqa: BLE001 - collected for the assert
            errors.append(e)

    threads = [threading.Thread(target=work, args=(arch,)) for arch in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and all(results[a] for a in nets)
