from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from livestyle.nets.model_io import save_network  # noqa: E402
from livestyle.nets.networks import FastStyleNet, JohnsonNet, NetworkConfig  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def identity_net() -> FastStyleNet:
    """A real FastStyleNet whose weights make it the identity (output == input):
    frame content (e.g. an index pattern) survives the pipeline exactly."""
    net = FastStyleNet(NetworkConfig(widths=(8, 16), res_blocks=1))
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.detail.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
    return net


def random_net(seed: int) -> FastStyleNet:
    torch.manual_seed(seed)
    return FastStyleNet(NetworkConfig(widths=(8, 16), res_blocks=1))


@pytest.fixture(scope="session", autouse=True)
def engine_cache_dir(tmp_path_factory) -> Path:
    """The engine's disk cache (render/engine_cache.py) in a folder of the test run's own,
    inherited by the CLI's subprocesses: nothing read from or written to the user's cache."""
    d = tmp_path_factory.mktemp("engine-cache")
    os.environ["LIVESTYLE_CACHE_DIR"] = str(d)
    return d


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A models folder with small real networks: an identity 'plain' and two random styles."""
    d = tmp_path_factory.mktemp("models")
    save_network(identity_net(), d / "plain.safetensors", half=False)
    for i, name in enumerate(("alpha", "beta")):
        save_network(random_net(i), d / f"{name}.safetensors")
        (d / f"{name}.json").write_text(json.dumps({"title": f"Test {name}", "painter": "Nobody", "year": "2026"}))
    (d / "plain.json").write_text(json.dumps({"title": "Identity", "painter": "none", "year": "2026"}))
    # alpha also has a (tiny, random) quality tier.
    (d / "quality").mkdir()
    torch.manual_seed(7)
    save_network(JohnsonNet(NetworkConfig(arch="quality", widths=(4, 8, 8), res_blocks=1)), d / "quality" / "alpha.safetensors")
    (d / "quality" / "alpha.json").write_text(json.dumps({"title": "Test alpha", "painter": "Nobody", "year": "2026",
                                                          "tier": "quality"}))
    return d


@pytest.fixture()
def run_cli(model_dir):
    """Run `python -m livestyle ...` as a user would; returns CompletedProcess."""

    def run(*args, timeout=120, env=None, **kw):
        e = dict(os.environ, LIVESTYLE_MODELS=str(model_dir), LIVESTYLE_THREADS="2")
        e.pop("DISPLAY", None)
        if env:
            e.update(env)
        return subprocess.run([sys.executable, "-m", "livestyle", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env=e, cwd=kw.get("cwd", REPO))

    return run
