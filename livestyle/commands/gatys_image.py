"""`livestyle image --method gatys`: optimize each image (Gatys et al. 2015)."""
from __future__ import annotations

import sys

from ..gatys.optimize import optimize_image
from ..io.images import read_rgb, to_uint8, write_rgb
from .common import say
from .gatys_common import gatys_config, style_target


def run_images(args, files, targets) -> int:
    cfg = gatys_config(args)
    vgg, target = style_target(args, cfg)
    from tqdm import tqdm

    for src, dst in zip(files, targets):
        photo = read_rgb(src)
        bar = None if args.quiet else tqdm(total=cfg.total_iters(), desc=src.name, unit="it", file=sys.stderr,
                                           dynamic_ncols=True)

        def on_step(i, loss, img, dst=dst, bar=bar):
            if bar is not None:
                bar.n = min(i, bar.total)
                bar.set_postfix(loss=f"{loss:.4f}")
                bar.refresh()
            if args.save_every and i % args.save_every == 0:
                write_rgb(dst.with_name(f"{dst.stem}-{i:05d}{dst.suffix}"), to_uint8(img.clamp(0, 1)))

        try:
            out = optimize_image(photo, target, cfg, vgg=vgg, on_step=on_step)
        finally:
            if bar is not None:
                bar.close()
        write_rgb(dst, out)
        say(f"wrote {dst}", args.quiet)
    return 0
