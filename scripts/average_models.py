"""Average two style networks of the same architecture, tensor by tensor.

Two fine-tunes from a common ancestor usually sit in one basin, so their
element-wise mean is itself a good network whose look lies between theirs.
Used for the shipped starry: one parent met the quality target, the other the
stability target; their mean meets both (see models/starry.json).

    python scripts/average_models.py A.safetensors B.safetensors OUT.safetensors [--alpha 0.5]
"""
from __future__ import annotations

import argparse

from safetensors import safe_open
from safetensors.torch import load_file, save_file


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("out")
    p.add_argument("--alpha", type=float, default=0.5, help="weight of B (0: A, 1: B)")
    args = p.parse_args()
    a, b = load_file(args.a), load_file(args.b)
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise SystemExit("average_models: the two files hold different architectures")
    with safe_open(args.a, "pt") as f:
        header = f.metadata()  # the network config: identical in both
    mean = {k: ((1 - args.alpha) * a[k].float() + args.alpha * b[k].float()).to(a[k].dtype) for k in a}
    save_file(mean, args.out, metadata=header)


if __name__ == "__main__":
    main()
