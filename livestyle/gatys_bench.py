"""Seconds per Gatys iteration, ours vs pastiche, same inputs, iterations and process."""
from __future__ import annotations

import time

import numpy as np
import torch


def _inputs(size: int):
    rng = np.random.default_rng(0)
    photo = (rng.random((size * 3 // 4, size, 3)) * 255).astype(np.uint8)
    painting = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    return photo, painting


def _ours(size: int, iters: int) -> float:
    from .gatys import GatysConfig, optimize_image
    from .vgg import load_loss_network

    vgg = load_loss_network()
    photo, painting = _inputs(size)
    cfg = GatysConfig(size=size, iters=iters, coarse_to_fine=False)
    t = time.perf_counter()
    optimize_image(photo, painting, cfg, vgg=vgg)
    return (time.perf_counter() - t) / iters


def _pastiche(size: int, iters: int, tmp) -> float | None:
    try:
        from pastiche.pastiche import PasticheArtist
    except ImportError:
        return None
    from .images import write_rgb

    photo, painting = _inputs(size)
    write_rgb(tmp / "c.png", photo)
    write_rgb(tmp / "s.png", painting)
    artist = PasticheArtist(str(tmp / "c.png"), [str(tmp / "s.png")], device="cpu")
    t = time.perf_counter()
    for _ in range(iters):
        artist.draw()  # one L-BFGS iteration
    return (time.perf_counter() - t) / iters


def run(args, emit) -> dict:
    import tempfile
    from pathlib import Path

    rows, lines = [], []
    iters = 10
    with tempfile.TemporaryDirectory() as tmp:
        for size in (256, 512):
            ours = _ours(size, iters)
            try:
                theirs = _pastiche(size, iters, Path(tmp))
            except Exception as e:  # noqa: BLE001 - report, don't fail the benchmark
                theirs, why = None, f"{type(e).__name__}: {e}"
            else:
                why = "" if theirs is not None else "pastiche not installed"
            rows.append({"size": size, "iters": iters, "ours_s_per_iter": round(ours, 3),
                         "pastiche_s_per_iter": round(theirs, 3) if theirs else None})
            lines.append(f"{size} px, {iters} L-BFGS iterations: ours {ours:.3f} s/iter, pastiche "
                         + (f"{theirs:.3f} s/iter ({theirs / ours:.2f}x ours)" if theirs else f"n/a ({why})"))
    data = {"rows": rows, "threads": torch.get_num_threads()}
    emit(args, "gatys (seconds per iteration)", data, lines)
    return data
