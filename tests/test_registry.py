from __future__ import annotations

import pytest

from livestyle.registry import StyleNotFound, find_style, list_styles


def test_lists_and_finds(model_dir):
    names = [s.name for s in list_styles(model_dir)]
    assert names == ["alpha", "beta", "plain"]
    s = find_style("alpha", model_dir)
    assert s.title == "Test alpha" and s.painter == "Nobody" and s.size_bytes > 0


def test_unknown_style_suggests(model_dir):
    with pytest.raises(StyleNotFound, match="did you mean 'beta'"):
        find_style("betta", model_dir)


def test_shipped_models_load_without_pickle():
    """Every model in the repository's models/ is a small safetensors file with credits."""
    import json

    from livestyle.model_io import load_network
    from livestyle.registry import models_dir

    for style in list_styles(models_dir()):
        assert style.size_bytes < 2 * 1024 * 1024
        assert not style.model_path.read_bytes()[:2].startswith(b"\x80")  # not pickle
        load_network(style.model_path)
        meta = json.loads(style.model_path.with_suffix(".json").read_text())
        assert meta["title"] and meta["painter"] and meta["training"]["steps"] > 0
