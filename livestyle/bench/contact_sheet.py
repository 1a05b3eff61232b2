"""A contact sheet: every style applied to one or more photos, labelled, in one PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..io.images import check_writable_image, read_rgb, resize_long_side, write_rgb
from ..render.stylize import Stylizer


def _default_photo() -> np.ndarray:
    from .media import SAMPLE
    from ..io.video_reader import VideoFileSource

    with VideoFileSource(SAMPLE) as src:
        return next(iter(src)).rgb


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((22, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([tile, bar], 0)


def _row(tiles: list[np.ndarray]) -> np.ndarray:
    h = max(t.shape[0] for t in tiles)
    return np.concatenate([np.pad(t, ((0, h - t.shape[0]), (0, 0), (0, 0)), constant_values=255) for t in tiles], 1)


def render_sheet(styles, out: str | Path, photo_paths: list[Path], width: int = 320,
                 photos: list[np.ndarray] | None = None, tiers=("fast", "quality"), paint_width: int = 640) -> Path:
    """One row per style: each photo painted by each of the style's tiers (a blank tile
    where the style lacks a tier), under a header row with the photos themselves.

    Photos are painted at `paint_width` on the long side (640: what `cam` and `video` paint
    on a CPU), then shown at `width`: a network's strokes have a fixed size in pixels, so
    painting the thumbnail itself would show strokes twice as coarse as a user sees."""
    out = check_writable_image(out)
    photos = photos or ([read_rgb(p) for p in photo_paths] if photo_paths else [_default_photo()])
    painted_in = [resize_long_side(p, max(width, paint_width)) for p in photos]
    smalls = [resize_long_side(p, width) for p in painted_in]
    shown = [t for t in tiers if any(t in s.tiers for s in styles)]
    header = []
    for small in smalls:
        header.append(_label(small, "photo"))
        header.extend(_label(np.full_like(small, 255), "") for _ in shown[1:])
    rows = [_row(header)]
    for style in styles:
        stylizers = {t: Stylizer.from_file(p, "cpu", style.name) for t, p in style.tiers.items() if t in shown}
        tiles = []
        for big, small in zip(painted_in, smalls):
            for tier in shown:
                st = stylizers.get(tier)
                tile = resize_long_side(st(big), width) if st is not None else np.full_like(small, 255)
                tiles.append(_label(tile, f"{style.name} ({tier})" if st is not None else ""))
        rows.append(_row(tiles))
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    write_rgb(out, np.concatenate(rows, 0))
    return out
