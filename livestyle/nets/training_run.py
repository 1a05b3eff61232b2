"""What every training loop here shares (train, distill): the common options
(RunConfig), the learning-rate schedule, writing the finished model and its
json, and the run itself: resuming from the work
folder's checkpoint, a progress bar, SIGTERM as a clean stop, a checkpoint every
few minutes and on the way out, and the early stops tests and time budgets use.

    with TrainingRun(work, config, net, opt, steps, ...) as run:
        while run.running():
            ...one step...
            run.step_done(losses, bar_postfix)
    run.finish()   # TrainingPaused / KeyboardInterrupt when it stopped early

Checkpoints hold CPU tensors, so a run started on one device resumes on another.
"""
from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import __version__
from .model_io import save_network
from .networks import macs_per_pixel
from .registry import read_sidecar


@dataclass(kw_only=True)
class RunConfig:
    """Options every training command has; TrainConfig and DistillConfig add their own
    (and their own defaults for steps, batch and lr)."""

    data: str
    name: str
    out_dir: str = "models"
    work_dir: str = ""  # default: runs/<work_prefix><name>
    size: int = 256
    steps: int = 2000
    batch: int = 4
    lr: float = 1e-3
    stability_weight: float = 20.0
    swd_weight: float = 0.0  # sliced Wasserstein style term (losses.SlicedWassersteinTargets); 0: off
    palette_weight: float = 0.0  # sliced Wasserstein term on pixel colours (losses.PaletteTarget); 0: off
    # Comb term (losses.comb_loss): holds the output's grid of two-pixel blocks
    # (bench.metrics.pixel_comb) to the photo's. Every network trained without it prints
    # one along its width axis, the students about twice as strongly as their teachers
    # (docs/training.md, twenty-first session). 0: off
    comb_weight: float = 0.0
    style_size: int = 512
    init_from: str = ""
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    threads: int = 0
    checkpoint_every_s: float = 120.0
    credits: dict = field(default_factory=dict)

    work_prefix = ""  # a class attribute, not an option

    def resolved_work_dir(self) -> Path:
        return Path(self.work_dir or os.path.join("runs", f"{self.work_prefix}{self.name}"))


WARMUP_STEPS = 100


def learning_rate(base: float, steps: int, step: int, floor: float = 0.1) -> float:
    """Linear warm-up over the first WARMUP_STEPS, cosine decay over the last 70% of the
    run down to `floor` x base. The warm-up matters for warm starts: Adam's first steps
    move every weight by about the full learning rate whatever its gradient, which
    wrecks a trained network (measured: the style loss of a warm-started quality
    network went 0.08 -> 58 in one step)."""
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    frac = max(0.0, (step / steps - 0.3) / 0.7)
    return base * warm * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))


CREDIT_KEYS = ("title", "painter", "year", "credits")
AVERAGE_KEYS = ("averaged", "earlier_averages")


def credit_line(title: str, painter: str, year: str, note: str = "") -> str:
    """A model json's "credits" line, 'Title, Painter (year); note.' from the parts given;
    '' when none is."""
    line = ", ".join(part for part in (title, painter) if part)
    if year:
        line = f"{line} ({year})" if line else year
    line = "; ".join(part for part in (line, note) if part)
    return f"{line}." if line else ""


def credits_head(title: str, painter: str, year: str, credits: str = "", note: str = "") -> dict:
    """A model json's credit keys from the parts given: title, painter and year when set,
    and "credits" (`credits` when given, else made by credit_line with `note`)."""
    head = {k: v for k, v in (("title", title), ("painter", painter), ("year", year)) if v}
    line = credits or credit_line(title, painter, year, note)
    if line:
        head["credits"] = line
    return head


def inherit_lineage(init_from: str, head: dict, training: dict) -> tuple[dict, dict]:
    """A warm-started network is the sum of its rounds: take the credits the caller did not
    give from the --init-from model's json, and list that model's rounds before this one
    (`stages`, oldest first), so a fine-tune's json still says how the network was made."""
    base = read_sidecar(init_from) if init_from else {}
    if not base:
        return head, training
    old = base.get("training") or {}
    # Another painting's network as the starting point (a new style warm-started from a
    # shipped one) lends its weights, not its painting's title and painter.
    ours, theirs = (t.get("recipe", {}).get("style_image") for t in (training, old))
    if not (ours and theirs and ours != theirs):
        head = {**{k: base[k] for k in CREDIT_KEYS if k in base}, **head}
    # Two older layouts: `stages` (oldest first, the last one the file itself) and
    # `earlier_rounds` (the rounds before the one at the top level).
    earlier = old.get("stages") or (list(old.get("earlier_rounds", [])) + [old] if old else [])
    stages = [{k: v for k, v in s.items() if k not in ("stages", "earlier_rounds", *AVERAGE_KEYS)} for s in earlier]
    stages.append(dict(training))
    training = {**training, "stages": stages,
                "total_steps": sum(int(s.get("steps", 0)) for s in stages),
                "wall_seconds_total": round(sum(float(s.get("wall_seconds", 0.0)) for s in stages), 1)}
    # A tensor-wise mean (scripts/average_models.py --json) is not a round, so it is no
    # stage: its note (`averaged`) and the notes before it travel on in `earlier_averages`.
    averages = [*old.get("earlier_averages", []), *([old["averaged"]] if "averaged" in old else [])]
    if averages:
        training["earlier_averages"] = averages
    return head, training


