#!/usr/bin/env python3
"""Train the shipped style pack round-robin, resumably.

Every style first gets a short pass (so the whole pack exists early), then
each further round resumes every style's checkpoint and trains it further.
Run it in the background; it can be killed and restarted at any time:

    nohup python scripts/train_pack.py --data ../shared/data/content \
        --styles-dir ../shared/data/styles > runs/pack.log 2>&1 &
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livestyle.train import TrainConfig, train  # noqa: E402

# name: (file, title, painter, year); paintings are public domain (see the credits in each models/NAME.json).
PACK = {
    "composition7": ("composition7.jpg", "Composition VII", "Wassily Kandinsky", "1913"),
    "udnie": ("udnie.jpg", "Udnie (Young American Girl, The Dance)", "Francis Picabia", "1913"),
    "mosaic": ("mosaic.jpg", "Roman floor mosaic of ducks (Palazzo Massimo)", "unknown Roman mosaicist", "Roman imperial era"),
    "seurat": ("seurat.jpg", "A Sunday Afternoon on the Island of La Grande Jatte", "Georges Seurat", "1884-86"),
    "kiss": ("kiss.jpg", "The Kiss", "Gustav Klimt", "1907-08"),
    "starry": ("starry.jpg", "The Starry Night", "Vincent van Gogh", "1889"),
    "wave": ("wave.jpg", "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1830-32"),
    "scream": ("scream.jpg", "The Scream", "Edvard Munch", "1893"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--styles-dir", required=True)
    ap.add_argument("--out-dir", default="models")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--round-steps", type=int, nargs="+", default=[1000, 2000])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--style-weight", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()
    names = args.only or list(PACK)
    for target in args.round_steps:
        for name in names:
            file, title, painter, year = PACK[name]
            cfg = TrainConfig(
                style_image=str(Path(args.styles_dir) / file), data=args.data, name=name,
                out_dir=args.out_dir, size=args.size, batch=args.batch, steps=target,
                threads=args.threads, style_weight=args.style_weight, lr=args.lr,
                credits={"title": title, "painter": painter, "year": year,
                         "credits": f"{title}, {painter} ({year}); public domain. Painting file: {file}."},
            )
            print(f"== {name}: to step {target}", flush=True)
            train(cfg, resume=True, progress=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
