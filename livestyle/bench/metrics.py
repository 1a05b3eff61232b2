"""Quality and stability figures printed by the benchmarks.

* Warping error (Lai et al. 2018): mean over consecutive frame pairs of
  sum(M * ||warp(O_t) - O_{t-1}||^2) / sum(M), with O in RGB [0, 1] (the
  squared norm is over the three channels), the flow computed on the INPUT
  frames with OpenCV DIS, and M the pixels that pass the forward-backward
  consistency test of Ruder et al. 2016.
* Style loss: mean over relu1_1..relu5_1 of ||G(out) - G(painting)||_F /
  ||G(painting)||_F, both images at 512 px on the long side.
* Content loss: ||relu4_2(out) - relu4_2(photo)|| / ||relu4_2(photo)||.
* Texture (Heitz et al. 2021): sliced Wasserstein distance between the
  distributions of VGG features (relu1_1..relu4_1) of output and painting,
  per layer divided by the spread of the painting's own projected features
  (so layers weigh alike), averaged over layers. Grams compare only second
  moments and are fooled by a flat wash of the painting's main colour; the
  full distribution is not.
* Palette: sliced Wasserstein distance between the CIELAB colours of output
  and painting, in Lab units (about one just-noticeable difference each).
* Comb: a grid of two-pixel blocks, the finest a network prints: each pair of
  columns (or rows) alike and the step between pairs larger, as an x2
  upsampling leaves it when the layers after it do not smooth it away. Along
  each axis, the mean |difference| between neighbours starting at even pixels
  over those starting at odd ones (or the reverse, whichever is larger), the
  larger axis: 1.0 for no grid, 2.0 when steps between pairs are twice those
  within; photos read 1.0-1.1 (1.4 on one clip).
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch

from ..io.images import resize_long_side, to_tensor
from ..nets.losses import CONTENT_LAYER_METRIC, STYLE_LAYERS, content_loss, gram, style_loss

METRIC_SIZE = 512
SWD_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
SWD_DIRECTIONS = 64


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: int = SWD_DIRECTIONS,
                       seed: int = 0) -> tuple[float, float]:
    """(W2 distance, spread of b) averaged over random 1-D projections of two point
    sets a (N, D) and b (M, D). Fixed directions (seeded) so runs compare; the sorted
    projections are compared at min(N, M) evenly spaced quantiles."""
    gen = torch.Generator().manual_seed(seed)
    dirs = torch.randn(a.shape[1], directions, generator=gen)
    dirs /= dirs.norm(dim=0, keepdim=True)
    pa, _ = torch.sort(a.float() @ dirs, dim=0)
    pb, _ = torch.sort(b.float() @ dirs, dim=0)
    n = min(len(pa), len(pb))
    qa = pa[torch.linspace(0, len(pa) - 1, n).round().long()]
    qb = pb[torch.linspace(0, len(pb) - 1, n).round().long()]
    w2 = (qa - qb).pow(2).mean(0).sqrt()
    return float(w2.mean()), float(pb.std(0).mean())


def lab_pixels(rgb: np.ndarray, max_side: int = 256) -> torch.Tensor:
    """(N, 3) CIELAB colours (L 0..100) of an RGB uint8 image, downscaled first."""
    small = resize_long_side(rgb, min(max_side, max(rgb.shape[:2])))
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return torch.from_numpy(lab.reshape(-1, 3))


def pixel_comb(rgb: np.ndarray) -> float:
    """The comb figure of an RGB uint8 image (module docstring): 1.0 for none."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    worst = 1.0
    for axis in (0, 1):
        step = np.abs(np.diff(gray, axis=axis)).mean(axis=1 - axis)  # one value per column (row) pair
        # + 0.01 grey levels: a flat image reads 1.0, exact pairs a large finite figure.
        even, odd = float(step[0::2].mean()) + 0.01, float(step[1::2].mean()) + 0.01
        worst = max(worst, max(even, odd) / min(even, odd))
    return worst


