"""Still-image reading/writing and array <-> tensor conversion."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class ImageError(ValueError):
    """An image cannot be read or written."""


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array (H, W, 3)."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)  # fromfile+imdecode: works with any path encoding
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise ImageError(f"not a readable image: {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def check_writable_image(path: str | os.PathLike) -> Path:
    """`path` if its type is one we write (checked before minutes of painting, not after:
    OpenCV raises, rather than returns False, for a type it has no encoder for)."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise ImageError(f"unsupported image type '{path.suffix or '(none)'}' for {path}: use "
                         + ", ".join(IMAGE_EXTENSIONS))
    if not path.parent.is_dir():
        raise ImageError(f"output folder does not exist: {path.parent}")
    return path


def write_rgb(path: str | os.PathLike, rgb: np.ndarray) -> None:
    path = check_writable_image(path)
    ext = path.suffix.lower()
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ImageError(f"cannot encode image as {ext}: {path}")
    tmp = path.with_name(path.name + ".part")
    try:
        buf.tofile(str(tmp))
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ImageError(f"cannot write {path}: {e.strerror or e}") from None


def list_images(folder: str | os.PathLike) -> list[Path]:
    """All image files under `folder`, recursively, sorted for reproducibility."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def resize_long_side(rgb: np.ndarray, long_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    if abs(scale - 1.0) < 1e-6:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) -> float (1, 3, H, W) in [0, 1]."""
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """float (1, 3, H, W) in [0, 1] -> uint8 (H, W, 3)."""
    return t[0].detach().clamp(0, 1).mul(255.0).round_().to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()
