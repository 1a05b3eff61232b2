from __future__ import annotations

import os

import pytest

from livestyle.nets.registry import StyleNotFound, find_style, list_styles


def test_lists_and_finds(model_dir):
    names = [s.name for s in list_styles(model_dir)]
    assert names == ["alpha", "beta", "plain"]
    s = find_style("alpha", model_dir)
    assert s.title == "Test alpha" and s.painter == "Nobody" and s.size_bytes > 0


def test_unknown_style_suggests(model_dir):
    with pytest.raises(StyleNotFound, match="did you mean 'beta'"):
        find_style("betta", model_dir)


def test_tiers(model_dir):
    alpha, beta = find_style("alpha", model_dir), find_style("beta", model_dir)
    assert list(alpha.tiers) == ["fast", "quality"] and list(beta.tiers) == ["fast"]
    assert alpha.model_path == alpha.tier_path("fast")
    assert alpha.tier_path("quality").parent.name == "quality"
    # auto: quality on a GPU when the style has it, fast on a CPU
    assert alpha.pick_tier("auto", "cuda") == "quality" and alpha.pick_tier("auto", "mps") == "quality"
    assert alpha.pick_tier("auto", "cpu") == "fast" and beta.pick_tier("auto", "cuda") == "fast"
    assert alpha.pick_tier("quality", "cpu") == "quality"
    with pytest.raises(StyleNotFound, match=r"style 'beta' has no 'quality' tier \(it has: fast\)"):
        beta.pick_tier("quality", "cpu")


# Size limits per tier (fp16 safetensors).
LIMITS = {"fast": 2 * 1024 * 1024, "quality": 4 * 1024 * 1024}


def test_shipped_models_load_without_pickle():
    """Every model in the repository's models/ (both tiers) is a small safetensors file with credits."""
    import json

    from livestyle.nets.model_io import load_network
    from livestyle.nets.registry import models_dir

    for style in list_styles(models_dir()):
        for tier, path in style.tiers.items():
            assert path.stat().st_size < LIMITS[tier], (style.name, tier)
            assert not path.read_bytes()[:2].startswith(b"\x80")  # not pickle
            assert load_network(path).config.arch == tier
            meta = json.loads(path.with_suffix(".json").read_text())
            assert meta["title"] and meta["painter"] and meta["training"]["steps"] > 0


def test_tier_folder_is_where_the_registry_looks():
    from livestyle.nets.registry import tier_folder

    assert tier_folder("fast") == "models"
    assert tier_folder("quality") == os.path.join("models", "quality")
    assert tier_folder("quality", "/tmp/m") == os.path.join("/tmp/m", "quality")
