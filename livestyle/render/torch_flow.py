"""Dense optical flow and warping in pure torch, for frames that live on a device.

The CPU stabilizer (stabilize.py) computes its flow with OpenCV DIS, which on a
GPU means downloading both frames, ~11 ms of CPU per 720p frame and an upload.
This is the same job done with torch ops only, so it runs wherever its tensors
are (CUDA in production, the CPU in tests) and batches over N.

Method: pyramidal iterative Lucas-Kanade (figures in `dense_flow`). Each level
warps the previous frame by the current estimate (bilinear grid_sample),
solves every pixel's 2x2 normal equations over a box window (one box filter
for all products), adds the update, and box-smooths the flow. Everything is
whole-image ops, a few dozen per level: no per-pixel Python, and at the flow's
640 px width a GPU's cost is the number of kernels, not their size. A
Horn-Schunck or TV-L1 solver needs tens of sweeps per level for what the
window of LK plus one smoothing gives here.

Flows are *backward*, as in stabilize.py: for each pixel p of the current
frame, flow(p) is where it was in the previous frame, minus p, in pixels
(channel 0 x, channel 1 y).
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

# ITU-R BT.601 luma, as cv2.COLOR_RGB2GRAY, so thresholds in grey levels carry over.
LUMA = (0.299, 0.587, 0.114)

# The solver's precision. The determinant of the structure tensor reaches ~1e8
# in squared grey levels (float16 overflows at 65504; on a 0..1 scale a faint
# gradient's determinant underflows instead), and bfloat16's 8 bits cancel it
# away; normalized sampling coordinates in either half type are off by 0.3-2.5 px
# at 640 px. Half inputs are therefore solved in float32; at these sizes that
# costs a GPU nothing measurable (launch-bound), and it is exact where it matters.
SOLVE_DTYPES = (torch.float32, torch.float64)


def solve_dtype(dtype: torch.dtype) -> torch.dtype:
    return dtype if dtype in SOLVE_DTYPES else torch.float32


@lru_cache(maxsize=8)
def _luma(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # Cached: torch.tensor(...) on CUDA is a host-to-device copy on every call.
    return torch.tensor(LUMA, device=device, dtype=dtype)


def rgb_to_gray(rgb: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(N, 1, H, W) grey in 0..255 (not rounded) of RGB frames, (H, W, 3) or (N, H, W, 3)."""
    x = rgb if rgb.dim() == 4 else rgb.unsqueeze(0)
    return (x.to(dtype) @ _luma(x.device, dtype)).unsqueeze(1)


def resize_to_width(img: torch.Tensor, width: int) -> torch.Tensor:
    """An (N, C, H, W) image downscaled to `width` by area averaging, as cv2.INTER_AREA
    (never upsampled): each output pixel averages the input span it covers, fractional
    pixels at its ends weighted by their share, as two matrix products.

    Not F.interpolate(mode="area"): for a ratio that is not a whole number (854 -> 640)
    that averages whole input pixels over overlapping windows, a blur that moved the
    grey frames 2.2 levels on average from OpenCV's; on a panned road DIS then lost the
    road's motion, and the stabilizer's warping error rose 4% (docs/benchmarks.md)."""
    h, w = img.shape[-2:]
    if w <= width:
        return img
    rows = _area_weights(h, max(1, round(h * width / w)), img.device, img.dtype)
    cols = _area_weights(w, width, img.device, img.dtype)
    return rows @ img @ cols.T


