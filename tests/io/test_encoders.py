"""Choosing the H.264 encoder: NVENC where it opens, x264 otherwise, said in one line."""
from __future__ import annotations

import pytest

from livestyle.io.encoders import encoder_options, nvenc_problem, pick_encoder


def test_cpu_frames_use_x264_without_a_word():
    said = []
    assert pick_encoder("auto", "cpu", said.append) == "libx264"
    assert pick_encoder("libx264", "cuda", said.append) == "libx264"
    assert said == []


def test_nvenc_falls_back_to_x264_in_one_line_where_it_does_not_open():
    said = []
    chosen = pick_encoder("h264_nvenc", "cuda", said.append)
    if nvenc_problem() is None:  # a machine with an NVENC driver
        assert chosen == "h264_nvenc" and said == []
    else:
        assert chosen == "libx264"
        assert len(said) == 1 and said[0].startswith("NVENC not available") and "\n" not in said[0]
    with pytest.raises(ValueError, match="unknown encoder"):
        pick_encoder("vp9", "cpu")


def test_quality_maps_to_each_encoder():
    assert encoder_options("libx264", 20, "superfast")["crf"] == "20"
    nv = encoder_options("h264_nvenc", 20, "superfast")
    assert nv["rc"] == "vbr" and nv["cq"] == "20" and "crf" not in nv
