"""What an answer costs, counted, never timed: calls per endpoint, follow lists and X users read for each
scenario of `make bench`, connections kept across warm invocations, and the modules a cold start loads."""

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.coldstart import cold_start
from bench.scenarios import BENCH_TABLE, REALTIME_SCENARIOS, UPSTREAM_ENDPOINTS, RealtimeScenario, isolate
from local.dynamodb import ENDPOINT_VARIABLE, ensure_register_table
from local.upstreams import FakeUpstreams
from tests.support.aws import moto_server
from tests.support.handlers import Invoke
from tests.support.tls import TlsUpstreams

NEVER_IN_REGISTER = {"tweepy", "requests", "oauthlib"}
REALTIME_PACKAGES = {
    "connected",
    "aws_lambda_powertools",
    "boto3",
    "botocore",
    "requests",
    "urllib3",
    "tweepy",
    "oauthlib",
    "requests_oauthlib",
    "certifi",
    "charset_normalizer",
    "idna",
}


def lists_read(upstreams: FakeUpstreams) -> list[str]:
    """The follow lists the fake was asked for, as `handle/following` or `handle/followers`, sorted."""
    owners = {upstreams.world.x_id(handle): handle for handle in upstreams.world.developers}
    return sorted(
        f"{owners[urlsplit(str(request.url)).path.split('/')[3]]}/{endpoint.removeprefix('x_')}"
        for endpoint in ("x_following", "x_followers")
        for request in upstreams.requests[endpoint]
    )


@pytest.mark.parametrize("scenario", REALTIME_SCENARIOS, ids=lambda scenario: scenario.name)
def test_each_benchmark_scenario_makes_its_floor_of_calls_and_reads(
    upstreams: FakeUpstreams, realtime: Invoke, scenario: RealtimeScenario
) -> None:
    scenario.add_to(upstreams)

    answer = realtime(scenario.path)

    assert answer.status == scenario.status
    assert {endpoint: upstreams.count(endpoint) for endpoint in UPSTREAM_ENDPOINTS} == scenario.calls
    assert lists_read(upstreams) == sorted(scenario.lists_read)
    assert upstreams.x_users_returned == scenario.x_users_read
    if scenario.max_x_users_read is not None:
        assert upstreams.x_users_returned <= scenario.max_x_users_read


@pytest.fixture
def tls_upstreams(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TlsUpstreams]:
    served = TlsUpstreams(tmp_path)
    monkeypatch.setattr(socket, "getaddrinfo", served.resolve(socket.getaddrinfo))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(served.ca_file))
    with served.serving():
        yield served


def test_a_warm_invocation_opens_no_new_upstream_connection(tls_upstreams: TlsUpstreams, realtime: Invoke) -> None:
    tls_upstreams.fake.developer("alice", organisations=["Acme"], follows=["bob"])
    tls_upstreams.fake.developer("bob", organisations=["Acme"], follows=["alice"])
    tls_upstreams.gather_github_requests(2)

    cold = realtime("/connected/realtime/alice/bob")
    opened_when_cold = tls_upstreams.connections
    warm = realtime("/connected/realtime/alice/bob")

    assert cold.body == warm.body == {"connected": True, "organisations": ["Acme"]}
    assert opened_when_cold == 3, "one per GitHub request in flight at once, one to X"
    assert tls_upstreams.connections == opened_when_cold
    github_requests = tls_upstreams.fake.requests["github_orgs"]
    assert len(github_requests) == 4
    assert all("If-None-Match" in request.headers for request in github_requests[2:]), "warm reads are conditional"
    assert tls_upstreams.fake.count("x_following") + tls_upstreams.fake.count("x_followers") == 4


@pytest.fixture
def cold_start_environment() -> Iterator[dict[str, str]]:
    """What a cold-start child runs with (bench/scenarios.py), against a moto server holding the table."""
    with moto_server() as endpoint:
        ensure_register_table(endpoint, BENCH_TABLE)
        environment = dict(os.environ)
        isolate(environment)
        environment[ENDPOINT_VARIABLE] = endpoint
        yield environment


@pytest.mark.server
def test_the_register_function_answers_without_loading_the_x_sdk_or_requests(
    cold_start_environment: dict[str, str],
) -> None:
    measured = cold_start("register", cold_start_environment)

    assert measured.status == 200
    assert "boto3" in measured.modules
    assert NEVER_IN_REGISTER.isdisjoint(measured.modules)


@pytest.mark.server
def test_the_cold_start_fake_takes_no_module_the_realtime_function_loads(
    cold_start_environment: dict[str, str],
) -> None:
    """The fake upstreams of a cold-start child are set up, off the clock, once the function has imported
    its clients; had they imported one of the function's modules first, the function would look cheaper."""
    measured = cold_start("realtime", cold_start_environment)

    assert measured.status == 200
    assert {"tweepy", "requests", "oauthlib", "boto3"} <= measured.modules
    assert "responses" in measured.loaded_by_fake
    assert [name for name in measured.loaded_by_fake if name.split(".")[0] in REALTIME_PACKAGES] == []
