"""Who asks, and what each caller may spend: events as API Gateway hands them past each kind of authorizer,
through the real handlers, GitHub and X faked at the HTTP layer, the register table under moto."""

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from connected.register import DynamoDBRegister
from connected.spending import DayLimits
from scripts import register_admin
from tests.conftest import TABLE_NAME
from tests.support.faults import FakeUpstreams
from tests.support.handlers import Invoke, load_function

COGNITO_APP_CLIENT: dict[str, object] = {
    "jwt": {
        "claims": {
            "auth_time": "1764672000",
            "client_id": "5r1hplh9bfmbe1ptms0ae0o9sd",
            "exp": "1764675600",
            "iat": "1764672000",
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE",
            "jti": "c3b2a1d4-0000-4000-8000-000000000000",
            "scope": "connected/answers",
            "sub": "5r1hplh9bfmbe1ptms0ae0o9sd",
            "token_use": "access",
            "version": "2",
        },
        "scopes": ["connected/answers"],
    }
}
"""A Cognito client-credentials access token, as an HTTP API JWT authorizer hands its claims on."""
OTHER_JWT: dict[str, object] = {
    "jwt": {"claims": {"sub": "user-7", "iss": "https://issuer.example.com/", "aud": "connected"}, "scopes": None}
}
IAM_USER: dict[str, object] = {
    "iam": {
        "accessKey": "ASIA-EXAMPLE",
        "accountId": "111122223333",
        "callerId": "AIDACKCEVSQ6C2EXAMPLE",
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": "arn:aws:iam::111122223333:user/example-user",
        "userId": "AIDACOSFODNN7EXAMPLE2",
    }
}
CALLERS = {
    "cognito app client": (COGNITO_APP_CLIENT, "5r1hplh9bfmbe1ptms0ae0o9sd"),
    "another JWT issuer": (OTHER_JWT, "user-7"),
    "IAM": (IAM_USER, "arn:aws:iam::111122223333:user/example-user"),
    "no authorizer": (None, "ip:203.0.113.9"),
}


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the realtime function logs, as the JSON lines Lambda would send to CloudWatch."""
    handler = load_function("realtime").logger.registered_handler
    stream = io.StringIO()
    previous, handler.stream = handler.stream, stream
    yield stream
    handler.stream = previous


def log_lines(output: str, message: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == message]


def billed_today(caller: str | None = None) -> int:
    return DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).x_users_billed(datetime.now(UTC).date(), caller)


@pytest.fixture
def connected_pair(upstreams: FakeUpstreams) -> FakeUpstreams:
    """alice and bob follow each other and share Acme: a fresh answer bills 4 X users (2 looked up, 2 listed)."""
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    return upstreams


@pytest.mark.parametrize(("authorizer", "caller"), CALLERS.values(), ids=CALLERS.keys())
def test_the_caller_is_who_the_authorizer_vouches_for_and_is_logged_counted_and_told(
    connected_pair: FakeUpstreams,
    realtime: Invoke,
    register: Invoke,
    log_output: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    authorizer: dict[str, object] | None,
    caller: str,
) -> None:
    # When a caller asks for a fresh answer, then for one refused, then for its usage
    answer = realtime("/connected/realtime/alice/bob", authorizer=authorizer, source_ip="203.0.113.9")
    refused = realtime("/connected/realtime/alice/nobody.here", authorizer=authorizer, source_ip="203.0.113.9")
    usage = register("/connected/usage", authorizer=authorizer, source_ip="203.0.113.9")

    # Then the answers' log lines name the caller, their spending (the 404 looked alice up) is the caller's, and
    # the caller is told of it
    logged = log_output.getvalue()
    assert [line["caller"] for line in log_lines(logged, "answered")] == [caller]
    assert [line["caller"] for line in log_lines(logged, "request refused")] == [caller]
    metrics = [line for line in capsys.readouterr().out.splitlines() if '"CloudWatchMetrics"' in line]
    assert metrics
    assert caller not in "".join(metrics)
    assert billed_today(caller) == billed_today() == 4 + 1
    assert answer.headers["ratelimit-policy"] == '"daily";q=10000;w=86400'
    assert answer.headers["ratelimit"].startswith('"daily";r=9996;t=')
    assert refused.status == 404
    assert refused.headers["ratelimit"].startswith('"daily";r=9995;t=')
    assert usage.body["caller"] == caller
    assert (usage.body["x_users_billed"], usage.body["daily_budget"], usage.body["remaining"]) == (5, 10000, 9995)


def test_a_caller_whose_budget_cannot_cover_an_answer_gets_429_until_midnight_and_others_go_on(
    connected_pair: FakeUpstreams, realtime: Invoke, register: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a per-caller budget of 30 X users, of which ada has spent 28 today
    monkeypatch.setenv("MAX_X_USERS_READ_PER_CALLER_PER_DAY", "30")
    DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).reserve_x_users(
        datetime.now(UTC).date(), "ip:192.0.2.1", 28, DayLimits()
    )
    assert realtime("/connected/realtime/alice/bob", source_ip="192.0.2.2").status == 200
    connected_pair.requests.clear()

    # When ada asks for a fresh answer, one from the register, and another caller asks too
    refused = realtime("/connected/realtime/alice/bob", source_ip="192.0.2.1")
    remembered = realtime("/connected/realtime/alice/bob?max_age=600", source_ip="192.0.2.1")
    other = realtime("/connected/realtime/alice/bob", source_ip="192.0.2.3")

    # Then ada's fresh answer is a 429 naming her budget, with Retry-After to midnight UTC, asked nothing of X
    # beyond what her budget covers and recorded nothing; the register still answers her; the other caller is
    # answered
    assert (refused.status, refused.body) == (
        429,
        {"errors": ["the daily twitter read budget of this caller is spent: 30 users"]},
    )
    assert 1 <= int(refused.headers["retry-after"]) <= 86400
    assert refused.headers["ratelimit"].startswith('"daily";r=0;t=')
    assert (remembered.status, "age" in remembered.headers) == (200, True)
    assert other.status == 200
    assert billed_today("ip:192.0.2.1") == 30
    assert len(register("/connected/register/alice/bob").body) == 2


def test_when_both_day_budgets_are_spent_the_callers_429_wins(
    connected_pair: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_X_USERS_READ_PER_CALLER_PER_DAY", "10")
    monkeypatch.setenv("MAX_X_USERS_READ_PER_DAY", "10")
    DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).reserve_x_users(
        datetime.now(UTC).date(), "ip:192.0.2.1", 10, DayLimits()
    )

    answer = realtime("/connected/realtime/alice/bob", source_ip="192.0.2.1")

    assert answer.status == 429
    assert connected_pair.count("x_users") == 0


def test_a_team_answer_counts_against_its_caller(upstreams: FakeUpstreams, realtime: Invoke, register: Invoke) -> None:
    for name in ("ada", "grace", "alan"):
        upstreams.developer(name, organisations=["pioneers"], follows=["ada", "grace", "alan"])

    answer = realtime("/connected/team/ada,grace,alan", authorizer=IAM_USER)

    billed = 3 + upstreams.x_users_returned
    assert answer.status == 200
    assert billed_today("arn:aws:iam::111122223333:user/example-user") == billed
    assert answer.headers["ratelimit"].startswith(f'"daily";r={10000 - billed};t=')


def test_without_a_per_caller_budget_no_rate_limit_headers_and_usage_says_null(
    connected_pair: FakeUpstreams, realtime: Invoke, register: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_X_USERS_READ_PER_CALLER_PER_DAY", "0")

    answer = realtime("/connected/realtime/alice/bob", authorizer=IAM_USER)
    usage = register("/connected/usage", authorizer=IAM_USER)

    assert answer.status == 200
    assert "ratelimit" not in answer.headers
    assert "ratelimit-policy" not in answer.headers
    assert (usage.body["x_users_billed"], usage.body["daily_budget"], usage.body["remaining"]) == (4, None, None)
    assert 1 <= usage.body["resets_in_seconds"] <= 86400


def test_usage_asks_nothing_upstream_and_records_nothing(
    connected_pair: FakeUpstreams, register: Invoke, dynamodb: Any
) -> None:
    usage = register("/connected/usage", authorizer=COGNITO_APP_CLIENT)

    assert usage.status == 200
    assert usage.body == {
        "caller": "5r1hplh9bfmbe1ptms0ae0o9sd",
        "day": datetime.now(UTC).date().isoformat(),
        "x_users_billed": 0,
        "daily_budget": 10000,
        "remaining": 10000,
        "resets_in_seconds": usage.body["resets_in_seconds"],
    }
    assert sum(len(sent) for sent in connected_pair.requests.values()) == 0
    assert dynamodb.scan(TableName=TABLE_NAME)["Items"] == []


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/connected/realtime/alice/nobody", 404, "unknown_user"),
        ("/connected/realtime/alice/ALICE", 400, "bad_request"),
        ("/connected/nowhere", 404, "not_found"),
    ],
)
def test_a_caller_that_accepts_problem_details_gets_every_error_as_one(
    connected_pair: FakeUpstreams, realtime: Invoke, path: str, status: int, code: str
) -> None:
    plain = realtime(path)
    problem = realtime(path, headers={"Accept": "application/problem+json, application/json;q=0.5"})

    assert plain.headers["content-type"] == "application/json"
    assert set(plain.body) == {"errors"}
    assert problem.status == status
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.body == {
        "type": f"tag:connected-developers,2026:problems/{code}",
        "title": problem.body["title"],
        "status": status,
        "detail": plain.body["errors"][0],
        "code": code,
        "errors": plain.body["errors"],
    }
    assert problem.body["title"]


def test_the_operator_can_tell_who_spent_a_day(
    connected_pair: FakeUpstreams,
    realtime: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    realtime("/connected/realtime/alice/bob", authorizer=IAM_USER)
    realtime("/connected/realtime/alice/bob", source_ip="192.0.2.7")
    realtime("/connected/realtime/alice/nobody", source_ip="192.0.2.7")
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    capsys.readouterr()

    assert register_admin.main(["spenders", datetime.now(UTC).date().isoformat()]) == 0

    assert capsys.readouterr().out.splitlines() == [
        "5\tip:192.0.2.7",
        "4\tarn:aws:iam::111122223333:user/example-user",
        f"9\t(the service, {datetime.now(UTC).date()})",
    ]
