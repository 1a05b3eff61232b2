#!/usr/bin/env bash
# One device call for the GPU figures of the video path (issue 16); training is gpu_check.sh's.
#   bash scripts/prepare_gpu_figures.sh     # gpu_fig/: PyAV's wheel, four clips
#   run(command="bash scripts/gpu_figures.sh", carry=["gpu_fig"], timeout_s=420)
# Everything lands in $OUT/figures16.txt (and gpu.txt). Dry run here (small, CPU):
#   DEVICE=cpu SIZE=320x180 SECONDS_LIVE=3 COMPILE_BUDGET=0 OUT=/tmp/figout bash scripts/gpu_figures.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/livestyle-out}; DEVICE=${DEVICE:-cuda}; SIZE=${SIZE:-1920x1080}; SECONDS_LIVE=${SECONDS_LIVE:-10}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if ! python -c "import av" 2>/dev/null; then
    python -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        gpu_fig/wheels/av-*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" LIVESTYLE_SHARED="$PWD/gpu_fig"
LOG="$OUT/figures16.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee "$OUT/gpu.txt"
step() { echo; echo "== $*" | tee -a "$LOG"; }
# The clip: the carried clips joined, scaled to SIZE, with a generated sound track.
CLIP=/tmp/clip_$SIZE.mp4
python benchmarks/make_bench_clip.py --clips gpu_fig/clips --size "$SIZE" -o "$CLIP" 2>&1 | tail -1 | tee -a "$LOG"
step "1. network alone per tier and size, with cudnn.benchmark, CUDA graphs, torch.compile"
timeout 150 python benchmarks/gpu_network.py --device "$DEVICE" --sizes "$SIZE,640x480" --compile-budget "${COMPILE_BUDGET:-90}" 2>&1 | tee -a "$LOG"
for tier in quality fast; do
    step "2. livestyle video $SIZE with sound, native size, default stabilization, --tier $tier"
    timeout 90 python -m livestyle video "$CLIP" -o "/tmp/out_$tier.mp4" --tier "$tier" --device "$DEVICE" \
        --json --quiet 2>&1 | tail -3 | tee -a "$LOG"
done
step "3. the same, quality tier, x264 instead of NVENC"
timeout 90 python -m livestyle video "$CLIP" -o /tmp/out_x264.mp4 --tier quality --device "$DEVICE" \
    --encoder libx264 --json --quiet 2>&1 | tail -2 | tee -a "$LOG"
step "4. camera-like $SIZE from a 60 frames/s source (bench pipeline: file run per stage, then live)"
timeout 120 python -m livestyle bench pipeline --device "$DEVICE" --size "$SIZE" --fps 60 --clip "$CLIP" \
    --seconds "$SECONDS_LIVE" 2>&1 | tail -12 | tee -a "$LOG"
step "5. the device stabilizer (torch flow; DIS flow on the CPU) against DIS (warping error, ms per frame)"
timeout 150 python benchmarks/device_stabilizer.py --device "$DEVICE" --flows torch,dis 2>&1 | tail -9 | tee -a "$LOG"
step "6. the file run of 4. with the DIS flow on the CPU (frames on the GPU) instead of the torch flow"
timeout 60 python -m livestyle bench pipeline --device "$DEVICE" --size "$SIZE" --fps 60 --clip "$CLIP" \
    --flow dis --seconds 2 2>&1 | tail -12 | tee -a "$LOG"
ls -la "$OUT"
