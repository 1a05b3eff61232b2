"""`livestyle cam --virtual-cam`: frames reach a virtual camera at the camera's size and rate."""
from __future__ import annotations

import glob
import json

import numpy as np
import pytest

from media import write_video

pyvirtualcam = pytest.importorskip("pyvirtualcam")


class RecordingBackend:
    """A pyvirtualcam backend that keeps what it is sent (registered for the test)."""

    opened: list[dict] = []
    frames: list[np.ndarray] = []

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        RecordingBackend.opened.append({"width": width, "height": height, "fps": fps, "fourcc": fourcc})

    def device(self):
        return "test-vcam"

    def send(self, frame):
        RecordingBackend.frames.append(frame.copy())

    def close(self):
        pass


def test_frames_arrive_at_the_camera_size_and_rate(model_dir, monkeypatch, tmp_path, capsys):
    from livestyle.cli import main

    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    monkeypatch.delenv("DISPLAY", raising=False)  # no display: the virtual camera alone is fine
    pyvirtualcam.register_backend("livestyle-test", RecordingBackend)
    src = write_video(tmp_path / "in.mp4", frames=60, fps=25, size=(96, 72))
    rc = main(["cam", "--source", str(src), "--virtual-cam", "--vcam-backend", "livestyle-test",
               "--style", "alpha", "--json", "--quiet", "--threads", "2"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert RecordingBackend.opened == [{"width": 96, "height": 72, "fps": 25.0,
                                        "fourcc": RecordingBackend.opened[0]["fourcc"]}]
    frames = RecordingBackend.frames
    assert len(frames) == summary["frames_shown"] == summary["virtual_cam_frames"] >= 5
    # pyvirtualcam hands its backends the RGB frame flattened: 72 x 96 x 3 bytes each.
    assert {(f.size, f.dtype) for f in frames} == {(72 * 96 * 3, np.dtype(np.uint8))}


def test_without_a_backend_one_line_names_what_to_load(run_cli, tmp_path):
    if glob.glob("/dev/video*"):
        pytest.skip("this machine has video devices (maybe a loopback)")
    src = write_video(tmp_path / "in.mp4", frames=5)
    r = run_cli("cam", "--source", src, "--virtual-cam", "--style", "alpha")
    assert r.returncode == 2, r.stderr
    assert "v4l2loopback" in r.stderr and len(r.stderr.strip().splitlines()) == 1
