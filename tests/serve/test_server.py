"""`livestyle serve`: the HTTP routes, the latest-frame track, and a real WebRTC round trip
with an aiortc client (no browser; test_browser.py drives Chromium)."""
from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiortc")
pytest.importorskip("aiohttp")

import aiohttp  # noqa: E402
import av  # noqa: E402
from aiohttp import web  # noqa: E402
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,  # noqa: E402
                    RTCSessionDescription, VideoStreamTrack)
from aiortc.mediastreams import MediaStreamError  # noqa: E402

from livestyle.serve.server import ServeConfig, Server  # noqa: E402
from livestyle.render.live_height import LADDER  # noqa: E402
from livestyle.serve.track import WORK_HEIGHT, LatestFrameTrack, Painter, Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def pattern(width: int = 640, height: int = 480, shift: int = 0) -> np.ndarray:
    """Gradients under a checkerboard, shifted right by `shift` pixels (motion)."""
    y, x = np.mgrid[0:height, 0:width]
    x = x + shift
    return np.stack([(x * 255 // width) % 256, y * 255 // height, ((x // 80 + y // 80) % 2) * 200 + 20],
                    -1).astype(np.uint8)


# --------------------------------------------------------------------------- helpers


@contextmanager
def server_process(model_dir: Path, *args: str, timeout: float = 45):
    """`python -m livestyle serve --port 0 ...` as a user runs it; yields (process, url, stderr lines)."""
    env = dict(os.environ, LIVESTYLE_MODELS=str(model_dir), LIVESTYLE_THREADS="2", PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "livestyle", "serve", "--port", "0", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    lines: list[str] = []
    found: queue.Queue = queue.Queue()

    def drain():  # keeps reading so a chatty server never blocks on a full pipe
        for line in proc.stderr:
            lines.append(line)
            if "open http://" in line:
                found.put(line.split("open ", 1)[1].split()[0])
        found.put(None)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        url = found.get(timeout=timeout)
        assert url, "the server exited before listening:\n" + "".join(lines)
        yield proc, url, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=5)


def in_process(model_dir: Path, monkeypatch, check, style: str = "alpha"):
    """Run `await check(base_url)` against the app served in this process."""
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))

    async def main():
        runner = web.AppRunner(Server(ServeConfig(style=style, device="cpu")).app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            return await check(f"http://127.0.0.1:{runner.addresses[0][1]}/")
        finally:
            await runner.cleanup()

    return asyncio.run(main())


async def raw_get(base: str, path: str) -> int:
    """The status of GET `path` sent byte for byte (HTTP clients would normalise '..')."""
    host, port = base.split("//")[1].rstrip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


class PatternTrack(VideoStreamTrack):
    """A synthetic 30 frames/s camera (VideoStreamTrack paces the timestamps)."""

    def __init__(self, image: np.ndarray):
        super().__init__()
        self.image = image

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self.image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


# --------------------------------------------------------------------------- HTTP


def test_page_styles_and_assets(model_dir, monkeypatch):
    async def check(base):
        async with aiohttp.ClientSession() as s:
            async with s.get(base) as r:
                page = await r.text()
                assert r.status == 200 and r.content_type == "text/html"
                assert "<video" in page and "/app.js" in page
                assert "default-src 'self'" in r.headers["Content-Security-Policy"]
            for asset, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
                async with s.get(base + asset) as r:
                    assert r.status == 200 and r.content_type == kind
            async with s.get(base + "styles") as r:
                data = await r.json()
        assert [st["name"] for st in data["styles"]] == ["alpha", "beta", "plain"]
        assert data["styles"][0]["title"] == "Test alpha" and data["styles"][0]["tiers"] == ["fast", "quality"]
        assert data["styles"][1]["tiers"] == ["fast"]
        assert data["default"] == {"style": "alpha", "tier": "fast", "strength": 1.0}

    in_process(model_dir, monkeypatch, check)


def test_no_files_beyond_the_assets(model_dir, monkeypatch):
    paths = ["/../../etc/passwd", "/static/../pyproject.toml", "/%2e%2e/%2e%2e/etc/passwd", "/static/",
             "/static/index.html", "/pyproject.toml", "/livestyle/serve/static/app.js", "/app.js/..", "/index.html"]

    async def check(base):
        return {p: await raw_get(base, p) for p in paths}

    assert in_process(model_dir, monkeypatch, check) == {p: 404 for p in paths}


def test_offer_errors(model_dir, monkeypatch):
    offer = {"sdp": "v=0\r\n", "type": "offer"}
    cases = [
        ("{not json", None, "not valid JSON"),
        ("[1, 2]", None, "JSON object"),
        (json.dumps({"type": "offer", "style": "alpha"}), None, "sdp"),
        (json.dumps({**offer, "style": "nosuch"}), None, "unknown style 'nosuch'"),
        (json.dumps({**offer, "style": "beta", "tier": "quality"}), None, "no 'quality' tier"),
        (json.dumps({**offer, "style": "alpha", "strength": 2}), None, "strength"),
        (json.dumps({**offer, "style": "alpha"}), None, "no video track"),  # SDP without media
        (json.dumps({"sdp": "garbage", "type": "offer", "style": "alpha"}), None, "cannot answer this offer"),
    ]

    async def check(base):
        results = []
        async with aiohttp.ClientSession() as s:
            for body, _, _ in cases:
                async with s.post(base + "offer", data=body, headers={"Content-Type": "application/json"}) as r:
                    results.append((r.status, await r.text()))
            async with s.post(base + "offer", json={**offer, "style": "alpha"},
                              headers={"Origin": "http://evil.example"}) as r:
                results.append((r.status, await r.text()))
        return results

    results = in_process(model_dir, monkeypatch, check)
    for (body, _, words), (status, text) in zip(cases, results):
        assert status == 400, (body, status, text)
        assert "\n" not in text.strip() and words in json.loads(text)["error"], (body, text)
    assert results[-1][0] == 403


# --------------------------------------------------------------------------- the track


class FastSource(MediaStreamTrack):
    """Frames at ~100/s numbered by pts: much faster than the painter below."""

    kind = "video"

    def __init__(self, frames: int = 1000):
        super().__init__()
        self.count, self.frames = 0, frames
        self.image = pattern(64, 48)

    async def recv(self):
        if self.count >= self.frames:
            raise MediaStreamError
        await asyncio.sleep(0.01)
        frame = av.VideoFrame.from_ndarray(self.image, format="rgb24")
        frame.pts, frame.time_base = self.count, Fraction(1, 100)
        self.count += 1
        return frame


def test_latest_frame_policy_drops_stale_frames():
    """A 60 ms painter on a 100 frames/s source: output stays within a few frames of the
    source (a queue would fall 5 frames further behind with every frame), the rest is dropped."""

    def slow(rgb):
        time.sleep(0.06)
        return 255 - rgb

    async def main():
        source = FastSource()
        track = LatestFrameTrack(source, slow)
        lags = []
        for _ in range(8):
            frame = await track.recv()
            lags.append(source.count - 1 - frame.pts)
            assert frame.to_ndarray(format="rgb24")[0, 0, 2] == 255 - source.image[0, 0, 2]
        await track.aclose()
        return track, lags

    track, lags = asyncio.run(main())
    assert max(lags) <= 12, lags  # one paint (~6 source frames) plus scheduling slack
    assert track.dropped > 20 and track.sent == 8
    assert track.readyState == "ended"
    assert not [t for t in threading.enumerate() if t.name.startswith("livestyle-paint")]


def test_track_ends_with_its_source_and_survives_errors():
    errors = []

    def broken(rgb):
        raise RuntimeError("boom\nsecond line")

    async def main():
        track = LatestFrameTrack(FastSource(frames=3), broken, on_error=errors.append)
        frames = []
        with pytest.raises(MediaStreamError):
            while True:
                frames.append(await track.recv())
        await asyncio.sleep(0)  # the error callbacks run on the loop
        await track.aclose()
        return frames

    frames = asyncio.run(main())
    assert 1 <= len(frames) <= 3 and errors and errors[0] == "RuntimeError: boom"


def test_painter_applies_settings_from_the_next_frame(model_dir, monkeypatch):
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    image = pattern(160, 120)
    painter = Painter(Settings("alpha", "fast", 1.0), device="cpu")
    assert np.abs(painter(image).astype(int) - image).mean() > 30
    painter.settings = Settings("alpha", "fast", 0.0)
    assert np.array_equal(painter(image), image)  # strength 0: the camera frame itself
    painter.settings = Settings("alpha", "quality", 1.0)  # the other tier: another network
    assert painter(image).shape == image.shape
    painter.settings = Settings("plain", "fast", 1.0)  # identity network
    assert np.abs(painter(image).astype(int) - image).max() <= 1  # stabilizer reset: no alpha left over


def test_painter_fits_its_work_height_on_a_cpu_unless_given(model_dir, monkeypatch):
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    image = pattern(640, 480)
    painter = Painter(Settings("alpha", "fast", 1.0), device="cpu")
    assert painter.work_height == WORK_HEIGHT
    assert painter(image).shape == image.shape
    assert painter.work_height in (0,) + LADDER  # timed on the first frame (render/live_height.py)
    pinned = Painter(Settings("alpha", "fast", 1.0), device="cpu", work_height=360)
    pinned(image)
    assert pinned.work_height == 360


def test_painter_paints_fewer_lines_when_the_connection_drops_frames(model_dir, monkeypatch):
    """As cam: the fitted height keeps being fitted by the frames the track drops."""
    import livestyle.serve.track as track_module

    class Clock:  # the governor's clock, half a second a frame
        t = 0.0

        @classmethod
        def monotonic(cls):
            return cls.t

        perf_counter = staticmethod(time.perf_counter)

    monkeypatch.setattr(track_module, "time", Clock)
    # Fitted at the frame's own 480 lines whatever the machine's load (the fit has its own test).
    monkeypatch.setattr(track_module, "fit_live_work_height", lambda st, size, fps: (0, 5.0))
    monkeypatch.setenv("LIVESTYLE_MODELS", str(model_dir))
    image = pattern(640, 480)
    painter = Painter(Settings("alpha", "fast", 1.0), device="cpu")
    counts = {"received": 0, "dropped": 0}
    painter.stream_counts = lambda: (counts["received"], counts["dropped"])
    painter(image)
    assert painter.work_height == 0
    for _ in range(8):  # 4 s of a 30 frames/s camera, half of it dropped
        Clock.t += 0.5
        counts["received"] += 15
        counts["dropped"] += 8
        painter(image)
    assert 0 < painter.work_height < 480


# --------------------------------------------------------------------------- WebRTC, end to end


async def webrtc_client(url: str, image: np.ndarray, proc: subprocess.Popen) -> dict:
    """Send `image` as a 30 frames/s track; collect what comes back; switch strength to 0 midway."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(PatternTrack(image))
    channel = pc.createDataChannel("settings")
    messages: asyncio.Queue = asyncio.Queue()
    channel.on("message", lambda m: messages.put_nowait(json.loads(m)))
    frames: list[np.ndarray] = []
    readers = []

    @pc.on("track")
    def on_track(track):
        async def read():
            try:
                while True:
                    frames.append((await track.recv()).to_ndarray(format="rgb24"))
            except MediaStreamError:
                pass

        readers.append(asyncio.ensure_future(read()))

    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession() as s:
        body = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type, "style": "alpha"}
        async with s.post(url + "offer", json=body) as r:
            assert r.status == 200, await r.text()
            answer = await r.json()
    assert answer["settings"] == {"style": "alpha", "tier": "fast", "strength": 1.0}
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))

    t0 = time.monotonic()
    while len(frames) < 20 and time.monotonic() - t0 < 20:
        await asyncio.sleep(0.1)
    result = {"styled": list(frames), "seconds": time.monotonic() - t0}

    # Setting changes over the data channel, without reconnecting: a bad one is refused...
    channel.send(json.dumps({"style": "nosuch"}))
    while "error" not in (msg := await asyncio.wait_for(messages.get(), 10)):
        pass
    result["refused"] = msg["error"]
    # ...a good one applies from the next frame on.
    channel.send(json.dumps({"strength": 0}))
    while "settings" not in (msg := await asyncio.wait_for(messages.get(), 10)):
        pass
    result["ack"] = msg["settings"]
    mark = len(frames)
    t1 = time.monotonic()
    while len(frames) < mark + 12 and time.monotonic() - t1 < 15:
        await asyncio.sleep(0.1)
    result["plain"] = frames[mark + 4:]  # skip frames already painted before the change
    result["connection"] = pc.connectionState

    # Ctrl-C the server while this browser is connected.
    proc.send_signal(signal.SIGINT)
    await asyncio.sleep(0.5)
    await pc.close()
    for task in readers:
        task.cancel()
    return result


@pytest.mark.slow
def test_webrtc_round_trip_and_clean_shutdown(model_dir):
    image = pattern()
    with server_process(model_dir, "--style", "alpha", "--device", "cpu") as (proc, url, lines):
        result = asyncio.run(asyncio.wait_for(webrtc_client(url, image, proc), 50))
        rc = proc.wait(timeout=15)  # a worker thread left behind would hang the exit
    stderr = "".join(lines)
    styled = result["styled"]
    assert len(styled) >= 20, (len(styled), result["seconds"], stderr)
    assert all(f.shape == (480, 640, 3) for f in styled)
    diffs = [np.abs(f.astype(int) - image).mean() for f in styled[-5:]]
    assert min(diffs) > 40, diffs  # stylized: nothing like the camera frame
    assert "unknown style 'nosuch'" in result["refused"]
    assert result["ack"] == {"style": "alpha", "tier": "fast", "strength": 0.0}
    assert len(result["plain"]) >= 4, stderr
    plain = [np.abs(f.astype(int) - image).mean() for f in result["plain"]]
    assert max(plain) < 12, plain  # strength 0: the camera frame, through two VP8 codings
    assert rc in (0, 130), stderr
    assert "browser connected: alpha (fast)" in stderr and "interrupted" in stderr
    assert "Traceback" not in stderr and "Error" not in stderr, stderr


# --------------------------------------------------------------------------- without the extra


def test_without_aiortc_one_line_and_exit_2(run_cli, tmp_path):
    (tmp_path / "aiortc.py").write_text("raise ImportError('No module named aiortc (blocked by the test)')\n")
    r = run_cli("serve", "--port", "0", env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("livestyle serve: error: ")
    assert "pip install 'livestyle[serve]'" in r.stderr


def test_host_warning_and_bad_port(run_cli):
    from livestyle.commands.serve import is_local

    assert is_local("127.0.0.1") and is_local("localhost") and is_local("::1") and is_local("127.0.0.2")
    assert not is_local("0.0.0.0") and not is_local("192.168.1.10") and not is_local("example.org")
    r = run_cli("serve", "--port", "70000", timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--port" in r.stderr
    # 192.0.2.0/24 is reserved for documentation: not this machine's, so listening fails after the warning.
    r = run_cli("serve", "--host", "192.0.2.123", "--port", "0", "--style", "alpha", "--device", "cpu", timeout=60)
    warning, error = r.stderr.splitlines()
    assert r.returncode == 2 and "warning: listening on 192.0.2.123: anyone" in warning
    assert error.startswith("livestyle serve: error: cannot listen on 192.0.2.123:0")
