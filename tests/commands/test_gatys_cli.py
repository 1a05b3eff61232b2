"""`--method gatys` from the command line: image, and video killed mid-run then resumed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from media import probe, write_video
from media import synthetic_painting, synthetic_photo

from livestyle.io.images import read_rgb, write_rgb

GATYS = ("--method", "gatys", "--size", "48", "--iters", "4", "--quiet")


def test_image_gatys_with_save_every(run_cli, tmp_path):
    write_rgb(tmp_path / "photo.png", synthetic_photo())
    write_rgb(tmp_path / "painting.png", synthetic_painting())
    r = run_cli("image", tmp_path / "photo.png", "-o", tmp_path / "out.png", "--style-image",
                tmp_path / "painting.png", "--method", "gatys", "--size", "64", "--iters", "6", "--save-every", "3")
    assert r.returncode == 0, r.stderr
    assert read_rgb(tmp_path / "out.png").shape[:2] == (48, 64)
    assert (tmp_path / "out-00003.png").exists()


def test_gatys_device_cpu_and_a_missing_gpu(run_cli, tmp_path):
    import torch

    write_rgb(tmp_path / "photo.png", synthetic_photo())
    write_rgb(tmp_path / "painting.png", synthetic_painting())
    args = ("image", tmp_path / "photo.png", "--style-image", tmp_path / "painting.png", *GATYS)
    r = run_cli(*args, "-o", tmp_path / "cpu.png", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert read_rgb(tmp_path / "cpu.png").shape[:2] == (36, 48)
    if not torch.cuda.is_available():
        r = run_cli(*args, "-o", tmp_path / "gpu.png", "--device", "cuda")
        assert r.returncode == 2 and "CUDA" in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_gatys_bad_painting_and_sizes(run_cli, tmp_path):
    write_rgb(tmp_path / "photo.png", synthetic_photo())
    write_rgb(tmp_path / "tiny.png", synthetic_painting()[:10, :10])
    for extra, needle in [(("--style-image", tmp_path / "tiny.png"), "too small"),
                          (("--style-image", tmp_path / "missing.png"), "not found"),
                          (("--style-image", tmp_path / "photo.png", "--size", "99999"), "--size"),
                          (("--style-image", tmp_path / "photo.png", "--style-weight", "-5"), "--style-weight")]:
        r = run_cli("image", tmp_path / "photo.png", "-o", tmp_path / "o.png", "--method", "gatys", *extra)
        assert r.returncode == 2, (extra, r.stderr)
        assert needle in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_video_gatys_killed_then_resumed(model_dir, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=8, fps=8, size=(64, 48), audio=True)
    write_rgb(tmp_path / "painting.png", synthetic_painting())
    out = tmp_path / "out.mp4"
    cmd = [sys.executable, "-m", "livestyle", "video", str(src), "-o", str(out), "--style-image",
           str(tmp_path / "painting.png"), *GATYS]
    env = dict(os.environ, LIVESTYLE_MODELS=str(model_dir), LIVESTYLE_THREADS="2")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    cache = tmp_path / ".out.mp4.gatys"
    deadline = time.monotonic() + 120
    while len(list(cache.glob("frame_*.png"))) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    done_before = len(list(cache.glob("frame_*.png")))
    assert 3 <= done_before < 8

    r = subprocess.run(cmd, capture_output=True, text=True, env=env)  # without --resume: refuses
    assert r.returncode == 2 and "--resume" in r.stderr

    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    a, b = probe(src), probe(out)
    assert len(b["frames"]) == len(a["frames"]) == 8
    assert b["times"] == a["times"]
    assert b["audio"] is not None
