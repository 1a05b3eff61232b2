#!/usr/bin/env python3
"""Where a style network's time goes on a GPU, and what the usual remedies buy.

For each tier (the default style's networks), at each size: the milliseconds per
frame of the network as `Stylizer` runs it (fp16, channels_last), then with
cudnn.benchmark (autotuned convolution algorithms), then replayed as a CUDA graph
(one launch for the whole network: removes the per-kernel launch cost that
dominates small-channel networks), then torch.compile (if it builds within
--compile-budget seconds). Then the top operators of one profiled frame of the
quality network at the largest size. Runs on a CPU too (graphs and the profile
are CUDA-only), for a dry run:

    python benchmarks/gpu_network.py --device cuda [--sizes 1920x1080,640x480]
    python benchmarks/gpu_network.py --device cpu --sizes 64x48 --iters 2   # dry run
"""
from __future__ import annotations

import argparse
import time

import torch

from livestyle.nets.model_io import load_network
from livestyle.nets.registry import DEFAULT_STYLE, find_style
from livestyle.render.stylize import Stylizer


def per_frame_ms(fn, iters: int, cuda: bool) -> float:
    for _ in range(3):
        fn()
    if cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(iters):
        fn()
    if cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / iters * 1e3


def cuda_graph(net, x):
    """net(x) captured once and replayed: the input is copied into the captured buffer."""
    static_x = x.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):  # warm-up on a side stream, as capture requires
            net(static_x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_y = net(static_x)

    def run():
        static_x.copy_(x)
        graph.replay()
        return static_y

    return run


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--style", default=DEFAULT_STYLE)
    p.add_argument("--sizes", default="1920x1080,640x480")
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--compile-budget", type=float, default=90.0, help="seconds; 0 skips torch.compile")
    args = p.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    name = torch.cuda.get_device_name(device) if cuda else "CPU"
    print(f"== network time per frame, {name}, torch {torch.__version__}")
    style = find_style(args.style)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    biggest = None
    for tier in style.tiers:
        st = Stylizer(load_network(style.tier_path(tier)), device, style.name, engine="torch")
        for w, h in sizes:
            m = st.multiple  # Stylizer pads frames up to the network's multiple: time that size
            x = torch.rand(1, 3, -(-h // m) * m, -(-w // m) * m, device=device, dtype=st.dtype).contiguous(memory_format=torch.channels_last)
            rows = []
            with torch.inference_mode():
                torch.backends.cudnn.benchmark = False
                rows.append(("as shipped", per_frame_ms(lambda: st.net(x), args.iters, cuda)))
                torch.backends.cudnn.benchmark = True
                rows.append(("cudnn.benchmark", per_frame_ms(lambda: st.net(x), args.iters, cuda)))
                if cuda:
                    rows.append(("+ CUDA graph", per_frame_ms(cuda_graph(st.net, x), args.iters, cuda)))
            if args.compile_budget > 0:
                t0 = time.perf_counter()
                try:
                    compiled = torch.compile(st.net)
                    with torch.inference_mode():
                        compiled(x)
                    build = time.perf_counter() - t0
                    if build <= args.compile_budget:
                        with torch.inference_mode():
                            rows.append((f"torch.compile (built in {build:.0f} s)",
                                         per_frame_ms(lambda: compiled(x), args.iters, cuda)))
                except Exception as e:  # noqa: BLE001 - a figure, not a feature
                    rows.append((f"torch.compile failed: {type(e).__name__}", float("nan")))
            for what, ms in rows:
                print(f"{style.name} {tier:8s} {w}x{h}  {what:34s} {ms:8.2f} ms")
            if tier == "quality" and biggest is None:
                biggest = (st.net, x)
    if biggest is not None and cuda:
        net, x = biggest
        from torch.profiler import ProfilerActivity, profile

        with torch.inference_mode(), profile(activities=[ProfilerActivity.CUDA]) as prof:
            net(x)
            torch.cuda.synchronize()
        print(f"== one quality frame at {x.shape[3]}x{x.shape[2]}, top CUDA kernels")
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=15))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
