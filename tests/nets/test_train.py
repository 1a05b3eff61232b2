"""Warm starts in livestyle.nets.train: a deeper network picks up exactly where the source left off."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from livestyle.nets.model_io import load_network, save_network
from livestyle.nets.networks import FastStyleNet, NetworkConfig
from livestyle.nets.train import TrainConfig, TrainError, _initial_network


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


def _tiny_data(tmp_path):
    import numpy as np

    from livestyle.io.images import write_rgb

    rng = np.random.default_rng(0)
    (tmp_path / "photos").mkdir()
    for i in range(3):
        write_rgb(tmp_path / "photos" / f"p{i}.png", (rng.random((40, 56, 3)) * 255).astype(np.uint8))
    yy, xx = np.mgrid[0:80, 0:80]
    write_rgb(tmp_path / "paint.png", np.stack([xx * 3, yy * 3, (xx + yy) % 255], -1).astype(np.uint8))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_two_steps_through_the_device_generic_loop(tmp_path, precision):
    """The loop the GPU runs (photos on the device, autocast, float32 losses, SWD, palette and
    comb terms, CPU checkpoints), on the CPU."""
    import json

    from livestyle.nets.train import train

    _tiny_data(tmp_path)
    cfg = TrainConfig(style_image=str(tmp_path / "paint.png"), data=str(tmp_path / "photos"), name="t",
                      out_dir=str(tmp_path / "out"), work_dir=str(tmp_path / "w"), arch="quality", widths=(4, 8, 8),
                      size=32, style_size=64, batch=2, steps=2, device="cpu", precision=precision, swd_weight=1.0,
                      palette_weight=1.0, comb_weight=1.0, checkpoint_every_s=0)
    path = train(cfg, progress=False)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["training"]["precision"] == precision and meta["training"]["steps"] == 2
    losses = meta["training"]["final_losses"]
    assert all(v == v and abs(v) < 1e6 for v in losses.values()) and losses["swd"] > 0 and losses["palette"] > 0
    assert "comb" in losses and meta["training"]["recipe"]["comb_weight"] == 1.0
    ckpt = torch.load(tmp_path / "w" / "checkpoint.pt", weights_only=True)
    assert all(v.device.type == "cpu" for v in ckpt["model"].values())  # resumes on any device


def test_a_warm_started_round_keeps_the_credits_and_lists_every_round(tmp_path):
    import json

    from livestyle.nets.train import train

    _tiny_data(tmp_path)
    base = dict(style_image=str(tmp_path / "paint.png"), data=str(tmp_path / "photos"), name="t", widths=(4, 8, 8),
                arch="quality", size=32, style_size=64, batch=2, steps=2, device="cpu", checkpoint_every_s=0)
    first = train(TrainConfig(**base, out_dir=str(tmp_path / "a"), work_dir=str(tmp_path / "wa"),
                              credits={"title": "Paint", "painter": "P"}), progress=False)
    second = train(TrainConfig(**{**base, "steps": 3}, out_dir=str(tmp_path / "b"), work_dir=str(tmp_path / "wb"),
                               init_from=str(first)), progress=False)
    meta = json.loads(second.with_suffix(".json").read_text())
    assert (meta["title"], meta["painter"]) == ("Paint", "P")
    t = meta["training"]
    assert [s["steps"] for s in t["stages"]] == [2, 3] and t["total_steps"] == 5 and t["steps"] == 3
    assert t["stages"][0]["recipe"]["init_from"] == "" and t["stages"][1]["recipe"]["init_from"] == str(first)
    assert t["stages"][-1]["final_losses"] == t["final_losses"]


def test_lineage_reads_the_older_earlier_rounds_layout(tmp_path):
    import json

    from livestyle.nets.training_run import inherit_lineage

    old = {"title": "Old", "training": {"steps": 7, "wall_seconds": 2.0,
                                        "earlier_rounds": [{"steps": 5, "wall_seconds": 1.0}]}}
    (tmp_path / "m.json").write_text(json.dumps(old))
    head, training = inherit_lineage(str(tmp_path / "m.safetensors"), {"title": "New"},
                                     {"steps": 3, "wall_seconds": 0.5})
    assert head["title"] == "New"  # what the caller gives wins
    assert [s["steps"] for s in training["stages"]] == [5, 7, 3] and training["total_steps"] == 15
    assert training["wall_seconds_total"] == 3.5
    assert inherit_lineage("", {"a": 1}, {"steps": 1}) == ({"a": 1}, {"steps": 1})


def test_a_warm_start_from_another_painting_keeps_no_credits(tmp_path):
    from livestyle.nets.training_run import inherit_lineage

    base = {"title": "The Starry Night", "credits": "The Starry Night, ...", "training": {
        "steps": 7, "recipe": {"style_image": "starry.jpg"}}}
    (tmp_path / "m.json").write_text(json.dumps(base))
    head, training = inherit_lineage(str(tmp_path / "m.safetensors"), {"title": "Water Lilies"},
                                     {"steps": 3, "recipe": {"style_image": "lilies.jpg"}})
    assert head == {"title": "Water Lilies"}  # no stale credits line from starry
    assert [s["steps"] for s in training["stages"]] == [7, 3]  # the lineage still lists starry's rounds
    head, _ = inherit_lineage(str(tmp_path / "m.safetensors"), {}, {"steps": 3, "recipe": {"style_image": "starry.jpg"}})
    assert head["credits"] == "The Starry Night, ..."


def test_a_shipped_mean_keeps_its_note_through_later_rounds(tmp_path):
    """scripts/average_models.py --json notes the mean in OUT.json; a round warm-started from
    it lists its stages and carries the note (and any earlier one) in `earlier_averages`."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from livestyle.nets.train import train

    _tiny_data(tmp_path)
    base = dict(style_image=str(tmp_path / "paint.png"), data=str(tmp_path / "photos"), name="t", widths=(4, 8, 8),
                arch="quality", size=32, style_size=64, batch=2, steps=2, device="cpu", checkpoint_every_s=0)
    a = train(TrainConfig(**base, out_dir=str(tmp_path / "a"), work_dir=str(tmp_path / "wa")), progress=False)
    b = train(TrainConfig(**base, out_dir=str(tmp_path / "b"), work_dir=str(tmp_path / "wb"), init_from=str(a)),
              progress=False)
    mean = tmp_path / "m" / "t.safetensors"
    mean.parent.mkdir()
    script = Path(__file__).parents[2] / "scripts" / "average_models.py"
    for note in ("first", "second"):  # the second mean is of the first and b again
        subprocess.run([sys.executable, str(script), str(a), str(b), str(mean), "--alpha", "0.4", "--json",
                        "--with", "its parent", "--why", note], check=True)
        b = mean.with_name("b.safetensors")
        b.write_bytes(mean.read_bytes())
        b.with_suffix(".json").write_text(mean.with_suffix(".json").read_text())
    t = json.loads(mean.with_suffix(".json").read_text())["training"]
    assert t["averaged"] == {"with": "its parent", "weight_of_this_round": 0.4, "why": "second"}
    assert [n["why"] for n in t["earlier_averages"]] == ["first"]
    c = train(TrainConfig(**base, out_dir=str(tmp_path / "c"), work_dir=str(tmp_path / "wc"), init_from=str(mean)),
              progress=False)
    t = json.loads(c.with_suffix(".json").read_text())["training"]
    assert "averaged" not in t and [n["why"] for n in t["earlier_averages"]] == ["first", "second"]
    assert [s["steps"] for s in t["stages"]] == [2, 2, 2]
    assert not any(k in s for s in t["stages"] for k in ("averaged", "earlier_averages"))


