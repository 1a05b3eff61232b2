"""Command-line options of the Gatys (optimization) method, shared by `image` and `video`."""
from __future__ import annotations

import argparse


def add_gatys_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("--method gatys (optimization, Gatys et al. 2015)")
    g.add_argument("--style-image", help="any painting to take the style from (instead of --style's painting)")
    g.add_argument("--size", type=int, default=512, help="output long side in pixels (default 512)")
    g.add_argument("--iters", type=int, default=None, help="optimizer iterations (default: 300 L-BFGS / 600 Adam)")
    g.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    g.add_argument("--init", choices=("content", "noise"), default="content")
    g.add_argument("--style-weight", type=float, default=3.0)
    g.add_argument("--content-weight", type=float, default=1.0)
    g.add_argument("--tv-weight", type=float, default=1e-3)
    g.add_argument("--temporal-weight", type=float, default=50.0, help="video: optical-flow temporal loss (0 = off)")
    g.add_argument("--style-layers", nargs="+", default=None, help="default relu1_1 relu2_1 relu3_1 relu4_1 relu5_1")
    g.add_argument("--content-layer", default="relu4_2")
    g.add_argument("--style-scale", type=float, default=1.0, help="painting size relative to the output")
    g.add_argument("--multi-style", default=None, help="blend paintings: A.jpg:0.5,B.jpg:0.5")
    g.add_argument("--save-every", type=int, default=0, help="write intermediate images every K iterations")
    g.add_argument("--resume", action="store_true", help="video: reuse finished frames from the frame cache")
