"""Builds what the handlers use, once per container and lazily, so warm invocations reuse HTTP
connections, the thread pool and the DynamoDB client.

The X SDK and requests are imported only when a connection service is built: the register function never
pays for them.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from connected.connection import ConnectionService
from connected.credentials import load_credentials
from connected.ports import GitHubDirectory, XDirectory
from connected.register import DynamoDBRegister, new_dynamodb_client
from connected.settings import Credentials, Settings

UPSTREAM_THREADS = 4


@dataclass(frozen=True, slots=True)
class Upstreams:
    github: GitHubDirectory
    x: XDirectory


_lock = threading.Lock()
_local_upstreams: Upstreams | None = None
_built: tuple[Credentials | None, ConnectionService] | None = None


def use_local_upstreams(upstreams: Upstreams | None) -> None:
    """Serves GitHub and X from `upstreams` instead of the real services: the offline demo world of a
    local run. Only the local runner, which is not part of any deployed artifact, calls this."""
    global _local_upstreams, _built
    with _lock:
        _local_upstreams = upstreams
        _built = None


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def register_store() -> DynamoDBRegister:
    return DynamoDBRegister(new_dynamodb_client(), settings().table_name, retention_days=settings().retention_days)


@cache
def upstream_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=UPSTREAM_THREADS, thread_name_prefix="upstream")


def connection_service() -> ConnectionService:
    """The service for this invocation; rebuilt only when the credentials change (a rotated secret)."""
    global _built
    with _lock:
        if _local_upstreams is not None:
            if _built is None:
                _built = (None, _service_over(_local_upstreams))
            return _built[1]
        credentials = load_credentials(settings())
        if _built is None or _built[0] != credentials:
            _built = (credentials, _service_over(_real_upstreams(settings(), credentials)))
        return _built[1]


def _service_over(upstreams: Upstreams) -> ConnectionService:
    return ConnectionService(upstreams.github, upstreams.x, register_store(), upstream_executor())


def _real_upstreams(settings: Settings, credentials: Credentials) -> Upstreams:
    import tweepy

    from connected.github import GitHubClient
    from connected.twitter import XClient
    from connected.upstream import TimeoutSession

    github = GitHubClient(
        TimeoutSession(settings.timeouts, pool_size=UPSTREAM_THREADS),
        settings.github_api_url,
        credentials.github_token,
    )
    twitter = tweepy.Client(bearer_token=credentials.twitter_bearer_token, return_type=dict, wait_on_rate_limit=False)
    twitter.session = TimeoutSession(settings.timeouts, pool_size=UPSTREAM_THREADS)
    return Upstreams(github=github, x=XClient(twitter))


def reset() -> None:
    """Forgets everything built, as a new container would (tests change the environment between cases)."""
    global _built, _local_upstreams
    with _lock:
        _built = None
        _local_upstreams = None
    settings.cache_clear()
    register_store.cache_clear()
