"""Average two style networks of the same architecture, tensor by tensor.

Two fine-tunes from a common ancestor usually sit in one basin, so their
element-wise mean is itself a good network whose look lies between theirs.
Used for the shipped starry: one parent met the quality target, the other the
stability target; their mean meets both (see models/starry.json).

    python scripts/average_models.py A.safetensors B.safetensors OUT.safetensors [--alpha 0.5]
        [--json --with "what A is" --why "the figures that made the mean worth shipping"]

With --json, OUT.json is B's json (B is the newer round: its recipe and stages) with
`training.averaged` saying what it was averaged with, at which weight, and why; a note
already there moves to `training.earlier_averages`, and a later round warm-started from
OUT keeps both (training_run.inherit_lineage).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file, save_file

from livestyle.nets.registry import read_sidecar


def averaged_sidecar(b_meta: dict, alpha: float, with_: str, why: str) -> dict:
    """B's json with the note of this mean on top and any earlier note kept below it."""
    meta = json.loads(json.dumps(b_meta))  # a deep copy
    training = meta.setdefault("training", {})
    if "averaged" in training:
        training["earlier_averages"] = [*training.get("earlier_averages", []), training.pop("averaged")]
    training["averaged"] = {"with": with_, "weight_of_this_round": alpha, "why": why}
    return meta


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("out")
    p.add_argument("--alpha", type=float, default=0.5, help="weight of B (0: A, 1: B)")
    p.add_argument("--json", action="store_true", help="also write OUT.json from B's json, noting the mean")
    p.add_argument("--with", dest="with_", default="", help="with --json: what A is, in words (default: its path)")
    p.add_argument("--why", default="", help="with --json: the figures that made the mean worth shipping")
    args = p.parse_args()
    a, b = load_file(args.a), load_file(args.b)
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise SystemExit("average_models: the two files hold different architectures")
    with safe_open(args.a, "pt") as f:
        header = f.metadata()  # the network config: identical in both
    mean = {k: ((1 - args.alpha) * a[k].float() + args.alpha * b[k].float()).to(a[k].dtype) for k in a}
    save_file(mean, args.out, metadata=header)
    if args.json:
        b_meta = read_sidecar(args.b)
        if not b_meta:
            raise SystemExit(f"average_models: no json beside {args.b}")
        meta = averaged_sidecar(b_meta, args.alpha, args.with_ or args.a, args.why)
        Path(args.out).with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
