"""Ctrl-C and failures inside a stage."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time


from media import probe, write_video


def test_sigint_leaves_playable_partial_file(model_dir, tmp_path):
    src = write_video(tmp_path / "long.mp4", frames=400, fps=25, size=(320, 240), audio=True)
    out = tmp_path / "out.mp4"
    log = tmp_path / "err.log"
    env = dict(os.environ, LIVESTYLE_MODELS=str(model_dir), LIVESTYLE_THREADS="2")
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "livestyle", "video", str(src), "-o", str(out),
                                 "--style", "alpha", "--simulate-slow-ms", "30"], stderr=err, env=env)
    deadline = time.monotonic() + 60
    while max(map(int, re.findall(r"(\d+)/400", log.read_text())), default=0) < 20:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130, log.read_text()
    text = log.read_text()
    assert "Traceback" not in text and "interrupted" in text
    info = probe(out)  # opens and decodes: playable
    assert 20 <= len(info["frames"]) < 400
    assert info["audio"] is not None
    assert not list(tmp_path.glob(".out.mp4.part"))


def test_exception_in_stylize_stage_exits_nonzero_no_threads_left(model_dir, tmp_path, monkeypatch, capsys):
    from livestyle import cli
    from livestyle.render.stylize import Stylizer

    src = write_video(tmp_path / "in.mp4", frames=30)
    calls = {"n": 0}
    original = Stylizer.run_network

    def flaky(self, rgb, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("boom in the network")
        return original(self, rgb, *args, **kwargs)

    monkeypatch.setattr(Stylizer, "run_network", flaky)
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    old = signal.getsignal(signal.SIGINT)
    try:
        code = cli.main(["video", str(src), "-o", str(tmp_path / "out.mp4"), "--style", "alpha", "--quiet"])
    finally:
        signal.signal(signal.SIGINT, old)
    assert code != 0
    assert "boom in the network" in capsys.readouterr().err
    assert [t.name for t in threading.enumerate() if t.name.startswith("livestyle-")] == []
    assert not (tmp_path / "out.mp4").exists()  # nothing half-written left looking complete
    assert not list(tmp_path.glob(".out.mp4.part"))
