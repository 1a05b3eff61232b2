"""Distillation: a v3 student learns from a quality teacher's paintings."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from livestyle.io.images import write_rgb
from livestyle.nets.distill import DistillConfig, distill, gradient_l1, teacher_set
from livestyle.nets.model_io import load_network, read_config, save_network
from livestyle.nets.networks import JohnsonNet, NetworkConfig
from livestyle.nets.train import TrainingPaused


@pytest.fixture()
def setup(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "photos").mkdir()
    for i in range(4):
        write_rgb(tmp_path / "photos" / f"p{i}.png", (rng.random((48, 64, 3)) * 255).astype(np.uint8))
    torch.manual_seed(0)
    teacher = JohnsonNet(NetworkConfig(arch="quality", widths=(4, 8, 8), res_blocks=1))
    save_network(teacher, tmp_path / "teacher.safetensors")
    (tmp_path / "teacher.json").write_text(json.dumps({"title": "T", "painter": "P", "year": "2026"}))
    return tmp_path


def _cfg(tmp_path, **kw):
    base = dict(teacher=str(tmp_path / "teacher.safetensors"), data=str(tmp_path / "photos"), name="s",
                out_dir=str(tmp_path / "out"), work_dir=str(tmp_path / "work"), crops=12, size=32, steps=6,
                batch=4, widths=(4, 8, 8), res_blocks=1, device="cpu", checkpoint_every_s=0)
    base.update(kw)
    return DistillConfig(**base)


def test_distill_writes_a_v3_fast_model_with_the_teachers_credits(setup):
    path = distill(_cfg(setup), progress=False)
    config = read_config(path)
    assert (config.arch, config.design) == ("fast", "v3")
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["title"] == "T" and meta["tier"] == "fast" and meta["training"]["method"] == "distillation"
    assert meta["training"]["steps"] == 6 and meta["training"]["teacher"] == "teacher.safetensors"
    digest = hashlib.sha256((setup / "teacher.safetensors").read_bytes()).hexdigest()
    assert meta["training"]["teacher_sha256"] == digest
    out = load_network(path)(torch.rand(1, 3, 40, 56))
    assert out.shape == (1, 3, 40, 56)


def test_a_new_teacher_in_the_same_work_folder_paints_its_own_crops(setup):
    """The cached teacher paintings are named by the teacher's digest: a later round with a
    newer teacher (same style, same work folder) trains on that teacher, not the old one's."""
    cfg = _cfg(setup, steps=1)
    distill(cfg, progress=False)
    torch.manual_seed(1)
    newer = JohnsonNet(NetworkConfig(arch="quality", widths=(4, 8, 8), res_blocks=1))
    save_network(newer, setup / "newer.safetensors")
    (setup / "newer.json").write_text((setup / "teacher.json").read_text())
    distill(_cfg(setup, steps=1, teacher=str(setup / "newer.safetensors")), progress=False)
    assert len(list((setup / "work").glob("teacher-*.safetensors"))) == 2
    digest = hashlib.sha256((setup / "newer.safetensors").read_bytes()).hexdigest()
    crops, painted = teacher_set(cfg, None, digest, torch.device("cpu"), False)  # read from its cache
    x, painted = crops[:4].float() / 255, painted[:4].float() / 255
    with torch.inference_mode():  # the cache was painted in bf16 here, so compare distances
        to_newer = (painted - load_network(setup / "newer.safetensors")(x).clamp(0, 1)).abs().mean()
        to_old = (painted - load_network(setup / "teacher.safetensors")(x).clamp(0, 1)).abs().mean()
    assert to_newer < 0.25 * to_old


def test_paused_then_resumed_equals_uninterrupted(setup):
    with pytest.raises(TrainingPaused):
        distill(_cfg(setup), progress=False, stop_after=3)
    cache = list((setup / "work").glob("teacher-*.safetensors"))
    assert len(cache) == 1  # the teacher painted the crops once; the resumed run reads them
    a = load_network(distill(_cfg(setup), resume=True, progress=False))
    b = load_network(distill(_cfg(setup, out_dir=str(setup / "ref"), work_dir=str(setup / "w2")), progress=False))
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(va, vb, atol=1e-2), k


def test_content_term_against_the_photo_runs_with_and_without_the_painting(setup):
    """The content term needs no painting; with one it joins the texture terms."""
    write_rgb(setup / "painting.png", (np.random.default_rng(1).random((64, 64, 3)) * 255).astype(np.uint8))
    for kw in ({}, {"style_image": str(setup / "painting.png"), "style_weight": 0.5, "swd_weight": 0.5,
                    "palette_weight": 0.5}):
        out = distill(_cfg(setup, content_weight=2.0, steps=2, out_dir=str(setup / f"out{len(kw)}"),
                           work_dir=str(setup / f"work{len(kw)}"), **kw), progress=False)
        losses = json.loads(out.with_suffix(".json").read_text())["training"]["final_losses"]
        assert losses["content"] > 0
        assert (losses["style"] > 0) == bool(kw) and (losses["palette"] > 0) == bool(kw)


