"""A contact sheet: every style applied to one or more photos, labelled, in one PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..io.images import read_rgb, resize_long_side, write_rgb
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


def render_sheet(styles, out: str | Path, photo_paths: list[Path], width: int = 320,
                 photos: list[np.ndarray] | None = None) -> Path:
    photos = photos or ([read_rgb(p) for p in photo_paths] if photo_paths else [_default_photo()])
    rows = []
    for photo in photos:
        small = resize_long_side(photo, width)
        tiles = [_label(small, "photo")]
        for style in styles:
            tiles.append(_label(Stylizer.from_file(style.model_path, "cpu", style.name)(small), style.name))
        rows.append(np.concatenate(tiles, 1))
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    out = Path(out)
    write_rgb(out, np.concatenate(rows, 0))
    return out
