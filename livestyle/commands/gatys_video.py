"""`livestyle video --method gatys`: every frame optimized, temporally consistent, resumable.

Each frame starts from the previous stylized frame warped by optical flow
(DIS on the input frames) and is pulled towards it on pixels that pass the
forward-backward consistency test (Ruder et al. 2016). Finished frames are
PNGs in a cache folder beside the output; `--resume` continues a killed run,
and the video (timestamps and audio as in the fast mode) is assembled only
when every frame exists.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from ..errors import UsageError
from ..gatys.optimize import optimize_frames
from ..io.images import read_rgb, write_rgb
from ..io.video_reader import VideoFileSource
from ..io.video_writer import VideoWriter, check_output_path
from .common import say
from .gatys_common import gatys_config, style_target


def cache_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.gatys")


def _settings_key(args, cfg) -> str:
    keys = {k: getattr(args, k) for k in ("input", "style", "style_image", "multi_style", "size", "iters",
                                          "optimizer", "init", "style_weight", "content_weight", "tv_weight",
                                          "temporal_weight", "style_layers", "content_layer", "style_scale",
                                          "preserve_colour")}
    keys["input"] = str(Path(args.input).resolve())
    return hashlib.sha1(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run(args) -> int:
    out = check_output_path(args.output, args.input)
    cfg = gatys_config(args)
    source = VideoFileSource(args.input)
    cache = cache_dir(out)
    key = _settings_key(args, cfg)
    manifest = cache / "manifest.json"
    if cache.exists() and manifest.exists():
        if not args.resume:
            raise UsageError(f"{cache} holds frames of an earlier run: add --resume to continue it, or delete it")
        if json.loads(manifest.read_text()).get("key") != key:
            raise UsageError(f"{cache} holds frames made with other settings: delete it to start again")
    cache.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"key": key, "input": str(args.input)}))
    first_iters = cfg.total_iters() if args.iters else 150
    next_iters = cfg.total_iters() if args.iters else 75
    from tqdm import tqdm

    vgg, target = style_target(args, cfg)
    pts_list: list[int | None] = []

    def frames():
        for f in source:
            pts_list.append(f.pts)
            yield f.rgb

    def cached(i: int):
        path = cache / f"frame_{i:06d}.png"
        return read_rgb(path) if path.exists() else None

    bar = None if args.quiet else tqdm(total=source.info.frames or None, unit="frame", file=sys.stderr,
                                       desc="gatys", dynamic_ncols=True)
    try:
        for i, result in enumerate(optimize_frames(frames(), target, cfg, vgg, first_iters, next_iters, cached)):
            path = cache / f"frame_{i:06d}.png"
            if not path.exists():
                write_rgb(path, result)  # atomic: a killed run never leaves half a PNG
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        source.close()
    _assemble(args, cache, pts_list, source)
    say(f"wrote {out} ({len(pts_list)} frames; frame cache {cache} can be deleted)", args.quiet)
    return 0


def _assemble(args, cache: Path, pts_list, source: VideoFileSource) -> None:
    frames = sorted(cache.glob("frame_*.png"))
    if len(frames) != len(pts_list):
        raise UsageError(f"frame cache incomplete: {len(frames)} of {len(pts_list)} frames")
    first = read_rgb(frames[0])
    info = source.info
    writer = VideoWriter(args.output, first.shape[1], first.shape[0], info.rate, info.time_base,
                         crf=args.crf, preset=args.preset, audio_from=args.input)
    try:
        for path, pts in zip(frames, pts_list):
            writer.write(read_rgb(path), pts)
    except BaseException:
        writer.abort()
        raise
    writer.finish()
