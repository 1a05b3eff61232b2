"""Distillation: a network trained to copy another one's paintings.

Mostly a live (`fast`, v3) student of a quality teacher. The other way also serves:
a `quality` student of a fast network that paints its style better than any quality
network trained on this CPU (udnie), which then paints the same at full resolution.

A light network trained from the perceptual losses alone learns slowly and
unstably (the LITNet authors report it; this project's v2 networks show it:
colour washes, halos). Copying a teacher that already paints well is an
easier, denser target: every pixel says what to draw. So:

1. A fixed set of crops of the training photos is cut once (seeded) and the
   teacher paints each once; both are kept as uint8 in memory and cached in
   the work folder (a resumed run does not repaint them).
2. The student is trained on pixel (L1) and image-gradient (L1 of x/y
   differences: strokes and edges, not just colours) losses to the teacher's
   output, plus the stability term of `train` (its output for a slightly
   warped, noised input equals its warped output), so live video stays calm.
   No VGG in the loop: a step costs a few student passes, minutes per style on
   a CPU.
3. Optional VGG terms for a second round: Grams and the sliced Wasserstein
   distance against the painting (texture), and a content term against the
   *photo* (relu2_2, as in `train`), which lets a student keep more of the
   scene than its teacher did; and a palette term (the sliced Wasserstein
   distance between the output's pixel colours and the painting's). And Grams
   against the teacher's own painting of each crop: its texture where it draws
   it, which a student chasing the painting's Grams replaces with the cheapest
   pattern that has them (kiss's fine vertical streak).

Resumable like `train` (checkpoints, batches seeded by step), on any device.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from ..render.devices import DeviceError, pick_device
from .model_io import ModelFileError, load_network
from .networks import V3_CONFIG, build_network, default_config
from .photo_bank import PhotoBank, PhotoBankError
from .registry import read_sidecar
from .losses import CONTENT_LAYER_TRAIN, comb_term, content_loss, style_loss
from .train import (TrainError, _device_name, add_stability, load_painting, output_grams, palette_target, palette_term,
                    style_terms, use_bf16)
from .training_run import CREDIT_KEYS, RunConfig, TrainingRun, learning_rate, optimizer_step, write_model


@dataclass(kw_only=True)
class DistillConfig(RunConfig):
    teacher: str
    crops: int = 2000
    steps: int = 3000
    batch: int = 8
    lr: float = 2e-3
    pixel_weight: float = 1.0
    gradient_weight: float = 1.0
    # Texture: pixel losses alone make the student a smooth copy (the mean of the strokes
    # the teacher might draw); Grams and the sliced Wasserstein term against the painting
    # put the brushwork back. Both need the painting and VGG in the loop (slower steps).
    style_image: str = ""
    style_weight: float = 0.0
    # Content against the photo, not the teacher: the teacher's own content error is
    # otherwise a floor the student can only add to (students ended ~0.05 above theirs).
    content_weight: float = 0.0
    # Grams of the student's output against the teacher's output for the same crop (not the
    # painting's): the painting's Grams ask for its texture anywhere, and a light student finds
    # the cheapest pattern that has them (kiss's fine vertical streak); the teacher's, crop by
    # crop, ask for the texture the teacher actually draws there, which it draws without one.
    teacher_style_weight: float = 0.0
    # Shift term: the student's output for its input shifted by whole pixels against its
    # output shifted the same way (exact targets, no resampling). The stride-2 layers tie
    # part of a network's strokes to its pixel grid, where moving scenes show them as
    # flicker; this term unties them. A trade, not a free gain: starry's student at 50
    # flickers 10-26% less after the stabilizer, for a style loss 4% higher
    # (docs/benchmarks.md, nineteenth session). Off (0) in every shipped recipe.
    shift_weight: float = 0.0
    # The student: "fast" (the v3 design, widths and res_blocks below) or "quality"
    # (the Johnson design at its default size). An --init-from model brings its own.
    arch: str = "fast"
    widths: tuple[int, ...] = V3_CONFIG.widths
    res_blocks: int = V3_CONFIG.res_blocks

    work_prefix = "distill-"

    @property
    def texture_terms(self) -> bool:
        """Grams or the sliced Wasserstein term on: both need the painting and VGG in the loop."""
        return self.style_weight > 0 or self.swd_weight > 0

    @property
    def vgg_terms(self) -> bool:
        return self.texture_terms or self.content_weight > 0 or self.teacher_style_weight > 0


# The student's schedule decays further than train's (to 5%): it fine-tunes to a fixed target.
LR_FLOOR = 0.05


def gradient_l1(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """L1 between the horizontal and vertical differences of two images: edges and strokes."""
    dx = (y[..., :, 1:] - y[..., :, :-1]) - (t[..., :, 1:] - t[..., :, :-1])
    dy = (y[..., 1:, :] - y[..., :-1, :]) - (t[..., 1:, :] - t[..., :-1, :])
    return dx.abs().mean() + dy.abs().mean()


SHIFT_PERIOD = 8  # the v3 design's three stride-2 layers
SHIFT_MARGIN = 8  # output pixels next to a crop's edge see the reflect padding: not compared


def shift_loss(net, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, bf16: bool) -> torch.Tensor:
    """MSE between the student's output for `x` shifted by (dy, dx) whole pixels and its
    output `y` for `x` shifted the same way, away from the edges. (dy, dx) is drawn in
    0..7 on each axis, never (0, 0): within one period of the stride-2 layers, where the
    pattern a network ties to its pixel grid shows."""
    dy, dx = 0, 0
    while dy == 0 and dx == 0:
        dy, dx = (int(v) for v in torch.randint(SHIFT_PERIOD, (2,), generator=gen))
    h, w = x.shape[-2] - SHIFT_PERIOD, x.shape[-1] - SHIFT_PERIOD
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        y2 = net(x[..., dy:dy + h, dx:dx + w])
    m = SHIFT_MARGIN
    return F.mse_loss(y2.float()[..., m:h - m, m:w - m], y[..., dy + m:dy + h - m, dx + m:dx + w - m])


def teacher_set(cfg: DistillConfig, teacher, teacher_sha: str, device: torch.device,
                bf16: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(crops, teacher's paintings of them), uint8 (N, 3, S, S); cached in the work folder.

    The cache is named by the teacher's digest: a work folder reused with another
    teacher (a newer round of the same style) must not train on the old one's paintings."""
    cache = cfg.resolved_work_dir() / f"teacher-{teacher_sha[:12]}-{cfg.crops}x{cfg.size}-seed{cfg.seed}.safetensors"
    if cache.exists():
        data = load_file(str(cache))
        return data["crops"].to(device), data["painted"].to(device)
    try:
        photos = PhotoBank(cfg.data, cfg.size, device)
    except PhotoBankError as e:
        raise TrainError(str(e)) from None
    gen = torch.Generator().manual_seed(cfg.seed * 7919 + 1)
    crops, painted = [], []
    with torch.inference_mode():
        for start in range(0, cfg.crops, 8):
            x = photos.batch(min(8, cfg.crops - start), gen)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                t = teacher(x)
            crops.append(x.mul(255).round_().to(torch.uint8))
            painted.append(t.float().clamp(0, 1).mul(255).round_().to(torch.uint8))
    crops_t, painted_t = torch.cat(crops), torch.cat(painted)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp")
    save_file({"crops": crops_t.cpu().contiguous(), "painted": painted_t.cpu().contiguous()}, str(tmp))
    os.replace(tmp, cache)
    return crops_t, painted_t


STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def _vgg_targets(cfg: DistillConfig, painting: torch.Tensor | None, device: torch.device, memory):
    """(VGG cut at the deepest layer used, the painting's Grams, its SWD targets; both None
    without texture terms), or None when no VGG term is on."""
    texture = cfg.texture_terms
    if not cfg.vgg_terms:
        return None
    from .train import TrainConfig, _style_targets
    from .vgg import load_loss_network

    layers = STYLE_LAYERS if texture or cfg.teacher_style_weight > 0 else (CONTENT_LAYER_TRAIN,)
    vgg = load_loss_network().keep_up_to(layers).to(device, memory_format=memory)
    if not texture:
        return vgg, None, None
    shim = TrainConfig(style_image=cfg.style_image, data=cfg.data, name=cfg.name, style_size=cfg.style_size,
                       style_layers=STYLE_LAYERS, swd_weight=max(cfg.swd_weight, 1e-9), seed=cfg.seed)
    grams, swd = _style_targets(shim, vgg, painting)
    return vgg, grams, swd


def _vgg_losses(targets, x: torch.Tensor, y: torch.Tensor, t: torch.Tensor, gen: torch.Generator, bf16: bool,
                content: bool, teacher_style: bool):
    """(content against the photo x, style, swd, Grams against the teacher's painting t) for the
    output y; zeros for terms that are off."""
    vgg, grams, swd = targets
    zero = torch.zeros((), device=y.device)
    style_layers = STYLE_LAYERS if grams is not None or teacher_style else ()
    layers = style_layers + ((CONTENT_LAYER_TRAIN,) if content else ())
    with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=bf16):
        feats = vgg(y, layers)
        with torch.no_grad():
            photo = vgg(x, (CONTENT_LAYER_TRAIN,))[CONTENT_LAYER_TRAIN] if content else None
            teacher = vgg(t, STYLE_LAYERS) if teacher_style else None
    l_content = (content_loss(feats[CONTENT_LAYER_TRAIN].float(), photo.float()).mean() if content else zero)
    # The output's Grams once, for the painting's term and the teacher's alike.
    out_grams = output_grams(feats, STYLE_LAYERS) if style_layers else None
    l_style, l_swd = style_terms(feats, grams, swd, gen, out_grams) if grams is not None else (zero, zero)
    l_teacher = zero
    if teacher_style:
        l_teacher = style_loss(out_grams, output_grams(teacher, STYLE_LAYERS)).mean()
    return l_content, l_style, l_swd, l_teacher


