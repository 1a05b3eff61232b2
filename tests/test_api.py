"""The Python API (livestyle.load_style, livestyle.stylize_video) gives what the CLI gives."""
from __future__ import annotations

import numpy as np
import pytest

import livestyle
from livestyle.io.images import read_rgb, write_rgb
from livestyle.nets.registry import StyleNotFound
from media import probe, write_video


@pytest.fixture()
def models(model_dir, monkeypatch):
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    return model_dir


def test_load_style_equals_the_image_command(models, run_cli, tmp_path):
    frame = (np.random.default_rng(3).random((45, 67, 3)) * 255).astype(np.uint8)
    write_rgb(tmp_path / "in.png", frame)
    r = run_cli("image", tmp_path / "in.png", "-o", tmp_path / "out.png", "--style", "alpha")
    assert r.returncode == 0, r.stderr
    paint = livestyle.load_style("alpha", threads=2)
    out = paint(frame)
    assert out.dtype == np.uint8 and out.shape == frame.shape
    assert np.abs(out.astype(int) - read_rgb(tmp_path / "out.png")).max() <= 1
    # strength and preserve_colour are settable attributes
    paint.strength = 0.0
    assert np.array_equal(paint(frame), frame)
    paint.strength, paint.preserve_colour = 1.0, True
    assert paint.preserve_colour and paint.keep_colour


def test_load_style_tiers(models):
    frame = (np.random.default_rng(4).random((32, 40, 3)) * 255).astype(np.uint8)
    fast, quality = livestyle.load_style("alpha", "fast"), livestyle.load_style("alpha", "quality")
    assert (fast.tier, quality.tier) == ("fast", "quality")
    assert livestyle.load_style("alpha", "auto", "cpu").tier == "fast"  # auto on a CPU
    assert quality(frame).shape == frame.shape
    with pytest.raises(StyleNotFound, match="has no 'quality' tier"):
        livestyle.load_style("beta", "quality")
    with pytest.raises(StyleNotFound, match="unknown tier"):
        livestyle.load_style("alpha", "best")


def test_stylize_video_writes_what_the_cli_writes(models, run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=12, audio=True)
    r = run_cli("video", src, "-o", tmp_path / "cli.mp4", "--style", "alpha", "--quiet")
    assert r.returncode == 0, r.stderr
    summary = livestyle.stylize_video(src, tmp_path / "api.mp4", style="alpha", threads=2)
    assert summary["frames"] == 12 and summary["audio_kept"] and summary["tier"] == "fast"
    a, b = probe(tmp_path / "cli.mp4"), probe(tmp_path / "api.mp4")
    assert a["times"] == b["times"] and len(a["frames"]) == 12
    for fa, fb in zip(a["frames"], b["frames"]):
        assert np.abs(fa.astype(int) - fb).max() <= 2  # same pixels (up to the encoder's threads)


@pytest.mark.parametrize("size", [(16, 16), (2, 2)])
def test_tiny_clips(models, tmp_path, size):
    src = write_video(tmp_path / "tiny.mp4", frames=6, size=size)
    for tier in ("fast", "quality"):
        summary = livestyle.stylize_video(src, tmp_path / f"out-{tier}.mp4", style="alpha", tier=tier)
        assert summary["frames"] == 6 and (summary["width"], summary["height"]) == size
