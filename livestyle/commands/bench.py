"""`livestyle bench`: the figures behind the speed, stability and quality targets.

    livestyle bench network     the style network alone (median ms, frames/s, MACs/px)
    livestyle bench pipeline    file-to-file and camera-like runs: frames/s, per-stage ms,
                                latency p50/p95, peak memory; --soak SECONDS for memory growth
    livestyle bench stability   warping error (Lai et al. 2018) with --stabilize off/blend/flow,
                                next to the input clip's own (the floor), plus the style loss
    livestyle bench quality     style/content losses per shipped style (+ --sheet contact sheet)
    livestyle bench gatys       seconds per Gatys iteration at 256 and 512 px, ours vs pastiche

Figures are printed (and with --json, printed as one JSON object per section).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ..bench.media import SAMPLE, SHARED, default_clips, read_frames
from ..nets.registry import DEFAULT_STYLE, find_style, list_styles
from ..render.stabilize import FLOWS



def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure speed, latency, stability and quality")
    add_arguments(p)
    p.set_defaults(run=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", default="network",
                   choices=("network", "pipeline", "stability", "quality", "gatys", "all"))
    p.add_argument("--style", default=DEFAULT_STYLE)
    p.add_argument("--tier", default="auto", choices=("auto", "fast", "quality", "both"),
                   help="network tier (quality: every style that has it; both: quality also lists each style's fast tier)")
    p.add_argument("--peer-dir", default=None,
                   help="quality: also score a peer's outputs, PEER_DIR/STYLE/PHOTO.png (benchmarks/peer_outputs.py)")
    p.add_argument("--styles", nargs="*", default=None, help="quality: only these styles (default: all)")
    p.add_argument("--first-frames", type=int, default=1,
                   help="quality: frames taken from the start of each clip (spread over its first 40 frames)")
    p.add_argument("--clip", default=str(SAMPLE), help="clip for pipeline (default: the sample)")
    p.add_argument("--clips", nargs="*", default=None,
                   help="clips for stability (default: ../shared/data/clips/*.mp4 if present, else the sample)")
    p.add_argument("--paintings", default=str(SHARED / "styles"), help="folder with the styles' paintings")
    p.add_argument("--photos", nargs="*", default=None, help="photos for quality (default: first frame of each clip)")
    p.add_argument("--size", default="640x480", help="network benchmark frame size WxH")
    p.add_argument("--frames", type=int, default=60, help="frames to time (network; >= 30)")
    p.add_argument("--scale", type=float, default=1.0, help="pipeline: resize the clip first")
    p.add_argument("--fps", type=float, default=30.0, help="camera-like: source frame rate")
    p.add_argument("--seconds", type=float, default=10.0, help="camera-like: run length")
    p.add_argument("--soak", type=float, default=0.0, help="camera-like soak for this many seconds (memory growth)")
    p.add_argument("--stabilize", default="flow", choices=("off", "blend", "flow"))
    p.add_argument("--flow", default="auto", choices=FLOWS,
                   help="pipeline (file run), stability: the stabilizer's optical flow (auto: torch on CUDA, OpenCV DIS "
                        "elsewhere; dis on CUDA: DIS on the CPU, the frames on the GPU)")
    p.add_argument("--stabilize-strength", type=float, default=None,
                   help="the most weight of the previous stylized frame (default: as for video/cam)")
    p.add_argument("--work-height", type=int, default=None,
                   help="pipeline: as for video/cam (0 = native; default 480 on a CPU, native on a GPU)")
    p.add_argument("--gatys-clips", type=int, default=2, help="gatys: clips for the video temporal-loss comparison")
    p.add_argument("--gatys-iters", type=int, default=0, help="quality: also optimize each photo this many L-BFGS steps")
    p.add_argument("--sheet", default=None, help="quality: write a contact sheet PNG here")
    p.add_argument("--device", default="cpu")
    p.add_argument("--engine", default="auto", choices=("auto", "torch", "openvino"),
                   help="CPU inference engine (auto: OpenVINO when installed)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--workers", type=int, default=0,
                   help="pipeline: frames in the network at once (default as for video: 2 on a CPU; "
                        "the camera-like run as for cam: 1)")
    p.add_argument("--json", action="store_true")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads)"


def _emit(args, section: str, data: dict, lines: list[str]) -> None:
    if args.json:
        print(json.dumps({"section": section, "machine": machine(), **data}), flush=True)
    else:
        print(f"== {section}  [{machine()}]")
        for line in lines:
            print("  " + line)
        print(flush=True)


def _stylizer(args, name: str | None = None, tier: str | None = None, work_height: int | None = 0):
    from ..api import load_style

    tier = tier or (args.tier if args.tier != "both" else "auto")
    return load_style(name or args.style, tier, args.device, threads=args.threads, engine=args.engine,
                      work_height=work_height)


def _strength(args) -> float:
    from ..render.stabilize import DEFAULT_STRENGTH

    return DEFAULT_STRENGTH if args.stabilize_strength is None else args.stabilize_strength


def bench_network(args) -> dict:
    from ..nets.networks import macs_per_pixel

    w, h = (int(v) for v in args.size.split("x"))
    st = _stylizer(args)
    n = max(30, args.frames)
    frame = (np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8)
    if st._openvino is not None:
        xn = np.random.default_rng(1).random((1, h, w, 3), dtype=np.float32)

        def network():
            st._openvino(xn)
    else:
        x = torch.rand(1, 3, h, w, device=st.device, dtype=st.dtype).contiguous(memory_format=torch.channels_last)

        def network():
            st.net(x)
            if st.cuda:
                torch.cuda.synchronize()
    times, calls = [], []
    with torch.inference_mode():
        for _ in range(10):
            network()
        for _ in range(n):
            t = time.perf_counter()
            network()
            times.append(time.perf_counter() - t)
        for _ in range(n):
            t = time.perf_counter()
            st(frame)
            calls.append(time.perf_counter() - t)
    med, call = statistics.median(times) * 1000, statistics.median(calls) * 1000
    net_cpu = st.net.float().cpu() if st.cuda else st.net
    data = {"style": st.name, "size": f"{w}x{h}", "frames": n, "network_ms_median": round(med, 2),
            "network_fps": round(1000 / med, 1), "stylize_call_ms_median": round(call, 2),
            "macs_per_pixel": round(macs_per_pixel(net_cpu, 64, 64)),
            "params": sum(p.numel() for p in st.net.parameters()), "device": str(st.device),
            "engine": st.engine, "tier": st.tier}
    _emit(args, "network", data, [
        f"style {st.name} ({st.tier} tier) on {data['device']} ({st.engine}), {w}x{h}, median of {n} frames after warm-up",
        f"network alone: {med:.1f} ms = {1000 / med:.1f} frames/s   ({data['macs_per_pixel']} MACs/px, "
        f"{data['params']} params)",
        f"uint8 frame in -> uint8 frame out (to-tensor, network, from-tensor): {call:.1f} ms = {1000 / call:.1f} frames/s",
    ])
    return data


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_pipeline(args) -> dict:
    from functools import partial

    from ..render.stabilize import make_stabilizer
    from ..render.timing import StageClock
    from .common import plan_workers
    from ..render.video_job import run_job
    from ..io.video_reader import VideoFileSource

    st = _stylizer(args, work_height=args.work_height)  # None: by device, as for video
    workers = plan_workers(args, st, live=False)
    clock = StageClock()
    st.clock = clock
    stab = make_stabilizer(args.stabilize, _strength(args), st.device, args.flow)

    with tempfile.TemporaryDirectory() as tmp, VideoFileSource(args.clip) as src:
        network = partial(st.run_network, on_device=stab.takes_tensors)
        res = run_job(src, Path(tmp) / "out.mp4", network, scale=args.scale, clock=clock,
                      prepare=lambda rgb: st.prepare(rgb, stab),
                      finish=lambda rgb, net_out: st.finish(rgb, net_out, stab),
                      workers=workers)
    stages = {k: v for k, v in res.stage_ms.items() if k != "latency"}
    file_data = {"clip": str(args.clip), "size": f"{res.width}x{res.height}", "frames": res.frames,
                 "fps": round(res.fps, 1), "audio_kept": res.audio_kept, "stage_ms": stages,
                 "latency_ms_p50": clock.percentile_ms("latency", 0.5),
                 "latency_ms_p95": clock.percentile_ms("latency", 0.95), "peak_rss_mb": round(_peak_rss_mb()),
                 "network_workers": workers}
    cam = _camera_like(args, args.soak or args.seconds)
    data = {"style": st.name, "tier": st.tier, "engine": st.engine, "stabilize": args.stabilize, "file": file_data,
            "camera_like": cam}
    lines = [
        f"style {st.name} ({st.tier} tier, {st.engine}), stabilize {args.stabilize} (strength {_strength(args):g}), network workers: "
        f"{workers} file to file, {cam['network_workers']} camera-like",
        f"file-to-file {file_data['size']} ({Path(args.clip).name}, {res.frames} frames, audio "
        f"{'kept' if res.audio_kept else 'none'}): {file_data['fps']} frames/s, latency p50 "
        f"{file_data['latency_ms_p50']} ms p95 {file_data['latency_ms_p95']} ms",
        "  per stage (ms/frame, stages overlap on threads): "
        + ", ".join(f"{k} {v}" for k, v in stages.items()),
        f"camera-like {cam['size']} (file source paced at {args.fps:g} frames/s, latest mode, no window, "
        f"painted at {cam['work_height'] or cam['size'].split('x')[1]} lines, {cam['seconds']} s): "
        f"{cam['fps']} frames/s shown ({cam['fps_steady']} from the first frame shown to the last), "
        f"{cam['frames_shown']} frames, {cam['dropped']} dropped, latency p50 "
        f"{cam['latency_ms_p50']} ms p95 {cam['latency_ms_p95']} ms",
        f"peak memory {data['file']['peak_rss_mb']} MB (file run), {cam['peak_rss_mb']} MB (after camera-like run)",
    ]
    if args.soak:
        lines.append(f"soak {args.soak:g} s: RSS at 60 s {cam['rss_mb_at_60s']} MB, at end {cam['rss_mb_end']} MB, "
                     f"growth {cam['rss_growth_pct']}%")
    _emit(args, "pipeline", data, lines)
    return data


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _camera_like(args, seconds: float) -> dict:
    import threading

    from ..cli import build_parser
    from .cam import run_session

    cam_args = build_parser().parse_args([
        "cam", "--source", str(args.clip), "--no-window", "--loop", "--fps", f"{args.fps:g}", "--quiet",
        "--duration", f"{seconds:g}", "--style", args.style, "--stabilize", args.stabilize,
        "--tier", "auto" if args.tier == "both" else args.tier, "--engine", args.engine,
        "--device", args.device, "--size", args.size, "--threads", str(args.threads),
        "--stabilize-strength", f"{_strength(args):g}",
        "--workers", str(args.workers)]
        + ([] if args.work_height is None else ["--work-height", str(args.work_height)]))
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample_memory():
        t0 = time.monotonic()
        while not done.wait(5.0):
            samples.append((time.monotonic() - t0, _rss_mb()))

    sampler = threading.Thread(target=sample_memory, name="livestyle-bench-rss")
    sampler.start()
    try:
        s = run_session(cam_args)
    finally:
        done.set()
        sampler.join()
    s["size"] = args.size
    s["peak_rss_mb"] = round(_peak_rss_mb())
    after_minute = [m for t, m in samples if t >= 60]
    if after_minute:
        s["rss_mb_at_60s"] = round(after_minute[0], 1)
        s["rss_mb_end"] = round(samples[-1][1], 1)
        s["rss_growth_pct"] = round(100 * (samples[-1][1] - after_minute[0]) / after_minute[0], 2)
    return s


def _clips(args) -> list[Path]:
    return [Path(c) for c in args.clips] if args.clips else default_clips()


def _painting(args, style) -> np.ndarray | None:
    from ..io.images import read_rgb

    name = style.style_image
    path = Path(args.paintings) / name if name else None
    return read_rgb(path) if path and path.is_file() else None


def bench_stability(args) -> dict:
    from ..bench.metrics import StyleMetric, input_flows, warping_error
    from ..render.stabilize import make_stabilizer
    from ..nets.vgg import load_loss_network

    st = _stylizer(args)
    painting = _painting(args, find_style(st.name))
    metric = StyleMetric(load_loss_network(), painting) if painting is not None else None
    rows, lines = [], []
    for clip in _clips(args):
        frames = read_frames(clip)
        flows = input_flows(frames)  # once per clip, shared by every mode
        row = {"clip": clip.name, "frames": len(frames), "input": round(warping_error(frames, frames, flows), 5)}
        raw = [st(f) for f in frames]
        for mode in ("off", "blend", "flow"):
            # The network runs again for each stabilizing mode: the stabilizer pre-filters its input.
            stab = make_stabilizer(mode, _strength(args), st.device, args.flow)
            outs = raw if mode == "off" else [st(f, stab) for f in frames]
            row[mode] = round(warping_error(frames, outs, flows), 5)
            if metric is not None:
                picks = range(0, len(frames), max(1, len(frames) // 4))
                row[f"style_{mode}"] = round(float(np.mean([metric(outs[i], frames[i])[0] for i in picks])), 4)
        row["flow_vs_off"] = round(row["flow"] / row["off"], 3) if row["off"] else None
        rows.append(row)
        style_txt = (f"; style loss off {row['style_off']} flow {row['style_flow']} "
                     f"({100 * (row['style_flow'] / row['style_off'] - 1):+.1f}%)") if metric else ""
        lines.append(f"{clip.name:22s} input {row['input']:.5f}  off {row['off']:.5f}  blend {row['blend']:.5f}  "
                     f"flow {row['flow']:.5f}  (flow/off {row['flow_vs_off']}){style_txt}")
    made = make_stabilizer("flow", 0.5, st.device, args.flow)
    flow = type(made).__name__ + (f" ({made.flow} flow)" if hasattr(made, "flow") else "")
    data = {"style": st.name, "stabilize_strength": _strength(args), "stabilizer": flow, "rows": rows}
    _emit(args, "stability (warping error, lower is steadier; input = floor)", data,
          [f"style {st.name}, stabilize strength {_strength(args):g}, {flow}"] + lines + ([] if metric else ["(style loss skipped: painting not found; --paintings)"]))
    return data


def _quality_photos(args) -> tuple[list[str], list[np.ndarray]]:
    """(names, photos): --photos, or frames from the start of each clip (never trained on)."""
    from ..io.images import read_rgb

    if args.photos:
        return [Path(p).stem for p in args.photos], [read_rgb(p) for p in args.photos]
    names, photos = [], []
    n = max(1, args.first_frames)
    for clip in _clips(args):
        frames = read_frames(clip, 40)
        for i in range(0, len(frames), max(1, len(frames) // n))[:n]:
            names.append(clip.stem if n == 1 else f"{clip.stem}-{i}")
            photos.append(frames[i])
    return names, photos


def _quality_tiers(args, style) -> list[str]:
    if args.tier == "both":
        return [t for t in ("fast", "quality") if t in style.tiers]
    if args.tier == "auto":
        return [style.pick_tier("auto", str(args.device).split(":")[0])]
    return [args.tier] if args.tier in style.tiers else []


def _score(metric, outs, photos) -> dict:
    from ..bench.metrics import pixel_comb

    s_out, c_out = map(float, np.mean([metric(o, p) for o, p in zip(outs, photos)], axis=0))
    tex, pal = map(float, np.mean([metric.texture_palette(o) for o in outs], axis=0))
    comb = float(np.mean([pixel_comb(o) for o in outs]))
    return {"style_loss": round(s_out, 4), "content_loss": round(c_out, 4), "texture_swd": round(tex, 4),
            "palette_swd": round(pal, 2), "comb": round(comb, 2)}


def bench_quality(args) -> dict:
    from ..io.images import read_rgb
    from ..bench.metrics import StyleMetric
    from ..nets.vgg import load_loss_network

    vgg = load_loss_network()
    names, photos = _quality_photos(args)
    header = f"{'style':14s} {'tier':8s} {'style':>6s} {'content':>8s} {'texture':>8s} {'palette':>8s} {'comb':>5s}"
    rows, lines = [], [header + ("  gatys style/content" if args.gatys_iters else "")]
    for style in list_styles():
        if args.styles and style.name not in args.styles:
            continue
        painting = _painting(args, style)
        if painting is None:
            lines.append(f"{style.name:14s} (painting not found in {args.paintings})")
            continue
        metric = StyleMetric(vgg, painting)
        s_photo = float(np.mean([metric(p, p)[0] for p in photos]))
        entries = [(tier, None) for tier in _quality_tiers(args, style)]
        peer = Path(args.peer_dir) / style.name if args.peer_dir else None
        if peer is not None and all((peer / f"{n}.png").is_file() for n in names):
            entries.append(("peer", [read_rgb(peer / f"{n}.png") for n in names]))
        for tier, outs in entries:
            if outs is None:
                st = _stylizer(args, style.name, tier)
                outs = [st(p) for p in photos]
            row = {"style": style.name, "tier": tier, **_score(metric, outs, photos),
                   "photo_style_loss": round(s_photo, 4)}
            row["ratio"] = round(row["style_loss"] / s_photo, 3)
            line = (f"{style.name:14s} {tier:8s} {row['style_loss']:6.3f} {row['content_loss']:8.3f} "
                    f"{row['texture_swd']:8.3f} {row['palette_swd']:8.2f} {row['comb']:5.2f}")
            if args.gatys_iters and tier != "peer":
                from ..gatys.optimize import GatysConfig, optimize_image

                g = optimize_image(photos[0], painting, GatysConfig(iters=args.gatys_iters, size=512), vgg=vgg)
                gs, gc = metric(g, photos[0])
                row.update({"gatys_style_loss": round(gs, 4), "gatys_content_loss": round(gc, 4)})
                line += f"  {gs:.3f}/{gc:.3f}"
            rows.append(row)
            lines.append(line)
    lines.append(f"(photos: {', '.join(names)}; style and content as the targets; texture: VGG-feature SWD "
                 "relative to the painting's spread; palette: Lab SWD; lower is closer on all four; comb: "
                 "a 2-pixel grid, stronger over weaker neighbour steps, 1.0 none)")
    if args.sheet:
        from ..bench.contact_sheet import render_sheet

        render_sheet(list_styles(), args.sheet, [], 320, photos=photos[:2])
        lines.append(f"contact sheet: {args.sheet}")
    data = {"photos": names, "rows": rows}
    _emit(args, "quality (style loss vs the painting at 512 px; content loss relu4_2)", data, lines)
    return data


def bench_gatys(args) -> dict:
    from ..bench.gatys import run as run_gatys

    return run_gatys(args, _emit)


def run(args) -> int:
    from ..errors import UsageError

    if args.what == "network" and args.frames < 30:
        raise UsageError("--frames must be at least 30")
    for name in args.styles or ():
        find_style(name)  # a typo is one line naming the closest style, not an empty table
    sections = {"network": bench_network, "pipeline": bench_pipeline, "stability": bench_stability,
                "quality": bench_quality, "gatys": bench_gatys}
    todo = list(sections) if args.what == "all" else [args.what]
    for name in todo:
        sections[name](args)
    return 0
