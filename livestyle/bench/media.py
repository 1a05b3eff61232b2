"""Where benchmark media comes from: the shipped sample clip, and ../shared/data when present."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "astronaut.mp4"
# LIVESTYLE_SHARED: the same layout elsewhere (a device machine gets the clips carried into the repository).
SHARED = Path(os.environ.get("LIVESTYLE_SHARED") or Path(__file__).resolve().parents[3] / "shared" / "data")


def default_clips() -> list[Path]:
    """../shared/data/clips/*.mp4 when present, else the sample."""
    shared = sorted((SHARED / "clips").glob("*.mp4"))
    return shared or [SAMPLE]


def read_frames(path: Path, limit: int = 300) -> list[np.ndarray]:
    """The first `limit` frames of a clip, RGB uint8."""
    from ..io.video_reader import VideoFileSource

    with VideoFileSource(path) as src:
        out = []
        for f in src:
            out.append(f.rgb)
            if len(out) >= limit:
                break
    return out
