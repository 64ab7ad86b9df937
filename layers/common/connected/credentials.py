"""Where the upstream tokens come from: the environment (local runs, tests) or, deployed, the stack's
Secrets Manager secret read through Powertools' parameters utility, cached for five minutes so that a
rotated token is picked up without a redeploy."""

from typing import Any

from connected.errors import ConfigurationError, UpstreamError
from connected.settings import Credentials, Settings

SECRET_CACHE_SECONDS = 300


def load_credentials(settings: Settings) -> Credentials:
    if settings.env_credentials is not None:
        return settings.env_credentials
    if settings.credentials_secret_id is None:
        raise ConfigurationError("the service is not configured: set TWITTER_BEARER_TOKEN or CREDENTIALS_SECRET_ARN")
    return _credentials_from_secret(_read_secret(settings.credentials_secret_id))


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
