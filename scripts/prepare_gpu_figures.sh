#!/usr/bin/env bash
# Fill gpu_fig/ (git-ignored) for scripts/gpu_figures.sh: PyAV's wheel for the device's
# Python (3.12; the machine has no PyAV) and four of ../shared/data/clips (not dance-twirl:
# with the wheel and the repository they must stay under the 64 MiB a call carries).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p gpu_fig/wheels gpu_fig/clips
AV=$(python -c "import av; print(av.__version__)")
[ -n "$(ls gpu_fig/wheels/av-*.whl 2>/dev/null)" ] || python -m pip download -q --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d gpu_fig/wheels "av==$AV"
for clip in blackswan car-roundabout kite-surf libby; do
    cp -a "../shared/data/clips/$clip.mp4" gpu_fig/clips/
done
du -sh gpu_fig
echo "with the repository's files: $(( ($(du -sb gpu_fig | cut -f1) + $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)) / 1048576 )) MiB of 64"
