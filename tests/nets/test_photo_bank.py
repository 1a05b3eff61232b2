"""Training photos decoded once and cropped on the device."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from livestyle.io.images import write_rgb
from livestyle.nets.photo_bank import PhotoBank, PhotoBankError


def test_crops_are_seeded_sized_and_in_range(tmp_path):
    rng = np.random.default_rng(0)
    for i, size in enumerate(((40, 70), (300, 200), (64, 64))):
        write_rgb(tmp_path / f"p{i}.png", (rng.random((*size, 3)) * 255).astype(np.uint8))
    (tmp_path / "broken.jpg").write_bytes(b"not an image")  # skipped, not fatal
    bank = PhotoBank(tmp_path, 48)
    assert len(bank) == 3
    assert max(min(p.shape[1:]) for p in bank.photos) <= 72  # kept at 1.5x the crop at most
    a = bank.batch(5, torch.Generator().manual_seed(3))
    b = bank.batch(5, torch.Generator().manual_seed(3))
    assert a.shape == (5, 3, 48, 48) and a.dtype == torch.float32
    assert torch.equal(a, b) and 0 <= float(a.min()) and float(a.max()) <= 1


def test_no_photos(tmp_path):
    with pytest.raises(PhotoBankError, match="no readable images"):
        PhotoBank(tmp_path, 32)
