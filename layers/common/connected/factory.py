"""Builds what the handlers use, once per container and lazily, so warm invocations reuse HTTP
connections, the thread pool and the DynamoDB client.

Each function imports only what it uses, at its first use: the register function never loads the
connection check, the credentials reader, the thread pool, the X SDK or requests; the realtime function
loads them on its first answer. `make bench` measures what each function's cold start costs.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, NamedTuple, Protocol

from aws_lambda_powertools import Logger

from connected.handles import MAX_TEAM
from connected.ports import Upstreams
from connected.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import ThreadPoolExecutor

    from connected.connection import ConnectionService
    from connected.credentials import Credentials
    from connected.objections import Objections
    from connected.register import DynamoDBRegister
    from connected.spending import DayLimits, Spending
    from connected.telemetry import UpstreamCall

    UpstreamObserver = Callable[[UpstreamCall], None]

UPSTREAM_THREADS = MAX_TEAM
"""A team answer asks GitHub for every member at once; the pool starts threads only as they are needed."""

logger = Logger(child=True)


class ServiceObserver(Protocol):
    """Hears of every upstream request the real clients make, and of register trouble that fails no answer."""

    def upstream_call(self, call: UpstreamCall) -> None: ...

    def register_trouble(self, operation: str, error: Exception) -> None: ...


class _Clients(NamedTuple):
    credentials: Credentials
    observe: UpstreamObserver | None
    upstreams: Upstreams


_lock = threading.Lock()
_clients: _Clients | None = None


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def register_store() -> DynamoDBRegister:
    from connected.register import DynamoDBRegister, new_dynamodb_client

    return DynamoDBRegister(new_dynamodb_client(), settings().table_name, retention_days=settings().retention_days)


@cache
def objections() -> Objections:
    """The objection list, read through the register store; both functions ask it before anything else."""
    from connected.objections import Objections

    return Objections(register_store())


@cache
def upstream_executor() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=UPSTREAM_THREADS, thread_name_prefix="upstream")


@cache
def connection_service(observer: ServiceObserver | None = None) -> ConnectionService:
    """The service, built once per observer (a function has one: its telemetry). Building it reads no token:
    the service asks `current_upstreams` for the GitHub and X clients at the start of each fresh answer, so an
    answer from the register, or one refused before any upstream call, never needs the secret."""
    from connected.connection import ConnectionService

    observe = observer.upstream_call if observer else None
    return ConnectionService(
        lambda: current_upstreams(observe),
        register_store(),
        upstream_executor(),
        settings().max_x_users_read,
        on_register_trouble=observer.register_trouble if observer else _ignore_trouble,
        objections=objections(),
    )


def current_upstreams(observe: UpstreamObserver | None = None) -> Upstreams:
    """The GitHub and X clients for the current tokens: built again only when they change (a rotated secret,
    read at most every five minutes) or another observer is given."""
    global _clients
    with _lock:
        from connected.credentials import load_credentials

        credentials = load_credentials(settings().credentials_secret_id)
        if _clients is None or _clients.credentials != credentials or _clients.observe is not observe:
            _clients = _Clients(credentials, observe, real_upstreams(settings(), credentials, observe))
        return _clients.upstreams


def spending(caller: str | None, observer: ServiceObserver) -> Spending:
    """What one request may spend of the day's X budgets, the caller's and the service's."""
    from connected.spending import Spending

    return Spending(register_store, caller, day_limits, observer.register_trouble, executor=upstream_executor)


def caller_usage(caller: str | None) -> dict[str, object]:
    """The body of /connected/usage: the caller's day so far, read in one Query."""
    from connected.spending import usage_of, utc_now

    return usage_of(register_store(), caller, day_limits().per_caller, utc_now())


def day_limits() -> DayLimits:
    from connected.spending import DayLimits

    return DayLimits(
        service=settings().max_x_users_read_per_day, per_caller=settings().max_x_users_read_per_caller_per_day
    )


def _ignore_trouble(_operation: str, _error: Exception) -> None:
    """Without an observer, register trouble that fails no answer goes unreported."""


def real_upstreams(settings: Settings, credentials: Credentials, observe: UpstreamObserver | None = None) -> Upstreams:
    import tweepy

    if credentials.github_token is None:
        _warn_of_anonymous_github()
    from connected.github import GitHubClient
    from connected.twitter import XClient
    from connected.upstream import TimeoutSession

    github = GitHubClient(
        TimeoutSession(settings.timeouts, pool_size=UPSTREAM_THREADS, upstream="github", observe=observe),
        settings.github_api_url,
        credentials.github_token,
    )
    twitter = tweepy.Client(bearer_token=credentials.twitter_bearer_token, return_type=dict, wait_on_rate_limit=False)
    twitter.session = TimeoutSession(settings.timeouts, pool_size=UPSTREAM_THREADS, upstream="twitter", observe=observe)
    return Upstreams(github=github, x=XClient(twitter))


@cache
def _warn_of_anonymous_github() -> None:
    """Once per container: without a token GitHub allows 60 requests an hour per IP address, and Lambda's
    outgoing addresses are shared, so a few answers can spend it for every container behind them."""
    logger.warning(
        "GITHUB_TOKEN is not set: GitHub allows 60 requests an hour per IP address without it; "
        "put a GITHUB_TOKEN in the credentials secret"
    )


def reset() -> None:
    """Forgets everything built, as a new container would (tests change the environment between cases)."""
    global _clients
    with _lock:
        _clients = None
    connection_service.cache_clear()
    settings.cache_clear()
    register_store.cache_clear()
    objections.cache_clear()
    _warn_of_anonymous_github.cache_clear()
