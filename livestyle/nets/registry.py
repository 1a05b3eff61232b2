"""The style registry: each style in one or two tiers.

    models/NAME.safetensors + NAME.json           the `fast` tier (live on a CPU)
    models/quality/NAME.safetensors + NAME.json   the `quality` tier (Johnson-class)

The models folder is, in order: $LIVESTYLE_MODELS, the repository's models/
(source checkout or editable install), or the copy installed as package
data (livestyle/_models).
"""
from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_STYLE = "starry"
TIERS = ("fast", "quality")
TIER_CHOICES = ("auto",) + TIERS
# Where each tier's files live, relative to the models folder.
TIER_FOLDERS = {"fast": ".", "quality": "quality"}


def tier_folder(tier: str, models: str | os.PathLike = "models") -> str:
    """Where a model of `tier` goes under a models folder (the layout above): the
    default --out-dir of `train` and `distill`, so a quality network lands in its tier."""
    return os.path.normpath(os.path.join(models, TIER_FOLDERS[tier]))


def read_sidecar(model: str | os.PathLike) -> dict:
    """The json written beside a model file (credits, recipe, stages); {} when it is
    missing or unreadable: a model file is usable without it. (Here, not in model_io:
    listing styles must not import torch.)"""
    try:
        return json.loads(Path(model).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}


class StyleNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Style:
    name: str
    model_path: Path  # the default tier's file (fast when the style has it)
    meta: dict
    tiers: dict = field(default_factory=dict)  # tier -> model file

    def __post_init__(self):
        if not self.tiers:
            object.__setattr__(self, "tiers", {"fast": self.model_path})

    def tier_path(self, tier: str) -> Path:
        """The model file of `tier` ("fast" or "quality"); StyleNotFound names the tiers it has."""
        try:
            return self.tiers[tier]
        except KeyError:
            raise StyleNotFound(f"style '{self.name}' has no '{tier}' tier (it has: {', '.join(self.tiers)})") from None

    def tier_meta(self, tier: str) -> dict:
        return read_sidecar(self.tier_path(tier))

    def pick_tier(self, tier: str, device_type: str) -> str:
        """`auto` is quality on a GPU (CUDA or MPS) when the style has it, else fast."""
        if tier != "auto":
            self.tier_path(tier)
            return tier
        if device_type in ("cuda", "mps") and "quality" in self.tiers:
            return "quality"
        return "fast" if "fast" in self.tiers else next(iter(self.tiers))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.name))

    @property
    def painter(self) -> str:
        return str(self.meta.get("painter", "?"))

    @property
    def year(self) -> str:
        return str(self.meta.get("year", "?"))

    @property
    def size_bytes(self) -> int:
        return self.model_path.stat().st_size

    @property
    def style_image(self) -> str | None:
        """The painting file this style was trained on (its file name)."""
        return self.meta.get("training", {}).get("recipe", {}).get("style_image")


def models_dir() -> Path:
    env = os.environ.get("LIVESTYLE_MODELS")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]  # livestyle/
    repo = package.parent / "models"
    if repo.is_dir():
        return repo
    return package / "_models"


def list_styles(folder: Path | None = None) -> list[Style]:
    folder = folder or models_dir()
    found: dict[str, dict[str, Path]] = {}
    for tier in TIERS:
        for model in sorted((folder / TIER_FOLDERS[tier]).glob("*.safetensors")):
            found.setdefault(model.stem, {})[tier] = model
    styles = []
    for name in sorted(found):
        tiers = {t: found[name][t] for t in TIERS if t in found[name]}
        default = next(iter(tiers.values()))
        styles.append(Style(name, default, read_sidecar(default), tiers))
    return styles


def find_style(name: str, folder: Path | None = None) -> Style:
    styles = {s.name: s for s in list_styles(folder)}
    if name in styles:
        return styles[name]
    if not styles:
        raise StyleNotFound(f"unknown style '{name}': no styles installed in {folder or models_dir()}")
    close = difflib.get_close_matches(name.lower(), list(styles), n=1, cutoff=0.4)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise StyleNotFound(f"unknown style '{name}'{hint}; available: {', '.join(sorted(styles))}")
