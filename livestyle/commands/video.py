"""`livestyle video IN -o OUT`: stylize every frame of a file, in order, sound kept."""
from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction

import cv2

from ..errors import UsageError
from ..pipeline import Channel, Pipeline
from ..stabilize import Stabilizer
from ..video_reader import VideoFileSource
from ..video_writer import VideoWriter, check_output_path, even_size
from .common import PRESETS, add_stabilize_args, add_style_args, check_range, make_stylizer, say

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
    add_style_args(p)
    add_stabilize_args(p)
    p.add_argument("--scale", type=float, default=1.0, help="resize frames by this factor first, 0.05..4 (default 1)")
    p.add_argument("--crf", type=int, default=20, help="H.264 quality, 0 (lossless) .. 51 (worst); default 20")
    p.add_argument("--preset", default="veryfast", choices=PRESETS, help="x264 speed preset (default veryfast)")
    p.add_argument("--method", choices=("fast", "gatys"), default="fast",
                   help="fast: feed-forward network (default); gatys: optimize every frame (slow, offline)")
    from ..gatys_options import add_gatys_args

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
    check_output_path(args.output, args.input)
    source = VideoFileSource(args.input)
    try:
        stylizer = make_stylizer(args)
        return _run(args, source, stylizer)
    finally:
        source.close()


def _output_size(info, scale: float) -> tuple[int, int]:
    w, h = info.width, info.height
    if scale != 1.0:
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
    w, h = even_size(w, h)
    if w < 2 or h < 2:
        raise UsageError(f"--scale {scale:g} makes {info.width}x{info.height} frames too small")
    return w, h


def _run(args, source: VideoFileSource, stylizer) -> int:
    info = source.info
    out_w, out_h = _output_size(info, args.scale)
    writer = VideoWriter(args.output, out_w, out_h, info.rate, info.time_base, crf=args.crf,
                         preset=args.preset, audio_from=args.input)
    stabilizer = Stabilizer(args.stabilize, args.stabilize_strength)
    t0 = time.monotonic()
    warned = [False]

    def read(out: Channel):
        for f in source:
            if source.corrupt_frames and not warned[0]:
                warned[0] = True
                say(f"warning: skipping corrupt frames in {args.input}", args.quiet)
            rgb = f.rgb
            if (rgb.shape[1], rgb.shape[0]) != (out_w, out_h):
                if args.scale != 1.0:
                    rgb = cv2.resize(rgb, (out_w, out_h), interpolation=cv2.INTER_AREA if args.scale < 1 else cv2.INTER_LINEAR)
                else:
                    rgb = rgb[:out_h, :out_w]  # odd sides: drop last column/row
            out.put((f.pts, rgb))

    slow_s = args.simulate_slow_ms / 1000.0  # tests: a stylizer slower than real

    def stylize(inp: Channel, out: Channel):
        for pts, rgb in inp:
            if slow_s:
                time.sleep(slow_s)
            out.put((pts, stabilizer(rgb, stylizer(rgb))))

    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=info.frames or None, unit="frame", file=sys.stderr, dynamic_ncols=True,
                   desc=f"{stylizer.name}", smoothing=0.1)
    interrupted = False
    pipe = Pipeline()
    try:
        decoded = pipe.channel(4, "block")
        styled = pipe.channel(4, "block")
        pipe.stage("decode", read, decoded, closes=decoded)
        pipe.stage("stylize", stylize, decoded, styled, closes=styled)
        for pts, rgb in styled:
            writer.write(rgb, pts)
            if bar is not None:
                bar.update(1)
        pipe.join()
    except KeyboardInterrupt:
        interrupted = True
        pipe.join(stop=True)
    except BaseException:
        pipe.stop.set()
        writer.abort()
        try:
            pipe.join()
        finally:
            if bar is not None:
                bar.close()
        raise
    finally:
        if bar is not None:
            bar.close()
    if writer.frames == 0:
        writer.abort()
        if interrupted:
            say("interrupted before the first frame: nothing written", args.quiet)
            return 130
        raise UsageError(f"no frame could be decoded from {args.input}")
    path = writer.finish()
    seconds = time.monotonic() - t0
    if source.corrupt_frames:
        say(f"warning: {source.corrupt_frames} corrupt frame(s) skipped", args.quiet)
    if interrupted:
        say(f"interrupted: wrote {writer.frames} frames to {path} (playable, partial)", False)
    summary = {
        "input": str(args.input), "output": str(path), "style": stylizer.name,
        "frames": writer.frames, "frames_in": info.frames, "corrupt_frames": source.corrupt_frames,
        "seconds": round(seconds, 3), "fps": round(writer.frames / seconds, 2) if seconds > 0 else None,
        "width": out_w, "height": out_h, "rate": str(Fraction(info.rate)),
        "audio_kept": writer.audio_kept, "audio_transcoded": writer.audio_transcoded,
        "stabilize": args.stabilize, "interrupted": interrupted,
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    elif not interrupted:
        say(f"wrote {path}: {writer.frames} frames in {seconds:.1f} s ({summary['fps']} frames/s)"
            + (", audio kept" if writer.audio_kept else ""), args.quiet)
    return 130 if interrupted else 0
