"""Perceptual losses and the style/content metrics used by training, Gatys and the benchmarks.

All losses are *relative* (divided by the target's own magnitude) so the
weights are comparable across layers and paintings, and the metrics printed
by the benchmarks are the same numbers the optimizers see.
"""
from __future__ import annotations

import torch

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER_TRAIN = "relu2_2"
CONTENT_LAYER_METRIC = "relu4_2"


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix F F^T / (C*H*W) per batch item, computed in float32."""
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w).float()
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def style_loss(out_grams: dict, target_grams: dict, squared: bool = True) -> torch.Tensor:
    """Mean over layers of ||G_out - G_target|| / ||G_target|| (squared for training)."""
    terms = []
    for name, gt in target_grams.items():
        go = out_grams[name]
        diff = (go - gt).flatten(1).norm(dim=1)
        ref = gt.flatten(1).norm(dim=1).clamp_min(1e-12)
        rel = diff / ref
        terms.append(rel.square() if squared else rel)
    return torch.stack(terms).mean(0)


def content_loss(out_feat: torch.Tensor, target_feat: torch.Tensor, squared: bool = True) -> torch.Tensor:
    """||F_out - F_target|| / ||F_target|| per batch item (squared for training)."""
    diff = (out_feat - target_feat).flatten(1).float().norm(dim=1)
    rel = diff / target_feat.flatten(1).float().norm(dim=1).clamp_min(1e-12)
    return rel.square() if squared else rel


def total_variation(img: torch.Tensor) -> torch.Tensor:
    dx = (img[..., :, 1:] - img[..., :, :-1]).abs().mean()
    dy = (img[..., 1:, :] - img[..., :-1, :]).abs().mean()
    return dx + dy
