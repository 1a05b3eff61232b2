"""`livestyle distill`: a network that copies another's paintings (a live student of a
quality network, or a quality student of a fast one)."""
from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..nets.distill import DistillConfig, distill
from ..nets.registry import find_style, tier_folder
from ..nets.train import PRECISIONS, TrainingPaused
from ..render.devices import DEVICES
from .common import check_style_name, check_weights


def add_parser(sub) -> None:
    p = sub.add_parser("distill", help="train a network to copy another (a fast one from a quality one, or back)",
                       description="The student (the v3 fast design, or with --arch quality the Johnson design) "
                                   "learns to paint what the teacher paints, on crops of your photos, plus a "
                                   "stability term for video.")
    p.add_argument("--teacher", required=True, help="a style name (its quality tier) or a .safetensors file")
    p.add_argument("--arch", choices=("fast", "quality"), default="fast",
                   help="the student: fast (v3, live on a CPU; default) or quality (Johnson; e.g. the quality "
                        "tier of a style whose fast network paints it best)")
    p.add_argument("--data", required=True, help="folder of photos (searched recursively)")
    p.add_argument("--name", required=True, help="writes OUT_DIR/NAME.safetensors and NAME.json")
    p.add_argument("--out-dir", default="", help="default models/ (fast) or models/quality/ (quality)")
    p.add_argument("--work-dir", default="", help="checkpoints and the teacher's paintings (default runs/distill-NAME)")
    p.add_argument("--crops", type=int, default=2000, help="crops the teacher paints once (default 2000)")
    p.add_argument("--size", type=int, default=256, help="crop size (default 256)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--gradient-weight", type=float, default=1.0, help="weight of the image-gradient L1 (strokes)")
    p.add_argument("--stability-weight", type=float, default=20.0)
    p.add_argument("--style-image", default="", help="the teacher's painting, for the texture terms below")
    p.add_argument("--style-weight", type=float, default=0.0,
                   help="Gram loss against the painting: brush texture the pixel losses average away (default 0)")
    p.add_argument("--swd-weight", type=float, default=0.0, help="sliced Wasserstein term against the painting (default 0)")
    p.add_argument("--palette-weight", type=float, default=0.0,
                   help="sliced Wasserstein term between the output's pixel colours and the painting's (default 0)")
    p.add_argument("--content-weight", type=float, default=0.0,
                   help="content (VGG relu2_2) against the photo: keep more of the scene than the teacher (default 0)")
    p.add_argument("--teacher-style-weight", type=float, default=0.0,
                   help="Grams of the output against the teacher's painting of the same crop: its texture where it "
                        "draws it, without the patterns a student finds for the painting's Grams (default 0)")
    p.add_argument("--shift-weight", type=float, default=0.0,
                   help="the student's output for its input shifted by whole pixels against its output shifted "
                        "(unties strokes from the pixel grid; default 0)")
    p.add_argument("--comb-weight", type=float, default=0.0,
                   help="holds the output's grid of two-pixel blocks to the photo's (bench quality's comb; default 0)")
    p.add_argument("--init-from", default="", help="continue from a finished student")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--precision", default="auto", choices=PRECISIONS)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work dir")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    check_style_name(args.name)
    if not Path(args.data).is_dir():
        raise UsageError(f"--data is not a folder: {args.data}")
    teacher = Path(args.teacher)
    if not args.teacher.endswith(".safetensors"):
        teacher = find_style(args.teacher).tier_path("quality")
    check_weights(args, ("gradient_weight", "stability_weight", "style_weight", "swd_weight",
                         "palette_weight", "content_weight", "teacher_style_weight", "shift_weight", "comb_weight", "lr"))
    out_dir = args.out_dir or tier_folder(args.arch)
    cfg = DistillConfig(teacher=str(teacher), data=args.data, name=args.name, out_dir=out_dir, arch=args.arch,
                        work_dir=args.work_dir, crops=args.crops, size=args.size, steps=args.steps,
                        batch=args.batch, lr=args.lr, gradient_weight=args.gradient_weight,
                        stability_weight=args.stability_weight, init_from=args.init_from,
                        style_image=args.style_image, style_weight=args.style_weight, swd_weight=args.swd_weight,
                        palette_weight=args.palette_weight,
                        content_weight=args.content_weight, teacher_style_weight=args.teacher_style_weight,
                        shift_weight=args.shift_weight,
                        comb_weight=args.comb_weight, device=args.device, precision=args.precision)
    try:
        path = distill(cfg, resume=args.resume, progress=not args.quiet)
    except TrainingPaused as p:
        print(f"paused at step {p.args[0]}; continue with --resume")
        return 0
    print(f"wrote {path}")
    return 0
