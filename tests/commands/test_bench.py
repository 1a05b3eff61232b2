"""`livestyle bench`: every section runs end to end on small synthetic media and prints figures."""
from __future__ import annotations

import json

from media import write_video


def sections(stdout: str) -> dict:
    return {d["section"].split()[0]: d for d in map(json.loads, stdout.strip().splitlines())}


def test_network_and_pipeline_figures(run_cli, tmp_path):
    clip = write_video(tmp_path / "clip.mp4", frames=20, size=(160, 120), audio=True)
    r = run_cli("bench", "network", "--style", "alpha", "--size", "96x64", "--frames", "30", "--json")
    assert r.returncode == 0, r.stderr
    net = sections(r.stdout)["network"]
    assert net["frames"] == 30 and net["network_fps"] > 0 and net["macs_per_pixel"] > 0
    r = run_cli("bench", "pipeline", "--style", "alpha", "--clip", clip, "--size", "160x120",
                "--seconds", "1.5", "--json", timeout=180)
    assert r.returncode == 0, r.stderr
    pipe = sections(r.stdout)["pipeline"]
    assert pipe["file"]["frames"] == 20 and pipe["file"]["audio_kept"]
    assert {"decode", "network", "stabilize", "encode"} <= set(pipe["file"]["stage_ms"])
    assert pipe["camera_like"]["frames_shown"] > 0 and pipe["camera_like"]["latency_ms_p95"] > 0


def test_stability_prints_warping_errors(run_cli, tmp_path):
    clip = write_video(tmp_path / "clip.mp4", frames=12, size=(160, 120))
    r = run_cli("bench", "stability", "--style", "alpha", "--clips", clip, "--paintings", tmp_path, "--json")
    assert r.returncode == 0, r.stderr
    row = sections(r.stdout)["stability"]["rows"][0]
    assert row["frames"] == 12 and row["off"] >= 0 and row["flow"] >= 0 and row["input"] >= 0


def test_unknown_style_in_styles_is_one_line(run_cli):
    # not an empty table and exit 0: the typo named, with the closest style
    r = run_cli("bench", "quality", "--styles", "alpha", "alpah")
    assert r.returncode == 2 and "unknown style 'alpah' (did you mean 'alpha'?)" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
