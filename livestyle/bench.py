"""Benchmarks (filled in below)."""
from __future__ import annotations


def add_arguments(p) -> None:
    p.add_argument("what", nargs="?", default="all", choices=("all", "network", "pipeline", "stability", "quality", "gatys"))


def run(args) -> int:
    raise NotImplementedError
