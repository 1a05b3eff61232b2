from __future__ import annotations

import sys
import threading
import time

import pytest

from livestyle.render.pipeline import Channel, Closed, Pipeline, lower_thread_priority


def test_block_channel_is_lossless_and_ordered():
    with Pipeline() as pipe:
        ch = pipe.channel(2, "block")

        def produce():
            for i in range(200):
                ch.put(i)

        pipe.stage("produce", produce, closes=ch)
        got = []
        for item in ch:
            got.append(item)
            if len(got) % 50 == 0:
                time.sleep(0.01)  # a slow consumer makes the producer wait, never drop
    assert got == list(range(200))
    assert ch.dropped == 0


def test_latest_channel_keeps_newest_and_counts_drops():
    ch = Channel(policy="latest")
    for i in range(10):
        ch.put(i)
    assert len(ch) == 1
    assert ch.get() == 9
    assert ch.dropped == 9


def test_stage_error_is_reraised_and_threads_are_gone():
    pipe = Pipeline()
    ch = pipe.channel(1, "block")

    def bad():
        ch.put(1)
        raise ValueError("stage failed")

    def consumer():
        for _ in ch:
            time.sleep(0.01)

    pipe.stage("bad", bad, closes=ch)
    pipe.stage("consumer", consumer)
    with pytest.raises(ValueError, match="stage failed"):
        pipe.join()
    assert pipe.alive() == []
    assert pipe.stop.is_set()


def test_stop_unblocks_a_producer_waiting_on_a_full_channel():
    pipe = Pipeline()
    ch = pipe.channel(1, "block")

    def produce():
        while True:
            ch.put(0)

    pipe.stage("produce", produce)
    time.sleep(0.1)
    pipe.join(stop=True)
    assert pipe.alive() == []


def test_get_timeout_returns_none_and_closed_raises():
    ch = Channel()
    assert ch.get(timeout=0.05) is None
    ch.close()
    with pytest.raises(Closed):
        ch.get()


def test_no_daemon_threads():
    pipe = Pipeline()
    t = pipe.stage("noop", lambda: None)
    assert isinstance(t, threading.Thread) and not t.daemon
    pipe.join()


def _feed(items, ch: Channel) -> None:
    for i in items:
        ch.put(i)


def test_wait_empty_returns_once_the_consumer_took_everything():
    ch = Channel(2)
    ch.put(1)
    ch.put(2)
    taken = []

    def consume():
        time.sleep(0.05)
        taken.extend([ch.get(), ch.get()])

    t = threading.Thread(target=consume)
    t.start()
    ch.wait_empty()
    assert len(ch) == 0
    t.join()
    assert taken == [1, 2]
    # Stopping wakes a waiter rather than leaving it blocked.
    stop = threading.Event()
    full = Channel(1, stop=stop)
    full.put(0)
    stop.set()
    with pytest.raises(Closed):
        full.wait_empty()


def test_ordered_map_keeps_input_order_with_several_workers():
    import random

    rng = random.Random(0)
    delays = [rng.uniform(0, 0.01) for _ in range(60)]
    with Pipeline() as pipe:
        src, dst = pipe.channel(4), pipe.channel(4)
        pipe.stage("feed", _feed, range(60), src, closes=src)
        workers = pipe.ordered_map("square", lambda i: (time.sleep(delays[i]), i * i)[1], src, dst, workers=3)
        assert len(workers) == 3
        out = list(dst)
    assert out == [i * i for i in range(60)]
    assert not pipe.alive()


def test_ordered_map_error_is_reraised_and_every_worker_ends():
    def fn(i):
        if i == 7:
            raise RuntimeError("boom at 7")
        return i

    pipe = Pipeline()
    src, dst = pipe.channel(2), pipe.channel(2)
    pipe.stage("feed", _feed, range(1000), src, closes=src)
    pipe.ordered_map("fn", fn, src, dst, workers=2)
    got = list(dst)
    with pytest.raises(RuntimeError, match="boom at 7"):
        pipe.join()
    assert got == list(range(len(got))) and len(got) <= 7
    assert not pipe.alive()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_lower_thread_priority_lowers_only_the_calling_thread():
    def nice(tid: int) -> int:
        with open(f"/proc/self/task/{tid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[16])  # field 19 of stat

    seen = {}

    def background():
        seen["done"] = lower_thread_priority()
        seen["nice"] = nice(threading.get_native_id())

    before = nice(threading.get_native_id())
    t = threading.Thread(target=background)
    t.start()
    t.join()
    assert seen["done"] and seen["nice"] == 19
    assert nice(threading.get_native_id()) == before  # the rest of the process is untouched
