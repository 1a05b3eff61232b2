"""`livestyle bench`: speed and quality figures (see benchmarks.py)."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..bench import add_arguments

    p = sub.add_parser("bench", help="measure speed, latency, stability and quality")
    add_arguments(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..bench import run as run_bench

    return run_bench(args)
