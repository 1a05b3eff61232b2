"""`livestyle video IN -o OUT`: stylize every frame of a file, in order, sound kept."""
from __future__ import annotations

import argparse
import json

from ..api import stylize_video
from ..io.encoders import ENCODERS
from ..nets.registry import DEFAULT_STYLE
from .common import PRESETS, add_stream_args, add_style_args, check_range, check_style_args, say, style_kwargs

HELP = """Stylize a video file. Every frame is kept, in order, with its timestamp
(variable frame rate survives), and the audio stream is copied.

Sizes: the output is the input size (after rotation metadata is applied to the
pixels and after --scale), with odd sides dropped to even for yuv420p: the last
column/row is cut, e.g. 321x241 -> 320x240. The network itself runs on a
reflect-padded copy and the result is cropped back, so any size works."""


def add_parser(sub) -> None:
    p = sub.add_parser("video", help="stylize a video file", description=HELP,
                       formatter_class=_Fmt)
    p.add_argument("input", help="input video file")
    p.add_argument("-o", "--output", required=True, help="output .mp4/.mov/.m4v/.mkv (H.264, yuv420p)")
    add_style_args(p, work_height=480)
    add_stream_args(p)
    p.add_argument("--scale", type=float, default=1.0, help="resize frames by this factor first, 0.05..4 (default 1)")
    p.add_argument("--crf", type=int, default=20, help="H.264 quality, 0 (lossless) .. 51 (worst); default 20")
    p.add_argument("--preset", default="superfast", choices=PRESETS,
                   help="x264 speed preset (default superfast: half the encode time of veryfast for ~10%% more bytes)")
    p.add_argument("--encoder", choices=ENCODERS, default="auto",
                   help="H.264 encoder: auto (NVENC when painting on a GPU and the driver offers it, else "
                        "libx264), libx264, or h264_nvenc")
    p.add_argument("--method", choices=("fast", "gatys"), default="fast",
                   help="fast: feed-forward network (default); gatys: optimize every frame (slow, offline)")
    from ..gatys.options import add_gatys_args

    add_gatys_args(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p.add_argument("--simulate-slow-ms", type=float, default=0, help=argparse.SUPPRESS)
    p.set_defaults(run=run)


class _Fmt(argparse.RawDescriptionHelpFormatter):
    pass


def validate(args) -> None:
    check_range("--scale", args.scale, 0.05, 4.0)
    check_range("--crf", args.crf, 0, 51)
    check_range("--stabilize-strength", args.stabilize_strength, 0.0, 0.95)


def run(args) -> int:
    validate(args)
    if args.method == "gatys":
        from .gatys_video import run as run_gatys

        return run_gatys(args)
    check_style_args(args)
    try:
        summary = stylize_video(args.input, args.output, args.style or DEFAULT_STYLE, **style_kwargs(args),
                                stabilize=args.stabilize, stabilize_strength=args.stabilize_strength,
                                workers=args.workers, scale=args.scale, crf=args.crf, preset=args.preset,
                                encoder=args.encoder,
                                progress=not args.quiet, warn=lambda m: say(m, args.quiet),
                                _slow_s=args.simulate_slow_ms / 1000.0)
    except KeyboardInterrupt:
        say("interrupted before the first frame: nothing written", args.quiet)
        return 130
    if summary["corrupt_frames"]:
        say(f"warning: {summary['corrupt_frames']} corrupt frame(s) skipped", args.quiet)
    if summary["interrupted"]:
        say(f"interrupted: wrote {summary['frames']} frames to {summary['output']} (playable, partial)")
    if args.json:
        print(json.dumps(summary), flush=True)
    elif not summary["interrupted"]:
        say(f"wrote {summary['output']}: {summary['frames']} frames in {summary['seconds']:.1f} s "
            f"({summary['fps']:.1f} frames/s)" + (", audio kept" if summary["audio_kept"] else ""), args.quiet)
    return 130 if summary["interrupted"] else 0
