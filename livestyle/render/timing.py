"""Per-stage wall-clock accounting for the benchmarks (cheap enough to leave on)."""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager


class StageClock:
    def __init__(self, keep_samples: tuple[str, ...] = ("latency",)):
        self._total: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._samples = {k: deque(maxlen=100_000) for k in keep_samples}
        self._lock = threading.Lock()

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._total[stage] = self._total.get(stage, 0.0) + seconds
            self._count[stage] = self._count.get(stage, 0) + 1
            if stage in self._samples:
                self._samples[stage].append(seconds)

    def percentile_ms(self, stage: str, q: float) -> float | None:
        with self._lock:
            values = sorted(self._samples.get(stage, ()))
        if not values:
            return None
        return round(1000.0 * values[min(len(values) - 1, int(q * len(values)))], 1)

    @contextmanager
    def time(self, stage: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - t)

    def per_call_ms(self) -> dict[str, float]:
        with self._lock:
            return {k: round(1000.0 * v / max(1, self._count[k]), 2) for k, v in self._total.items()}