def _student(cfg: DistillConfig):
    if cfg.init_from:
        try:
            net = load_network(cfg.init_from)
        except ModelFileError as e:
            raise TrainError(f"--init-from {cfg.init_from}: {str(e).splitlines()[0]}") from None
        if net.config.arch != cfg.arch:
            raise TrainError(f"--init-from {cfg.init_from} is a {net.config.arch} network, not {cfg.arch} "
                             f"(--arch {net.config.arch} continues it)")
        return net.train()
    if cfg.arch == "quality":
        return build_network(default_config("quality"))
    if cfg.arch != "fast":
        raise TrainError(f"unknown student design {cfg.arch!r} (fast or quality)")
    return build_network(replace(V3_CONFIG, widths=tuple(cfg.widths), res_blocks=cfg.res_blocks))


def distill(cfg: DistillConfig, resume: bool = False, progress: bool = True, stop_after: int | None = None,
            deadline: float | None = None) -> Path:
    """Train the student; returns the written .safetensors (TrainingPaused when stopped early)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    for name in ("crops", "size", "steps", "batch"):
        if getattr(cfg, name) <= 0:
            raise TrainError(f"--{name} must be positive")
    if cfg.size % 8 or cfg.size < 32:
        raise TrainError("--size must be a multiple of 8 and at least 32")
    # Checked before the teacher paints its crops (minutes on a CPU), not after.
    if cfg.texture_terms and not cfg.style_image:
        raise TrainError("--style-weight and --swd-weight need --style-image (the teacher's painting)")
    if cfg.palette_weight > 0 and not cfg.style_image:
        raise TrainError("--palette-weight needs --style-image (the teacher's painting)")
    try:
        device = pick_device(cfg.device)
        teacher = load_network(cfg.teacher)
    except DeviceError as e:
        raise TrainError(str(e)) from None
    except ModelFileError as e:
        raise TrainError(f"--teacher: {str(e).splitlines()[0]}") from None
    bf16 = use_bf16(cfg.precision, device)
    memory = torch.channels_last if device.type == "cuda" else torch.contiguous_format
    teacher = teacher.eval().to(device, memory_format=memory)
    torch.manual_seed(cfg.seed)
    # The path a teacher was read from is often a scratch copy; its digest names it for good,
    # in the json and in the cache of its paintings (compare with `sha256sum models/quality/NAME.safetensors`).
    teacher_sha = hashlib.sha256(Path(cfg.teacher).read_bytes()).hexdigest()
    crops, painted = teacher_set(cfg, teacher, teacher_sha, device, bf16)
    del teacher

    needs_painting = cfg.texture_terms or cfg.palette_weight > 0
    painting = load_painting(cfg, device) if needs_painting else None  # style_image checked above
    vgg_targets = _vgg_targets(cfg, painting, device, memory)
    palette = palette_target(cfg, painting)
    net = _student(cfg).to(device, memory_format=memory)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    run = TrainingRun(cfg.resolved_work_dir(), asdict(cfg), net, opt, cfg.steps, resume=resume, progress=progress,
                      desc=f"distill {cfg.name}", checkpoint_every_s=cfg.checkpoint_every_s, stop_after=stop_after,
                      deadline=deadline)
    with run:
        while run.running():
            step = run.step
            gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
            idx = torch.randint(len(crops), (cfg.batch,), generator=gen).to(device)
            x = crops[idx].float().div_(255)
            t = painted[idx].float().div_(255)
            if bool(torch.rand(1, generator=gen) < 0.5):
                x, t = x.flip(3), t.flip(3)
            x, t = x.contiguous(memory_format=memory), t.contiguous(memory_format=memory)
            for g in opt.param_groups:
                g["lr"] = learning_rate(cfg.lr, cfg.steps, step, LR_FLOOR)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                y = net(x)
            y = y.float()
            l_pixel = (y - t).abs().mean()
            l_grad = gradient_l1(y, t)
            loss = cfg.pixel_weight * l_pixel + cfg.gradient_weight * l_grad
            l_content = l_style = l_swd = l_teacher = torch.zeros((), device=device)
            if vgg_targets is not None:
                l_content, l_style, l_swd, l_teacher = _vgg_losses(vgg_targets, x, y, t, gen, bf16,
                                                                   cfg.content_weight > 0,
                                                                   cfg.teacher_style_weight > 0)
                loss = (loss + cfg.content_weight * l_content + cfg.style_weight * l_style
                        + cfg.swd_weight * l_swd + cfg.teacher_style_weight * l_teacher)
            l_palette = palette_term(palette, y, gen)
            loss = loss + cfg.palette_weight * l_palette
            loss, l_stab = add_stability(loss, cfg.stability_weight, net, x, y, gen, bf16)
            l_shift = torch.zeros((), device=device)
            if cfg.shift_weight > 0:
                l_shift = shift_loss(net, x, y, gen, bf16)
                loss = loss + cfg.shift_weight * l_shift
            l_comb = comb_term(cfg.comb_weight, y, x)
            loss = loss + cfg.comb_weight * l_comb
            optimizer_step(opt, loss)
            last = {"total": loss.item(), "pixel": l_pixel.item(), "gradient": l_grad.item(),
                    "content": l_content.item(), "style": l_style.item(), "swd": l_swd.item(),
                    "teacher_style": l_teacher.item(), "palette": l_palette.item(),
                    "stability": l_stab.item(), "shift": l_shift.item(), "comb": l_comb.item()}
            shown = {"px": f"{last['pixel']:.4f}", "grad": f"{last['gradient']:.4f}",
                     "stab": f"{last['stability']:.5f}"}
            if cfg.content_weight > 0:
                shown["c"] = f"{last['content']:.3f}"
            run.step_done(last, shown)
    wall = run.finish()
    return _export(cfg, net, run.step, wall, run.last, teacher_sha,
                   {"device": _device_name(device), "precision": "bf16" if bf16 else "fp32"})


def _export(cfg: DistillConfig, net, steps: int, wall: float, losses: dict, teacher_sha: str,
            run: dict) -> Path:
    t = read_sidecar(cfg.teacher)
    credits = {k: t[k] for k in CREDIT_KEYS if k in t} | dict(cfg.credits)
    painting = t.get("training", {}).get("recipe", {}).get("style_image")
    recipe = {k: v for k, v in asdict(cfg).items() if k not in ("credits", "out_dir", "work_dir")}
    recipe["data"] = os.path.basename(os.path.normpath(cfg.data))
    if painting:
        recipe["style_image"] = painting  # the painting behind the teacher (benchmarks score against it)
    arch = net.config.arch
    head = {**credits, "arch": arch, "tier": arch}
    training = {"method": "distillation", "teacher": os.path.basename(cfg.teacher),
                "teacher_sha256": teacher_sha, "recipe": recipe,
                "steps": steps, "wall_seconds": round(wall, 1), **run}
    return write_model(net, cfg.out_dir, cfg.name, head, training, losses, init_from=cfg.init_from)
