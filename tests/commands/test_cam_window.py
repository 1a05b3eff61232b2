"""A real window: `livestyle cam` under Xvfb, driven with xdotool."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from media import write_video

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="Xvfb and xdotool are needed for the window test (apt-get install -y xvfb xdotool; .ci/run does)",
)


@pytest.fixture()
def xvfb():
    for display in range(90, 140):
        if not os.path.exists(f"/tmp/.X11-unix/X{display}") and not os.path.exists(f"/tmp/.X{display}-lock"):
            break
    proc = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{display}"):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def _wait_for(predicate, timeout: float, what: str, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}" + (f"; the app's log:\n{log.read_text()}" if log else ""))


def test_keys_switch_style_snapshot_and_quit(xvfb, model_dir, tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=30, fps=30, size=(320, 240))
    snaps = tmp_path / "snaps"
    log = tmp_path / "cam.log"
    env = dict(os.environ, DISPLAY=xvfb, LIVESTYLE_MODELS=str(model_dir), LIVESTYLE_THREADS="2")
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "livestyle", "cam", "--source", str(src), "--loop", "--style", "alpha",
             "--snapshot-dir", str(snaps)], stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        def xdo(*args):
            return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20)

        win = _wait_for(lambda: xdo("search", "--name", "^livestyle$").stdout.split(), 30, "the window", log)[0]
        _wait_for(lambda: "style=alpha" in log.read_text(), 30, "the first frame", log)
        xdo("windowfocus", "--sync", win)

        xdo("key", "n")
        _wait_for(lambda: "style=beta" in log.read_text(), 10, "'n' to switch to the next style", log)
        xdo("key", "Right")
        _wait_for(lambda: "style=plain" in log.read_text(), 10, "Right arrow to switch style", log)
        xdo("key", "1")
        _wait_for(lambda: log.read_text().count("style=alpha") >= 2, 10, "'1' to pick the first style", log)
        xdo("key", "t")  # alpha has a quality tier: the next frames come from that network
        _wait_for(lambda: "showing alpha [quality]" in log.read_text(), 10, "'t' to switch to the quality tier", log)
        xdo("key", "t")
        _wait_for(lambda: log.read_text().count("showing alpha [fast]") >= 2, 10, "'t' to switch back", log)

        xdo("key", "s")
        shots = _wait_for(lambda: list(snaps.glob("*.png")), 10, "'s' to write a snapshot", log)
        assert len(shots) == 1
        from livestyle.io.images import read_rgb

        assert read_rgb(shots[0]).shape == (240, 320, 3)  # a real PNG of the stylized frame

        xdo("key", "q")
        assert proc.wait(timeout=20) == 0, log.read_text()
        text = log.read_text()
        assert "Traceback" not in text
        assert "frames shown" in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_window_frame_rate_with_the_shipped_default(xvfb, tmp_path, capsys):
    """The live figure of the issue: `livestyle cam` at 640x480 from a 30 frames/s source,
    default style, tier and stabilization, with its window open. Printed, not asserted:
    speed targets live in `livestyle bench`, and CI machines vary."""
    src = write_video(tmp_path / "in.mp4", frames=60, fps=30, size=(640, 480))
    env = dict(os.environ, DISPLAY=xvfb)
    env.pop("LIVESTYLE_MODELS", None)  # the shipped models
    r = subprocess.run([sys.executable, "-m", "livestyle", "cam", "--source", str(src), "--loop",
                        "--duration", "5", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["frames_shown"] > 0 and s["style"] == "starry" and s["tier"] == "fast"
    with capsys.disabled():
        # The test run's engine cache starts empty: for most styles this is a machine's first
        # run, when the preload exports their graphs (README: 29.9-30.0 frames/s with it warm).
        print(f"\n  cam window 640x480 (starry, fast, Xvfb, painted at {s['work_height'] or 480} lines, "
              f"engine cache new with the test run): "
              f"{s['fps_steady']} frames/s steady, "
              f"{s['fps']} overall, latency p95 {s['latency_ms_p95']} ms, {s['frames_shown']} shown")