def write_model(net, out_dir: str | os.PathLike, name: str, head: dict, training: dict, losses: dict,
                init_from: str = "") -> Path:
    """NAME.safetensors (fp16) and NAME.json: `head` (credits, tier, ...), the network's
    design, size and cost, and `training` with the final losses and the versions that made
    it; with `init_from`, also the rounds before this one (inherit_lineage)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net = net.eval().to("cpu", memory_format=torch.contiguous_format)
    path = out / f"{name}.safetensors"
    save_network(net, path)
    training = {**training, "final_losses": {k: round(v, 5) for k, v in losses.items()},
                "livestyle": __version__, "torch": torch.__version__}
    if net.config.design:  # train_pack tells a v3 fast file from an older one by it
        head = {**head, "design": net.config.design}
    head, training = inherit_lineage(init_from, head, training)
    meta = {"name": name, **head, "params": sum(p.numel() for p in net.parameters()),
            "macs_per_pixel": round(macs_per_pixel(net, 256, 256)), "training": training}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


class TrainingPaused(Exception):
    """Training stopped early on request (stop_after or a deadline); resume to finish."""


def optimizer_step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu")
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def save_checkpoint(path: Path, net, opt, step: int, elapsed: float, losses: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {k: v.contiguous() for k, v in _to_cpu(net.state_dict()).items()}
    torch.save({"model": state, "optim": _to_cpu(opt.state_dict()), "step": step,
                "elapsed": elapsed, "losses": losses}, tmp)
    os.replace(tmp, path)


class TrainingRun:
    def __init__(self, work: Path, config: dict, net, opt, steps: int, *, resume: bool, progress: bool, desc: str,
                 checkpoint_every_s: float, stop_after: int | None = None, deadline: float | None = None,
                 on_checkpoint=None):
        self.work, self.config, self.net, self.opt, self.steps = Path(work), config, net, opt, steps
        self.resume, self.progress, self.desc = resume, progress, desc
        self.checkpoint_every_s, self.stop_after, self.deadline = checkpoint_every_s, stop_after, deadline
        self.on_checkpoint = on_checkpoint  # e.g. also write the current network for a look
        self.ckpt_path = self.work / "checkpoint.pt"
        self.step, self.last, self.interrupted = 0, {}, False
        self._bar = self._old_term = None

    def __enter__(self) -> "TrainingRun":
        elapsed = 0.0
        if self.resume and self.ckpt_path.exists():
            ckpt = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
            self.net.load_state_dict(ckpt["model"])
            self.opt.load_state_dict(ckpt["optim"])  # Adam moves its state to the parameters' device
            self.step, elapsed, self.last = int(ckpt["step"]), float(ckpt["elapsed"]), dict(ckpt["losses"])
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "config.json").write_text(json.dumps(self.config, indent=2))
        if self.progress:
            from tqdm import tqdm

            self._bar = tqdm(total=self.steps, initial=self.step, desc=self.desc, unit="step", dynamic_ncols=True)
        if threading.current_thread() is threading.main_thread():
            self._old_term = signal.signal(signal.SIGTERM, self._on_term)
        self.net.train()
        self._t_start = time.monotonic() - elapsed
        self._t_ckpt = time.monotonic()
        self._done_here = 0
        return self

    def _on_term(self, *_):
        self.interrupted = True

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t_start

    def running(self) -> bool:
        if self.step >= self.steps or self.interrupted:
            return False
        if self.stop_after is not None and self._done_here >= self.stop_after:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def step_done(self, losses: dict, postfix: dict | None = None) -> None:
        self.step += 1
        self._done_here += 1
        self.last = losses
        if self._bar is not None:
            self._bar.set_postfix(**(postfix or {}))
            self._bar.update(1)
        if time.monotonic() - self._t_ckpt > self.checkpoint_every_s:
            save_checkpoint(self.ckpt_path, self.net, self.opt, self.step, self.elapsed, self.last)
            if self.on_checkpoint is not None:
                self.on_checkpoint()
            self._t_ckpt = time.monotonic()

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
        save_checkpoint(self.ckpt_path, self.net, self.opt, self.step, self.elapsed, self.last)

    def finish(self) -> float:
        """The wall time so far; raises when the run stopped before its last step."""
        if self.step < self.steps:
            raise KeyboardInterrupt if self.interrupted else TrainingPaused(self.step)
        return self.elapsed
