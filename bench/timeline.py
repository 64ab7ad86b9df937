"""When the code measured was waiting on something outside itself (a fake upstream, DynamoDB), from any thread."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


class Timeline:
    def __init__(self) -> None:
        self._intervals: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def add(self, started: float, ended: float) -> None:
        with self._lock:
            self._intervals.append((started, ended))

    def waited(self, start: float, end: float) -> float:
        """Seconds between `start` and `end` during which at least one wait was under way: concurrent waits
        count once, as they delay an answer once."""
        with self._lock:
            clipped = sorted((max(s, start), min(e, end)) for s, e in self._intervals if e > start and s < end)
        total, covered_until = 0.0, start
        for started, ended in clipped:
            if ended > covered_until:
                total += ended - max(started, covered_until)
                covered_until = ended
        return total

    def time_requests(self) -> Callable[[], None]:
        """Adds each request's time in requests' `HTTPAdapter.send`, what a round trip would take; returns the undo.
        Install it after the fake, whose `send` it wraps."""
        from requests.adapters import HTTPAdapter

        send = HTTPAdapter.send

        def timed_send(adapter: HTTPAdapter, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return send(adapter, *args, **kwargs)
            finally:
                self.add(started, time.perf_counter())

        HTTPAdapter.send = timed_send  # type: ignore[method-assign,assignment]
        return lambda: setattr(HTTPAdapter, "send", send)

    def count_dynamodb_calls(self) -> Counter[str]:
        """Counts the DynamoDB calls of botocore sessions created after this, by operation, and adds each one's time
        from signing to the parsed answer, what a remote table would make the function wait for."""
        import botocore

        counts: Counter[str] = Counter()

        def before_call(model: Any, context: dict[str, Any], **_: Any) -> None:
            counts[model.name] += 1
            context["bench_call_started"] = time.perf_counter()

        def after_call(context: dict[str, Any], **_: Any) -> None:
            if (started := context.pop("bench_call_started", None)) is not None:
                self.add(started, time.perf_counter())

        def instrument(session: Any) -> None:
            session.register("before-call.dynamodb", before_call)
            session.register("after-call.dynamodb", after_call)

        botocore.register_initializer(instrument)
        return counts
