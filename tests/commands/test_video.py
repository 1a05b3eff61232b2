"""`livestyle video` on synthetic clips: order, timing, audio, sizes, rotation."""
from __future__ import annotations

import json

import pytest

from media import probe, read_index, write_video


def stylize(run_cli, src, dst, *extra):
    r = run_cli("video", src, "-o", dst, "--style", "plain", "--stabilize", "off", "--json", "--quiet", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_cfr_frames_order_duration_rate(run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=40, fps=24)
    summary = stylize(run_cli, src, tmp_path / "out.mp4")
    a, b = probe(src), probe(tmp_path / "out.mp4")
    assert summary["frames"] == 40
    assert len(b["frames"]) == len(a["frames"]) == 40
    assert [read_index(f) for f in b["frames"]] == list(range(40))
    assert b["times"] == pytest.approx(a["times"], abs=1e-3)
    assert b["rate"] == a["rate"] == 24
    assert b["codec"] == "h264" and b["pix_fmt"] == "yuv420p"


def test_work_height_defaults_by_device(run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=3, size=(160, 120))
    assert stylize(run_cli, src, tmp_path / "a.mp4")["work_height"] == 480  # on this CPU
    assert stylize(run_cli, src, tmp_path / "b.mp4", "--work-height", "0")["work_height"] == 0


def test_nvenc_asked_for_without_one_still_writes_h264(run_cli, tmp_path):
    from livestyle.io.encoders import nvenc_problem

    src = write_video(tmp_path / "in.mp4", frames=4, size=(160, 120))
    r = run_cli("video", src, "-o", tmp_path / "out.mp4", "--style", "plain", "--encoder", "h264_nvenc", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    if nvenc_problem() is not None:
        assert summary["encoder"] == "libx264"
        assert sum("NVENC not available" in line for line in r.stderr.splitlines()) == 1
    info = probe(tmp_path / "out.mp4")
    assert info["codec"] == "h264" and len(info["frames"]) == 4


def test_vfr_timestamps_kept(run_cli, tmp_path):
    pts = [0, 40, 60, 150, 170, 300, 310, 320, 500, 540, 700, 705]
    src = write_video(tmp_path / "vfr.mkv", frames=len(pts), pts_ms=pts)
    stylize(run_cli, src, tmp_path / "out.mkv")
    b = probe(tmp_path / "out.mkv")
    assert [read_index(f) for f in b["frames"]] == list(range(len(pts)))
    assert b["times"] == pytest.approx([p / 1000 for p in pts], abs=2e-3)


def test_vfr_mp4_output(run_cli, tmp_path):
    pts = [0, 33, 100, 133, 300, 333, 366, 600]
    src = write_video(tmp_path / "vfr.mp4", frames=len(pts), pts_ms=pts)
    stylize(run_cli, src, tmp_path / "out.mp4")
    b = probe(tmp_path / "out.mp4")
    assert b["times"] == pytest.approx([p / 1000 for p in pts], abs=2e-3)


def test_audio_kept_same_duration(run_cli, tmp_path):
    src = write_video(tmp_path / "av.mp4", frames=48, fps=24, audio=True)
    summary = stylize(run_cli, src, tmp_path / "out.mp4")
    a, b = probe(src), probe(tmp_path / "out.mp4")
    assert summary["audio_kept"] is True
    assert b["audio"] is not None and b["audio"]["codec"] == "aac"
    assert b["audio"]["end"] == pytest.approx(a["audio"]["end"], abs=1 / 24)
    assert len(b["frames"]) == 48


def test_audio_the_container_cannot_hold_is_transcoded(run_cli, tmp_path):
    src = write_video(tmp_path / "pcm.mkv", frames=24, fps=24, audio="pcm_s16le")
    assert probe(src)["audio"]["codec"] == "pcm_s16le"
    summary = stylize(run_cli, src, tmp_path / "out.mp4")
    b = probe(tmp_path / "out.mp4")
    assert summary["audio_kept"] and summary["audio_transcoded"]
    assert b["audio"]["codec"] == "aac"
    assert b["audio"]["end"] == pytest.approx(1.0, abs=1 / 24 + 0.03)


def test_odd_size_follows_the_stated_rule(run_cli, tmp_path):
    src = write_video(tmp_path / "odd.mkv", frames=6, size=(321, 241), codec="ffv1")
    summary = stylize(run_cli, src, tmp_path / "out.mp4")
    b = probe(tmp_path / "out.mp4")
    assert (b["width"], b["height"]) == (320, 240) == (summary["width"], summary["height"])
    assert [read_index(f) for f in b["frames"]] == list(range(6))
    r = run_cli("video", "--help")
    assert "321x241 -> 320x240" in r.stdout


def test_rotation_applied_to_pixels(run_cli, tmp_path):
    def content(i, w, h):
        import numpy as np

        img = np.zeros((h, w, 3), np.uint8)
        img[: h // 2, : w // 2] = 255  # a white block in the stored top-left corner
        return img

    src = write_video(tmp_path / "rot.mp4", frames=4, size=(160, 96), rotation=90, content=content)
    stylize(run_cli, src, tmp_path / "out.mp4")
    b = probe(tmp_path / "out.mp4")
    assert (b["width"], b["height"]) == (96, 160)  # upright: sides swapped
    f = b["frames"][0].mean(axis=2)
    h, w = f.shape
    # 90 degrees counter-clockwise display rotation moves stored top-left to bottom-left.
    quads = {"tl": f[: h // 2, : w // 2].mean(), "bl": f[h // 2:, : w // 2].mean(),
             "tr": f[: h // 2, w // 2:].mean(), "br": f[h // 2:, w // 2:].mean()}
    assert max(quads, key=quads.get) == "bl", quads


def test_scale_option(run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=3, size=(160, 120))
    summary = stylize(run_cli, src, tmp_path / "half.mp4", "--scale", "0.5")
    assert (summary["width"], summary["height"]) == (80, 60)


def test_stabilized_random_style_runs(run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=10)
    r = run_cli("video", src, "-o", tmp_path / "out.mp4", "--style", "alpha", "--json")
    assert r.returncode == 0, r.stderr
    assert "frame/s" in r.stderr  # the progress bar
    assert len(probe(tmp_path / "out.mp4")["frames"]) == 10


def test_crf_zero_is_lossless_h264(run_cli, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=6)
    stylize(run_cli, src, tmp_path / "out.mp4", "--crf", "0")
    b = probe(tmp_path / "out.mp4")
    assert b["codec"] == "h264" and len(b["frames"]) == 6
    assert [read_index(f) for f in b["frames"]] == list(range(6))
