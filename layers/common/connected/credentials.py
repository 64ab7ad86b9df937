"""The upstream tokens, read here and nowhere else: from the environment when `TWITTER_BEARER_TOKEN` is set
(local runs, tests, `sam local`), else, deployed, from the stack's Secrets Manager secret, read through
Powertools' parameters utility and cached for five minutes, so that a rotated token is picked up without a
redeploy. The environment is read on every call: it costs nothing and never changes inside a container."""

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from connected.errors import ConfigurationError, UpstreamError

SECRET_CACHE_SECONDS = 300


class Credentials(NamedTuple):
    twitter_bearer_token: str
    github_token: str | None = None

    def __repr__(self) -> str:
        return "Credentials(twitter_bearer_token=***, github_token=***)"


def load_credentials(secret_id: str | None, environ: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if environ is None else environ
    bearer = env.get("TWITTER_BEARER_TOKEN", "").strip()
    if bearer:
        return Credentials(twitter_bearer_token=bearer, github_token=env.get("GITHUB_TOKEN", "").strip() or None)
    if secret_id is None:
        raise ConfigurationError("the service is not configured: set TWITTER_BEARER_TOKEN or CREDENTIALS_SECRET_ARN")
    return _credentials_from_secret(_read_secret(secret_id))


def _read_secret(secret_id: str) -> Any:
    from aws_lambda_powertools.utilities import parameters

    try:
        return parameters.get_secret(secret_id, transform="json", max_age=SECRET_CACHE_SECONDS)
    except parameters.exceptions.TransformParameterError as error:
        raise ConfigurationError("the service is not configured: the credentials secret is not JSON") from error
    except parameters.exceptions.GetParameterError as error:
        raise UpstreamError("secrets manager", "the credentials secret could not be read") from error


def _credentials_from_secret(value: Any) -> Credentials:
    if not isinstance(value, dict):
        raise ConfigurationError("the service is not configured: the credentials secret must be a JSON object")
    bearer = value.get("TWITTER_BEARER_TOKEN")
    github = value.get("GITHUB_TOKEN")
    if not isinstance(bearer, str) or not bearer.strip():
        raise ConfigurationError("the service is not configured: the credentials secret has no TWITTER_BEARER_TOKEN")
    github_token = github.strip() if isinstance(github, str) and github.strip() else None
    return Credentials(twitter_bearer_token=bearer.strip(), github_token=github_token)
