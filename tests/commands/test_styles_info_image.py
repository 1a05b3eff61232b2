from __future__ import annotations

import numpy as np

from livestyle.io.images import read_rgb, write_rgb


def test_styles_table(run_cli):
    r = run_cli("styles")
    assert r.returncode == 0, r.stderr
    assert "Test alpha" in r.stdout and "Nobody" in r.stdout and "KB" in r.stdout
    assert "3 styles" in r.stdout
    assert "fast (" in r.stdout and "quality (" in r.stdout and "k)" in r.stdout  # tiers, KB, MACs/px


def test_styles_json_lists_tiers(run_cli):
    import json

    r = run_cli("styles", "--json")
    assert r.returncode == 0, r.stderr
    styles = {s["name"]: s for s in json.loads(r.stdout)["styles"]}
    assert set(styles["alpha"]["tiers"]) == {"fast", "quality"} and set(styles["beta"]["tiers"]) == {"fast"}
    q = styles["alpha"]["tiers"]["quality"]
    assert q["bytes"] > 0 and q["macs_per_pixel"] > styles["alpha"]["tiers"]["fast"]["macs_per_pixel"]


def test_image_tiers(run_cli, tmp_path):
    photo = (np.random.default_rng(1).random((40, 52, 3)) * 255).astype(np.uint8)
    write_rgb(tmp_path / "a.png", photo)
    outs = {}
    for tier in ("fast", "quality"):
        r = run_cli("image", tmp_path / "a.png", "-o", tmp_path / f"{tier}.png", "--style", "alpha", "--tier", tier)
        assert r.returncode == 0, r.stderr
        outs[tier] = read_rgb(tmp_path / f"{tier}.png")
    assert outs["fast"].shape == outs["quality"].shape == photo.shape
    assert np.abs(outs["fast"].astype(int) - outs["quality"]).mean() > 2  # two different networks
    # a tier the style lacks: one line naming the tiers it has, exit 2
    r = run_cli("image", tmp_path / "a.png", "-o", tmp_path / "b.png", "--style", "beta", "--tier", "quality")
    assert r.returncode == 2 and "has no 'quality' tier (it has: fast)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

def test_styles_sheet(run_cli, tmp_path):
    photo = (np.random.default_rng(0).random((60, 80, 3)) * 255).astype(np.uint8)
    write_rgb(tmp_path / "p.png", photo)
    r = run_cli("styles", "--sheet", tmp_path / "sheet.png", "--photo", tmp_path / "p.png", "--width", "80")
    assert r.returncode == 0, r.stderr
    sheet = read_rgb(tmp_path / "sheet.png")
    # one row per style (alpha, beta, plain) under the photo's row; a column per tier (alpha has two)
    assert sheet.shape[1] == 80 * 2 and sheet.shape[0] == 4 * (60 + 22)


def test_info(run_cli):
    r = run_cli("info")
    assert r.returncode == 0, r.stderr
    for word in ("torch", "opencv", "FFmpeg", "device", "models", "engine cache"):
        assert word in r.stdout


def test_image_single_and_folder(run_cli, tmp_path):
    photo = (np.random.default_rng(0).random((61, 83, 3)) * 255).astype(np.uint8)
    write_rgb(tmp_path / "a.png", photo)
    r = run_cli("image", tmp_path / "a.png", "-o", tmp_path / "out.png", "--style", "plain")
    assert r.returncode == 0, r.stderr
    assert np.abs(read_rgb(tmp_path / "out.png").astype(int) - photo).max() <= 1  # identity network, odd size
    (tmp_path / "in").mkdir()
    for n in ("x", "y"):
        write_rgb(tmp_path / "in" / f"{n}.jpg", photo)
    r = run_cli("image", tmp_path / "in", "-o", tmp_path / "outdir", "--style", "alpha", "--preserve-colour")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "outdir").iterdir()) == ["x.png", "y.png"]


def test_image_bad_input(run_cli, tmp_path):
    (tmp_path / "t.png").write_text("text")
    r = run_cli("image", tmp_path / "t.png", "-o", tmp_path / "o.png", "--style", "plain")
    assert r.returncode == 2 and "not a readable image" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_output_types_fail_before_painting(run_cli, tmp_path):
    write_rgb(tmp_path / "a.png", np.zeros((20, 30, 3), np.uint8))
    # one input and a file name we cannot write: not silently a folder called o.txt
    r = run_cli("image", tmp_path / "a.png", "-o", tmp_path / "o.txt", "--style", "plain")
    assert r.returncode == 2 and "unsupported output type '.txt'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "o.txt").exists()
    r = run_cli("image", tmp_path / "a.png", "-o", f"{tmp_path / 'into.v2'}/", "--style", "plain")
    assert r.returncode == 0 and (tmp_path / "into.v2" / "a.png").is_file(), r.stderr  # a trailing / asks for a folder
    for sheet, needle in ((tmp_path / "sheet.txt", "unsupported image type '.txt'"),
                          (tmp_path / "nope" / "sheet.png", "output folder does not exist")):
        r = run_cli("styles", "--sheet", sheet)
        assert r.returncode == 2 and needle in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_export_onnx(run_cli, tmp_path):
    import onnx

    r = run_cli("export", "alpha", "--tier", "quality", "--onnx", tmp_path / "alpha.onnx")
    assert r.returncode == 0, r.stderr
    model = onnx.load(str(tmp_path / "alpha.onnx"))
    assert model.opset_import[0].version >= 17
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims][1:] == [3, "height", "width"]
    r = run_cli("export", "beta", "--tier", "quality", "--onnx", tmp_path / "b.onnx")
    assert r.returncode == 2 and "has no 'quality' tier" in r.stderr
