"""The Python API: what the commands do, as functions.

    import livestyle
    paint = livestyle.load_style("starry")          # a callable stylizer
    out = paint(frame)                              # RGB uint8 (H, W, 3) in, same out
    paint.strength, paint.preserve_colour = 0.8, True
    summary = livestyle.stylize_video("in.mp4", "out.mp4", style="wave")

The command line is built on these functions, so both give the same result.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .render.devices import configure_cpu_threads, default_work_height, pick_device
from .nets.registry import DEFAULT_STYLE, TIER_CHOICES, find_style
from .render.stylize import Stylizer


def load_style(name: str = DEFAULT_STYLE, tier: str = "auto", device: str = "auto", *,
               model: str | os.PathLike | None = None, strength: float = 1.0, preserve_colour: bool = False,
               work_height: int | None = 0, threads: int = 0, engine: str = "auto") -> Stylizer:
    """A stylizer for a shipped style (or a model file): call it on RGB uint8 frames.

    tier: "fast" (live on a CPU), "quality" (Johnson-class; live on a GPU) or
    "auto" (quality on CUDA or MPS when the style has it, else fast).
    device: "auto" (CUDA, then MPS, then the CPU), "cpu", "cuda" or "mps".
    work_height: stylize taller frames at this height and scale back up (0: native;
    None: by device, 480 lines on a CPU and native on a GPU, as video and cam do).
    engine: "auto" (OpenVINO on a CPU when installed, else torch), "torch" or "openvino".
    Raises StyleNotFound for an unknown style or a tier the style lacks,
    DeviceError for an unavailable device, ModelFileError for a broken file."""
    from .render.engines import ENGINES

    if engine not in ENGINES:
        from .errors import UsageError

        raise UsageError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    if tier not in TIER_CHOICES:
        from .nets.registry import StyleNotFound

        raise StyleNotFound(f"unknown tier '{tier}' (choose from {', '.join(TIER_CHOICES)})")
    configure_cpu_threads(threads or None)
    dev = pick_device(device)
    if model is not None:
        st = Stylizer.from_file(Path(model), dev, Path(model).stem, engine)
    else:
        style = find_style(name)
        chosen = style.pick_tier(tier, dev.type)
        st = Stylizer.from_file(style.tier_path(chosen), dev, style.name, engine)
        st.tier = chosen
    st.strength = float(strength)
    st.preserve_colour = bool(preserve_colour)
    st.work_height = default_work_height(dev) if work_height is None else int(work_height)
    return st


def stylize_video(input: str | os.PathLike, output: str | os.PathLike, style: str = DEFAULT_STYLE,
                  tier: str = "auto", *, device: str = "auto", model: str | os.PathLike | None = None,
                  strength: float = 1.0, preserve_colour: bool = False, work_height: int | None = None,
                  stabilize: str = "flow", stabilize_strength: float | None = None, workers: int = 0,
                  scale: float = 1.0, crf: int = 20, preset: str = "superfast", threads: int = 0, engine: str = "auto",
                  encoder: str = "auto",
                  progress: bool = False, warn: Callable[[str], None] | None = None, _slow_s: float = 0.0) -> dict:
    """Stylize every frame of a video file, in order, timestamps and sound kept
    (what `livestyle video` does); returns the run's summary (frames, fps, ...).
    work_height None: 480 lines on a CPU, each frame's own size on a GPU.
    encoder: "auto" (NVENC when painting on CUDA and the driver offers it, else x264),
    "libx264" or "h264_nvenc" (x264 with a warning where NVENC does not open).
    Ctrl-C finalizes what was written so far (summary["interrupted"] is True)."""
    from .render.devices import network_workers
    from functools import partial

    from .render.stabilize import DEFAULT_STRENGTH, make_stabilizer
    from .render.video_job import run_job
    from .io.video_reader import VideoFileSource
    from .io.encoders import pick_encoder
    from .io.video_writer import check_output_path

    check_output_path(output, input)
    dev = pick_device(device)
    # Frames painted on CUDA are decoded with NVDEC where the driver offers it.
    on_cuda = dev.type == "cuda"
    source = VideoFileSource(input, hwaccel="cuda" if on_cuda else None)
    if on_cuda and source.hwaccel_problem and warn:
        warn(f"NVDEC not available ({source.hwaccel_problem}): decoding on the CPU")
    try:
        st = load_style(style, tier, str(dev), model=model, strength=strength, preserve_colour=preserve_colour,
                        work_height=work_height, threads=threads, engine=engine)
        # On CUDA the frames are stabilized on the GPU before their one download.
        stabilizer = make_stabilizer(stabilize, DEFAULT_STRENGTH if stabilize_strength is None else stabilize_strength,
                                     st.device)
        try:
            n_workers = network_workers(st.device, workers, live=False)
        except ValueError as e:
            from .errors import UsageError

            raise UsageError(str(e)) from None
        codec = pick_encoder(encoder, st.device.type, warn or (lambda m: None))
        network = partial(st.run_network, on_device=stabilizer.takes_tensors)
        result = run_job(source, output, network, scale=scale, encoder=codec,
                         prepare=lambda rgb: st.prepare(rgb, stabilizer),
                         finish=lambda rgb, net_out: st.finish(rgb, net_out, stabilizer),
                         crf=crf, preset=preset, progress=st.name if progress else None,
                         warn=warn or (lambda m: None), workers=n_workers, slow_s=_slow_s)
        from fractions import Fraction

        return {
            "input": str(input), "output": str(result.path), "style": st.name, "tier": st.tier,
            "frames": result.frames, "frames_in": source.info.frames, "corrupt_frames": result.corrupt_frames,
            "seconds": round(result.seconds, 3), "fps": round(result.fps, 2),
            "width": result.width, "height": result.height, "rate": str(Fraction(source.info.rate)),
            "audio_kept": result.audio_kept, "audio_transcoded": result.audio_transcoded,
            "stabilize": stabilize, "interrupted": result.interrupted, "device": str(st.device),
            "work_height": st.work_height, "encoder": codec, "decoder": source.decoder,
        }
    finally:
        source.close()
