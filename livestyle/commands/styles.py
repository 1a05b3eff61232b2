"""`livestyle styles`: the shipped styles as a table, or a contact sheet (--sheet)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UsageError
from ..nets.registry import DEFAULT_STYLE, list_styles, models_dir


def add_parser(sub) -> None:
    p = sub.add_parser("styles", help="list the shipped styles")
    p.add_argument("--sheet", metavar="OUT.png", help="render every style on one photo into a contact sheet")
    p.add_argument("--photo", nargs="+", help="photo(s) for --sheet (default: a frame of the sample clip)")
    p.add_argument("--width", type=int, default=320, help="tile width in the sheet (default 320)")
    p.add_argument("--paint-width", type=int, default=640,
                   help="long side the photos are painted at before shrinking to the tile (default 640)")
    p.add_argument("--json", action="store_true", help="print the styles and their tiers as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    styles = list_styles()
    if args.sheet:
        from ..bench.contact_sheet import render_sheet

        if not styles:
            raise UsageError(f"no styles installed in {models_dir()}")
        for name, value in (("--width", args.width), ("--paint-width", args.paint_width)):
            if not 16 <= value <= 4096:
                raise UsageError(f"{name} must be between 16 and 4096 (got {value})")
        path = render_sheet(styles, args.sheet, [Path(p) for p in (args.photo or [])], args.width,
                            paint_width=args.paint_width)
        print(f"wrote {path}")
        return 0
    listing = [_describe(s) for s in styles]
    if args.json:
        print(json.dumps({"models": str(models_dir()), "default": DEFAULT_STYLE, "styles": listing}, indent=2))
        return 0
    if not styles:
        print(f"no styles installed in {models_dir()}")
        return 0
    rows = [("name", "painting", "painter", "year", "tiers (file size, MACs per pixel)")]
    for d in listing:
        mark = "*" if d["name"] == DEFAULT_STYLE else ""
        tiers = ", ".join(f"{t} ({v['bytes'] / 1024:.0f} KB, {v['macs_per_pixel'] / 1000:.1f}k)"
                          for t, v in d["tiers"].items())
        rows.append((d["name"] + mark, d["title"], d["painter"], d["year"], tiers))
    widths = [min(48 if i < 4 else 80, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(c[:w].ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{len(styles)} styles in {models_dir()}  (* default)")
    return 0


def _describe(style) -> dict:
    tiers = {}
    for tier, path in style.tiers.items():
        meta = style.tier_meta(tier)
        macs = meta.get("macs_per_pixel")
        if macs is None:  # a user's file without its json: count them
            from ..nets.model_io import load_network
            from ..nets.networks import macs_per_pixel

            macs = round(macs_per_pixel(load_network(path), 64, 64))
        tiers[tier] = {"file": str(path), "bytes": path.stat().st_size, "macs_per_pixel": int(macs)}
    return {"name": style.name, "title": style.title, "painter": style.painter, "year": style.year, "tiers": tiers}
