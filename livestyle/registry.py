"""The style registry: models/NAME.safetensors + models/NAME.json.

The models folder is, in order: $LIVESTYLE_MODELS, the repository's models/
(source checkout or editable install), or the copy installed as package
data (livestyle/_models).
"""
from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STYLE = "starry"


class StyleNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Style:
    name: str
    model_path: Path
    meta: dict

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
    here = Path(__file__).resolve().parent
    repo = here.parent / "models"
    if repo.is_dir():
        return repo
    return here / "_models"


def list_styles(folder: Path | None = None) -> list[Style]:
    folder = folder or models_dir()
    styles = []
    for model in sorted(folder.glob("*.safetensors")):
        meta_path = model.with_suffix(".json")
        meta = {}
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
            except ValueError:
                meta = {}
        styles.append(Style(model.stem, model, meta))
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
