"""When the function under measurement was waiting on something outside itself (a faked upstream, the
local DynamoDB server), from any thread. Light on purpose: the cold-start child imports it before its
clock starts."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timeline:
    def __init__(self) -> None:
        self._intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def add(self, started: float, ended: float) -> None:
        with self._lock:
            self._intervals.append((started, ended))

    @contextmanager
    def waiting(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(started, time.perf_counter())

    def waited(self, start: float, end: float) -> float:
        """Seconds between `start` and `end` during which at least one wait was under way: concurrent
        waits count once, as they delay an answer once."""
        with self._lock:
            clipped = sorted(
                (max(started, start), min(ended, end))
                for started, ended in self._intervals
                if ended > start and started < end
            )
        total = 0.0
        covered_until = start
        for started, ended in clipped:
            if ended > covered_until:
                total += ended - max(started, covered_until)
                covered_until = ended
        return total
