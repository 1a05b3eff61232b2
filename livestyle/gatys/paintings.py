"""Finding and reading style paintings for the optimization method.

Paintings are not shipped in the package (the networks are); `--style NAME`
looks for the painting a style was trained on in $LIVESTYLE_PAINTINGS, then
in a `shared/data/styles` folder beside the checkout.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .optimize import GatysError
from ..io.images import read_rgb
from ..nets.registry import find_style


def painting_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("LIVESTYLE_PAINTINGS"):
        dirs.append(Path(os.environ["LIVESTYLE_PAINTINGS"]))
    from ..bench.media import SHARED

    dirs.append(SHARED / "styles")
    return dirs


def painting_for_style(name: str) -> np.ndarray:
    style = find_style(name)
    file = style.style_image
    if not file:
        raise GatysError(f"style '{name}' does not record its painting; pass --style-image")
    for d in painting_dirs():
        if (d / file).is_file():
            return read_rgb(d / file)
    raise GatysError(f"painting {file} of style '{name}' not found (set LIVESTYLE_PAINTINGS or pass --style-image)")


def read_painting(path: str) -> np.ndarray:
    rgb = read_rgb(path)  # ImageError: missing or unreadable
    if min(rgb.shape[:2]) < 32:
        raise GatysError(f"painting too small: {path} is {rgb.shape[1]}x{rgb.shape[0]} (need at least 32 px)")
    return rgb


def parse_multi_style(text: str) -> list[tuple[np.ndarray, float]]:
    """'A.jpg:0.5,B.jpg:0.5' -> [(rgb, 0.5), (rgb, 0.5)]."""
    out = []
    for part in text.split(","):
        path, _, weight = part.rpartition(":")
        if not path:
            path, weight = weight, "1"
        try:
            w = float(weight)
        except ValueError:
            raise GatysError(f"--multi-style: bad weight in '{part}' (use PATH:WEIGHT,...)") from None
        if not (0 < w <= 100):
            raise GatysError(f"--multi-style: weight must be in (0, 100] (got {w:g})")
        out.append((read_painting(path), w))
    return out
