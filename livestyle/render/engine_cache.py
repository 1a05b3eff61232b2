"""A disk cache for what the CPU engine builds from a network: the ONNX graph and
OpenVINO's compiled kernels.

Every process that painted on a CPU traced each network into ONNX again (torch's
exporter: 0.5-1.1 s of CPU per network on the AVX2 host) and compiled it (~0.2 s per
frame size). `cam` does that for every style while its first frames play (the preload,
so that switching never stalls): ~6 s of CPU on two cores, 40-50 frames dropped. A
graph is a function of the network's weights and of the code that builds it, so it is
kept on disk under a key made of both, and OpenVINO keeps its compiled blobs beside it
(its CACHE_DIR, which halves a compile). Nothing here is needed: an unwritable or
switched-off cache (LIVESTYLE_CACHE_DIR=off) only means exporting again.
"""
from __future__ import annotations

import functools
import hashlib
import os
import platform
import tempfile
import threading
from pathlib import Path

import torch

ENV = "LIVESTYLE_CACHE_DIR"
# Graphs are ~0.4-0.9 MB and blobs ~1 MB per network and frame size: a few hundred
# entries. The least recently used go first beyond this.
MAX_BYTES = 256 * 2 ** 20
_PACKAGE = Path(__file__).resolve().parent.parent
# The code a graph depends on: the networks' modules and the exporter's settings.
_GRAPH_SOURCES = ("nets/*.py", "render/engines.py")
_pruned = threading.Event()


def cache_dir() -> Path | None:
    """The cache's folder, created if need be (LIVESTYLE_CACHE_DIR, else
    $XDG_CACHE_HOME/livestyle or ~/.cache/livestyle); None when switched off
    (LIVESTYLE_CACHE_DIR=off or empty) or not writable."""
    configured = os.environ.get(ENV)
    if configured is not None and configured.strip().lower() in ("", "off", "0", "none"):
        return None
    if configured:
        root = Path(configured).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = Path(base) / "livestyle"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(root, os.W_OK):
        return None
    if not _pruned.is_set():
        _pruned.set()
        prune(root)
    return root


@functools.cache
def _code_digest() -> bytes:
    from .. import __version__  # with the sources, or alone where only bytecode ships

    h = hashlib.sha256(__version__.encode())
    for pattern in _GRAPH_SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.digest()


def network_key(net: torch.nn.Module, opset: int) -> str:
    """A name for the graph of `net` exported at `opset`: its class, configuration and
    weights (as exported: float32), the code that builds the graph, and torch's version."""
    h = hashlib.sha256(_code_digest())
    cls = type(net)
    h.update(f"{cls.__module__}.{cls.__qualname__}|{getattr(net, 'config', None)!r}|{opset}|{torch.__version__}".encode())
    for name, tensor in net.state_dict().items():
        t = tensor.detach().to("cpu", torch.float32).contiguous()
        h.update(f"{name}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:32]


def cached_onnx(net: torch.nn.Module, opset: int, export, root: Path | None = None) -> bytes:
    """`export(net)`'s ONNX bytes, from the cache when this network was exported before.
    `root`: the cache folder, when the caller has already asked cache_dir() for it."""
    root = root or cache_dir()
    if root is None:
        return export(net)
    path = root / "onnx" / f"{network_key(net, opset)}.onnx"
    try:
        data = path.read_bytes()
        if data:
            os.utime(path)  # recently used: pruned last
            return data
    except OSError:
        pass
    data = export(net)
    write_atomic(path, data)
    return data


def forget_onnx(net: torch.nn.Module, opset: int) -> None:
    """Drop this network's cached graph (one the engine could not read)."""
    root = cache_dir()
    if root is not None:
        (root / "onnx" / f"{network_key(net, opset)}.onnx").unlink(missing_ok=True)


def openvino_dir(version: str = "") -> str | None:
    """The folder for OpenVINO `version`'s compiled blobs (its CACHE_DIR property) on this
    machine's CPU, or None. One folder per instruction set: a home folder shared between
    machines must never hand an AVX-512 kernel to an AVX2 CPU."""
    root = cache_dir()
    if root is None:
        return None
    tag = hashlib.sha256(f"{version}|{platform.machine()}|{_cpu_flags()}".encode()).hexdigest()[:16]
    return str(root / "openvino" / tag)


@functools.cache
def _cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):  # x86, ARM
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: two processes writing one entry,
    or one killed mid-write, never leave a partial file under the final name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a full or read-only disk: the cache is only a shortcut


def prune(root: Path, max_bytes: int = MAX_BYTES) -> None:
    """Delete the least recently used files until the folder holds at most `max_bytes`."""
    entries = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                st = os.stat(p)
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.unlink(p)
            total -= size
        except OSError:
            pass
