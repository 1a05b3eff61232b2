"""Decoding: NVDEC asked for where there is none decodes the same frames on the CPU."""
from __future__ import annotations

import numpy as np

from media import write_video

from livestyle.io.video_reader import VideoFileSource


def test_hwaccel_falls_back_to_the_cpu_with_the_same_frames(tmp_path):
    src = write_video(tmp_path / "in.mp4", frames=5, size=(96, 64))
    with VideoFileSource(src) as plain:
        expected = [f.rgb for f in plain]
    with VideoFileSource(src, hwaccel="cuda") as hw:
        got = [f.rgb for f in hw]
        if hw.decoder == "cpu":  # this machine has no NVDEC
            assert hw.hwaccel_problem and "\n" not in hw.hwaccel_problem
    assert len(got) == len(expected) == 5
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))
