"""Keep freed frame-sized buffers in the process heap instead of returning them to the OS.

glibc serves allocations above its mmap threshold (128 KiB at start, raised
adaptively) with fresh mmap()s and unmaps them on free. Every per-frame tensor
of a 640x480 network (1-5 MB each) then costs a new mapping and a page fault per
4 KiB page on first touch, every frame: on this project's 2-core CPU that was a
third of the network's time (one thread: 50.7 -> 35.3 ms per frame). Raising the
mmap threshold to its maximum and the trim threshold well above the working set
lets the allocator hand the same, already-faulted pages back frame after frame.
The heap keeps at most the peak working set, which the soak benchmark watches.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's ceiling on 64-bit (larger values are refused)
_TRIM_THRESHOLD = 1 * 2**30

_done = False


def keep_freed_memory() -> bool:
    """Apply the settings once per process; False where the C library is not glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to do
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    _done = ok
    return ok
