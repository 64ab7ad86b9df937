"""The fault matrix: every kind of upstream trouble, for GitHub and X, becomes its documented status and an
errors body naming the service, with no traceback and nothing recorded. The fault table of
docs/reliability-and-security.md (Faults) is this table."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest
import requests

from connected.register import DynamoDBRegister
from local.upstreams import Fault, Reply, x_list_unreadable
from tests.conftest import TABLE_NAME
from tests.support.faults import (
    FakeUpstreams,
    github_secondary_rate_limit,
    raise_error,
    reply,
    x_credits_depleted,
    x_usage_capped,
)
from tests.support.handlers import Invoke


def limited(status: int, remaining: str, reset: str) -> Fault:
    """A rate-limit answer whose window resets 90 seconds after the request."""

    def fault(request: requests.PreparedRequest) -> Reply:
        return reply(status, headers={remaining: "0", reset: str(int(time.time()) + 90)})(request)

    return fault


def unknown_users_without_value(request: requests.PreparedRequest) -> Reply:
    """X's own example of an unknown user: `resource_id` and `detail`, no `value` (and, for bob, only the
    name inside `detail`)."""
    errors = [
        {"detail": "Could not find user with usernames: [alice].", "title": "Not Found Error", "resource_type": "user",
         "parameter": "usernames", "resource_id": "alice", "type": "https://api.x.com/2/problems/resource-not-found"},
        {"detail": "Could not find user with usernames: [bob].", "title": "Not Found Error", "resource_type": "user",
         "parameter": "usernames", "type": "https://api.x.com/2/problems/resource-not-found"},
    ]  # fmt: skip
    return reply(200, {"errors": errors})(request)


@dataclass(frozen=True)
class Case:
    endpoint: str
    fault: Fault
    status: int
    message: str
    attempts: int = 1
    after: int = 0
    retry_after: tuple[int, int] | None = None
    """The range the Retry-After header must fall in; None: no Retry-After at all."""
    errors: int = 1


WINDOW = (88, 91)
CASES = {
    "github connection refused": Case(
        "github_orgs", raise_error(requests.ConnectionError()), 502, "github failed: the connection failed", 3
    ),
    "github read timeout": Case(
        "github_orgs", raise_error(requests.ReadTimeout()), 504, "github did not answer in time"
    ),
    "github 500": Case("github_orgs", reply(500), 502, "github failed: answered 500"),
    "github 502": Case("github_orgs", reply(502), 502, "github failed: answered 502", 3),
    "github 503": Case("github_orgs", reply(503), 502, "github failed: answered 503", 3),
    "github 401": Case("github_orgs", reply(401), 502, "github failed: the token was refused (401)"),
    "github 403 rate limit": Case(
        "github_orgs",
        limited(403, "x-ratelimit-remaining", "x-ratelimit-reset"),
        503,
        "github rate limit reached",
        retry_after=WINDOW,
    ),
    "github 429": Case(
        "github_orgs", reply(429, headers={"retry-after": "90"}), 503, "github rate limit reached", retry_after=WINDOW
    ),
    "github 403 secondary rate limit, no retry-after": Case(
        "github_orgs", github_secondary_rate_limit(), 503, "github secondary rate limit reached", retry_after=(60, 60)
    ),
    "github 403 secondary rate limit with retry-after": Case(
        "github_orgs",
        github_secondary_rate_limit(headers={"retry-after": "7"}),
        503,
        "github secondary rate limit reached: retry in 7 seconds",
        retry_after=(7, 7),
    ),
    "github 429 secondary rate limit": Case(
        "github_orgs",
        github_secondary_rate_limit(429),
        503,
        "github secondary rate limit reached",
        retry_after=(60, 60),
    ),
    "github 403 that is no rate limit": Case(
        "github_orgs",
        reply(
            403,
            {"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"},
        ),
        502,
        "github failed: answered 403",
    ),
    "github malformed JSON": Case("github_orgs", reply(200, "[{oops"), 502, "github failed: the answer was not JSON"),
    "github page 2 fails": Case("github_orgs", reply(500), 502, "github failed: answered 500", after=2),
    "x connection refused": Case(
        "x_users", raise_error(requests.ConnectionError()), 502, "twitter failed: the connection failed", 3
    ),
    "x read timeout": Case("x_users", raise_error(requests.ReadTimeout()), 504, "twitter did not answer in time"),
    "x 500": Case("x_users", reply(500), 502, "twitter failed: answered 500"),
    "x 502": Case("x_users", reply(502), 502, "twitter failed: answered 502", 3),
    "x 503": Case("x_users", reply(503), 502, "twitter failed: answered 503", 3),
    "x 401": Case("x_users", reply(401), 502, "twitter failed: the bearer token was refused (401)"),
    "x 429": Case(
        "x_users",
        limited(429, "x-rate-limit-remaining", "x-rate-limit-reset"),
        503,
        "twitter rate limit reached",
        retry_after=WINDOW,
    ),
    "x 402 credits depleted": Case("x_users", x_credits_depleted(), 503, "twitter credits depleted"),
    "x 429 usage cap": Case("x_users", x_usage_capped(), 503, "twitter usage cap reached: the monthly usage cap"),
    "x unknown users without value": Case(
        "x_users", unknown_users_without_value, 404, "alice is no a valid user in twitter", errors=2
    ),
    "x follow lists become unreadable": Case(
        "x_lists", x_list_unreadable(), 422, "cannot tell whether alice follows bob on twitter: ", attempts=2
    ),
    "x malformed JSON": Case("x_users", reply(200, "{oops"), 502, "twitter failed: the answer was not JSON"),
    "x follow list page 2 fails": Case("x_lists", reply(500), 502, "twitter failed: answered 500", after=1),
}


def attempts_for_alice(upstreams: FakeUpstreams, endpoints: list[str]) -> int:
    """Requests naming alice (her GitHub login, or the X lookup of both), or any request to a follow list."""
    asked = [str(sent.url) for endpoint in endpoints for sent in upstreams.requests[endpoint]]
    return len([url for url in asked if "alice" in url or "/follow" in url])


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_upstream_trouble_gets_its_status_an_errors_body_and_no_record(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    upstreams.developer("alice", organisations=[f"org-{n}" for n in range(150)], follows=["bob"], other_following=1500)
    upstreams.developer("bob", organisations=["org-149"], follows=["alice"], other_following=1500, other_followers=1500)
    upstreams.list_named_accounts_last()
    endpoints = ["x_following", "x_followers"] if case.endpoint == "x_lists" else [case.endpoint]
    for endpoint in endpoints:
        if case.after:
            upstreams.fail(endpoint, case.fault, after=case.after)
        else:
            upstreams.fail_every_time(endpoint, case.fault)

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == case.status
    assert len(answer.body["errors"]) == case.errors
    assert answer.body["errors"][0].startswith(case.message)
    assert "Traceback" not in str(answer.body)
    if case.retry_after is None:
        assert "retry-after" not in answer.headers
    else:
        assert case.retry_after[0] <= int(answer.headers["retry-after"]) <= case.retry_after[1]
    if not case.after:
        assert attempts_for_alice(upstreams, endpoints) == case.attempts
    assert register("/connected/register/alice/bob").body == []
    assert x_users_billed_today() == upstreams.x_users_looked_up + upstreams.x_users_returned


def x_users_billed_today() -> int:
    return DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).x_users_billed(datetime.now(UTC).date())


BILLING = {
    "a lookup, then GitHub fails": ("github_orgs", reply(500), 0, 502, 2),
    "a list's first page, then its second fails": ("x_following", reply(500), 2, 502, 2 + 1 + 1000),
}


@pytest.mark.parametrize(("endpoint", "fault", "after", "status", "billed"), BILLING.values(), ids=BILLING.keys())
def test_what_x_returned_before_a_failure_is_counted_on_the_day(
    upstreams: FakeUpstreams,
    realtime: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    fault: Fault,
    after: int,
    status: int,
    billed: int,
) -> None:
    # Given alice follows 1,500 others before bob, so her following list takes two pages once bob's (1 user)
    # showed that bob follows her
    monkeypatch.setenv("MAX_X_USERS_READ_PER_CALLER_PER_DAY", "0")
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=1500)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_followers=1600)
    upstreams.list_named_accounts_last()
    upstreams.fail_every_time(endpoint, fault) if not after else upstreams.fail(
        endpoint, fault, fault, fault, after=after
    )

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == status
    assert x_users_billed_today() == billed == upstreams.x_users_looked_up + upstreams.x_users_returned


def test_the_users_an_over_budget_answer_read_are_counted_on_the_day(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a read budget of 1,000 users an answer: alice's 700-user following list shows she follows bob, but
    # whether bob follows alice is in lists of 700 and 801 users
    monkeypatch.setenv("MAX_X_USERS_READ", "1000")
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=699, other_followers=800)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_following=699, other_followers=800)
    upstreams.list_named_accounts_last()

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == 422
    assert upstreams.x_users_returned == 700
    assert x_users_billed_today() == 2 + 700


def test_a_passing_gateway_error_is_retried_into_an_answer(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    upstreams.fail("x_users", reply(503))

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.body == {"connected": True, "organisations": ["Acme"]}
    assert upstreams.count("x_users") == 2
    assert len(register("/connected/register/alice/bob").body) == 1
