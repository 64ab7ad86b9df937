"""Settings read once from the environment, and credentials from the environment or the stack's secret."""

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from connected.credentials import Credentials, load_credentials
from connected.errors import ConfigurationError, UpstreamError
from connected.settings import Settings

BASE = {"TABLE_NAME": "register"}


@pytest.fixture(autouse=True)
def no_cached_secret() -> Iterator[None]:
    parameters.clear_caches()
    yield
    parameters.clear_caches()


def test_defaults_point_at_github_com_with_bounded_timeouts() -> None:
    settings = Settings.from_env(BASE)

    assert settings.github_api_url == "https://api.github.com"
    assert settings.timeouts == (3.05, 8.0)
    assert settings.retention_days == 0
    assert (settings.max_x_users_read, settings.max_x_users_read_per_day) == (5000, 100_000)


def test_a_retention_in_days_is_read() -> None:
    assert Settings.from_env({**BASE, "REGISTER_RETENTION_DAYS": "365"}).retention_days == 365


def test_the_x_read_caps_are_read_and_zero_means_none() -> None:
    settings = Settings.from_env({**BASE, "MAX_X_USERS_READ": "0", "MAX_X_USERS_READ_PER_DAY": "250"})

    assert (settings.max_x_users_read, settings.max_x_users_read_per_day) == (0, 250)


def test_a_github_enterprise_url_is_accepted_without_its_trailing_slash() -> None:
    settings = Settings.from_env({**BASE, "GITHUB_API_URL": "https://github.example.com/api/v3/"})

    assert settings.github_api_url == "https://github.example.com/api/v3"


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"TABLE_NAME": "  "},
        {**BASE, "GITHUB_API_URL": "ftp://example.com"},
        {**BASE, "UPSTREAM_READ_TIMEOUT": "forever"},
        {**BASE, "UPSTREAM_CONNECT_TIMEOUT": "45"},
        {**BASE, "REGISTER_RETENTION_DAYS": "-1"},
        {**BASE, "REGISTER_RETENTION_DAYS": "a week"},
        {**BASE, "MAX_X_USERS_READ": "-5"},
        {**BASE, "MAX_X_USERS_READ_PER_DAY": "lots"},
    ],
)
def test_a_bad_configuration_is_refused_with_the_variable_named(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="the service is not configured"):
        Settings.from_env(environ)


def test_tokens_from_the_environment_win_and_never_show_in_a_repr() -> None:
    environ = {**BASE, "TWITTER_BEARER_TOKEN": "bearer-123", "GITHUB_TOKEN": "ghp-456"}

    credentials = load_credentials("arn:aws:secretsmanager:eu-west-1:000000000000:secret:unused", environ)

    assert credentials == Credentials("bearer-123", "ghp-456")
    assert "bearer-123" not in repr(credentials)
    assert "ghp-456" not in repr(credentials)
    assert "bearer-123" not in repr(Settings.from_env(environ))


def put_secret(value: str) -> str:
    client = boto3.client("secretsmanager")
    return client.create_secret(Name="connected-credentials", SecretString=value)["ARN"]


def test_deployed_credentials_come_from_the_secret() -> None:
    arn = put_secret(json.dumps({"TWITTER_BEARER_TOKEN": "bearer-789", "GITHUB_TOKEN": ""}))

    credentials = load_credentials(arn, BASE)

    assert credentials == Credentials("bearer-789", None)


@pytest.mark.parametrize("value", ["{}", '{"TWITTER_BEARER_TOKEN": " "}', "[1]", "not json"])
def test_a_secret_without_a_bearer_token_is_a_configuration_error(value: str) -> None:
    arn = put_secret(value)

    with pytest.raises(ConfigurationError):
        load_credentials(arn, BASE)


def test_the_empty_token_slots_of_the_template_fall_back_to_the_secret() -> None:
    arn = put_secret(json.dumps({"TWITTER_BEARER_TOKEN": "bearer-789"}))
    deployed = {**BASE, "CREDENTIALS_SECRET_ARN": arn, "TWITTER_BEARER_TOKEN": "", "GITHUB_TOKEN": ""}

    assert load_credentials(Settings.from_env(deployed).credentials_secret_id, deployed) == Credentials(
        "bearer-789", None
    )


def test_an_unreadable_secret_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="secrets manager"):
        load_credentials("arn:aws:secretsmanager:eu-west-1:1:secret:gone", BASE)


def test_no_credentials_at_all_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="TWITTER_BEARER_TOKEN"):
        load_credentials(None, BASE)
