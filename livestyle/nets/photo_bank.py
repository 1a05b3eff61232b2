"""Training photos decoded once into memory and cropped on the training device.

Decoding a JPEG per crop costs more than a training step on a GPU, so every
photo is decoded once (scaled down to what the crops can use) and kept as a
uint8 tensor on the device; each batch is then a few slices, resizes and flips
there. All random choices come from a CPU generator, so a batch is the same on
every device and a checkpoint made on one device resumes on another with the
same batches.
"""
from __future__ import annotations

import math
import os

import cv2
import torch
import torch.nn.functional as F

from ..io.images import ImageError, list_images, read_rgb

# Crops cover 1/1.5 .. all of a photo's short side: they see whole objects, not just texture.
MAX_ZOOM = 1.5


class PhotoBankError(ValueError):
    pass


class PhotoBank:
    """Random square crops (scaled to `size`) with random horizontal flips."""

    def __init__(self, folder: str | os.PathLike, size: int, device: torch.device | str = "cpu"):
        self.size = size
        self.device = torch.device(device)
        keep_short = math.ceil(size * MAX_ZOOM)
        self.photos: list[torch.Tensor] = []
        for path in list_images(folder):
            try:
                img = read_rgb(path)
            except ImageError:
                continue  # an unreadable file in a big folder is skipped, not fatal
            h, w = img.shape[:2]
            if min(h, w) > keep_short:  # keep only the pixels a crop can use
                s = keep_short / min(h, w)
                img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            self.photos.append(torch.from_numpy(img).permute(2, 0, 1).contiguous().to(self.device))
        if not self.photos:
            raise PhotoBankError(f"no readable images found under {folder}")

    def __len__(self) -> int:
        return len(self.photos)

    def batch(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """(n, 3, size, size) float in [0, 1] on the bank's device."""
        crops = []
        for _ in range(n):
            img = self.photos[int(torch.randint(len(self.photos), (1,), generator=gen))]
            _, h, w = img.shape
            zoom = float(torch.empty(1).uniform_(1.0, MAX_ZOOM, generator=gen))
            side = max(1, min(h, w, round(min(h, w) / zoom)))
            y = int(torch.randint(h - side + 1, (1,), generator=gen))
            x = int(torch.randint(w - side + 1, (1,), generator=gen))
            crop = img[:, y:y + side, x:x + side].unsqueeze(0).float()
            if side != self.size:
                crop = F.interpolate(crop, size=(self.size, self.size), mode="bilinear",
                                     antialias=side > self.size, align_corners=False)
            if bool(torch.rand(1, generator=gen) < 0.5):
                crop = crop.flip(3)
            crops.append(crop)
        return torch.cat(crops).div_(255.0).clamp_(0.0, 1.0)
