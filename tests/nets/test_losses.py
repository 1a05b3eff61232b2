"""The training losses of livestyle.nets.losses: texture, palette and the comb term."""
from __future__ import annotations

import torch

from livestyle.nets.losses import PaletteTarget, SlicedWassersteinTargets, comb_loss, comb_term


def test_sliced_wasserstein_targets():
    torch.manual_seed(0)
    target = {"relu1_1": torch.randn(1, 8, 64, 64)}
    swd = SlicedWassersteinTargets(target, directions=8, points=1024)
    gen = torch.Generator().manual_seed(0)
    same = swd.loss({"relu1_1": torch.randn(2, 8, 32, 32)}, gen)
    moved = swd.loss({"relu1_1": torch.randn(2, 8, 32, 32) * 2 + 1}, gen)
    assert same.shape == (2,) and float(same.max()) < 0.05 < float(moved.min())
    x = (torch.randn(1, 8, 16, 16) * 2 + 1).requires_grad_()
    swd.loss({"relu1_1": x}, gen).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_palette_target_compares_colours_not_layout():
    torch.manual_seed(0)
    painting = torch.rand(1, 3, 64, 64) * 0.5  # dark, mid-tone colours
    palette = PaletteTarget(painting)
    gen = torch.Generator().manual_seed(0)
    shuffled = painting.flatten(2)[..., torch.randperm(64 * 64)].reshape(1, 3, 64, 64)  # same colours, new layout
    assert float(palette.loss(shuffled, gen)) < 0.05
    bright = (painting + 0.5).requires_grad_()
    loss = palette.loss(bright, gen)
    assert float(loss.detach()) > 1.0
    loss.sum().backward()
    assert float(bright.grad.mean()) > 0  # descending the gradient darkens the image towards the painting


def test_comb_term_sees_two_pixel_blocks_along_either_axis_and_not_the_photo_itself():
    x = torch.nn.functional.interpolate(torch.rand(2, 3, 12, 12), size=(48, 48), mode="bicubic")
    assert float(comb_loss(x, x)) == 0.0
    # Columns in alike pairs, as an x2 upsampling leaves them: what the term pushes away.
    paired = x[..., 0::2].repeat_interleave(2, dim=-1)
    assert float(comb_loss(paired, x)) > 0.1
    assert abs(float(comb_loss(paired.transpose(-1, -2), x.transpose(-1, -2))) - float(comb_loss(paired, x))) < 1e-6
    paired.requires_grad_(True)
    comb_loss(paired, x).backward()
    assert paired.grad.abs().sum() > 0


def test_the_comb_term_is_a_zero_on_the_outputs_device_when_off():
    y = torch.rand(1, 3, 8, 8)
    assert float(comb_term(0.0, y, y.flip(-1))) == 0.0
    assert float(comb_term(1.0, y[..., 0::2].repeat_interleave(2, dim=-1), y)) > 0
