"""What the GitHub and X clients share: an HTTP session that bounds every request by the answer's
deadline and retries what is safe to retry, and rate-limit arithmetic."""

import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from connected.deadline import current_deadline
from connected.telemetry import UpstreamCall

DEFAULT_RETRY_AFTER_SECONDS = 60
"""The wait when an upstream states none; GitHub asks for at least a minute then."""
RETRIED_STATUSES = frozenset({502, 503, 504})
MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.1
SHORTEST_USEFUL_TIMEOUT_SECONDS = 0.05


class TimeoutSession(requests.Session):
    """A session that never waits past the answer's deadline.

    Every request gets (connect, read) timeouts, cut to the time the deadline leaves (tweepy passes no
    timeout, so the default has to live here). A GET that fails to connect or meets a 502, 503 or 504 is
    tried again after a jittered backoff, at most three times in all and only while the deadline allows;
    other answers, 4xx included, are returned as they are.
    """

    def __init__(
        self,
        timeouts: tuple[float, float],
        pool_size: int,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        upstream: str = "upstream",
        observe: Callable[[UpstreamCall], None] | None = None,
    ) -> None:
        super().__init__()
        self.timeouts = timeouts
        self.upstream = upstream
        self._observe = observe
        self._sleep = sleep
        self._jitter = jitter
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        retryable = (method.decode() if isinstance(method, bytes) else method).upper() == "GET"
        attempt = 1
        while True:
            kwargs["timeout"] = self._timeouts_left(kwargs.get("timeout"))
            may_retry = retryable and attempt < MAX_ATTEMPTS
            started = time.perf_counter()
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.RequestException as error:
                self._report(url, None, started)
                if not (isinstance(error, requests.ConnectionError) and may_retry and self._back_off(attempt)):
                    raise
            else:
                self._report(url, response.status_code, started)
                if not (may_retry and response.status_code in RETRIED_STATUSES and self._back_off(attempt)):
                    return response
                response.close()
            attempt += 1

    def _report(self, url: str | bytes, status: int | None, started: float) -> None:
        if self._observe is not None:
            milliseconds = round((time.perf_counter() - started) * 1000, 1)
            self._observe(UpstreamCall(self.upstream, endpoint_of(url), status, milliseconds))

    def _timeouts_left(self, asked: Any) -> tuple[float, float]:
        connect, read = asked if isinstance(asked, tuple) else self.timeouts
        deadline = current_deadline()
        if deadline is None:
            return (connect, read)
        left = deadline.remaining()
        if left < SHORTEST_USEFUL_TIMEOUT_SECONDS:
            raise requests.Timeout("the answer's deadline has passed")
        return (min(connect, left), min(read, left))

    def _back_off(self, attempt: int) -> bool:
        """Sleeps before another attempt if the deadline leaves room for it; False when it does not."""
        pause = BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)) * (0.5 + self._jitter())
        deadline = current_deadline()
        if deadline is not None and deadline.remaining() < pause + SHORTEST_USEFUL_TIMEOUT_SECONDS:
            return False
        self._sleep(pause)
        return True


def endpoint_of(url: str | bytes) -> str:
    """The URL's path with user names and ids replaced by `*`, so that endpoints can be counted and no login
    is logged: X's `/2/users/{id}/...`, GitHub's `/users/{login}/...` and its next pages' `/user/{id}/...`."""
    segments = urlsplit(url.decode() if isinstance(url, bytes) else url).path.split("/")
    return "/".join(
        "*" if index > 0 and segments[index - 1] in ("users", "user") and segment != "by" else segment
        for index, segment in enumerate(segments)
    )


def seconds_until(reset_epoch_seconds: str | int | None, now: float | None = None) -> int:
    """Seconds to wait for a rate-limit window that resets at the given epoch second; at least 1."""
    try:
        reset = int(reset_epoch_seconds) if reset_epoch_seconds is not None else None
    except ValueError:
        reset = None
    if reset is None:
        return DEFAULT_RETRY_AFTER_SECONDS
    current = time.time() if now is None else now
    return max(1, int(reset - current + 0.999))
