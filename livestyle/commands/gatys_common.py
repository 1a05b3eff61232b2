"""Turning `--method gatys` options into a GatysConfig and a StyleTarget."""
from __future__ import annotations

from ..gatys.optimize import GatysConfig, GatysError, StyleTarget, loss_network_on
from ..nets.losses import STYLE_LAYERS
from ..gatys.paintings import painting_for_style, parse_multi_style, read_painting
from ..nets.registry import DEFAULT_STYLE
from ..nets.vgg import check_relu_layers
from ..render.devices import pick_device


def gatys_config(args) -> GatysConfig:
    layers = tuple(args.style_layers) if args.style_layers else STYLE_LAYERS
    try:
        check_relu_layers(layers + (args.content_layer,))
    except ValueError as e:
        raise GatysError(str(e)) from None
    cfg = GatysConfig(size=args.size, iters=args.iters, optimizer=args.optimizer, init=args.init,
                      style_weight=args.style_weight, content_weight=args.content_weight,
                      tv_weight=args.tv_weight, temporal_weight=args.temporal_weight, style_layers=layers,
                      content_layer=args.content_layer, style_scale=args.style_scale,
                      preserve_colour=args.preserve_colour)
    cfg.validate()
    return cfg


def style_target(args, cfg: GatysConfig):
    if args.multi_style:
        paintings = parse_multi_style(args.multi_style)
    elif args.style_image:
        paintings = [(read_painting(args.style_image), 1.0)]
    else:
        paintings = [(painting_for_style(args.style or DEFAULT_STYLE), 1.0)]
    # image and video take --device (auto: CUDA, then MPS, then the CPU); DeviceError is one line.
    vgg = loss_network_on(pick_device(getattr(args, "device", "cpu")))
    return vgg, StyleTarget(vgg, paintings, round(cfg.size * cfg.style_scale), cfg.style_layers)
