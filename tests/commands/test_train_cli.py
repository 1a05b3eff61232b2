"""`livestyle train` on a tiny synthetic dataset: killed mid-run, resumed, finished."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file

from livestyle.io.images import write_rgb
from livestyle.nets.model_io import read_config


def make_dataset(folder):
    rng = np.random.default_rng(0)
    (folder / "photos" / "sub").mkdir(parents=True)
    for i in range(6):
        img = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
        write_rgb(folder / "photos" / ("sub" if i % 2 else "") / f"p{i}.jpg", img)
    yy, xx = np.mgrid[0:96, 0:96]
    painting = np.stack([(np.sin(xx / 3) + 1) * 120, (np.cos(yy / 5) + 1) * 120, (xx + yy) % 255], -1)
    write_rgb(folder / "painting.png", painting.astype(np.uint8))


def train_cmd(tmp_path, out, work, *extra):
    return [sys.executable, "-m", "livestyle", "train", "--style-image", str(tmp_path / "painting.png"),
            "--data", str(tmp_path / "photos"), "--name", "tiny", "--out-dir", str(out), "--work-dir", str(work),
            "--size", "32", "--style-size", "64", "--batch", "2", "--steps", "12", "--checkpoint-every", "0",
            "--title", "Sines", "--painter", "Test", "--year", "2026", *extra]


def test_train_killed_then_resumed_matches_uninterrupted(tmp_path):
    make_dataset(tmp_path)
    env = dict(os.environ, LIVESTYLE_THREADS="2")

    # Killed hard (SIGKILL: no chance to clean up) after a few checkpoints...
    work = tmp_path / "work"
    proc = subprocess.Popen(train_cmd(tmp_path, tmp_path / "out", work, "--stop-after", "100000"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ckpt = work / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while True:
        if ckpt.exists():
            try:
                step = torch.load(ckpt, weights_only=True)["step"]
            except Exception:  # noqa: BLE001 - caught mid-replace
                step = 0
            if step >= 4:
                break
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "out" / "tiny.safetensors").exists()
    resumed_from = torch.load(ckpt, weights_only=True)["step"]
    assert 4 <= resumed_from < 12

    # ...then resumed to the end.
    r = subprocess.run(train_cmd(tmp_path, tmp_path / "out", work, "--resume"), capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert meta["training"]["steps"] == 12
    assert meta["title"] == "Sines" and meta["painter"] == "Test"
    assert meta["credits"] == "Sines, Test (2026)."  # composed from the parts; --credits replaces it
    assert set(meta["training"]["final_losses"]) >= {"content", "style", "tv", "stability"}
    # With no knobs: the shipped fast design and the recipe the shipped networks started from.
    assert meta["design"] == "v3" and read_config(tmp_path / "out" / "tiny.safetensors").design == "v3"
    recipe = meta["training"]["recipe"]
    assert (recipe["style_weight"], recipe["swd_weight"], recipe["comb_weight"]) == (10.0, 2.0, 3.0)

    # The same run without interruption gives the same weights (batches are seeded by step).
    r = subprocess.run(train_cmd(tmp_path, tmp_path / "ref", tmp_path / "work2"), capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    a = load_file(str(tmp_path / "out" / "tiny.safetensors"))
    b = load_file(str(tmp_path / "ref" / "tiny.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), atol=1e-2), k


def test_train_bad_painting(tmp_path):
    make_dataset(tmp_path)
    (tmp_path / "painting.png").write_bytes(b"nope")
    r = subprocess.run(train_cmd(tmp_path, tmp_path / "out", tmp_path / "w"), capture_output=True, text=True)
    assert r.returncode == 2
    assert "not a readable image" in r.stderr and "Traceback" not in r.stderr


def test_train_and_distill_refuse_a_name_that_is_a_path(tmp_path):
    make_dataset(tmp_path)
    cmd = train_cmd(tmp_path, tmp_path / "out", tmp_path / "w")
    cmd[cmd.index("tiny")] = "../escaped"
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "--name must be letters" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "livestyle", "distill", "--teacher", "x.safetensors", "--data",
                        str(tmp_path / "photos"), "--name", "a/b"], capture_output=True, text=True)
    assert r.returncode == 2 and "--name must be letters" in r.stderr, r.stderr
    assert not list(tmp_path.rglob("escaped*"))


def test_train_warm_start_with_another_content_layer(tmp_path):
    """The fine-tune recipe of the shipped pack: start from a finished model, content on relu4_2,
    style Grams down to relu5_1."""
    make_dataset(tmp_path)
    env = dict(os.environ, LIVESTYLE_THREADS="2")
    r = subprocess.run(train_cmd(tmp_path, tmp_path / "a", tmp_path / "wa"), capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    start = tmp_path / "a" / "tiny.safetensors"
    cmd = train_cmd(tmp_path, tmp_path / "b", tmp_path / "wb", "--init-from", str(start), "--content-layer", "relu4_2",
                    "--style-layers", "relu1_1", "relu3_1", "relu5_1", "--res-blocks", "3",
                    "--credits", "Sines by Test; CC0.")
    r = subprocess.run([c if c != "12" else "3" for c in cmd], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "b" / "tiny.json").read_text())
    assert meta["credits"] == "Sines by Test; CC0."
    recipe = meta["training"]["recipe"]
    assert recipe["content_layer"] == "relu4_2" and recipe["init_from"] == str(start) and recipe["steps"] == 3
    assert recipe["style_layers"] == ["relu1_1", "relu3_1", "relu5_1"]
    a, b = load_file(str(start)), load_file(str(tmp_path / "b" / "tiny.safetensors"))
    assert any(not torch.equal(a[k], b[k]) for k in a)  # it trained on from there
    assert read_config(tmp_path / "b" / "tiny.safetensors").res_blocks == 3

    r = subprocess.run(train_cmd(tmp_path, tmp_path / "c", tmp_path / "wc", "--content-layer", "relu9_9"),
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "--content-layer" in r.stderr and "Traceback" not in r.stderr

    r = subprocess.run(train_cmd(tmp_path, tmp_path / "d", tmp_path / "wd", "--style-layers", "relu1_1", "pool5"),
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "'pool5'" in r.stderr and "Traceback" not in r.stderr


def test_train_runs_without_pyav(tmp_path):
    """The GPU machine has no PyAV: `livestyle train` must not need it (quality network, two steps)."""
    make_dataset(tmp_path)
    fake = tmp_path / "no_av" / "av"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('PyAV is not installed (test)')\n")
    env = dict(os.environ, LIVESTYLE_THREADS="2", PYTHONPATH=str(tmp_path / "no_av"))
    cmd = train_cmd(tmp_path, tmp_path / "out", tmp_path / "w", "--arch", "quality", "--widths", "4,8,8",
                    "--device", "cpu")
    r = subprocess.run([c if c != "12" else "2" for c in cmd], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert meta["arch"] == meta["tier"] == "quality" and meta["training"]["device"] == "cpu"
    assert meta["training"]["recipe"]["widths"] == [4, 8, 8]
    assert read_config(tmp_path / "out" / "tiny.safetensors").widths == (4, 8, 8)


def test_train_on_a_missing_gpu_is_one_line(tmp_path):
    if torch.cuda.is_available():
        import pytest

        pytest.skip("this machine has CUDA")
    make_dataset(tmp_path)
    r = subprocess.run(train_cmd(tmp_path, tmp_path / "out", tmp_path / "w", "--device", "cuda"),
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no CUDA" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_train_pack_script_tiny(tmp_path):
    """scripts/train_pack.py (the one-device-call pack trainer) with tiny settings: trains the
    missing style into --out-dir with every stage recorded, then skips it on the next call."""
    make_dataset(tmp_path)
    styles = tmp_path / "styles"
    styles.mkdir()
    (tmp_path / "painting.png").rename(styles / "starry.jpg")
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "train_pack.py")
    cmd = [sys.executable, script, "--tier", "quality", "--data", str(tmp_path / "photos"), "--styles-dir", str(styles),
           "--only", "starry", "--out-dir", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"),
           "--steps-scale", "0.002", "--size", "32", "--quiet", "--budget-s", "300"]
    env = dict(os.environ, LIVESTYLE_THREADS="2")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "out" / "starry.json").read_text())
    assert meta["tier"] == "quality" and len(meta["training"]["stages"]) == 2
    assert read_config(tmp_path / "out" / "starry.safetensors").arch == "quality"
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "skipped" in r.stdout
    # The fast tier: the v3 student distilled from that quality network (copy, then texture).
    fast = [c for c in cmd if c != "quality"]
    fast[fast.index("--tier") + 1:fast.index("--tier") + 1] = ["fast"]
    fast[fast.index(str(tmp_path / "out"))] = str(tmp_path / "fast")
    fast[fast.index(str(tmp_path / "work"))] = str(tmp_path / "work-fast")
    fast += ["--teachers-dir", str(tmp_path / "out")]
    r = subprocess.run(fast, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "fast" / "starry.json").read_text())
    assert meta["design"] == "v3" and meta["training"]["method"] == "distillation"
    assert len(meta["training"]["stages"]) == 2 and meta["training"]["recipe"]["swd_weight"] > 0
    assert meta["training"]["recipe"]["palette_weight"] == 2.0  # starry's texture round (TEXTURE_OVERRIDES)
    assert read_config(tmp_path / "fast" / "starry.safetensors").design == "v3"
    r = subprocess.run(fast, capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "skipped" in r.stdout