def dis_flow(a_gray: np.ndarray, b_gray: np.ndarray) -> np.ndarray:
    """Dense flow from a to b (for each pixel of a, its displacement into b)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(a_gray, b_gray, None)


def warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample img at p + flow(p): brings frame b onto frame a's grid given flow a->b."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistency_mask(fwd: np.ndarray, bwd: np.ndarray) -> np.ndarray:
    """Ruder et al. 2016: |f + b(p+f)|^2 <= 0.01 (|f|^2 + |b(p+f)|^2) + 0.5, and no motion boundary."""
    b_at = warp(bwd, fwd)
    lhs = ((fwd + b_at) ** 2).sum(-1)
    rhs = 0.01 * ((fwd ** 2).sum(-1) + (b_at ** 2).sum(-1)) + 0.5
    ok = lhs <= rhs
    gx = cv2.Sobel(bwd, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(bwd, cv2.CV_32F, 0, 1, ksize=1)
    grad = (gx ** 2).sum(-1) + (gy ** 2).sum(-1)
    motion_boundary = grad > 0.01 * (bwd ** 2).sum(-1) + 0.002
    return ok & ~motion_boundary


def input_flows(inputs: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(flow t-1 -> t, consistency mask) for every consecutive pair of input frames.
    Depends on the inputs only, so compute it once and score many outputs with it."""
    grays = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in inputs]
    pairs = []
    for t in range(1, len(grays)):
        fwd = dis_flow(grays[t - 1], grays[t])
        bwd = dis_flow(grays[t], grays[t - 1])
        pairs.append((fwd, consistency_mask(fwd, bwd)))
    return pairs


def warping_error(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
                  flows: list[tuple[np.ndarray, np.ndarray]] | None = None) -> float:
    """Lai et al. 2018 warping error of `outputs`, flow from `inputs` (RGB uint8 frames)."""
    if len(inputs) != len(outputs) or len(inputs) < 2:
        raise ValueError("need two or more input/output frames, as many outputs as inputs")
    flows = flows if flows is not None else input_flows(inputs)
    errors = []
    for t, (fwd, mask) in enumerate(flows, start=1):
        if not mask.any():
            continue
        o_prev = outputs[t - 1].astype(np.float32) / 255.0
        o_warped = warp(outputs[t].astype(np.float32) / 255.0, fwd)
        sq = ((o_warped - o_prev) ** 2).sum(-1)
        errors.append(float(sq[mask].mean()))
    return float(np.mean(errors)) if errors else 0.0


class StyleMetric:
    """Style/content losses against one painting; the painting's Grams are computed once."""

    def __init__(self, vgg, painting_rgb: np.ndarray, size: int = METRIC_SIZE):
        self.vgg = vgg
        self.size = size
        with torch.no_grad():
            feats = vgg(to_tensor(resize_long_side(painting_rgb, size)), STYLE_LAYERS)
        self.target = {k: gram(v) for k, v in feats.items()}
        self.target_feats = {k: _points(feats[k]) for k in SWD_LAYERS}
        self.target_lab = lab_pixels(painting_rgb)

    @torch.no_grad()
    def texture_palette(self, out_rgb: np.ndarray) -> tuple[float, float]:
        """(VGG-feature SWD relative to the painting's spread, Lab SWD) of an output image."""
        feats = self.vgg(to_tensor(resize_long_side(out_rgb, self.size)), SWD_LAYERS)
        rel = []
        for k in SWD_LAYERS:
            w2, spread = sliced_wasserstein(_points(feats[k]), self.target_feats[k])
            rel.append(w2 / max(spread, 1e-8))
        lab, _ = sliced_wasserstein(lab_pixels(out_rgb), self.target_lab)
        return float(np.mean(rel)), lab

    @torch.no_grad()
    def __call__(self, out_rgb: np.ndarray, photo_rgb: np.ndarray) -> tuple[float, float]:
        out = to_tensor(resize_long_side(out_rgb, self.size))
        photo = to_tensor(resize_long_side(photo_rgb, self.size))
        fo = self.vgg(out, STYLE_LAYERS + (CONTENT_LAYER_METRIC,))
        fp = self.vgg(photo, (CONTENT_LAYER_METRIC,))
        s = style_loss({k: gram(fo[k]) for k in STYLE_LAYERS}, self.target, squared=False)
        c = content_loss(fo[CONTENT_LAYER_METRIC], fp[CONTENT_LAYER_METRIC], squared=False)
        return float(s.mean()), float(c.mean())


def _points(features: torch.Tensor, limit: int = 16384) -> torch.Tensor:
    """(N, C) feature vectors of a (1, C, H, W) map, an even subsample of at most `limit`."""
    pts = features[0].flatten(1).t()
    if len(pts) > limit:
        pts = pts[torch.linspace(0, len(pts) - 1, limit).round().long()]
    return pts
