"""CPU inference engines for the style networks.

torch stays the reference, the training path and the GPU path. On a CPU the
networks run faster through an engine made for it: OpenVINO compiles the
exported graph (fused convolutions, instance norm and activations, its own
thread pool that shares cores with decode and encode threads gracefully).
Measured here (640x480, 2 threads, the training job running beside): the
quality network 259 ms in OpenVINO f32, 133 ms in bf16, 389 ms in ONNX Runtime;
the fast network 21 ms f32, 15 ms bf16, 26 ms in ONNX Runtime.

Frames go in and out as NHWC float32 (HWC is how frames arrive): OpenVINO's
pre/post-processing does the layout change inside the compiled graph. One
compiled model per frame size (a stream has one size; a static shape compiles
to faster kernels than a dynamic one). Graphs and compiled kernels are kept on disk
between runs (engine_cache.py).
"""
from __future__ import annotations

import io
import sys
import threading
import warnings
from collections import OrderedDict

import numpy as np
import torch

from . import engine_cache

ENGINES = ("auto", "torch", "openvino")
ONNX_OPSET = 17
# torch's ONNX exporter keeps its state in globals: two exports at once (the cam's
# preload thread and a network worker loading a newly picked tier) fail with
# "GLOBALS.in_onnx_export must be False". One export at a time.
_EXPORT_LOCK = threading.Lock()


def export_onnx(net: torch.nn.Module, out=None, opset: int = ONNX_OPSET) -> bytes:
    """The network as ONNX (input "rgb" and output "stylized": RGB float 0..1 NCHW,
    dynamic height and width). Writes to `out` (a path) when given; returns the bytes."""
    net = net.eval().float().to("cpu", memory_format=torch.contiguous_format)
    multiple = getattr(net, "multiple", 8)
    example = torch.rand(1, 3, 4 * multiple, 6 * multiple)
    buf = io.BytesIO()
    with _EXPORT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about instance norm and shape asserts
        torch.onnx.export(net, (example,), buf, opset_version=opset, input_names=["rgb"], output_names=["stylized"],
                          dynamic_axes={"rgb": {2: "height", 3: "width"},
                                        "stylized": {2: "height", 3: "width"}},
                          dynamo=False)
    data = buf.getvalue()
    if out is not None:
        with open(out, "wb") as f:
            f.write(data)
    return data


def cache_graph(net: torch.nn.Module) -> bool:
    """Put `net`'s graph in the engine cache ahead of use (OpenVINOEngine then reads
    it); False when the cache is off and there is nowhere to put it."""
    root = engine_cache.cache_dir()
    if root is None:
        return False
    engine_cache.cached_onnx(net, ONNX_OPSET, export_onnx, root=root)
    return True


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def default_precision(net: torch.nn.Module, cpu_has_bf16: bool = True) -> str:
    """bf16 for the networks trained under bf16 autocast, the quality tier and the v3
    fast design, where the CPU computes bf16 (AVX-512 bf16 or AMX: 2x and 1.6x
    faster; largest difference ~0.03 of full scale); f32 everywhere else: on an
    AVX2 CPU OpenVINO emulates bf16, no faster (26.4 vs 26.7 ms for the fast network
    at 640x480 on an AMD EPYC Zen 3) and not bit-comparable with torch; and f32 for
    the v2 fast design (bit-comparable with torch)."""
    config = getattr(net, "config", None)
    trained_in_bf16 = getattr(config, "arch", "fast") == "quality" or getattr(config, "design", "") == "v3"
    return "bf16" if trained_in_bf16 and cpu_has_bf16 else "f32"


class OpenVINOEngine:
    """Runs a network through OpenVINO on the CPU: __call__(NHWC float32) -> NHWC float32.

    Thread-safe by serializing: two threads inferring at once on one compiled model
    deadlocked inside OpenVINO here (both stuck in InferRequest.infer, about one run
    in twenty under load), so calls take turns, each on the engine's whole thread
    pool (files run two network workers; they overlap everything but the network)."""

    def __init__(self, net: torch.nn.Module, precision: str | None = None, threads: int | None = None):
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        self._net = net
        self._onnx = engine_cache.cached_onnx(net, ONNX_OPSET, export_onnx)
        cpu_has_bf16 = "BF16" in self._core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        self.precision = precision or default_precision(net, cpu_has_bf16)
        self.threads = threads  # None: OpenVINO's default, every core
        self._requests: OrderedDict = OrderedDict()  # frame size -> infer request
        self._lock = threading.Lock()

    def _compile(self, h: int, w: int):
        ov = self._ov
        try:
            model = self._core.read_model(self._onnx)
        except Exception:  # noqa: BLE001 - a damaged cached graph: export it again
            engine_cache.forget_onnx(self._net, ONNX_OPSET)
            self._onnx = engine_cache.cached_onnx(self._net, ONNX_OPSET, export_onnx)
            model = self._core.read_model(self._onnx)
        model.reshape([1, 3, h, w])
        ppp = ov.preprocess.PrePostProcessor(model)
        ppp.input().tensor().set_layout(ov.Layout("NHWC"))
        ppp.input().model().set_layout(ov.Layout("NCHW"))
        ppp.output().tensor().set_layout(ov.Layout("NHWC"))
        ppp.output().model().set_layout(ov.Layout("NCHW"))
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": self.precision}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = self.threads
        blobs = engine_cache.openvino_dir(ov.__version__)
        if blobs:
            config["CACHE_DIR"] = blobs
        return self._core.compile_model(ppp.build(), "CPU", config)

    def __call__(self, nhwc: np.ndarray) -> np.ndarray:
        key = nhwc.shape[1:3]
        with self._lock:
            req = self._requests.get(key)
            if req is None:
                req = self._requests[key] = self._compile(*key).create_infer_request()
                while len(self._requests) > 4:  # a few sizes (a resized window), not unbounded
                    self._requests.popitem(last=False)
            else:
                self._requests.move_to_end(key)
            req.infer({0: nhwc})
            # A copy: the request's output buffer is reused by the next call.
            return req.get_output_tensor(0).data.copy()


def pick_engine(name: str, device: torch.device) -> str:
    """The engine to use: OpenVINO on a CPU when it is installed (auto), torch elsewhere.
    Asking for OpenVINO where it cannot run falls back to torch with one warning."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine '{name}' (choose from {', '.join(ENGINES)})")
    if name == "torch" or device.type != "cpu":
        if name == "openvino" and device.type != "cpu":
            _warn_once(f"OpenVINO runs on the CPU only; using torch on {device.type}")
        return "torch"
    if openvino_available():
        return "openvino"
    _warn_once("OpenVINO is not installed (pip install openvino): running the network in torch, slower")
    return "torch"


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        print(f"livestyle: warning: {message}", file=sys.stderr, flush=True)
