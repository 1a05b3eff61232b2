"""`livestyle export NAME --onnx OUT.onnx`: a style network as ONNX, for other runtimes."""
from __future__ import annotations

from pathlib import Path

from ..render.engines import ONNX_OPSET, export_onnx
from ..errors import UsageError
from ..nets.model_io import load_network
from ..nets.registry import TIERS, find_style


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a style network as ONNX",
                       description="Input 'rgb' and output 'stylized': RGB float 0..1, NCHW, any height and "
                                   "width (multiples of 4 for quality, 8 for fast; pad and crop like livestyle does).")
    p.add_argument("style", help="shipped style name, or a .safetensors model file")
    p.add_argument("--tier", default="fast", choices=TIERS, help="which network of the style (default fast)")
    p.add_argument("--onnx", required=True, metavar="OUT.onnx", help="where to write the ONNX file")
    p.add_argument("--opset", type=int, default=ONNX_OPSET, help=f"ONNX opset, 17 or later (default {ONNX_OPSET})")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.opset < 17:
        raise UsageError(f"--opset must be 17 or later (got {args.opset})")
    out = Path(args.onnx)
    if out.suffix.lower() != ".onnx":
        raise UsageError(f"--onnx must name a .onnx file: {out}")
    if not out.parent.is_dir():
        raise UsageError(f"output folder does not exist: {out.parent}")
    if args.style.endswith(".safetensors"):
        path = Path(args.style)
    else:
        path = find_style(args.style).tier_path(args.tier)
    net = load_network(path)
    data = export_onnx(net, opset=args.opset)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    print(f"wrote {out} ({len(data) / 1024:.0f} KB, {net.config.arch} network, opset {args.opset})")
    return 0
