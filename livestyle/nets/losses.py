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


def comb_imbalance(img: torch.Tensor, dim: int) -> torch.Tensor:
    """Per image, (even - odd) / (even + odd) of the mean |step| between neighbours along
    `dim` (-1 columns, -2 rows), steps from even pixels against steps from odd ones."""
    other = -2 if dim == -1 else -1
    steps = img.diff(dim=dim).abs().mean(dim=(1, other))  # (N, steps along dim)
    even, odd = steps[:, 0::2].mean(1), steps[:, 1::2].mean(1)
    return (even - odd) / (even + odd + 1e-6)


def comb_loss(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The output's two-pixel-block grid against the photo's: the squared difference of
    their imbalances (comb_imbalance), summed over both axes, averaged over the batch;
    0 when the output's steps alternate no more than the photo's."""
    return sum(((comb_imbalance(y, d) - comb_imbalance(x, d)) ** 2).mean() for d in (-1, -2))


def comb_term(weight: float, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """comb_loss of output y against photo x, or a zero when the term is off (weight 0)."""
    return comb_loss(y, x) if weight > 0 else torch.zeros((), device=y.device)


class SlicedWassersteinTargets:
    """The painting's VGG features per layer, for a sliced Wasserstein style loss
    (Heitz et al. 2021). Grams match only second moments, and a network finds that
    a wash of the painting's dominant colour scores well on them; matching the whole
    1-D distribution of random projections of the features brings the painting's
    rarer colours and stroke patterns (the yellow of the stars) along.

    Sorting the painting's projections every step would cost more than the rest of
    a CPU step, so a bank of 2C random directions per layer is drawn once, the
    painting's projections on them sorted once, and each step uses a random `directions`
    of them on a random `points` of the output's feature vectors (sorting is the cost:
    torch sorts ~13M floats a second per CPU thread)."""

    def __init__(self, features: dict[str, torch.Tensor], max_points: int = 16384, bank: int = 2, seed: int = 0,
                 directions: int = 64, points: int = 4096):
        self.directions, self.points = directions, points
        gen = torch.Generator().manual_seed(seed)
        self.dirs, self.sorted = {}, {}
        for name, f in features.items():
            pts = f[0].flatten(1).t().float()  # (H*W, C): the distribution, not the layout
            if len(pts) > max_points:
                pts = pts[torch.randperm(len(pts), generator=gen)[:max_points].to(pts.device)]
            c = pts.shape[1]
            dirs = torch.randn(c, bank * c, generator=gen).to(pts.device)
            self.dirs[name] = dirs / dirs.norm(dim=0, keepdim=True)
            self.sorted[name] = torch.sort(self.dirs[name].t() @ pts.t(), dim=1)[0]  # (bank*C, M)

    def loss(self, features: dict[str, torch.Tensor], gen: torch.Generator) -> torch.Tensor:
        """Per batch item: mean over layers of the squared 1-D Wasserstein distance along
        random directions of the bank, relative to the painting's projected variance."""
        terms = []
        for name, bank in self.dirs.items():
            f = features[name].float().flatten(2)
            pick = torch.randperm(bank.shape[1], generator=gen)[:self.directions].to(f.device)
            if f.shape[2] > self.points:  # a random sample of the output's feature vectors
                f = f[:, :, torch.randperm(f.shape[2], generator=gen)[:self.points].to(f.device)]
            # Projections as (N, directions, points): the sort runs along contiguous memory.
            proj = torch.sort(bank[:, pick].t() @ f, dim=2)[0]
            ref = self.sorted[name][pick]
            idx = torch.linspace(0, ref.shape[1] - 1, proj.shape[2], device=f.device).round().long()
            ref = ref[:, idx]
            scale = ref.var(1).mean().clamp_min(1e-8)
            terms.append((proj - ref).pow(2).mean((1, 2)) / scale)
        return torch.stack(terms).mean(0)


class PaletteTarget:
    """The painting's colours as a cloud of RGB points, for a sliced Wasserstein
    palette loss on the output's pixels. The VGG terms see colour only through
    relu1_1, mixed with edges, and networks keep the photo's light and dark where a
    painting is mostly mid-tone (udnie); matching the pixels' own distribution moves
    the tones without asking where they go. Many directions for a 3-D cloud: 48 in
    the bank, 32 a step."""

    def __init__(self, painting: torch.Tensor, seed: int = 0):
        self._swd = SlicedWassersteinTargets({"rgb": painting}, bank=16, seed=seed, directions=32)

    def loss(self, images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Per batch item, the squared distance relative to the painting's colour variance."""
        return self._swd.loss({"rgb": images}, gen)
