from livestyle.nets.networks import build_network, default_config
from livestyle.render.live_height import LADDER, fit_live_work_height, live_work_height, network_ms
from livestyle.render.stylize import Stylizer


def _cost(ms_at_480: float):
    """A network whose time grows with the pixels painted (what the ladder assumes)."""
    tried = []

    def measure(h, w):
        tried.append((h, w))
        return ms_at_480 * (h * w) / (480 * 640)

    return measure, tried


def test_keeps_the_frames_own_height_when_the_network_fits():
    measure, tried = _cost(10.0)  # well inside half of a 30 frames/s interval
    assert live_work_height((640, 480), 30, measure) == (0, 10.0)
    assert tried == [(480, 640)]


def test_steps_down_to_the_first_height_that_fits():
    measure, tried = _cost(34.0)  # 480 lines in 34 ms: 384 takes 21.8, 336 16.7 (<= 16.7)
    height, ms = live_work_height((640, 480), 30, measure)
    assert height == 336 and ms <= 1000 * 0.5 / 30
    assert [h for h, _ in tried] == [480, 432, 384, 336]
    assert tried[-1] == (336, 448)  # the frame's aspect kept


def test_a_slower_source_leaves_more_time():
    measure, _ = _cost(30.0)  # too slow for 30 frames/s at 480 lines, not for 15
    assert live_work_height((640, 480), 30, measure)[0] != 0
    assert live_work_height((640, 480), 15, measure)[0] == 0


def test_takes_the_lowest_rung_when_nothing_fits_and_starts_at_480_for_taller_frames():
    measure, tried = _cost(1000.0)
    assert live_work_height((1280, 720), 30, measure)[0] == LADDER[-1]
    assert tried[0] == (480, 853)


def test_frames_no_taller_than_the_lowest_rung_are_not_timed():
    measure, tried = _cost(1000.0)
    assert live_work_height((320, 240), 30, measure) == (0, None)
    assert tried == []


def test_times_the_real_network_on_its_engine():
    st = Stylizer(build_network(default_config("fast")))  # OpenVINO where installed
    assert network_ms(st, 120, 160, runs=2) > 0


def test_fits_only_the_fast_tier_on_a_cpu():
    st = Stylizer(build_network(default_config("fast")))
    assert fit_live_work_height(st, (160, 120), 30) == (0, None)  # applies; nothing lower to pick
    st.tier = "quality"
    assert fit_live_work_height(st, (640, 480), 30) is None
