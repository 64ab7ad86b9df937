"""Configuration, read from the environment and validated once per container. Logic never reads
`os.environ`; it is handed a `Settings`. Tokens are not configuration: `credentials.py` reads them.

The limits on X users, under their three names (tests/unit/test_template.py holds the first two columns):

| template parameter | environment variable | setting |
| --- | --- | --- |
| MaxXUsersReadPerAnswer | MAX_X_USERS_READ | max_x_users_read |
| MaxXUsersReadPerDay | MAX_X_USERS_READ_PER_DAY | max_x_users_read_per_day |
| MaxXUsersReadPerCallerPerDay | MAX_X_USERS_READ_PER_CALLER_PER_DAY | max_x_users_read_per_caller_per_day |
"""

import os
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from connected.errors import ConfigurationError

DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_METRICS_NAMESPACE = "ConnectedDevelopers"


def metrics_namespace(environ: Mapping[str, str] | None = None) -> str:
    """The CloudWatch namespace of the functions' metrics: the template sets it; a function without it
    still emits, under the default, rather than failing its answers."""
    env = os.environ if environ is None else environ
    return env.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE


class Settings(NamedTuple):
    table_name: str
    github_api_url: str = DEFAULT_GITHUB_API_URL
    connect_timeout_seconds: float = 3.05
    read_timeout_seconds: float = 8.0
    credentials_secret_id: str | None = None
    retention_days: int = 0
    max_x_users_read: int = 5000
    """Follow-list users one answer may read; 0: no cap."""
    max_x_users_read_per_day: int = 100_000
    """X users the service may be billed for in a UTC day; 0: no daily guard."""
    max_x_users_read_per_caller_per_day: int = 10_000
    """X users one caller's answers may be billed for in a UTC day; 0: no per-caller budget."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        table_name = env.get("TABLE_NAME", "").strip()
        if not table_name:
            raise ConfigurationError("the service is not configured: TABLE_NAME is not set")
        return cls(
            table_name=table_name,
            github_api_url=_http_url(env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL),
            connect_timeout_seconds=_positive_seconds(env, "UPSTREAM_CONNECT_TIMEOUT", 3.05),
            read_timeout_seconds=_positive_seconds(env, "UPSTREAM_READ_TIMEOUT", 8.0),
            credentials_secret_id=env.get("CREDENTIALS_SECRET_ARN") or None,
            retention_days=_whole_number(env, "REGISTER_RETENTION_DAYS", 0),
            max_x_users_read=_whole_number(env, "MAX_X_USERS_READ", 5000),
            max_x_users_read_per_day=_whole_number(env, "MAX_X_USERS_READ_PER_DAY", 100_000),
            max_x_users_read_per_caller_per_day=_whole_number(env, "MAX_X_USERS_READ_PER_CALLER_PER_DAY", 10_000),
        )

    @property
    def timeouts(self) -> tuple[float, float]:
        return (self.connect_timeout_seconds, self.read_timeout_seconds)


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigurationError("the service is not configured: GITHUB_API_URL must be an http(s) URL")
    return value.rstrip("/")


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 30:
        raise ConfigurationError(f"the service is not configured: {name} must be seconds between 0 and 30")
    return seconds


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigurationError(f"the service is not configured: {name} must be a whole number, 0 or more")
    return int(raw)
