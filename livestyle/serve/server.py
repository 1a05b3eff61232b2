"""`livestyle serve`'s web server: the page, the style list, WebRTC signalling.

Routes (nothing else; no route maps a path onto the filesystem):
    GET  /         the page             GET /app.js, /app.css   its assets
    GET  /styles   JSON style list      POST /offer            SDP offer -> answer

The browser sends its camera over WebRTC and gets the stylized stream back on
the same connection; setting changes come over a data channel ("settings").
aiortc gathers candidates before answering, so no trickle ICE is needed.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass
from importlib import resources

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from ..render.devices import pick_device
from ..nets.registry import TIER_CHOICES, StyleNotFound, find_style, list_styles
from .track import LatestFrameTrack, Painter, Settings

# The page and its assets, read from the package once: name -> content type.
ASSETS = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
# The page loads nothing from elsewhere; camera frames stay local (blob: for snapshots).
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
# Each connection gets a worker thread and its own networks: a handful is plenty locally.
MAX_CONNECTIONS = 4
STATS_SECONDS = 1.0


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    style: str = "starry"
    tier: str = "auto"
    device: str = "auto"


class BadRequest(ValueError):
    """A request the server refuses: HTTP 400 with {"error": message}."""


def error_response(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": " ".join(str(message).split())}, status=status, headers=HEADERS)


def resolve(style: object, tier: object, strength: object, device_type: str) -> Settings:
    """Checked settings (BadRequest otherwise), with tier `auto` resolved for this device."""
    if not isinstance(style, str) or not style:
        raise BadRequest("'style' must be a style name")
    if tier not in TIER_CHOICES:
        raise BadRequest(f"'tier' must be one of {', '.join(TIER_CHOICES)}")
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= strength <= 1.0:
        raise BadRequest("'strength' must be a number between 0 and 1")
    try:
        found = find_style(style)
        return Settings(found.name, found.pick_tier(tier, device_type), float(strength))
    except StyleNotFound as e:
        raise BadRequest(str(e)) from None


class Connection:
    """One browser: its peer connection, stylized track, painter and settings channel."""

    def __init__(self, server: "Server", settings: Settings):
        self.server = server
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # [] : no STUN lookups, local use
        self.painter = Painter(settings, server.config.device)
        self.track: LatestFrameTrack | None = None
        self.channel = None
        self._stats_task: asyncio.Task | None = None
        self._closed = False
        self._last_error = ""
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("connectionstatechange", self._on_state)

    def _on_track(self, track) -> None:
        if track.kind != "video" or self.track is not None:
            return  # audio, or a second camera: not painted
        self.track = out = LatestFrameTrack(track, self.painter, on_error=self._report_error)
        self.painter.stream_counts = lambda: (out.received, out.dropped)
        self.pc.addTrack(self.track)

    def _on_datachannel(self, channel) -> None:
        self.channel = channel
        channel.on("message", self._on_message)
        self._stats_task = asyncio.get_running_loop().create_task(self._send_stats())

    def _on_message(self, message) -> None:
        """{"style"?, "tier"?, "strength"?}: applied from the next frame on, answered with the settings."""
        try:
            change = json.loads(message)
            if not isinstance(change, dict):
                raise BadRequest("expected a JSON object")
            now = self.painter.settings
            self.painter.settings = resolve(change.get("style", now.style), change.get("tier", now.tier),
                                            change.get("strength", now.strength), self.server.device_type)
            self._send({"settings": vars(self.painter.settings)})
        except BadRequest as e:
            self._send({"error": str(e)})
        except ValueError:
            self._send({"error": "expected a JSON object"})

    def _report_error(self, message: str) -> None:
        if message == self._last_error:
            return  # a failure that repeats every frame is reported once
        self._last_error = message
        print(f"livestyle serve: warning: {message}", file=sys.stderr, flush=True)
        self._send({"error": message})

    def _send(self, obj: dict) -> None:
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(json.dumps(obj))

    async def _send_stats(self) -> None:
        """Once a second: frames/s sent, share of camera frames skipped, paint time (the page shows them)."""
        sent = received = 0
        while True:
            await asyncio.sleep(STATS_SECONDS)
            t = self.track
            if t is None:
                continue
            fps, got = (t.sent - sent) / STATS_SECONDS, t.received - received
            sent, received = t.sent, t.received
            self._send({"stats": {"fps": round(fps, 1), "received": t.received, "sent": t.sent, "dropped": t.dropped,
                                  "dropped_share": round(1 - min(1.0, fps * STATS_SECONDS / got), 2) if got else 0.0,
                                  "paint_ms": round(t.paint_seconds * 1000, 1)}})

    async def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.server.connections.discard(self)
        if self._stats_task:
            self._stats_task.cancel()
        await self.pc.close()
        if self.track is not None:
            await self.track.aclose()
            print(f"livestyle serve: browser disconnected; {len(self.server.connections)} connected",
                  file=sys.stderr, flush=True)


class Server:
    def __init__(self, config: ServeConfig):
        self.config = config
        self.device_type = pick_device(config.device).type
        self.connections: set[Connection] = set()
        self.assets = {name: (resources.files(__package__) / "static" / name).read_bytes() for name in ASSETS}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024)  # an SDP offer is a few KB
        app.router.add_get("/", self.asset("index.html"))
        for name in ASSETS:
            if name != "index.html":
                app.router.add_get(f"/{name}", self.asset(name))
        app.router.add_get("/styles", self.styles)
        app.router.add_post("/offer", self.offer)
        app.on_shutdown.append(self.close_all)
        return app

    def asset(self, name: str):
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=self.assets[name], content_type=ASSETS[name], charset="utf-8", headers=HEADERS)

        return handler

    async def styles(self, request: web.Request) -> web.Response:
        styles = [{"name": s.name, "title": s.title, "painter": s.painter, "year": s.year, "tiers": list(s.tiers)}
                  for s in list_styles()]
        try:
            default = vars(resolve(self.config.style, self.config.tier, 1.0, self.device_type))
        except BadRequest:  # the models folder changed under the running server
            default = {"style": styles[0]["name"] if styles else "", "tier": "auto", "strength": 1.0}
        return web.json_response({"styles": styles, "default": default}, headers=HEADERS)

    async def offer(self, request: web.Request) -> web.Response:
        # Another site's page in the user's browser could post here (the server
        # listens locally, the browser is local too): only this page's origin may.
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return error_response("cross-origin offers are refused", 403)
        try:
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise BadRequest("the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise BadRequest("expected a JSON object")
            if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
                raise BadRequest("expected {\"sdp\": ..., \"type\": \"offer\", \"style\": ...}")
            settings = resolve(body.get("style", self.config.style), body.get("tier", self.config.tier),
                               body.get("strength", 1.0), self.device_type)
        except BadRequest as e:
            return error_response(str(e))
        if len(self.connections) >= MAX_CONNECTIONS:
            return error_response(f"too many connections (at most {MAX_CONNECTIONS})", 503)
        conn = Connection(self, settings)
        self.connections.add(conn)
        try:
            await conn.pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
            if conn.track is None:  # set by the "track" event, during setRemoteDescription
                raise BadRequest("the offer has no video track (the camera)")
            await conn.pc.setLocalDescription(await conn.pc.createAnswer())
        except Exception as e:  # noqa: BLE001 - a malformed or unsupported SDP is the client's error
            await conn.close()
            reason = str(e) if isinstance(e, BadRequest) else f"{type(e).__name__}: {e}"
            return error_response(f"cannot answer this offer: {reason}")
        print(f"livestyle serve: browser connected: {settings.style} ({settings.tier}); "
              f"{len(self.connections)} connected", file=sys.stderr, flush=True)
        local = conn.pc.localDescription
        return web.json_response({"sdp": local.sdp, "type": local.type, "settings": vars(settings)}, headers=HEADERS)

    async def close_all(self, app=None) -> None:
        await asyncio.gather(*(c.close() for c in list(self.connections)), return_exceptions=True)


def serve(config: ServeConfig, ready=None) -> int:
    """Run until Ctrl-C (KeyboardInterrupt, after a clean shutdown) or SIGTERM (returns 0).

    `ready(url)` is called once listening (default: print it)."""
    interrupted = asyncio.run(_serve(config, ready or (lambda url: print(url, flush=True))))
    if interrupted:
        raise KeyboardInterrupt  # the CLI reports it: one line, exit 130
    return 0


async def _serve(config: ServeConfig, ready) -> bool:
    server = Server(config)
    runner = web.AppRunner(server.app(), handle_signals=False, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    hits = {"int": 0}
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        hits["int"] += 1
        if hits["int"] > 1:
            os._exit(130)  # second Ctrl-C: the shutdown hangs, leave at once
        stop.set()

    # Signals become an event, so shutdown runs on the loop: connections close,
    # worker threads are joined, then the loop ends (no KeyboardInterrupt mid-await).
    loop.add_signal_handler(signal.SIGINT, on_sigint)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        try:
            site = web.TCPSite(runner, config.host, config.port)
            await site.start()
        except OSError as e:
            from ..errors import UsageError

            raise UsageError(f"cannot listen on {config.host}:{config.port}: {e.strerror or e}") from None
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        ready(f"http://{host}:{port}/")
        await stop.wait()
    finally:
        await runner.cleanup()  # runs close_all (on_shutdown)
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
    return hits["int"] > 0
