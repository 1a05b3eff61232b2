"""Which H.264 encoder writes a file: NVENC on a GPU when the driver offers it, else x264.

PyAV's wheel carries FFmpeg's `h264_nvenc`, but whether it opens depends on the
machine (an NVIDIA driver with NVENC, a free session): the only reliable test is
to open it. That is done once per process, on two tiny frames into memory, so a
failure is known before the output file exists and is said in one line.
"""
from __future__ import annotations

import functools
import io

import numpy as np

ENCODERS = ("auto", "libx264", "h264_nvenc")


@functools.lru_cache(maxsize=None)
def nvenc_problem() -> str | None:
    """None when h264_nvenc encodes here, else why not (one line)."""
    import av  # late: commands that never encode (train) run without PyAV
    if "h264_nvenc" not in av.codecs_available:
        return "this FFmpeg build has no h264_nvenc"
    try:
        with av.open(io.BytesIO(), "w", format="mp4") as out:
            stream = out.add_stream("h264_nvenc", rate=30)
            stream.width, stream.height, stream.pix_fmt = 256, 144, "yuv420p"
            frame = av.VideoFrame.from_ndarray(np.zeros((144, 256, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    except (av.FFmpegError, OSError, ValueError) as e:
        return str(e).splitlines()[0] or type(e).__name__
    return None


def pick_encoder(requested: str, device_type: str, warn=lambda message: None) -> str:
    """The encoder to use. auto: NVENC when the frames come from a CUDA device and NVENC opens,
    else x264; h264_nvenc asked for but not available: x264, said once through `warn`."""
    if requested not in ENCODERS:
        raise ValueError(f"unknown encoder '{requested}' (choose from {', '.join(ENCODERS)})")
    if requested == "libx264" or (requested == "auto" and device_type != "cuda"):
        return "libx264"
    why = nvenc_problem()
    if why is None:
        return "h264_nvenc"
    warn(f"NVENC not available ({why}): encoding with libx264")
    return "libx264"


def encoder_options(codec: str, crf: int, preset: str) -> dict[str, str]:
    """Codec options for a quality level given as x264's CRF (0 lossless .. 51 worst)."""
    if codec == "h264_nvenc":
        # Constant-quality VBR is NVENC's counterpart of CRF; p4 is its balanced preset.
        return {"preset": "p4", "rc": "vbr", "cq": str(max(1, crf)), "b": "0", "movflags": "+faststart"}
    return {"crf": str(crf), "preset": preset, "movflags": "+faststart"}
