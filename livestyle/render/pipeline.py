"""Threaded stages joined by bounded channels.

* ``Channel(policy="block")``: lossless, in order; a full channel makes the
  producer wait (files: every frame must come out).
* ``Channel(policy="latest")``: a one-slot mailbox; a new item replaces a
  stale unread one and the drop is counted (cameras: latency stays bounded,
  the consumer always gets the newest frame).

A ``Pipeline`` owns one stop event shared by every stage. A stage that raises
sets it; ``Pipeline.join()`` waits for every thread and re-raises the first
error in the calling (main) thread. Threads are not daemons: ``join()`` (or
the context manager) guarantees none is left running.
"""
from __future__ import annotations

import collections
import os
import sys
import threading
import time
from typing import Any, Callable, Iterator

_POLL_S = 0.05


class Closed(Exception):
    """The channel was closed and drained, or the pipeline is stopping."""


class Channel:
    def __init__(self, maxsize: int = 4, policy: str = "block", stop: threading.Event | None = None):
        if policy not in ("block", "latest"):
            raise ValueError("policy must be 'block' or 'latest'")
        self.policy = policy
        self.maxsize = 1 if policy == "latest" else max(1, maxsize)
        self.stop = stop or threading.Event()
        self._items: collections.deque = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0
        self.put_count = 0

    def put(self, item: Any) -> None:
        with self._cond:
            if self.policy == "latest":
                if self._items:
                    self._items.popleft()
                    self.dropped += 1
            else:
                while len(self._items) >= self.maxsize:
                    if self.stop.is_set() or self._closed:
                        raise Closed
                    self._cond.wait(_POLL_S)
            if self.stop.is_set():
                raise Closed
            self._items.append(item)
            self.put_count += 1
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Any:
        """Next item; raises Closed when closed and empty or when stopping.
        With a timeout, returns None if nothing arrived in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._closed or self.stop.is_set():
                    raise Closed
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                self._cond.wait(_POLL_S)
            if self.stop.is_set():
                raise Closed
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def wait_empty(self) -> None:
        """Block until every item put has been taken; raises Closed when stopping."""
        with self._cond:
            while self._items:
                if self.stop.is_set():
                    raise Closed
                self._cond.wait(_POLL_S)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                yield self.get()
            except Closed:
                return

    def __len__(self) -> int:
        return len(self._items)


def lower_thread_priority(niceness: int = 19) -> bool:
    """Make the calling thread yield the CPU to every other thread of the process, for
    background work that must not slow a live stream. Linux only, where each thread
    has its own nice value (elsewhere the call would renice the whole process, or a
    stranger); returns whether it was done. Irreversible without privileges, and
    inherited by the threads the caller creates: let a thread pool that others will
    use be started elsewhere first."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError:
        return False
    return True


class Pipeline:
    def __init__(self):
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()

    def channel(self, maxsize: int = 4, policy: str = "block") -> Channel:
        return Channel(maxsize, policy, self.stop)

    def stage(self, name: str, fn: Callable[..., None], *args, closes: Channel | None = None) -> threading.Thread:
        """Run fn(*args) in a thread. `closes` is closed when the stage ends, however it ends."""

        def run():
            try:
                fn(*args)
            except Closed:
                pass
            except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                with self._lock:
                    self._errors.append(e)
                self.stop.set()
            finally:
                if closes is not None:
                    closes.close()

        t = threading.Thread(target=run, name=f"livestyle-{name}", daemon=False)
        self._threads.append(t)
        t.start()
        return t

    def ordered_map(self, name: str, fn: Callable[[Any], Any], inp: Channel, out: Channel,
                    workers: int = 1) -> list[threading.Thread]:
        """`workers` threads apply fn to the items of `inp` and put the results on
        `out` in input order; `out` is closed when the last of them ends.

        Frame-level parallelism: on a small CPU, two frames through a network on
        one thread each beat one frame on two threads (small convolutions scale
        poorly across threads). Each worker takes an item together with a ticket
        under one lock, so tickets follow input order, and delivers its result
        only when every earlier ticket has been delivered."""
        take_lock = threading.Lock()
        turn = threading.Condition()
        state = {"next_ticket": 0, "next_out": 0, "running": max(1, workers)}

        def worker():
            while True:
                with take_lock:
                    item = inp.get()
                    ticket = state["next_ticket"]
                    state["next_ticket"] += 1
                result = fn(item)
                with turn:
                    while state["next_out"] != ticket:
                        if self.stop.is_set():
                            raise Closed
                        turn.wait(_POLL_S)
                    try:
                        out.put(result)
                    finally:
                        state["next_out"] += 1
                        turn.notify_all()

        def run_worker():
            try:
                worker()
            finally:
                with turn:
                    state["running"] -= 1
                    last = state["running"] == 0
                if last:
                    out.close()

        return [self.stage(f"{name}-{i}", run_worker) for i in range(max(1, workers))]

    @property
    def error(self) -> BaseException | None:
        with self._lock:
            return self._errors[0] if self._errors else None

    def raise_if_failed(self) -> None:
        err = self.error
        if err is not None:
            raise err

    def alive(self) -> list[threading.Thread]:
        return [t for t in self._threads if t.is_alive()]

    def join(self, stop: bool = False) -> None:
        """Wait for every stage (setting the stop event first if `stop`), then re-raise a stage error."""
        if stop:
            self.stop.set()
        for t in self._threads:
            while t.is_alive():
                t.join(_POLL_S)
        self.raise_if_failed()

    def __enter__(self) -> "Pipeline":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On any exit path, stop and wait so no thread outlives the pipeline.
        self.join(stop=exc_type is not None)
