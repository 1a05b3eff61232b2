"""Seconds per Gatys iteration, ours vs pastiche, same inputs, iterations and process."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch


def _inputs(size: int):
    rng = np.random.default_rng(0)
    photo = (rng.random((size * 3 // 4, size, 3)) * 255).astype(np.uint8)
    painting = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    return photo, painting


def _ours(size: int, iters: int, vgg) -> float:
    """Steady-state seconds per iteration: from the end of the first iteration to the end
    of the last, so per-run setup (targets, content features) is outside, as for pastiche."""
    from ..gatys.optimize import GatysConfig, StyleTarget, optimize_image

    photo, painting = _inputs(size)
    cfg = GatysConfig(size=size, iters=iters, coarse_to_fine=False)
    target = StyleTarget(vgg, [(painting, 1.0)], size)
    stamps: list[float] = []
    optimize_image(photo, target, cfg, vgg=vgg, on_step=lambda i, loss, img: stamps.append(time.perf_counter()))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def _default_run(vgg) -> float:
    """Wall seconds of the default `livestyle image --method gatys` job (512 px, 300 L-BFGS
    iterations, coarse-to-fine), painting targets included: what a user waits for."""
    from ..gatys.optimize import GatysConfig, optimize_image

    photo, painting = _inputs(512)
    cuda = next(vgg.parameters()).device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    optimize_image(photo, painting, GatysConfig(), vgg=vgg)
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def _pastiche(size: int, iters: int, tmp, device: str = "cpu") -> float | None:
    """The same for pastiche: one draw() is one L-BFGS iteration; the first is not timed."""
    try:
        from pastiche.pastiche import PasticheArtist
    except ImportError:
        return None
    from ..io.images import write_rgb

    photo, painting = _inputs(size)
    write_rgb(tmp / "c.png", photo)
    write_rgb(tmp / "s.png", painting)
    artist = PasticheArtist(str(tmp / "c.png"), [str(tmp / "s.png")], device=device)
    artist.draw()
    t = time.perf_counter()
    for _ in range(iters - 1):
        artist.draw()
    return (time.perf_counter() - t) / (iters - 1)


def _video_temporal(args, vgg) -> tuple[list[dict], list[str]]:
    """Warping error of Gatys video with the temporal loss on vs off (Ruder et al. 2016)."""
    from .media import default_clips, read_frames
    from ..gatys.optimize import GatysConfig, StyleTarget, optimize_frames
    from ..io.images import resize_long_side
    from .metrics import input_flows, warping_error
    from ..gatys.paintings import painting_for_style
    size, n = 160, 5
    try:
        painting = painting_for_style(args.style)
    except Exception as e:  # noqa: BLE001 - paintings are not shipped
        return [], [f"video temporal loss: skipped ({e})"]
    target = StyleTarget(vgg, [(painting, 1.0)], size)
    rows, lines = [], [f"video, first {n} frames of each clip at {size} px, 40 L-BFGS iterations for frame 1, 20 after:"]
    print(lines[0], flush=True)
    clips = [Path(c) for c in args.clips] if args.clips else default_clips()
    for clip in clips[: args.gatys_clips]:
        frames = read_frames(clip, n)
        row = {"clip": clip.name}
        small = flows = None
        for label, tw in (("temporal_on", 50.0), ("temporal_off", 0.0)):
            cfg = GatysConfig(size=size, temporal_weight=tw)
            outs = list(optimize_frames(frames, target, cfg, vgg, 40, 20))
            if flows is None:
                h, w = outs[0].shape[:2]
                small = [resize_long_side(f, size)[:h, :w] for f in frames]
                flows = input_flows(small)
            row[label] = round(warping_error(small, outs, flows), 5)
        row["input"] = round(warping_error(small, small, flows), 5)
        rows.append(row)
        lines.append(f"  {clip.name:22s} temporal loss on {row['temporal_on']:.5f}  off {row['temporal_off']:.5f}"
                     f"  (input {row['input']:.5f})")
        print(lines[-1], flush=True)  # progress: this section takes minutes on a CPU
    return rows, lines


def run(args, emit) -> dict:
    import tempfile

    from ..gatys.optimize import loss_network_on
    from ..render.devices import pick_device

    device = pick_device(getattr(args, "device", None) or "cpu")
    vgg = loss_network_on(device)
    rows, lines = [], []
    iters = 10
    with tempfile.TemporaryDirectory() as tmp:
        for size in (256, 512):
            ours = _ours(size, iters, vgg)
            try:
                theirs = _pastiche(size, iters, Path(tmp), str(device))
            except Exception as e:  # noqa: BLE001 - report, don't fail the benchmark
                theirs, why = None, f"{type(e).__name__}: {e}"
            else:
                why = "" if theirs is not None else "pastiche not installed"
            rows.append({"size": size, "iters": iters, "ours_s_per_iter": round(ours, 3),
                         "pastiche_s_per_iter": round(theirs, 3) if theirs else None})
            lines.append(f"{size} px, {iters} L-BFGS iterations: ours {ours:.3f} s/iter, pastiche "
                         + (f"{theirs:.3f} s/iter ({theirs / ours:.2f}x ours)" if theirs else f"n/a ({why})"))
            print(lines[-1], flush=True)
    default_s = None
    if device.type != "cpu":  # minutes on a CPU; the GPU target is <= 15 s
        default_s = round(_default_run(vgg), 2)
        lines.append(f"default job on {device} (512 px, 300 L-BFGS iterations): {default_s} s")
        print(lines[-1], flush=True)
    video_rows, video_lines = _video_temporal(args, vgg)
    data = {"rows": rows, "video": video_rows, "threads": torch.get_num_threads(), "device": str(device),
            "default_job_s": default_s}
    emit(args, "gatys (seconds per iteration; video warping error with the temporal loss on/off)", data,
         lines + video_lines)
    return data
