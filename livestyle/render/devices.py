"""Device selection and CPU thread settings."""
from __future__ import annotations

import os

import torch

from .heap import keep_freed_memory

DEVICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(ValueError):
    pass


def pick_device(name: str = "auto") -> torch.device:
    if name not in DEVICES and not name.startswith("cuda:"):
        raise DeviceError(f"unknown device '{name}' (choose from {', '.join(DEVICES)})")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError("--device cuda: no CUDA GPU is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceError("--device mps: Apple MPS is not available")
    return torch.device(name)


def configure_cpu_threads(threads: int | None = None) -> int:
    """Give torch all cores but don't let OpenCV spawn a competing pool.

    Decode/encode threads are FFmpeg's and mostly wait on the network, so
    torch gets every core; OpenCV's own pool would only oversubscribe them.
    """
    n = threads or int(os.environ.get("LIVESTYLE_THREADS", 0)) or (os.cpu_count() or 1)
    keep_freed_memory()  # per-frame buffers: reuse pages, no mmap + page faults each frame
    torch.set_num_threads(max(1, n))
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass
    return n


def network_workers(device: torch.device, requested: int = 0, live: bool = False) -> int:
    """How many frames go through the network at once, and torch's threads per frame.

    On a CPU, small convolutions scale poorly across threads: on this project's
    2-core machine one 640x480 frame takes 16.4 ms on 2 threads and 27.8 ms on
    one, so two frames at once on one thread each deliver ~25% more frames per
    second (file to file 640x480: 34 -> 42 frames/s). That costs a frame of
    latency, so files (throughput) get two workers and live sources (latency;
    one worker on all cores already keeps up with a 30 frames/s camera) one.
    GPUs run one frame at a time. Call after configure_cpu_threads."""
    if requested < 0 or requested > 16:
        raise ValueError(f"--workers must be between 0 (auto) and 16 (got {requested})")
    threads = torch.get_num_threads()
    workers = requested or (2 if device.type == "cpu" and not live and threads >= 2 else 1)
    if device.type == "cpu" and workers > 1:
        torch.set_num_threads(max(1, threads // workers))
    return workers


# Streams are painted at 480 lines on a CPU, so big frames stay live and strokes keep their
# size relative to the frame; a GPU has the speed to paint every frame at its own size.
CPU_WORK_HEIGHT = 480


def default_work_height(device: torch.device) -> int:
    """The work height of streams (video, cam) when none is asked for: 0 means native."""
    return CPU_WORK_HEIGHT if device.type == "cpu" else 0
