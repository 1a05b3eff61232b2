"""`livestyle image IN... -o OUT`: stylize still images (files or folders)."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import UsageError
from ..io.images import IMAGE_EXTENSIONS, ImageError, check_writable_image, list_images, read_rgb, write_rgb
from .common import add_style_args, check_range, make_stylizer, say


def add_parser(sub) -> None:
    p = sub.add_parser("image", help="stylize images (files or folders)")
    p.add_argument("inputs", nargs="+", help="image files and/or folders")
    p.add_argument("-o", "--output", required=True,
                   help="output file (one input image) or folder (several inputs, or a folder)")
    add_style_args(p)
    p.add_argument("--scale", type=float, default=1.0, help="resize images by this factor first, 0.05..4")
    p.add_argument("--method", choices=("fast", "gatys"), default="fast",
                   help="fast: feed-forward network (default); gatys: optimize the image itself (slow)")
    from ..gatys.options import add_gatys_args

    add_gatys_args(p)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run)


def _collect(inputs: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = list_images(p)
            if not found:
                raise ImageError(f"no images in folder {p}")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise ImageError(f"input not found: {p}")
    return files


def _targets(files: list[Path], inputs: list[str], output: str) -> list[Path]:
    out = Path(output)
    many = len(files) > 1 or any(Path(i).is_dir() for i in inputs)
    folder = out.is_dir() or output.endswith(("/", os.sep)) or not out.suffix
    if many and out.suffix.lower() in IMAGE_EXTENSIONS:
        raise UsageError(f"several inputs need an output folder, not a file: {out}")
    if not many and not folder:
        if out.suffix.lower() not in IMAGE_EXTENSIONS:
            # Not silently a folder named "out.txt": a typo'd file name is far likelier.
            raise UsageError(f"unsupported output type '{out.suffix}': use {', '.join(IMAGE_EXTENSIONS)}, "
                             "or end the path with / for a folder")
        check_writable_image(out)  # its folder exists
        if out.resolve() == files[0].resolve():
            raise ImageError(f"output path is the input file: {out}")
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    return [out / (f.stem + ".png") for f in files]


def run(args) -> int:
    check_range("--scale", args.scale, 0.05, 4.0)
    files = _collect(args.inputs)
    targets = _targets(files, args.inputs, args.output)
    if args.method == "gatys":
        from .gatys_image import run_images

        return run_images(args, files, targets)
    stylizer = make_stylizer(args)
    import cv2

    for src, dst in zip(files, targets):
        rgb = read_rgb(src)
        if args.scale != 1.0:
            h, w = rgb.shape[:2]
            rgb = cv2.resize(rgb, (max(1, round(w * args.scale)), max(1, round(h * args.scale))),
                             interpolation=cv2.INTER_AREA if args.scale < 1 else cv2.INTER_CUBIC)
        write_rgb(dst, stylizer(rgb))
        say(f"wrote {dst}", args.quiet)
    return 0
