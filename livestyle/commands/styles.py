"""`livestyle styles`: the shipped styles as a table, or a contact sheet (--sheet)."""
from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..registry import DEFAULT_STYLE, list_styles, models_dir


def add_parser(sub) -> None:
    p = sub.add_parser("styles", help="list the shipped styles")
    p.add_argument("--sheet", metavar="OUT.png", help="render every style on one photo into a contact sheet")
    p.add_argument("--photo", nargs="+", help="photo(s) for --sheet (default: a frame of the sample clip)")
    p.add_argument("--width", type=int, default=320, help="tile width in the sheet (default 320)")
    p.set_defaults(run=run)


def run(args) -> int:
    styles = list_styles()
    if args.sheet:
        from ..contact_sheet import render_sheet

        if not styles:
            raise UsageError(f"no styles installed in {models_dir()}")
        path = render_sheet(styles, args.sheet, [Path(p) for p in (args.photo or [])], args.width)
        print(f"wrote {path}")
        return 0
    if not styles:
        print(f"no styles installed in {models_dir()}")
        return 0
    rows = [("name", "painting", "painter", "year", "size")]
    for s in styles:
        mark = "*" if s.name == DEFAULT_STYLE else ""
        rows.append((s.name + mark, s.title, s.painter, s.year, f"{s.size_bytes / 1024:.0f} KB"))
    widths = [min(48, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(c[:w].ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{len(styles)} styles in {models_dir()}  (* default)")
    return 0
