"""Gatys, Ecker and Bethge (2015): optimize the image itself.

The output's VGG19 features must match the photo's content (relu4_2) and the
painting's Gram matrices (relu1_1 .. relu5_1). L-BFGS by default, Adam as an
option; coarse-to-fine for large outputs (optimize at half size, upsample,
continue). The painting's Grams are computed once per run (``StyleTarget``)
and reused for every frame of a video. For video (Ruder et al. 2016) a
temporal term pulls the image towards the previous stylized frame warped by
optical flow, on pixels the flow is trusted for.

Losses are the project's relative losses (losses.py), so the optimizer
minimizes exactly the figures the benchmarks report.

Everything runs on the device of the VGG network it is given (`loss_network_on`):
a CPU or a GPU, the same code.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..io.images import resize_long_side, to_tensor, to_uint8
from ..nets.losses import STYLE_LAYERS, content_loss, gram, style_loss, total_variation


class GatysError(ValueError):
    pass


@dataclass
class GatysConfig:
    size: int = 512
    iters: int | None = None  # default: 300 L-BFGS / 600 Adam
    optimizer: str = "lbfgs"
    init: str = "content"
    style_weight: float = 3.0
    content_weight: float = 1.0
    tv_weight: float = 1e-3
    temporal_weight: float = 50.0
    style_layers: tuple[str, ...] = STYLE_LAYERS
    content_layer: str = "relu4_2"
    style_scale: float = 1.0
    preserve_colour: bool = False
    coarse_to_fine: bool = True
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def total_iters(self) -> int:
        return self.iters if self.iters is not None else (300 if self.optimizer == "lbfgs" else 600)

    def validate(self) -> None:
        if not (32 <= self.size <= 4096):
            raise GatysError(f"--size must be between 32 and 4096 (got {self.size})")
        if not (1 <= self.total_iters() <= 100000):
            raise GatysError(f"--iters must be between 1 and 100000 (got {self.total_iters()})")
        for name in ("style_weight", "content_weight", "tv_weight", "temporal_weight"):
            v = getattr(self, name)
            if not (0 <= v <= 1e9) or v != v:
                raise GatysError(f"--{name.replace('_', '-')} must be between 0 and 1e9 (got {v})")
        if not (0.1 <= self.style_scale <= 4):
            raise GatysError(f"--style-scale must be between 0.1 and 4 (got {self.style_scale})")
        if self.optimizer not in ("lbfgs", "adam"):
            raise GatysError("--optimizer must be lbfgs or adam")


def _device_of(vgg) -> torch.device:
    return next(vgg.parameters()).device


def loss_network_on(device: torch.device):
    """VGG19 for the Gatys losses on `device`; on CUDA with TF32 matmuls and cuDNN autotuning
    (L-BFGS converges the same at TF32's precision, several times faster)."""
    from ..nets.vgg import load_loss_network

    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return load_loss_network().to(device)


class StyleTarget:
    """Gram matrices of one or more paintings (weighted), computed once."""

    def __init__(self, vgg, paintings: list[tuple[np.ndarray, float]], size: int, layers=STYLE_LAYERS):
        total = sum(w for _, w in paintings)
        if not paintings or total <= 0:
            raise GatysError("style weights must add up to more than 0")
        self.layers = tuple(layers)
        grams: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for rgb, w in paintings:
                if min(rgb.shape[:2]) < 32:
                    raise GatysError(f"painting too small ({rgb.shape[1]}x{rgb.shape[0]}); need at least 32 px")
                feats = vgg(to_tensor(resize_long_side(rgb, size)).to(_device_of(vgg)), self.layers)
                for k, v in feats.items():
                    g = gram(v) * (w / total)
                    grams[k] = grams[k] + g if k in grams else g
        self.grams = grams


def _match_luminance_to(img: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Preserve colour: luminance from img, chroma from ref."""
    a = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    b = cv2.cvtColor(ref, cv2.COLOR_RGB2YCrCb)
    b[..., 0] = a[..., 0]
    return cv2.cvtColor(b, cv2.COLOR_YCrCb2RGB)


StepCallback = Callable[[int, float, torch.Tensor], None]


def _optimize(x: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor], iters: int, optimizer: str,
              on_step: StepCallback | None) -> torch.Tensor:
    x = x.clone(memory_format=torch.contiguous_format).requires_grad_(True)  # L-BFGS flattens with view()
    history: list[float] = []
    if optimizer == "lbfgs":
        # Classic Gatys/neural-style setting: step size 1, no line search, so one
        # forward+backward per iteration (a strong-Wolfe search costs ~1.2-2x more per
        # iteration for a similar result at these iteration counts).
        opt = torch.optim.LBFGS([x], lr=1.0, max_iter=iters, max_eval=iters + 1, history_size=50,
                                tolerance_grad=1e-9, tolerance_change=1e-12)

        def closure():
            opt.zero_grad()
            loss = loss_fn(x)
            loss.backward()
            history.append(loss.item())
            if on_step:
                on_step(len(history), history[-1], x.detach())
            return loss

        opt.step(closure)
    else:
        opt = torch.optim.Adam([x], lr=0.02)
        for i in range(iters):
            opt.zero_grad()
            loss = loss_fn(x)
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            if on_step:
                on_step(i + 1, loss.item(), x.detach())
    return x.detach().clamp(0, 1)


def optimize_image(photo: np.ndarray, painting: np.ndarray | StyleTarget, cfg: GatysConfig, vgg=None,
                   init: np.ndarray | None = None, temporal: tuple[np.ndarray, np.ndarray] | None = None,
                   on_step: StepCallback | None = None) -> np.ndarray:
    """Stylize `photo` (RGB uint8) by optimization; returns RGB uint8 at cfg.size on the long side.

    init: starting image (video: previous output warped); temporal: (target, weight map in [0,1])
    pulling the result towards `target` where the map is 1 (Ruder et al. 2016).
    """
    from ..nets.vgg import load_loss_network

    cfg.validate()
    vgg = vgg or load_loss_network()
    dev = _device_of(vgg)
    target = painting if isinstance(painting, StyleTarget) else StyleTarget(
        vgg, [(painting, 1.0)], round(cfg.size * cfg.style_scale), cfg.style_layers)
    photo_s = resize_long_side(photo, cfg.size)
    h, w = photo_s.shape[:2]
    iters = cfg.total_iters()
    torch.manual_seed(cfg.seed)

    stages = [(h, w, iters)]
    if cfg.coarse_to_fine and max(h, w) > 384 and init is None:
        # Coarse-to-fine: a third of the iterations at half size sets the layout cheaply.
        coarse = max(1, iters // 3)
        stages = [(h // 2, w // 2, coarse), (h, w, iters - coarse)]

    x = None
    done = 0
    for sh, sw, n in stages:
        content = to_tensor(cv2.resize(photo_s, (sw, sh), interpolation=cv2.INTER_AREA)).to(dev)
        with torch.no_grad():
            c_feat = vgg(content, (cfg.content_layer,))[cfg.content_layer]
        if x is None:
            if init is not None:
                x = to_tensor(cv2.resize(init, (sw, sh), interpolation=cv2.INTER_AREA)).to(dev)
            elif cfg.init == "noise":
                x = torch.rand_like(content)
            else:
                x = content.clone()
        else:
            x = F.interpolate(x, size=(sh, sw), mode="bilinear", align_corners=False)
        t_img = t_mask = None
        if temporal is not None and cfg.temporal_weight > 0:
            t_img = to_tensor(cv2.resize(temporal[0], (sw, sh), interpolation=cv2.INTER_AREA)).to(dev)
            t_mask = torch.from_numpy(cv2.resize(temporal[1].astype(np.float32), (sw, sh)))[None, None].to(dev)
        layers = tuple(target.layers) + (cfg.content_layer,)

        def loss_fn(img):
            f = vgg(img, layers)
            loss = cfg.content_weight * content_loss(f[cfg.content_layer], c_feat).mean()
            loss = loss + cfg.style_weight * style_loss({k: gram(f[k]) for k in target.layers}, target.grams).mean()
            loss = loss + cfg.tv_weight * total_variation(img)
            if t_img is not None:
                loss = loss + cfg.temporal_weight * (t_mask * (img - t_img) ** 2).mean()
            return loss

        base = done

        def step(i, value, img, base=base):
            if on_step:
                on_step(base + i, value, img)

        x = _optimize(x, loss_fn, n, cfg.optimizer, step)
        done += n
    out = to_uint8(x)
    if cfg.preserve_colour:
        out = _match_luminance_to(out, photo_s)
    return out


def optimize_frames(frames, target: StyleTarget, cfg: GatysConfig, vgg, first_iters: int, next_iters: int,
                    cached: Callable[[int], np.ndarray | None] = lambda i: None):
    """Yield one optimized frame per input frame (RGB uint8, all at the same even size).

    Ruder et al. 2016: frame t starts from frame t-1's result warped by the flow
    of the input frames, and (temporal_weight > 0) is pulled towards it on pixels
    that pass the forward-backward consistency test. `cached(i)` may return an
    already finished frame i (a resumed run), which is used as is.
    """
    from ..bench.metrics import consistency_mask, dis_flow, warp
    from ..io.video_writer import even_size

    prev_in = prev_out = None
    for i, rgb in enumerate(frames):
        frame_in = resize_long_side(rgb, cfg.size)
        w, h = even_size(frame_in.shape[1], frame_in.shape[0])
        frame_in = np.ascontiguousarray(frame_in[:h, :w])
        result = cached(i)
        if result is None:
            init = temporal = None
            if prev_out is not None:
                g0 = cv2.cvtColor(prev_in, cv2.COLOR_RGB2GRAY)
                g1 = cv2.cvtColor(frame_in, cv2.COLOR_RGB2GRAY)
                bwd = dis_flow(g1, g0)  # current -> previous: where each pixel was
                init = warp(prev_out, bwd)
                if cfg.temporal_weight > 0:
                    mask = consistency_mask(bwd, dis_flow(g0, g1)).astype(np.float32)
                    temporal = (init, mask)
            frame_cfg = replace(cfg, iters=first_iters if prev_out is None else next_iters)
            result = np.ascontiguousarray(optimize_image(frame_in, target, frame_cfg, vgg=vgg, init=init,
                                                         temporal=temporal)[:h, :w])
        prev_in, prev_out = frame_in, result
        yield result
