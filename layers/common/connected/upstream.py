"""What the GitHub and X clients share: HTTP sessions with default timeouts, and rate-limit arithmetic."""

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter

DEFAULT_RETRY_AFTER_SECONDS = 60


class TimeoutSession(requests.Session):
    """A session that never waits forever: every request gets (connect, read) timeouts unless it names its own.

    tweepy calls `session.request` without a timeout, so the default has to live in the session.
    """

    def __init__(self, timeouts: tuple[float, float], pool_size: int) -> None:
        super().__init__()
        self.timeouts = timeouts
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeouts)
        return super().request(method, url, *args, **kwargs)


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