def test_a_fine_tuned_v3_network_is_still_marked_v3(tmp_path):
    """scripts/train_pack.py tells a v3 fast file from an older one by its json's `design`."""
    import json

    from livestyle.nets.networks import build_network
    from livestyle.nets.train import train

    _tiny_data(tmp_path)
    torch.manual_seed(0)
    save_network(build_network(NetworkConfig(arch="fast", widths=(4, 8, 8), res_blocks=1, design="v3")),
                 tmp_path / "v3.safetensors")
    path = train(TrainConfig(style_image=str(tmp_path / "paint.png"), data=str(tmp_path / "photos"), name="t",
                             out_dir=str(tmp_path / "out"), work_dir=str(tmp_path / "w"), size=32, style_size=64,
                             batch=2, steps=1, device="cpu", checkpoint_every_s=0,
                             init_from=str(tmp_path / "v3.safetensors")), progress=False)
    assert json.loads(path.with_suffix(".json").read_text())["design"] == "v3"
    assert load_network(path).config.design == "v3"


def test_credit_line_from_the_parts_given():
    from livestyle.nets.training_run import credit_line
    assert credit_line("Sines", "Test", "2026") == "Sines, Test (2026)."
    assert credit_line("Sines", "", "2026") == "Sines (2026)."
    assert credit_line("", "Test", "") == "Test."
    assert credit_line("", "", "") == ""
    # train_pack's line for the shipped pack
    assert (credit_line("Water Lilies", "Claude Monet", "1919", "public domain. Painting file: monet_waterlilies.jpg")
            == json.loads((Path(__file__).parents[2] / "models" / "waterlilies.json").read_text())["credits"])


def test_credits_head_keeps_the_parts_given_and_a_line():
    from livestyle.nets.training_run import credits_head
    assert credits_head("Sines", "", "2026") == {"title": "Sines", "year": "2026", "credits": "Sines (2026)."}
    assert credits_head("Sines", "Test", "", credits="Given.") == {"title": "Sines", "painter": "Test",
                                                                  "credits": "Given."}
    assert credits_head("", "", "") == {}
