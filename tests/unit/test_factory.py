"""What a container builds once and reuses, and when it rebuilds."""

import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from connected import factory


@pytest.fixture
def secret_arn(monkeypatch: pytest.MonkeyPatch) -> str:
    parameters.clear_caches()
    arn = boto3.client("secretsmanager").create_secret(
        Name="connected-credentials", SecretString=json.dumps({"TWITTER_BEARER_TOKEN": "first"})
    )["ARN"]
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", arn)
    return arn


def test_warm_invocations_reuse_the_same_service() -> None:
    assert factory.connection_service() is factory.connection_service()


def test_a_rotated_secret_builds_new_clients_once_the_cache_expires(secret_arn: str) -> None:
    service = factory.connection_service()
    before = factory.current_upstreams()
    boto3.client("secretsmanager").put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"TWITTER_BEARER_TOKEN": "second"})
    )

    assert factory.current_upstreams() is before
    parameters.clear_caches()
    assert factory.current_upstreams() is not before
    assert factory.connection_service() is service


def test_building_the_service_reads_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:missing")
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")

    assert factory.connection_service() is factory.connection_service()
