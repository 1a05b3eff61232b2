from __future__ import annotations

import threading
import time

import pytest

from livestyle.pipeline import Channel, Closed, Pipeline


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
