"""Device selection and CPU thread settings."""
from __future__ import annotations

import os

import torch

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
    torch.set_num_threads(max(1, n))
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass
    return n
