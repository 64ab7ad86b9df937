"""GitHub and X for the benchmark: the fake world of local/upstreams.py, each request answered
after a fixed latency, with the time every request spends in the HTTP adapter recorded."""

import time
from collections.abc import Callable, Iterable
from typing import Any

import requests
import responses
from requests.adapters import HTTPAdapter

from bench.scenarios import RealtimeScenario
from bench.timeline import Timeline
from local.upstreams import FakeUpstreams


class LatentRequestsMock(responses.RequestsMock):
    """A `responses` mock whose callbacks answer `latency_seconds` after the request came in, their own work
    included, as a remote service would. The wait sleeps, releasing the GIL, so concurrent requests wait
    concurrently, as they do on the network."""

    def __init__(self, latency_seconds: float) -> None:
        super().__init__(assert_all_requests_are_fired=False)
        self.latency_seconds = latency_seconds

    def add_callback(
        self, method: str, url: Any, callback: Callable[[Any], Any], *args: Any, **kwargs: Any
    ) -> responses.BaseResponse:
        return super().add_callback(method, url, self._answered_late(callback), *args, **kwargs)

    def _answered_late(self, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def answer(request: Any) -> Any:
            arrived = time.perf_counter()
            try:
                return callback(request)
            finally:
                time.sleep(max(0.0, self.latency_seconds - (time.perf_counter() - arrived)))

        return answer


def fake_upstreams(mock: responses.RequestsMock, scenarios: Iterable[RealtimeScenario]) -> FakeUpstreams:
    """One fake world holding every scenario's developers (their handles differ)."""
    upstreams = FakeUpstreams(mock)
    for scenario in scenarios:
        scenario.add_to(upstreams)
    return upstreams


def time_requests(timeline: Timeline) -> Callable[[], None]:
    """Records the time each request spends in `HTTPAdapter.send` (faked or not: the part a real round trip
    would replace) on `timeline`; returns the function that undoes it. Install it after the mock."""
    send = HTTPAdapter.send

    def timed_send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        with timeline.waiting():
            return send(self, request, *args, **kwargs)

    HTTPAdapter.send = timed_send  # type: ignore[method-assign]

    def undo() -> None:
        HTTPAdapter.send = send  # type: ignore[method-assign]

    return undo
