"""Options and helpers shared by the commands that stylize (video, image, cam, bench)."""
from __future__ import annotations

import argparse
import re
import sys

from ..api import load_style
from ..render.devices import DEVICES, network_workers
from ..render.engines import ENGINES
from ..errors import UsageError
from ..nets.registry import DEFAULT_STYLE, TIER_CHOICES
from ..render.stabilize import DEFAULT_STRENGTH
from ..render.stylize import Stylizer

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


def add_style_args(p: argparse.ArgumentParser, work_height: int = 0) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--style", default=None, help=f"shipped style name (default: {DEFAULT_STYLE}; see 'livestyle styles')")
    g.add_argument("--model", default=None, help="a style network file (.safetensors) instead of a shipped style")
    p.add_argument("--tier", default="auto", choices=TIER_CHOICES,
                   help="fast (live on a CPU), quality (Johnson-class: live on a GPU, slow on a CPU), "
                        "or auto: quality on a GPU when the style has it, else fast (default)")
    p.add_argument("--device", default="auto", choices=DEVICES, help="auto picks CUDA (fp16, channels_last), then MPS, then CPU")
    p.add_argument("--strength", type=float, default=1.0, help="blend with the original frame, 0..1 (default 1)")
    p.add_argument("--preserve-colour", "--preserve-color", dest="preserve_colour", action="store_true",
                   help="keep the input's colours, take the style's luminance texture")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for the network (default: all cores)")
    p.add_argument("--engine", default="auto", choices=ENGINES,
                   help="CPU inference engine: auto (OpenVINO when installed, else torch), torch or openvino")
    # Streams default to 480 lines on a CPU (big frames stay live) but to their own size on a
    # GPU, which has the speed to paint 1080p strokes at 1080p: None means "by device".
    p.add_argument("--work-height", type=int, default=None if work_height else 0,
                   help="stylize frames taller than this at this height and scale the result back up, so "
                        "strokes keep their size relative to the frame and big frames stay fast "
                        + (f"(0 = the frame's own height; default {work_height} on a CPU, native on a GPU)"
                           if work_height else "(0 = the frame's own height, the default)"))


def add_stream_args(p: argparse.ArgumentParser) -> None:
    """Options of the commands that stream frames (video, cam): stabilization and network workers."""
    p.add_argument("--stabilize", choices=("off", "blend", "flow"), default="flow",
                   help="temporal stabilization: flow-warped previous frame (default), plain blend, or off")
    p.add_argument("--stabilize-strength", type=float, default=DEFAULT_STRENGTH,
                   help=f"the most weight the previous stylized frame gets, 0..0.95 (default {DEFAULT_STRENGTH:g}); "
                        "frames whose strokes blending would wash out get less")
    p.add_argument("--workers", type=int, default=0,
                   help="frames in the network at once, sharing the threads (default: 2 on a CPU for files, "
                        "for throughput; 1 for cameras and GPUs, for latency)")


def check_range(name: str, value: float, lo: float, hi: float) -> None:
    if not (lo <= value <= hi):
        raise UsageError(f"{name} must be between {lo:g} and {hi:g} (got {value:g})")


_STYLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_style_name(name: str) -> None:
    """A new style's name (train, distill) becomes its file names and what --style takes:
    letters, digits, - and _, so "../x" cannot write outside the model folder."""
    if not _STYLE_NAME.fullmatch(name):
        raise UsageError(f"--name must be letters, digits, - and _ (at most 64, starting with a letter or digit; "
                         f"got {name!r})")


def check_weights(args, names: tuple[str, ...]) -> None:
    """Loss weights and learning rates of train and distill: finite, >= 0 (NaN fails the range too)."""
    for name in names:
        check_range("--" + name.replace("_", "-"), getattr(args, name), 0.0, 1e6)


def check_style_args(args) -> None:
    """The checks of add_style_args' options that need no model loaded."""
    check_range("--strength", args.strength, 0.0, 1.0)
    if args.threads < 0 or args.threads > 256:
        raise UsageError(f"--threads must be between 0 and 256 (got {args.threads})")
    if args.work_height is not None:  # None: by device (load_style)
        check_range("--work-height", args.work_height, 0, 16384)
        if 0 < args.work_height < 32:
            raise UsageError(f"--work-height must be 0 (native) or at least 32 (got {args.work_height})")


def style_kwargs(args) -> dict:
    """add_style_args' options as keyword arguments of livestyle.load_style / stylize_video."""
    return {"tier": args.tier, "device": args.device, "model": args.model, "strength": args.strength,
            "preserve_colour": args.preserve_colour, "work_height": args.work_height, "threads": args.threads,
            "engine": args.engine}


def make_stylizer(args) -> Stylizer:
    check_style_args(args)
    return load_style(args.style or DEFAULT_STYLE, **style_kwargs(args))


def plan_workers(args, stylizer: Stylizer, live: bool) -> int:
    """Network workers for this run (see devices.network_workers); call after make_stylizer."""
    try:
        return network_workers(stylizer.device, args.workers, live)
    except ValueError as e:
        raise UsageError(str(e)) from None


def say(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)
