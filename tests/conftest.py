"""Shared fixtures: a test environment that cannot reach AWS or the internet, a register table built from
template.yaml under moto, and the two handlers invoked with HTTP API 2.0 events."""

import os

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TABLE_NAME": "connected-register-test",
        "TWITTER_BEARER_TOKEN": "x-bearer-token-for-tests",
        "GITHUB_TOKEN": "github-token-for-tests",
        "POWERTOOLS_SERVICE_NAME": "connected-developers",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
)
for _name in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "CREDENTIALS_SECRET_ARN",
    "GITHUB_API_URL",
):
    os.environ.pop(_name, None)

from collections.abc import Iterator  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
import responses  # noqa: E402
from moto import mock_aws  # noqa: E402

from connected import factory, upstream  # noqa: E402
from local.template import create_register_table  # noqa: E402
from tests.support.contracts import check_answer  # noqa: E402
from tests.support.faults import FakeUpstreams  # noqa: E402
from tests.support.handlers import Invoke, invoker  # noqa: E402

TABLE_NAME = os.environ["TABLE_NAME"]


@pytest.fixture(autouse=True)
def new_container() -> Iterator[None]:
    """Every test starts as a cold container: nothing cached from the one before."""
    factory.reset()
    yield
    factory.reset()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their count and order; only the pause between them is shortened."""
    monkeypatch.setattr(upstream, "BACKOFF_BASE_SECONDS", 0.001)


@pytest.fixture(autouse=True)
def aws(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test talks to AWS: moto answers every call, except in tests that run a real local server.

    It starts before `http`, whose patch of requests must sit on top of moto's pass-through one."""
    if request.node.get_closest_marker("server"):
        yield
        return
    with mock_aws():
        yield


@pytest.fixture
def dynamodb() -> object:
    client = boto3.client("dynamodb")
    create_register_table(client, TABLE_NAME)
    return client


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """Fakes GitHub and X at the HTTP layer; a request nobody registered fails with a ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def upstreams(http: responses.RequestsMock) -> FakeUpstreams:
    """GitHub and X served from an empty world, every answer checked against the vendors' published schemas."""
    return FakeUpstreams(http, check=check_answer)


@pytest.fixture
def realtime(dynamodb: object) -> Invoke:
    return invoker("realtime")


@pytest.fixture
def register(dynamodb: object) -> Invoke:
    return invoker("register")
