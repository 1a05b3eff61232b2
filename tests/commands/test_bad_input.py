"""Every bad input: one line on stderr naming the problem, exit code 2, no traceback,
and no output file left looking complete."""
from __future__ import annotations

import os
import time

import pytest

from media import probe, write_corrupt_mjpeg, write_empty_video, write_video


def assert_clean_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n.lower() in lines[0].lower(), lines[0]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("clip") / "in.mp4", frames=6)


def test_missing_input(run_cli, tmp_path):
    r = run_cli("video", tmp_path / "nope.mp4", "-o", tmp_path / "o.mp4")
    assert_clean_error(r, "not found", "nope.mp4")
    assert not (tmp_path / "o.mp4").exists()


def test_not_a_video(run_cli, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n" * 50)
    r = run_cli("video", bad, "-o", tmp_path / "o.mp4")
    assert_clean_error(r, "not a video", "notes.mp4")
    assert not list(tmp_path.glob("*o.mp4*"))


def test_zero_frames(run_cli, tmp_path):
    src = write_empty_video(tmp_path / "empty.mkv")
    r = run_cli("video", src, "-o", tmp_path / "o.mp4")
    assert_clean_error(r, "no frames")


def test_unsupported_codec(run_cli, tmp_path):
    src = write_video(tmp_path / "x.mkv", frames=4)
    data = src.read_bytes().replace(b"V_MPEG4/ISO/AVC", b"V_QQQQQ/ISO/AVC")
    (tmp_path / "unsup.mkv").write_bytes(data)
    r = run_cli("video", tmp_path / "unsup.mkv", "-o", tmp_path / "o.mp4")
    assert_clean_error(r, "unsupported", "codec")


def test_corrupt_frames_skipped_counted_warned_once(run_cli, tmp_path):
    src = write_corrupt_mjpeg(tmp_path / "corrupt.mkv", frames=12, bad=(5, 6))
    r = run_cli("video", src, "-o", tmp_path / "o.mp4", "--style", "plain", "--json", "--stabilize", "off")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("warning: skipping corrupt frames") == 1
    assert "2 corrupt frame(s) skipped" in r.stderr
    assert len(probe(tmp_path / "o.mp4")["frames"]) == 10


def test_output_not_writable(run_cli, clip, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        # Root ignores mode bits; /proc refuses new files to everyone.
        target = ro / "o.mp4" if not os.access(ro, os.W_OK) else "/proc/livestyle-test.mp4"
        r = run_cli("video", clip, "-o", target, "--style", "plain")
        assert_clean_error(r, "not writable")
        assert not list(ro.iterdir())
    finally:
        ro.chmod(0o700)


def test_output_folder_missing(run_cli, clip, tmp_path):
    r = run_cli("video", clip, "-o", tmp_path / "no" / "such" / "o.mp4")
    assert_clean_error(r, "does not exist")


def test_output_is_a_directory(run_cli, clip, tmp_path):
    d = tmp_path / "dir.mp4"
    d.mkdir()
    r = run_cli("video", clip, "-o", d)
    assert_clean_error(r, "not writable")


def test_output_equals_input(run_cli, clip):
    before = clip.read_bytes()
    r = run_cli("video", clip, "-o", clip)
    assert_clean_error(r, "input")
    assert clip.read_bytes() == before


def test_unsupported_output_type(run_cli, clip, tmp_path):
    r = run_cli("video", clip, "-o", tmp_path / "o.gif")
    assert_clean_error(r, "unsupported output type")


def test_camera_that_does_not_open_fails_fast(run_cli):
    t = time.monotonic()
    r = run_cli("cam", "--source", "57", "--no-window", "--style", "plain")
    assert time.monotonic() - t < 5 + 8  # 5 s deadline + interpreter/torch start-up
    assert_clean_error(r, "camera 57")


def test_unknown_style_lists_names_and_closest(run_cli, clip, tmp_path):
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--style", "alpah")
    assert_clean_error(r, "unknown style 'alpah'", "did you mean 'alpha'", "alpha, beta, plain")


def test_corrupt_model_file(run_cli, clip, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(os.urandom(300))
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--model", bad)
    assert_clean_error(r, "bad.safetensors")


def test_wrong_shaped_model_file(run_cli, clip, tmp_path, model_dir):
    import json

    from safetensors.torch import load_file, save_file

    state = load_file(str(model_dir / "alpha.safetensors"))
    cfg = {"arch": "fast", "widths": [16, 32], "res_blocks": 1}  # does not match the tensors
    save_file(state, str(tmp_path / "wrong.safetensors"), metadata={"config": json.dumps(cfg)})
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--model", tmp_path / "wrong.safetensors")
    assert_clean_error(r, "does not fit")


def test_missing_model_file(run_cli, clip, tmp_path):
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--model", tmp_path / "none.safetensors")
    assert_clean_error(r, "not found")


@pytest.mark.parametrize("args,needle", [
    (("--scale", "0"), "--scale"), (("--scale", "1000"), "--scale"), (("--scale", "nan"), "--scale"),
    (("--crf", "99"), "--crf"), (("--crf", "-1"), "--crf"), (("--strength", "3"), "--strength"),
    (("--crf", "abc"), "--crf"),
])
def test_absurd_video_values(run_cli, clip, tmp_path, args, needle):
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", *args)
    assert_clean_error(r, needle)


@pytest.mark.parametrize("size", ["0x0", "100000x5", "abc", "640"])
def test_absurd_cam_size(run_cli, clip, size):
    r = run_cli("cam", "--source", clip, "--size", size, "--no-window")
    assert_clean_error(r, "--size")


def test_unknown_device(run_cli, clip, tmp_path):
    r = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--device", "cuda")
    if r.returncode == 0:
        pytest.skip("a CUDA GPU is present")
    assert_clean_error(r, "cuda")
