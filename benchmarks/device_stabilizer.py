#!/usr/bin/env python3
"""Is the device stabilizer (render/device_stabilizer.py) as steady as the DIS one?

For each clip in ../shared/data/clips/*.mp4 (else the sample): the first 40 frames,
brought to the work height the app paints at on a CPU (480 lines), painted with
the default style through `Stabilizer("flow")` (OpenCV DIS, numpy frames) and
through `DeviceStabilizer("flow", flow=F)` for each F of --flows (torch: its
Lucas-Kanade flow on the device; dis: DIS on the CPU, the frames on the device),
as the app does: each stabilizer pre-filters the network's input and blends its
output. Prints the warping error (Lai et al. 2018, livestyle.bench.metrics) of the
input (the floor), of the unstabilized output and of each stabilizer, the ratio
device / DIS (target <= 1.1 on every clip), and each stabilizer's ms per frame, the
network not counted (on a CPU one thread; on CUDA the torch flow runs as a few
hundred small kernels, see torch_flow.py, and its ms include the upload and
download). --style-loss adds the style loss of each (frames 0, 10, 20, 30), against
the painting in ../shared/data/styles.

    python benchmarks/device_stabilizer.py [--frames 40] [--threads 1] [--flows torch,dis] [--style-loss] [--device cuda]
"""
from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch

from livestyle.api import load_style
from livestyle.bench.media import SHARED, default_clips, read_frames
from livestyle.bench.metrics import input_flows, warping_error
from livestyle.nets.registry import DEFAULT_STYLE
from livestyle.render.device_stabilizer import DeviceStabilizer
from livestyle.render.stabilize import Stabilizer

TARGET_RATIO = 1.1


def stabilized(st, stabilizer, frames) -> tuple[list[np.ndarray], float]:
    """(outputs, ms per frame in the stabilizer, the network not counted) of a clip
    painted through one stabilizer."""
    outs, spent = [], 0.0
    for frame in frames:
        t0 = time.perf_counter()
        x, motion = stabilizer.prepare(frame)
        t1 = time.perf_counter()
        painted = st.network_rgb(x)
        t2 = time.perf_counter()
        outs.append(stabilizer.blend(painted, motion))
        spent += t1 - t0 + time.perf_counter() - t2
    return outs, spent / len(frames) * 1e3


def style_metric(style: str):
    """The style loss against the style's painting, as `livestyle bench stability` scores it;
    None when the painting is not in ../shared/data/styles."""
    from livestyle.bench.metrics import StyleMetric
    from livestyle.io.images import read_rgb
    from livestyle.nets.registry import find_style
    from livestyle.nets.vgg import load_loss_network

    name = find_style(style).style_image
    path = SHARED / "styles" / name if name else None
    return StyleMetric(load_loss_network(), read_rgb(path)) if path and path.is_file() else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--style", default=DEFAULT_STYLE)
    p.add_argument("--style-loss", action="store_true")
    p.add_argument("--flows", default="torch",
                   help="the device stabilizer's flows to compare, comma-separated: torch (Lucas-Kanade on "
                        "the device), dis (OpenCV DIS on the CPU, the frames on the device)")
    p.add_argument("--device", default="cpu",
                   help="where DeviceStabilizer runs (cuda: its ms include the upload and download per frame)")
    args = p.parse_args()
    # work_height None: 480 lines on a CPU, as video and cam paint (devices.CPU_WORK_HEIGHT).
    st = load_style(args.style, "auto", "cpu", work_height=None, threads=args.threads)
    cv2.setNumThreads(1)
    torch.set_num_threads(args.threads)
    metric = style_metric(st.name) if args.style_loss else None
    if args.style_loss and metric is None:
        print("(style loss skipped: painting not found in ../shared/data/styles)")
    print(f"style {st.name} ({st.tier}, {st.engine}), {args.frames} frames at {st.work_height} lines, "
          f"{torch.get_num_threads()} thread(s); warping error x1e3, ms per frame")
    flows_to_run = args.flows.split(",")
    heads = "".join(f" {'dev ' + f:>9s} {'ratio':>6s} {'ms':>6s}" for f in flows_to_run)
    print(f"{'clip':16s} {'input':>6s} {'off':>6s} {'DIS':>6s} {'ms':>6s}{heads}")
    worst = dict.fromkeys(flows_to_run, 0.0)
    for clip in default_clips():
        # prepare brings each frame to the work height first, as the app does.
        frames = [st.prepare(f)[0] for f in read_frames(clip, args.frames)]
        painted = [st.network_rgb(f) for f in frames]
        flows = input_flows(frames)  # depends on the inputs only: shared by every row
        outs = {"off": (painted, 0.0), "DIS": stabilized(st, Stabilizer("flow"), frames)}
        for f in flows_to_run:
            outs[f"dev {f}"] = stabilized(st, DeviceStabilizer("flow", device=args.device, flow=f), frames)
        err = {name: warping_error(frames, o, flows) for name, (o, _) in outs.items()}
        err_in = warping_error(frames, frames, flows)
        line = (f"{clip.stem:16s} {1e3 * err_in:6.3f} {1e3 * err['off']:6.3f} {1e3 * err['DIS']:6.3f} "
                f"{outs['DIS'][1]:6.1f}")
        for f in flows_to_run:
            ratio = err[f"dev {f}"] / err["DIS"]
            worst[f] = max(worst[f], ratio)
            line += f" {1e3 * err[f'dev {f}']:9.3f} {ratio:6.3f} {outs[f'dev {f}'][1]:6.1f}"
        if metric is not None:
            picks = range(0, len(frames), max(1, len(frames) // 4))
            line += "   style loss " + " ".join(
                f"{name} {np.mean([metric(o[i], frames[i])[0] for i in picks]):.4f}" for name, (o, _) in outs.items())
        print(line, flush=True)
    met = all(w <= TARGET_RATIO for w in worst.values())
    for f, w in worst.items():
        print(f"worst ratio device stabilizer ({f} flow) / DIS {w:.3f} (target <= {TARGET_RATIO}): "
              f"{'met' if w <= TARGET_RATIO else 'NOT met'}")
    return 0 if met else 1

if __name__ == "__main__":
    raise SystemExit(main())
