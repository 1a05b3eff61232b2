#!/usr/bin/env python3
"""Does each hand-written CPU speed trick still pay? Times one 640x480 frame through
`Stylizer.network_rgb` (median of 40 after 10 warm-up calls, 2 threads) with each trick
switched off in turn, per engine and network design. Each case runs in its own process:
the heap setting is process-wide.

    python benchmarks/speed_tricks.py            # prints a table
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

CASES = [  # (label, style, tier, engine, tricks switched off)
    ("v2 wave, torch, all tricks", "wave", "fast", "torch", ()),
    ("v2 wave, torch, no heap", "wave", "fast", "torch", ("heap",)),
    ("v2 wave, torch, no custom norm", "wave", "fast", "torch", ("norm",)),
    ("v2 wave, openvino, all tricks", "wave", "fast", "openvino", ()),
    ("v2 wave, openvino, no heap", "wave", "fast", "openvino", ("heap",)),
    ("v3 starry, torch, all tricks", "starry", "fast", "torch", ()),
    ("v3 starry, torch, no heap", "starry", "fast", "torch", ("heap",)),
    ("v3 starry, torch, no custom norm", "starry", "fast", "torch", ("norm",)),
    ("v3 starry, openvino, all tricks", "starry", "fast", "openvino", ()),
    ("v3 starry, openvino, no heap", "starry", "fast", "openvino", ("heap",)),
]


def child(style: str, tier: str, engine: str, off: list[str]) -> float:
    import numpy as np
    import torch

    from livestyle.nets import networks
    from livestyle.nets.registry import find_style
    from livestyle.render import devices
    from livestyle.render.stylize import Stylizer

    if "heap" in off:
        devices.keep_freed_memory = lambda: False
    if "norm" in off:
        networks.InstanceNorm.forward = torch.nn.InstanceNorm2d.forward
    devices.configure_cpu_threads(2)
    st = Stylizer.from_file(find_style(style).tier_path(tier), "cpu", style, engine=engine)
    rng = np.random.default_rng(0)
    frame = (rng.random((480, 640, 3)) * 255).astype(np.uint8)
    for _ in range(10):
        st.network_rgb(frame)
    times = []
    for _ in range(40):
        t0 = time.perf_counter()
        st.network_rgb(frame)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        style, tier, engine, off = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
        print(json.dumps(child(style, tier, engine, off)))
        return 0
    print("| case | ms per 640x480 frame (median) |\n|---|---|")
    for label, style, tier, engine, off in CASES:
        out = subprocess.run([sys.executable, __file__, "--child", style, tier, engine, *off],
                             capture_output=True, text=True, check=True).stdout
        print(f"| {label} | {json.loads(out.strip().splitlines()[-1]):.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
