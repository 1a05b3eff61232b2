"""`livestyle info`: versions, device, model folder."""
from __future__ import annotations

import platform


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="versions, compute device and model folder")
    p.set_defaults(run=run)


def run(args) -> int:
    import av
    import cv2
    import numpy
    import torch

    from .. import __version__
    from ..render import engine_cache
    from ..render.devices import pick_device
    from ..render.engines import pick_engine
    from ..nets.registry import list_styles, models_dir

    dev = pick_device("auto")
    gpu = torch.cuda.get_device_name(0) if dev.type == "cuda" else ""
    rows = [
        ("livestyle", __version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("torchvision", _version("torchvision")),
        ("opencv", cv2.__version__),
        ("av (PyAV)", f"{av.__version__} (FFmpeg libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))})"),
        ("numpy", numpy.__version__),
        ("openvino", _version("openvino")),
        ("engine (CPU)", pick_engine("auto", torch.device("cpu"))),
        ("device", f"{dev.type} {gpu}".strip()),
        ("cpu threads", str(torch.get_num_threads())),
        ("models", f"{models_dir()} ({len(list_styles())} styles)"),
        ("engine cache", _cache_line(engine_cache.cache_dir())),
    ]
    for k, v in rows:
        print(f"{k:12s} {v}")
    return 0


def _cache_line(folder) -> str:
    if folder is None:
        return "off (LIVESTYLE_CACHE_DIR)"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return f"{folder} ({size / 2 ** 20:.1f} MB)"


def _version(mod: str) -> str:
    try:
        return __import__(mod).__version__
    except Exception:  # noqa: BLE001
        return "not installed"
