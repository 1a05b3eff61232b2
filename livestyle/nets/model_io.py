"""Saving and loading style networks as safetensors (never pickle).

The network's NetworkConfig travels in the safetensors header metadata so a
file alone is enough to rebuild the module.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .networks import NetworkConfig, build_network


class ModelFileError(ValueError):
    """A model file is missing, corrupt or does not fit its architecture."""


def save_network(net: torch.nn.Module, path: str | os.PathLike, half: bool = True) -> None:
    """Write weights (fp16 by default: half the size, no visible difference) atomically."""
    state = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    meta = {"config": json.dumps(net.config.to_dict()), "format": "livestyle-1"}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata=meta)
    os.replace(tmp, path)


def read_config(path: str | os.PathLike) -> NetworkConfig:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}") from None
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"model file {path} is not a valid safetensors file ({e})") from None
    if "config" not in meta:
        raise ModelFileError(f"model file {path} has no livestyle network config")
    try:
        return NetworkConfig.from_dict(json.loads(meta["config"]))
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"model file {path} has a malformed config ({e})") from None


def load_network(path: str | os.PathLike) -> torch.nn.Module:
    """Rebuild the network described in the file and load its float32 weights (eval mode)."""
    config = read_config(path)
    try:
        net = build_network(config)
    except ValueError as e:
        raise ModelFileError(f"model file {path}: {e}") from None
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"model file {path} is corrupt ({e})") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise ModelFileError(f"model file {path} does not fit a '{config.arch}' network: {detail}") from None
    return net.eval()
