"""`livestyle cam`: a camera (or any cv2 source) stylized live in a window.

Threads: capture -> latest mailbox -> stylize worker -> latest mailbox -> main
thread (window, HUD, keys, recorder). Both mailboxes hold one frame: when the
network is slower than the camera, stale frames are dropped (and counted)
instead of queueing up, so latency stays bounded by about two frame times.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import torch

from ..io.camera import CameraSource, parse_size, parse_source
from ..errors import UsageError
from ..nets.model_io import load_network
from ..render.engines import cache_graph
from ..render.live_height import HeightGovernor, fit_live_work_height
from ..render.pipeline import Channel, Closed, Pipeline, lower_thread_priority
from ..nets.registry import TIERS, find_style, list_styles
from ..render.stabilize import make_stabilizer
from ..render.stylize import Stylizer
from .common import add_stream_args, add_style_args, check_range, make_stylizer, plan_workers, say

WINDOW = "livestyle"
# The preload's priority while it exports graphs (see StyleWorker._cache_graphs).
EXPORT_NICENESS = 10
KEYS_HELP = [
    "n / right   next style",
    "p / left    previous style",
    "1-9, 0      pick a style (0: the tenth)",
    "+ / -       strength",
    "c           preserve colour",
    "t           tier: fast / quality",
    "s           snapshot (PNG)",
    "r           record on/off",
    "space       pause",
    "f           fullscreen",
    "h           this help",
    "q / Esc     quit",
]
# waitKeyEx codes for arrow keys (X11/GTK, Windows, macOS).
LEFT = {65361, 2424832, 63234}
RIGHT = {65363, 2555904, 63235}


def add_parser(sub) -> None:
    p = sub.add_parser("cam", help="stylize a camera live in a window")
    add_style_args(p, work_height=480)
    add_stream_args(p)
    p.add_argument("--source", default="0", help="camera index, video file or stream URL (default 0)")
    p.add_argument("--size", default=None, help="capture size WxH, e.g. 640x480")
    p.add_argument("--fps", type=float, default=None, help="pace a file source at this rate (default: its own; 0 = unpaced)")
    p.add_argument("--loop", action="store_true", help="restart a file source at its end")
    p.add_argument("--record", metavar="OUT.mp4", help="record the stylized stream (toggle with r)")
    p.add_argument("--no-window", action="store_true", help="no display (with --record or --virtual-cam, or for benchmarks)")
    p.add_argument("--virtual-cam", action="store_true",
                   help="send the stylized stream to a virtual camera for Zoom/Meet/OBS (pip install 'livestyle[vcam]'; "
                        "Linux: v4l2loopback); the window becomes optional")
    p.add_argument("--vcam-device", default=None, help="virtual camera device, e.g. /dev/video10 (default: the first free one)")
    p.add_argument("--vcam-backend", default=None, help=argparse.SUPPRESS)  # pyvirtualcam backend name (tests)
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0 = until the end or q)")
    p.add_argument("--snapshot-dir", default=".", help="where s writes snapshots (default: current folder)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout at exit")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--simulate-slow-ms", type=float, default=0, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def style_for_digit(ch: str, n: int) -> int | None:
    """The style a number key picks, in the number row's order (1..9, then 0 for the
    tenth); None past the last style."""
    index = (int(ch) or 10) - 1
    return index if index < n else None


@dataclass
class Controls:
    """State the keys change; read by the worker between frames."""

    style_index: int
    strength: float
    keep_colour: bool
    tier: str = "fast"
    paused: bool = False
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class StyleWorker:
    """Owns the stylizers (one per style and tier, loaded on first use and kept)."""

    def __init__(self, first: Stylizer, names: list[str], device, stabilizer, slow_ms: float):
        """stabilizer: from stabilize.make_stabilizer (on CUDA it works on the GPU's frames)."""
        self.cache = {(first.name, first.tier): first}
        self.first = first
        self.names = names
        self.device = device
        self.stabilizer = stabilizer
        self.slow_s = slow_ms / 1000.0
        self.current = first.name
        self.current_tier = first.tier
        self.work_height = first.work_height
        self.engine = first.engine
        self.frame_shape = None  # (h, w) of the frames, known from the first one (for warm-ups)
        self.lock = threading.Lock()
        self.preloaded = threading.Event()
        # A HeightGovernor where the work height was fitted (fast tier, CPU), and what
        # to call with (old, new) when it moves; set by the Session.
        self.governor = None
        self.on_height = None

    def get(self, name: str, tier: str) -> Stylizer:
        """The stylizer for `name` in `tier`, or in the tier the style has when it lacks that one."""
        st = self.cache.get((name, tier))
        if st is not None:  # the common case, without waiting on a load in progress
            return st
        # The network workers load under the lock, so two of them load a style once.
        with self.lock:
            st = self.cache.get((name, tier))
            if st is None:
                have, path = self._tier_path(name, tier)
                st = self.cache.get((name, have)) or self._load(name, have, path)
                self.cache[(name, tier)] = self.cache[(name, have)] = st
            return st

    def _tier_path(self, name: str, tier: str):
        style = find_style(name)
        have = tier if tier in style.tiers else style.pick_tier("auto", "cpu")
        return have, style.tier_path(have)

    def _load(self, name: str, tier: str, path, net: torch.nn.Module | None = None) -> Stylizer:
        """A stylizer for the file at `path`; `net` is that file already read."""
        if net is None:
            net = load_network(path)
        st = Stylizer(net, self.device, name, self.engine)
        st.tier = tier
        st.work_height = self.work_height
        return st

    def preload_tiers(self) -> tuple[str, ...]:
        """The tiers to load ahead: the starting one, and the others only where they run
        live. On a CPU the quality tier paints a few frames a second whatever is done
        ahead, and loading it there (an engine compile and a ~0.3 s warm-up run per
        style) would take the cores from the live stream for seconds; it loads when
        picked instead."""
        live = TIERS if torch.device(self.device).type in ("cuda", "mps") else ("fast",)
        return (self.current_tier,) + tuple(t for t in live if t != self.current_tier)

    def preload_order(self) -> list[tuple[str, str]]:
        """(name, tier) pairs to load ahead: the styles next to the current one first
        (what `n` and `p` reach), then outwards."""
        if not self.names:
            return []
        i = self.names.index(self.current) if self.current in self.names else 0
        n = len(self.names)
        ring = [self.names[(i + s * k) % n] for k in range(1, n) for s in (1, -1)]
        names = list(dict.fromkeys([self.current] + ring))
        return [(name, tier) for tier in self.preload_tiers() for name in names
                if (name, tier) not in self.cache]

    # Loading the other styles ahead, so that switching never stalls a frame, takes
    # seconds of CPU (an ONNX export and an engine compile per style). On two cores that
    # came out of the live stream's first seconds: 27 frames/s shown instead of 30 over
    # an 8 s run. At the lowest thread priority it takes only the time the stream
    # leaves idle (28.8-30.0 frames/s over eight runs, docs/benchmarks.md).
    def preload(self, stop: threading.Event) -> None:
        try:
            self._preload(stop)
        finally:
            self.preloaded.set()

    def _preload(self, stop: threading.Event) -> None:
        # Wait for the first frame: the engines compile for the frame size. `network`
        # sets the shape only after its own first run, so the engine's worker threads
        # are born there, at normal priority, not here (a thread inherits its creator's).
        while self.frame_shape is None and not stop.wait(0.05):
            pass
        lower_thread_priority(EXPORT_NICENESS)
        read = self._cache_graphs(stop)
        lower_thread_priority()
        for name, tier in self.preload_order():
            if stop.is_set():
                return
            try:
                have, path = self._tier_path(name, tier)
                st = self.cache.get((name, have))
                if st is None:  # loaded and run once here, published to the workers after
                    st = self._load(name, have, path, read.pop(path, None))
                    if stop.is_set():  # q waits for this thread: one step, not two, at its priority
                        return
                    st.run_network(st.prepare(np.zeros(self.frame_shape, np.uint8)))
            except Exception:  # noqa: BLE001 - a broken file is reported when picked
                continue
            with self.lock:  # a network worker may have loaded it meanwhile: keep that one
                st = self.cache.setdefault((name, have), st)
                self.cache.setdefault((name, tier), st)

    def _cache_graphs(self, stop: threading.Event) -> dict:
        """Export the graphs the engine cache lacks (a machine's first run) before the
        thread drops to the lowest priority: torch's exporter runs under one
        process-wide lock, and a key that needs a network now (t for the quality tier)
        waits on it. Held by a thread at nice 19 on a busy machine (three CPU-bound jobs
        on two cores) that wait, and q after it, took 22 s; at EXPORT_NICENESS 2.8 s,
        for a first run's first 5 s at 21-24 frames/s instead of 24.4-24.8 on a quiet
        machine (at nice 0: 20.7-21.2). With the cache warm this only reads the model files.
        Returns the networks it read, by path, for the loads after it (read once, not twice)."""
        read: dict = {}
        if self.engine != "openvino":
            return read
        for name, tier in self.preload_order():
            if stop.is_set():
                return read
            try:
                _, path = self._tier_path(name, tier)
                net = read.get(path)
                if net is None:
                    net = read[path] = load_network(path)
                if not cache_graph(net):
                    return read  # the cache is off: each engine exports its own
            except Exception:  # noqa: BLE001 - a broken file is reported when picked
                continue
        return read

    # The work per frame is split so that the network never waits for the
    # stabilizer: while frame N is stabilized and blended on the finish thread,
    # the network already runs on frame N+1 (and N+2 with two network workers),
    # and the stabilizer's flow and input pre-filter on frame N+2 on the prepare
    # thread.
    def prepare(self, inp: Channel, out: Channel) -> None:
        # Every stylizer has the same work height, so the first one scales for all.
        for frame in inp:
            self.govern(inp)
            out.put((frame, self.first.prepare(frame.rgb, self.stabilizer)))
            # The next camera frame is taken only once the network has this one:
            # at most one prepared frame waits, so a slow network (the quality
            # tier on a CPU) never has a second frame aging in line.
            out.wait_empty()

    def govern(self, captured: Channel) -> None:
        """Let the governor move the work height by the frames the stream drops (render/
        live_height.py). It counts only while the fast tier paints one style with every
        style loaded: a load, or the quality tier, drops frames at any height."""
        g = self.governor
        if g is None:
            return
        now = time.monotonic()
        if self.current_tier != "fast" or not self.preloaded.is_set():
            g.restart(now)
            return
        height = g.update(now, captured.put_count, captured.dropped, (self.current, self.current_tier))
        if height is not None:
            # Only this thread scales frames (with the first stylizer, see above); the
            # stylizers loaded later take the height too.
            old, self.first.work_height = self.first.work_height, height
            self.work_height = height
            if self.on_height is not None:
                self.on_height(old, height)

    def network(self, controls: Controls, item):
        frame, prepared = item
        with controls.lock:
            name = self.names[controls.style_index] if self.names else self.current
            tier = controls.tier
            settings = (controls.strength, controls.keep_colour)
        st = self.get(name, tier)
        result = st.run_network(prepared, on_device=self.stabilizer.takes_tensors)
        if self.frame_shape is None:  # after the first run: see preload
            self.frame_shape = frame.rgb.shape
        if self.slow_s:
            time.sleep(self.slow_s)
        return frame, st, name, settings, result

    def finish(self, inp: Channel, out: Channel) -> None:
        # Only this thread touches the stabilizer and the stylizers' blend settings.
        for frame, st, name, (strength, keep_colour), result in inp:
            if (name, st.tier) != (self.current, self.current_tier):
                self.stabilizer.reset_output()
                self.current, self.current_tier = name, st.tier
            st.strength, st.keep_colour = strength, keep_colour
            out.put((frame, st.finish(frame.rgb, result, self.stabilizer), f"{name} [{st.tier}]"))


def run(args) -> int:
    size = parse_size(args.size)
    check_range("--duration", args.duration, 0, 7 * 24 * 3600)
    check_range("--stabilize-strength", args.stabilize_strength, 0.0, 0.95)
    if args.fps is not None:
        check_range("--fps", args.fps, 0, 240)
    if args.record:
        from ..io.video_writer import check_output_path  # PyAV only when recording (the CLI parses without it)

        check_output_path(args.record, None if args.source.isdigit() else args.source)
    headless = args.no_window or not _display_available()
    if not args.no_window and headless and not args.virtual_cam:
        raise UsageError("no display available for the window (use --no-window, e.g. with --record)")
    source = CameraSource(parse_source(args.source), size, args.fps, args.loop)
    vcam = None
    try:
        if args.virtual_cam:
            from ..io.virtual_camera import VirtualCamera

            w, h = source.frame_size
            vcam = VirtualCamera(w, h, source.fps, args.vcam_device, args.vcam_backend)
            say(f"[cam] virtual camera {vcam.device or ''} {w}x{h} at {source.fps:g} frames/s".replace("  ", " "),
                args.quiet)
        stylizer = make_stylizer(args)
        names = [s.name for s in list_styles()]
        if stylizer.name not in names:
            names = [stylizer.name] + names
        return Session(args, source, stylizer, names, headless, vcam).run()
    finally:
        if vcam is not None:
            vcam.close()
        source.release()


def run_session(args) -> dict:
    """Run a headless session from parsed `cam` args and return its summary (benchmarks)."""
    source = CameraSource(parse_source(args.source), parse_size(args.size), args.fps, args.loop)
    try:
        stylizer = make_stylizer(args)
        session = Session(args, source, stylizer, [stylizer.name], True)
        session.run()
        return session.result
    finally:
        source.release()


def _display_available() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Session:
    def __init__(self, args, source: CameraSource, stylizer: Stylizer, names: list[str], headless: bool,
                 vcam=None):
        self.args = args
        self.vcam = vcam  # a virtual_camera.VirtualCamera, or None
        self.source = source
        self.names = names
        self.headless = headless
        self.controls = Controls(names.index(stylizer.name), stylizer.strength, stylizer.keep_colour,
                                 stylizer.tier)
        self.workers = plan_workers(args, stylizer, live=True)
        fitted = self.fit_work_height(stylizer)
        self.worker = StyleWorker(stylizer, names, stylizer.device,
                                  make_stabilizer(args.stabilize, args.stabilize_strength, stylizer.device),
                                  args.simulate_slow_ms)
        if fitted:  # a fitted height keeps being fitted while the stream runs
            self.worker.governor = HeightGovernor.for_frame(source.frame_size[1], stylizer.work_height,
                                                            time.monotonic())
            self.worker.on_height = self._height_moved
        self.recorder = None  # a video_writer.VideoWriter while recording
        self.record_path = Path(args.record) if args.record else None
        self.record_t0 = 0.0
        self.show_help = False
        self.fullscreen = False
        self.snapshots = 0
        self.latencies: deque = deque(maxlen=10000)
        self.shown = 0
        self.frame_times: deque = deque(maxlen=30)
        self.last = None
        self.shown_span = (0.0, 0.0)  # monotonic times of the first and the latest frame shown

    def log(self, msg: str) -> None:
        say(f"[cam] {msg}", self.args.quiet)

    def fit_work_height(self, stylizer: Stylizer) -> bool:
        """On a CPU, unless --work-height pins it: paint the fast tier at the highest
        height whose network time leaves the stream its frame rate (render/live_height.py).
        True when there was a height to choose."""
        fitted = None if self.args.work_height is not None else \
            fit_live_work_height(stylizer, self.source.frame_size, self.source.fps)
        if fitted is None:
            return False
        height, ms = fitted
        stylizer.work_height = height
        if ms is None:
            return False
        self.log(f"painting at {height or self.source.frame_size[1]} lines: the network takes {ms:.1f} ms "
                 f"there on this CPU (--work-height pins it)")
        return True

    def _height_moved(self, old: int, new: int) -> None:
        frame_h = self.source.frame_size[1]
        why = "the stream dropped frames" if (new or frame_h) < (old or frame_h) else "the stream has room"
        self.log(f"painting at {new or frame_h} lines: {why}")

    # --- recording ----------------------------------------------------------
    def start_recording(self, shape) -> None:
        from ..io.video_writer import VideoWriter

        path = self.record_path or Path(time.strftime("livestyle-%Y%m%d-%H%M%S.mp4"))
        h, w = shape[:2]
        # Millisecond time base: the recording keeps real capture timing (VFR).
        self.recorder = VideoWriter(path, w, h, rate=round(self.source.fps) or 30, time_base=Fraction(1, 1000))
        self.record_t0 = 0.0
        self.log(f"recording to {path}")

    def stop_recording(self) -> None:
        if self.recorder is not None:
            rec, self.recorder = self.recorder, None
            if rec.frames:
                path = rec.finish()
                self.log(f"recorded {rec.frames} frames to {path}")
            else:
                rec.abort()

    # --- keys ---------------------------------------------------------------
    def on_key(self, key: int) -> bool:
        """Apply a key; returns False to quit."""
        if key < 0:
            return True
        # Plain characters only: special keys (arrows are 0xFF51.. on X11) must not alias letters.
        ch = chr(key).lower() if 0 <= key < 128 else ""
        c = self.controls
        n = len(self.names)
        if ch in ("q", "\x1b"):
            return False
        with c.lock:
            if (ch == "n" or key in RIGHT) and n:
                c.style_index = (c.style_index + 1) % n
            elif (ch == "p" or key in LEFT) and n:
                c.style_index = (c.style_index - 1) % n
            elif ch.isdigit() and (pick := style_for_digit(ch, n)) is not None:
                c.style_index = pick
            elif ch in ("+", "="):
                c.strength = min(1.0, round(c.strength + 0.1, 2))
            elif ch in ("-", "_"):
                c.strength = max(0.0, round(c.strength - 0.1, 2))
            elif ch == "c":
                c.keep_colour = not c.keep_colour
            elif ch == "t":
                c.tier = "quality" if c.tier == "fast" else "fast"
            elif ch == " ":
                c.paused = not c.paused
            else:
                ch = ch if ch in ("s", "r", "f", "h") else ""
            state = (self.names[c.style_index] if n else "", c.strength, c.keep_colour, c.paused, c.tier)
        if ch == "s":
            self.snapshot()
        elif ch == "r":
            if self.recorder is None and self.last is not None:
                self.start_recording(self.last[1].shape)
            else:
                self.stop_recording()
        elif ch == "f":
            self.fullscreen = not self.fullscreen
            cv2.setWindowProperty(WINDOW, cv2.WND_PROP_FULLSCREEN,
                                  cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL)
        elif ch == "h":
            self.show_help = not self.show_help
        self.log(f"style={state[0]} tier={state[4]} strength={state[1]:.1f} colour={'keep' if state[2] else 'style'}"
                 f"{' paused' if state[3] else ''}")
        return True

    def snapshot(self) -> None:
        if self.last is None:
            return
        from ..io.images import write_rgb

        folder = Path(self.args.snapshot_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.snapshots += 1
        path = folder / time.strftime(f"livestyle-%Y%m%d-%H%M%S-{self.snapshots}.png")
        write_rgb(path, self.last[1])
        self.log(f"snapshot {path}")

    # --- display ------------------------------------------------------------
    def hud(self, bgr: np.ndarray, name: str, latency_ms: float) -> np.ndarray:
        fps = (len(self.frame_times) - 1) / (self.frame_times[-1] - self.frame_times[0]) if len(self.frame_times) > 1 else 0.0
        c = self.controls
        line = f"{name}  {fps:4.1f} fps  {latency_ms:3.0f} ms  strength {c.strength:.1f}"
        if c.keep_colour:
            line += "  colour"
        if c.paused:
            line += "  PAUSED"
        if self.recorder is not None:
            line += "  REC"
        _text(bgr, line, (8, 20))
        if self.show_help:
            for i, t in enumerate(KEYS_HELP):
                _text(bgr, t, (8, 44 + 18 * i))
        else:
            _text(bgr, "h: help", (8, bgr.shape[0] - 10))
        return bgr

    # --- main loop ------------------------------------------------------------
    def run(self) -> int:
        args = self.args
        t_start = time.monotonic()
        interrupted = False
        pipe = Pipeline()
        captured = pipe.channel(policy="latest")
        # One frame waits for the network, one output for the finish stage: in
        # order (the stabilizer's halves see every frame), latency one frame deep.
        prepared = pipe.channel(1, "block")
        network_out = pipe.channel(1, "block")
        styled = pipe.channel(policy="latest")

        def capture(out: Channel):
            for f in self.source.frames(pipe.stop):
                with self.controls.lock:
                    paused = self.controls.paused
                if not paused:
                    out.put(f)

        if not self.headless:
            _point_qt_at_system_fonts()
            # No Qt toolbar (a clean live view); resizable, aspect kept; sized on the first frame.
            cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        pipe.stage("capture", capture, captured, closes=captured)
        pipe.stage("prepare", self.worker.prepare, captured, prepared, closes=prepared)
        pipe.ordered_map("network", functools.partial(self.worker.network, self.controls), prepared, network_out,
                         self.workers)
        pipe.stage("finish", self.worker.finish, network_out, styled, closes=styled)
        pipe.stage("preload", self.worker.preload, pipe.stop)
        if self.record_path is not None:
            self.log(f"recording to {self.record_path} when the first frame arrives")
        self.log(f"style={self.names[self.controls.style_index]} source={args.source}")
        try:
            running = True
            while running:
                if args.duration and time.monotonic() - t_start >= args.duration:
                    break
                try:
                    item = styled.get(timeout=0.03)
                except Closed:
                    break
                if item is not None:
                    running = self.show(item)
                if not self.headless and running:
                    key = cv2.waitKeyEx(1)
                    running = self.on_key(key)
                    if running and cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                        running = False
            pipe.join(stop=True)
        except KeyboardInterrupt:
            interrupted = True
            pipe.join(stop=True)
        finally:
            pipe.stop.set()
            try:
                self.stop_recording()
            finally:
                if not self.headless:
                    cv2.destroyAllWindows()
                    cv2.waitKey(1)
        return self.summary(t_start, captured, styled, interrupted)

    def show(self, item) -> bool:
        frame, out, name = item
        if self.last is None or self.last[2] != name:
            self.log(f"showing {name}")
        self.last = (frame, out, name)
        now = time.monotonic()
        latency = (now - frame.t) * 1000.0
        self.latencies.append(latency)
        self.frame_times.append(now)
        self.shown_span = (self.shown_span[0] or now, now)
        self.shown += 1
        if self.record_path is not None and self.recorder is None and self.shown == 1:
            self.start_recording(out.shape)
        if self.vcam is not None:
            self.vcam.send(out)
        if self.recorder is not None:
            if not self.record_t0:
                self.record_t0 = frame.t
            self.recorder.write(out, int(round((frame.t - self.record_t0) * 1000)))
        if not self.headless:
            if self.shown == 1:
                cv2.resizeWindow(WINDOW, out.shape[1], out.shape[0])
            bgr = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
            cv2.imshow(WINDOW, self.hud(bgr, name, latency))
        return True

    def _steady_fps(self) -> float:
        """Frames per second from the first frame shown to the last: the sustained rate,
        without the start-up (opening the source, the network's first call)."""
        first, last = self.shown_span
        return round((self.shown - 1) / (last - first), 2) if self.shown > 1 and last > first else 0.0

    def summary(self, t_start, captured: Channel, styled: Channel, interrupted: bool) -> int:
        secs = max(1e-9, time.monotonic() - t_start)
        lat = sorted(self.latencies)
        pick = (lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1)) if lat else (lambda q: None)
        s = {
            "frames_shown": self.shown, "frames_captured": captured.put_count,
            "dropped": captured.dropped + styled.dropped, "seconds": round(secs, 2),
            "fps": round(self.shown / secs, 2), "fps_steady": self._steady_fps(),
            "latency_ms_p50": pick(0.5), "latency_ms_p95": pick(0.95),
            "latency_ms_max": round(lat[-1], 1) if lat else None, "style": self.worker.current,
            "tier": self.worker.current_tier, "work_height": self.worker.work_height,
            "work_height_changes": self.worker.governor.changes if self.worker.governor else 0,
            "snapshots": self.snapshots, "network_workers": self.workers,
            "virtual_cam_frames": self.vcam.frames if self.vcam is not None else None,
            "record": str(self.record_path) if self.record_path else None,
        }
        self.result = s
        if self.args.json:
            print(json.dumps(s), flush=True)
        self.log(f"{s['frames_shown']} frames shown, {s['dropped']} dropped, {s['fps']} fps, "
                 f"latency p50 {s['latency_ms_p50']} ms p95 {s['latency_ms_p95']} ms")
        return 130 if interrupted else 0


def _point_qt_at_system_fonts() -> None:
    """OpenCV's Qt build ships no fonts and complains on stderr; use the system's."""
    if os.environ.get("QT_QPA_FONTDIR"):
        return
    for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype", "/usr/share/fonts"):
        if os.path.isdir(d):
            os.environ["QT_QPA_FONTDIR"] = d
            return


def _text(img: np.ndarray, text: str, org: tuple[int, int]) -> None:
    """White text with a dark drop shadow one pixel down and right: readable on any
    frame, and close enough to the glyphs that it never reads as a second copy."""
    x, y = org
    cv2.putText(img, text, (x + 1, y + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