def test_gradient_loss_sees_edges_not_offsets():
    flat = torch.zeros(1, 3, 8, 8)
    assert float(gradient_l1(flat + 0.5, flat)) == 0.0  # a colour shift has the same edges
    edge = flat.clone()
    edge[..., 4:] = 1.0
    assert float(gradient_l1(edge, flat)) > 0


def test_distill_cli_names_a_style_without_a_quality_tier(run_cli, tmp_path):
    (tmp_path / "photos").mkdir()
    r = run_cli("distill", "--teacher", "beta", "--data", tmp_path / "photos", "--name", "x")
    assert r.returncode == 2 and "has no 'quality' tier" in r.stderr


def test_a_quality_student_of_a_fast_teacher(setup):
    """The other direction: a fast network that paints its style best teaches a quality one."""
    from livestyle.nets.networks import build_network

    torch.manual_seed(0)
    save_network(build_network(NetworkConfig(arch="fast")), setup / "fast.safetensors")
    path = distill(_cfg(setup, teacher=str(setup / "fast.safetensors"), arch="quality", steps=2, batch=2),
                   progress=False)
    config = read_config(path)
    assert config.arch == "quality"
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["arch"] == meta["tier"] == "quality" and meta["training"]["teacher"] == "fast.safetensors"
    assert load_network(path)(torch.rand(1, 3, 40, 56)).shape == (1, 3, 40, 56)


def test_distill_cli_puts_a_quality_student_in_the_quality_folder(run_cli, tmp_path, setup):
    r = run_cli("distill", "--teacher", setup / "teacher.safetensors", "--data", setup / "photos", "--name", "q",
                "--arch", "quality", "--crops", "4", "--size", "32", "--steps", "1", "--batch", "2",
                "--work-dir", tmp_path / "w", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "models" / "quality" / "q.safetensors").is_file()
    assert read_config(tmp_path / "models" / "quality" / "q.safetensors").arch == "quality"


def test_init_from_a_network_of_the_other_design_is_refused(setup):
    from livestyle.nets.train import TrainError

    with pytest.raises(TrainError, match="is a quality network, not fast"):
        distill(_cfg(setup, init_from=str(setup / "teacher.safetensors")), progress=False)


def test_palette_term_needs_the_painting(setup):
    from livestyle.nets.train import TrainError

    with pytest.raises(TrainError, match="--palette-weight needs --style-image"):
        distill(_cfg(setup, palette_weight=1.0), progress=False)


def test_texture_terms_need_the_painting(setup):
    from livestyle.nets.train import TrainError

    with pytest.raises(TrainError, match="--style-weight and --swd-weight need --style-image"):
        distill(_cfg(setup, style_weight=0.5), progress=False)


def test_shift_term_is_zero_for_a_shift_equivariant_network_only():
    from livestyle.nets.distill import shift_loss
    from livestyle.nets.live_net import LiveStyleNet

    x = torch.rand(2, 3, 48, 48)
    pointwise = torch.nn.Conv2d(3, 3, 1)  # no stride: moves with its input exactly
    with torch.no_grad():
        assert float(shift_loss(pointwise, x, pointwise(x), torch.Generator().manual_seed(0), False)) < 1e-10
        torch.manual_seed(0)
        v3 = LiveStyleNet().eval()
        assert float(shift_loss(v3, x, v3(x), torch.Generator().manual_seed(0), False)) > 1e-6


def test_distill_with_the_shift_term_reports_it(setup):
    path = distill(_cfg(setup, size=40, shift_weight=10.0), progress=False)
    meta = json.loads(path.with_suffix(".json").read_text())["training"]
    assert meta["recipe"]["shift_weight"] == 10.0 and meta["final_losses"]["shift"] > 0


def test_distill_with_the_comb_term_reports_it(setup):
    path = distill(_cfg(setup, size=40, comb_weight=2.0), progress=False)
    meta = json.loads(path.with_suffix(".json").read_text())["training"]
    assert meta["recipe"]["comb_weight"] == 2.0 and "comb" in meta["final_losses"]


def test_teacher_style_term_needs_no_painting_and_is_reported(run_cli, tmp_path, setup):
    """Grams against the teacher's painting of each crop (--teacher-style-weight): VGG in the
    loop, no painting needed; the recipe and the final losses record it."""
    r = run_cli("distill", "--teacher", setup / "teacher.safetensors", "--data", setup / "photos", "--name", "t",
                "--crops", "4", "--size", "32", "--steps", "2", "--batch", "2", "--teacher-style-weight", "2",
                "--out-dir", tmp_path / "out", "--work-dir", tmp_path / "w", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "out" / "t.json").read_text())["training"]
    losses = meta["final_losses"]
    assert meta["recipe"]["teacher_style_weight"] == 2.0
    assert losses["teacher_style"] > 0 and losses["style"] == 0 and losses["content"] == 0
