from livestyle.nets.networks import build_network, default_config
from livestyle.render.live_height import (LADDER, HeightGovernor, fit_live_work_height, ladder_for,
                                          live_work_height, network_ms)
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


class Stream:
    """A live stream's counters as the governor sees them: `fps` frames captured a
    second, a share of them dropped, fed every frame."""

    def __init__(self, governor: HeightGovernor, fps: float = 30.0):
        self.g, self.fps = governor, fps
        self.t, self.captured, self.dropped = 0.0, 0, 0
        self.moves: list[tuple[float, int]] = []

    def run(self, seconds: float, drop_share) -> None:
        """drop_share: a number, or a function of the height being painted."""
        debt = 0.0
        for _ in range(int(seconds * self.fps)):
            self.t += 1.0 / self.fps
            self.captured += 1
            debt += drop_share(self.g.height) if callable(drop_share) else drop_share
            if debt >= 1.0:
                debt -= 1.0
                self.dropped += 1
            moved = self.g.update(self.t, self.captured, self.dropped)
            if moved is not None:
                self.moves.append((round(self.t, 1), moved))


def _governor(height=384):
    return HeightGovernor(ladder_for(480), height, now=0.0)


def test_a_stream_that_keeps_up_climbs_one_rung_at_a_time_to_the_top():
    s = Stream(_governor(336))
    s.run(60, 0.0)
    assert [h for _, h in s.moves] == [384, 432, 480]
    gaps = [b[0] - a[0] for a, b in zip([(0.0, 336)] + s.moves, s.moves)]
    assert all(g >= HeightGovernor.CALM_S for g in gaps)


def test_a_stream_that_falls_behind_steps_down_until_it_keeps_up():
    s = Stream(_governor(432))
    s.run(30, lambda h: 0.3 if h > 336 else 0.0)  # this machine holds 336 lines, not more
    assert [h for _, h in s.moves][:2] == [384, 336]
    assert s.g.height == 336 and s.moves[0][0] <= 2 * HeightGovernor.WINDOW_S + 0.1


def test_a_lone_hiccup_is_not_a_slow_machine():
    s = Stream(_governor(384))
    s.run(5, 0.0)
    s.dropped += 4  # four frames in one window: 6-7% of it
    s.run(5, 0.0)
    assert s.moves == []


def test_a_rung_that_failed_is_tried_again_later_and_later():
    s = Stream(_governor(336))
    s.run(200, lambda h: 0.5 if h >= 384 else 0.0)  # 384 never holds
    tries = [t for t, h in s.moves if h == 384]
    assert len(tries) >= 3
    waits = [b - a for a, b in zip(tries, tries[1:])]
    assert all(b > a for a, b in zip(waits, waits[1:]))  # the back-off doubles
    assert s.g.height == 336 or s.moves[-1][1] == 384


def test_a_restart_forgets_the_window_and_the_calm():
    g = _governor(336)
    s = Stream(g)
    s.run(9, 0.0)
    g.restart(s.t)  # e.g. a style switch: its load's drops are not counted, and the calm starts over
    s.dropped += 30
    s.run(9, 0.0)
    assert s.moves == []
    s.run(2, 0.0)
    assert [h for _, h in s.moves] == [384]


def test_another_style_restarts_the_count():
    g = _governor(384)
    t, captured, dropped = 0.0, 0, 0
    for _ in range(5):  # every window half dropped, but each with another style being loaded
        t += 2.5
        captured += 75
        dropped += 37
        assert g.update(t, captured, dropped, painting=("style", int(t))) is None
    assert g.height == 384