@lru_cache(maxsize=16)
def _area_weights(n_in: int, n_out: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(n_out, n_in): row j holds the share of each input pixel in [j * s, (j + 1) * s), / s."""
    s = n_in / n_out
    j = torch.arange(n_out, dtype=torch.float64)[:, None]
    i = torch.arange(n_in, dtype=torch.float64)[None, :]
    share = (torch.minimum((j + 1) * s, i + 1) - torch.maximum(j * s, i)).clamp_(min=0.0)
    return (share / s).to(device, dtype)


@lru_cache(maxsize=16)
def _grid_constants(h: int, w: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """(normalized coordinates of every pixel (1, H, W, 2), pixels -> normalized scale (2,)),
    for grid_sample with align_corners=True. Built once per size and device."""
    ys = torch.linspace(-1.0, 1.0, h, device=device, dtype=dtype) if h > 1 else torch.zeros(1, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, w, device=device, dtype=dtype) if w > 1 else torch.zeros(1, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    scale = torch.tensor((2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)), device=device, dtype=dtype)
    return torch.stack((gx, gy), dim=-1).unsqueeze(0), scale


@lru_cache(maxsize=16)
def _axis_scale(sx: float, sy: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor((sx, sy), device=device, dtype=dtype).view(1, 2, 1, 1)


def scale_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A flow (N, 2, h, w) resized (bilinear) to `size` (H, W), its vectors scaled to the
    new pixels. Equals resizing the absolute maps p + flow(p) of stabilize.py."""
    h, w = flow.shape[-2:]
    if (h, w) == tuple(size):
        return flow
    up = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
    return up * _axis_scale(size[1] / w, size[0] / h, flow.device, flow.dtype)


def warp(img: torch.Tensor, flow: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Sample img (N, C, H, W) at p + flow(p): brings the previous frame onto the current
    one's grid given the backward flow (N, 2, H, W). Borders repeat (cv2.BORDER_REPLICATE).
    mode "bilinear" for the grey occlusion test, "nearest" for the stylized output
    (stabilize.py, WARP_INTERPOLATION: a recursive warp must not low-pass).
    Sampled in the flow's solve dtype (half coordinates are too coarse); an integer
    image comes back rounded to its dtype, a float one in its dtype."""
    dtype = solve_dtype(flow.dtype)
    n, _, h, w = flow.shape
    base, scale = _grid_constants(h, w, flow.device, dtype)
    grid = torch.addcmul(base, flow.to(dtype).permute(0, 2, 3, 1), scale)
    out = F.grid_sample(img.to(dtype), grid, mode=mode, padding_mode="border", align_corners=True)
    if img.is_floating_point():
        return out.to(img.dtype)
    return out.round_().to(img.dtype)


def _gradients(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # Central differences with replicated borders: one pad, two subtractions.
    p = F.pad(img, (1, 1, 1, 1), mode="replicate")
    return (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) * 0.5, (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) * 0.5


def _box(x: torch.Tensor, size: int) -> torch.Tensor:
    """Mean over a size x size window, clipped at the borders (avg_pool2d with
    count_include_pad=False: border windows stay unbiased). Means rather than sums:
    the scale cancels in the 2x2 solve and keeps the regularization per pixel."""
    if x.device.type != "cpu":
        # One kernel; on a GPU the launch, not the k*k reads, is the cost.
        return F.avg_pool2d(x, size, stride=1, padding=size // 2, count_include_pad=False)
    # On a CPU avg_pool2d with stride 1 is a plain k*k loop: 35 ms for the five
    # 640x360 planes of one solve on one thread (separable: 24 ms); running sums
    # take 4.6 ms. float32 sums of squared gradients over 640 columns keep ~6
    # digits, far below the regularization (checked against avg_pool2d in the tests).
    r = size // 2
    y = x.float() if x.dtype not in SOLVE_DTYPES else x
    for dim in (-1, -2):
        n = y.shape[dim]
        c = F.pad(y, (r + 1, r) if dim == -1 else (0, 0, r + 1, r)).cumsum(dim)
        y = c.narrow(dim, 2 * r + 1, n) - c.narrow(dim, 0, n)
    return (y / _window_counts(x.shape[-2], x.shape[-1], r, x.device, y.dtype)).to(x.dtype)


@lru_cache(maxsize=16)
def _window_counts(h: int, w: int, r: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    def counts(n: int) -> torch.Tensor:
        i = torch.arange(n, device=device)
        return ((i + r).clamp(max=n - 1) - (i - r).clamp(min=0) + 1).to(dtype)

    return counts(h)[:, None] * counts(w)[None, :]


def _pyramid(img: torch.Tensor, levels: int, min_side: int) -> list[torch.Tensor]:
    """Finest first; halves (area average) while both sides stay >= min_side."""
    pyr = [img]
    for _ in range(levels - 1):
        h, w = pyr[-1].shape[-2:]
        if min(h, w) // 2 < min_side:
            break
        pyr.append(F.interpolate(pyr[-1], size=(h // 2, w // 2), mode="area"))
    return pyr


def _lk_level(cur: torch.Tensor, prev: torch.Tensor, flow: torch.Tensor, iterations: int,
              window: int, regularization: float, max_step: float) -> torch.Tensor:
    # Gradients of the current frame, not of the warped previous one (inverse
    # compositional): the structure tensor and its inverse are built once per level,
    # each iteration only re-warps, re-filters two products and re-solves.
    gx, gy = _gradients(cur)
    a = _box(torch.cat((gx * gx, gx * gy, gy * gy), dim=1), window)
    axx, axy, ayy = a[:, 0:1] + regularization, a[:, 1:2], a[:, 2:3] + regularization
    inv_det = (axx * ayy - axy * axy).reciprocal_()
    # Inverse of [[axx, axy], [axy, ayy]] times -b, as two coefficient planes per row.
    ux, uy = -ayy * inv_det, axy * inv_det
    vx, vy = axy * inv_det, -axx * inv_det
    for _ in range(iterations):
        err = warp(prev, flow) - cur
        b = _box(torch.cat((gx * err, gy * err), dim=1), window)
        bx, by = b[:, 0:1], b[:, 1:2]
        step = torch.cat((ux * bx + uy * by, vx * bx + vy * by), dim=1)
        # A linearization holds within a pixel or so; clamping keeps one bad step in an
        # aliased window from throwing the coarser levels' estimate away.
        flow = flow + step.clamp_(-max_step, max_step)
    return flow


def _smooth(flow: torch.Tensor, cur: torch.Tensor, prev: torch.Tensor, size: int, fit: float) -> torch.Tensor:
    """Box-smooth the flow, each pixel weighted by how well its own flow fits,
    1 / (1 + (|prev warped - cur| / fit)^2) (normalized convolution): where the warp
    does not match (a motion boundary, an occlusion, a flat patch that slid) a pixel
    lends its neighbours little of its flow, so the background's flow does not bleed
    into a moving object's edge, nor the object's into the background."""
    weight = ((warp(prev, flow) - cur) * (1.0 / fit)).square_().add_(1.0).reciprocal_()
    return _box(flow * weight, size) / _box(weight, size)


def dense_flow(cur_gray: torch.Tensor, prev_gray: torch.Tensor, *, levels: int = 5, iterations: int = 5,
               window: int = 13, regularization: float = 1.0, smoothing: int = 17, fit: float = 4.0,
               max_step: float = 2.0, min_side: int = 12) -> torch.Tensor:
    """Backward flow from cur to prev (for each pixel of cur, where it was in prev), in pixels.

    cur_gray, prev_gray: (H, W) -> (H, W, 2); or (N, 1, H, W) -> (N, 2, H, W). Grey
    on a 0..255 scale, any dtype and device (half types are solved in float32, see
    SOLVE_DTYPES; the flow comes back in the solve dtype).

    levels: pyramid levels, each half the size of the one above (fewer while the
    coarsest keeps min_side pixels); iterations: warp-and-solve steps per level;
    window: box window of the normal equations; regularization: added to the
    structure tensor's diagonal (squared grey levels per pixel), so a flat window
    keeps the coarser levels' flow instead of dividing noise by nothing;
    smoothing: box filter of the flow after each level (0 or 1: none), weighted by
    each pixel's fit (see _smooth; fit: the residual in grey levels at which a
    pixel's weight halves); max_step: clamp of one step, pixels.

    First chosen with benchmarks/device_stabilizer.py (starry, five DAVIS-style
    clips at 854x480, flow at 640x360, warping error of the stabilized output
    relative to DIS ultrafast's, worst clip / mean): smoothing 0 1.16 / 1.13,
    5 1.05 / 1.01, 9 1.02 / 0.98, 17 1.04 / 0.99 (the smoothed flow is what the
    nearest-pixel warp needs: a noisy flow tears the carried-over strokes);
    regularization 16 1.09, 4 1.02, 1 1.00 / 0.97, 0.25 the same; window 7 and 11
    within 1% of 9; levels 4 1.15 (the fastest motion, ~30 px at 640, needs a
    40 px coarsest level), 6 as 5; iterations 2 1.02 / 0.98, 3 1.00 / 0.97, 5 no
    better; stopping one level short (solving at 320 px, upsampling) 1.05 / 1.01.
    Re-tuned on 2026-12-06 for the per-frame blend weight and the input
    pre-filter (the app's pipeline, both stabilizers pre-filtering), with grey
    frames that match OpenCV's (resize_to_width): the smoothing weighted by each
    pixel's fit, window 13, smoothing 17 and 5 iterations took the worst clips
    from 1.16-1.22 to 1.05-1.09. What is left is a large motion of a weakly
    textured region that Lucas-Kanade misses (a panned road); the table and the
    variants that did not help are in docs/benchmarks.md.
    That is 5 levels x 5 iterations: per iteration one grid_sample, one box filter
    and ~10 elementwise ops, ~400 small kernels per frame in all."""
    single = cur_gray.dim() == 2
    cur = cur_gray[None, None] if single else cur_gray
    prev = prev_gray[None, None] if single else prev_gray
    dtype = solve_dtype(cur.dtype)
    cur, prev = cur.to(dtype), prev.to(dtype)
    flow = None
    for c, p in zip(reversed(_pyramid(cur, levels, min_side)), reversed(_pyramid(prev, levels, min_side))):
        if flow is None:
            flow = torch.zeros((c.shape[0], 2) + c.shape[-2:], device=c.device, dtype=dtype)
        else:
            flow = scale_flow(flow, c.shape[-2:])
        flow = _lk_level(c, p, flow, iterations, window, regularization, max_step)
        if smoothing > 1:
            flow = _smooth(flow, c, p, smoothing, fit)
    return flow[0].permute(1, 2, 0) if single else flow
