"""`livestyle serve` in a real browser: headless Chromium with a fake camera (a .y4m clip
written here), driven over the DevTools protocol (a websocket; aiohttp is already a
test dependency, so no Selenium). Skipped when Chromium is not installed."""
from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("aiortc")
aiohttp = pytest.importorskip("aiohttp")

from test_server import pattern, server_process  # noqa: E402  (tests/serve is on sys.path)

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and Path(p).exists()), None)
SIZE = (640, 480)
CLIP_FRAMES = 24


def write_y4m(path: Path, frames: list[np.ndarray]) -> Path:
    """YUV4MPEG2, 4:2:0: a header line, then per frame 'FRAME\\n' and the Y, U, V planes
    (OpenCV's I420 conversion lays them out in exactly that order)."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


class DevTools:
    """The few DevTools protocol calls this test needs (events are ignored)."""

    def __init__(self, ws):
        self.ws, self.last_id = ws, 0

    async def call(self, method: str, **params) -> dict:
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json()
            if msg.get("id") == self.last_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    async def js(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


def start_chromium(clip: Path, profile: Path) -> subprocess.Popen:
    args = [CHROMIUM, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900",
            # Host candidates as plain IPs, not mDNS names (aiortc would have to resolve them).
            "--disable-features=WebRtcHideLocalIpsWithMdns", "about:blank"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def devtools_page(profile: Path, proc: subprocess.Popen, session) -> str:
    """The page target's websocket URL, once Chromium wrote its DevTools port."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "chromium exited at start"
        if port_file.exists() and port_file.read_text().strip():
            port = port_file.read_text().split()[0]
            try:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as r:
                    pages = [t for t in await r.json() if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except aiohttp.ClientError:
                pass
        await asyncio.sleep(0.2)
    raise AssertionError("chromium's DevTools did not come up")


async def drive(url: str, profile: Path, proc: subprocess.Popen) -> tuple[np.ndarray, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(await devtools_page(profile, proc, session), max_msg_size=0) as ws:
            tab = DevTools(ws)
            await tab.call("Page.navigate", url=url)
            state: dict = {}
            deadline = time.monotonic() + 45
            # Painted frames shown by the <video> (counted by the page), at the camera's size.
            while time.monotonic() < deadline:
                state = await tab.js("JSON.stringify({shown: window.livestyle && window.livestyle.framesShown,"
                                     " width: document.getElementById('out').videoWidth,"
                                     " height: document.getElementById('out').videoHeight,"
                                     " error: window.livestyle && window.livestyle.error,"
                                     " status: document.getElementById('status').textContent})") or "{}"
                state = json.loads(state)
                if (state.get("shown") or 0) >= 30 and state.get("width"):
                    break
                await asyncio.sleep(0.3)
            rect = await tab.js("(() => { const r = document.getElementById('out').getBoundingClientRect();"
                                " return {x: r.x, y: r.y, width: r.width, height: r.height, scale: 1}; })()")
            shot = await tab.call("Page.captureScreenshot", format="png", clip=rect)
            png = np.frombuffer(base64.b64decode(shot["data"]), np.uint8)
            # The snapshot button: the current frame, downloaded as a PNG.
            downloads = profile.parent / "downloads"
            await tab.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
            await tab.js("document.getElementById('snapshot').click()")
            while time.monotonic() < deadline + 10 and not list(downloads.glob("livestyle-*.png")):
                await asyncio.sleep(0.2)
            return cv2.cvtColor(cv2.imdecode(png, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), state


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_chromium_shows_the_stylized_camera(model_dir, tmp_path):
    clip_frames = [pattern(*SIZE, shift=16 * i) for i in range(CLIP_FRAMES)]
    clip = write_y4m(tmp_path / "camera.y4m", clip_frames)
    profile = tmp_path / "profile"
    profile.mkdir()
    with server_process(model_dir, "--style", "alpha", "--device", "cpu") as (server, url, lines):
        browser = start_chromium(clip, profile)
        try:
            shot, state = asyncio.run(asyncio.wait_for(drive(url, profile, browser), 55))
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
    cv2.imwrite(str(tmp_path / "screenshot.png"), cv2.cvtColor(shot, cv2.COLOR_RGB2BGR))  # kept for a look
    stderr = "".join(lines)
    assert not state.get("error"), (state, stderr)
    assert (state.get("shown") or 0) >= 30 and (state["width"], state["height"]) == SIZE, (state, stderr)
    assert "browser connected: alpha (fast)" in stderr, stderr
    # Not blank: the painted frame has structure.
    assert shot.std() > 15, shot.std()
    # Not the camera: far from every frame of the clip (the screenshot shows one of them, painted).
    h, w = shot.shape[:2]
    raw = min(np.abs(cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA).astype(int) - shot).mean()
              for f in clip_frames)
    assert raw > 40, raw
    snapshots = list((tmp_path / "downloads").glob("livestyle-alpha-*.png"))
    assert len(snapshots) == 1, list(tmp_path.rglob("*"))
    snapshot = cv2.imread(str(snapshots[0]))
    assert snapshot.shape == (480, 640, 3) and snapshot.std() > 15
