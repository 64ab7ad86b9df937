"""The X client (tweepy, API v2) against X faked at the HTTP layer."""

import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import tweepy

from connected.errors import (
    CallerBudgetSpentError,
    FollowListUnreadable,
    UpstreamError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
    XCreditsDepletedError,
    XUsageCappedError,
)
from connected.models import XAccount
from connected.spending import DayLimits, Spending, spending_of
from connected.twitter import XClient
from connected.upstream import TimeoutSession
from local.upstreams import x_list_unreadable
from tests.support.faults import FakeUpstreams, off_spec, raise_error, reply, x_credits_depleted, x_usage_capped

BEARER = "x-bearer-token-for-tests"


@pytest.fixture
def x() -> XClient:
    client = tweepy.Client(bearer_token=BEARER, return_type=dict)
    client.session = TimeoutSession((1.0, 1.0), pool_size=2)
    return XClient(client)


def accounts(x: XClient, *names: str) -> dict[str, XAccount]:
    return dict(x.find_accounts(names))


def test_one_lookup_finds_both_accounts_with_counts(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("Alice", follows=["bob"], other_followers=7)
    upstreams.developer("bob", protected=True)

    found = accounts(x, "alice", "BOB")

    assert upstreams.count("x_users") == 1
    assert "usernames=alice%2Cbob" in str(upstreams.requests["x_users"][0].url)
    assert "user.fields=public_metrics%2Cprotected" in str(upstreams.requests["x_users"][0].url)
    assert found["alice"].username == "Alice"
    assert (found["alice"].following_count, found["alice"].followers_count) == (1, 7)
    assert found["bob"].protected
    assert upstreams.requests["x_users"][0].headers["Authorization"] == f"Bearer {BEARER}"


def test_unknown_and_suspended_users_are_absent(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("mallory", suspended=True)

    assert accounts(x, "nobody", "mallory") == {}


def test_a_lookup_that_leaves_a_user_unexplained_is_an_upstream_error(upstreams: FakeUpstreams, x: XClient) -> None:
    unavailable = {
        "title": "Resource Unavailable",
        "detail": "User is temporarily unavailable: [alice].",
        "type": "https://api.x.com/2/problems/resource-unavailable",
        "resource_type": "user",
        "parameter": "usernames",
        "resource_id": "alice",
    }
    upstreams.fail_every_time("x_users", reply(200, {"errors": [unavailable]}))

    with pytest.raises(UpstreamError, match="unexplained"):
        accounts(x, "alice")


def test_the_scan_stops_at_the_page_where_the_account_appears(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice", follows=["bob"], other_following=2500)
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")

    scan = x.following_includes(found["alice"], [found["bob"]])

    assert (scan.found, scan.pages, scan.users_read) == (frozenset({found["bob"].id}), 1, 1000)
    assert upstreams.count("x_following") == 1


def test_a_target_on_the_third_page_is_found_after_three_pages(
    upstreams: FakeUpstreams, x: XClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstreams.developer("bob")
    carol = upstreams.developer("carol", other_following=2500)
    bob_last = [*upstreams.world.following_ids(carol), upstreams.world.x_id("bob")]
    monkeypatch.setattr(upstreams.world, "following_ids", lambda _developer: bob_last)
    found = accounts(x, "bob", "carol")

    scan = x.following_includes(found["carol"], [found["bob"]])

    assert (scan.found, scan.pages, scan.users_read) == (frozenset({found["bob"].id}), 3, 2501)
    assert upstreams.count("x_following") == 3
    sent = parse_qs(urlsplit(str(upstreams.requests["x_following"][1].url)).query)
    assert sent["max_results"] == ["1000"]
    assert upstreams.page_tokens[sent["pagination_token"][0]] == 1000


def test_a_list_without_the_account_is_read_to_its_end(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice", other_followers=1500)
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")

    scan = x.followers_include(found["alice"], [found["bob"]])

    assert (scan.found, scan.pages, scan.users_read, scan.complete) == (frozenset(), 2, 1500, True)


def test_an_empty_list_costs_nothing(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice")
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")

    scan = x.followers_include(found["alice"], [found["bob"]])

    assert (scan.found, scan.users_read) == (frozenset(), 0)


def test_too_many_requests_waits_until_x_resets(upstreams: FakeUpstreams, x: XClient) -> None:
    reset = int(time.time()) + 600
    upstreams.fail_every_time("x_users", reply(429, headers={"x-rate-limit-reset": str(reset)}))

    with pytest.raises(UpstreamRateLimitedError) as limited:
        accounts(x, "alice")

    assert 598 <= limited.value.retry_after_seconds <= 601


@pytest.mark.parametrize(
    ("status", "detail"), [(401, "bearer token was refused"), (403, "answered 403"), (500, "answered 500")]
)
def test_x_failures_are_upstream_errors(upstreams: FakeUpstreams, x: XClient, status: int, detail: str) -> None:
    upstreams.fail_every_time("x_users", reply(status))

    with pytest.raises(UpstreamError, match=detail):
        accounts(x, "alice")


def test_a_timeout_is_an_upstream_timeout(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.fail_every_time("x_users", raise_error(requests.ReadTimeout("slow")))

    with pytest.raises(UpstreamTimeoutError):
        accounts(x, "alice")


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"data": [{"id": "1", "username": "alice"}]}'])
def test_an_unreadable_lookup_is_an_upstream_error(upstreams: FakeUpstreams, x: XClient, body: str) -> None:
    upstreams.fail_every_time("x_users", off_spec(reply(200, body)))

    with pytest.raises(UpstreamError):
        accounts(x, "alice")


def test_a_list_page_failing_mid_pagination_is_an_upstream_error(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice", other_followers=2500)
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")
    upstreams.fail("x_followers", reply(503), reply(503), reply(503), after=1)

    with pytest.raises(UpstreamError, match="answered 503"):
        x.followers_include(found["alice"], [found["bob"]])


def test_waiting_on_rate_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="15 minutes"):
        XClient(tweepy.Client(bearer_token=BEARER, wait_on_rate_limit=True))


def test_the_bearer_token_is_never_logged_even_at_debug(
    upstreams: FakeUpstreams, x: XClient, caplog: pytest.LogCaptureFixture
) -> None:
    upstreams.developer("alice")
    with caplog.at_level(logging.DEBUG):
        accounts(x, "alice")

    assert BEARER not in caplog.text


def unknown(**fields: str) -> dict[str, str]:
    """X's error for an unknown user, with only the given identifying fields."""
    return {
        "title": "Not Found Error",
        "type": "https://api.x.com/2/problems/resource-not-found",
        "resource_type": "user",
        **fields,
    }


@pytest.mark.parametrize(
    "error",
    [
        unknown(value="ghost", detail="Could not find user with usernames: [ghost]."),
        unknown(resource_id="ghost", detail="Could not find user with usernames: [ghost].", parameter="usernames"),
        unknown(detail="Could not find user with usernames: [ghost]."),
    ],
    ids=["value", "resource_id without value", "only the detail"],
)
def test_an_unknown_user_is_recognised_from_value_resource_id_or_detail(
    upstreams: FakeUpstreams, x: XClient, error: dict[str, str]
) -> None:
    upstreams.fail_every_time("x_users", reply(200, {"errors": [error]}))

    assert accounts(x, "Ghost") == {}


def test_a_page_of_only_errors_is_an_unreadable_list_never_the_end_of_it(upstreams: FakeUpstreams, x: XClient) -> None:
    # Given alice's followers list answers a page of 1,000, then only errors (she turned protected meanwhile)
    upstreams.developer("alice", other_followers=2500)
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")
    upstreams.fail("x_followers", x_list_unreadable(), after=1)

    # When bob is looked for in it
    with pytest.raises(FollowListUnreadable) as unreadable:
        x.followers_include(found["alice"], [found["bob"]])

    # Then the list is unreadable, not ended: whose lists, with the users X returned before
    assert (unreadable.value.account, unreadable.value.x_users_read) == ("alice", 1000)


def test_an_empty_page_without_errors_is_the_end_of_the_list(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice")
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")
    upstreams.fail_every_time("x_following", reply(200, {"meta": {"result_count": 0}}))

    assert x.following_includes(found["alice"], [found["bob"]]).found == frozenset()


def test_spent_credits_are_their_own_error_and_not_retried(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.fail_every_time("x_users", x_credits_depleted())

    with pytest.raises(XCreditsDepletedError, match="twitter credits depleted"):
        accounts(x, "alice")

    assert upstreams.count("x_users") == 1


def test_a_spent_usage_cap_is_no_rate_limit_and_has_no_retry_after(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.fail_every_time("x_users", x_usage_capped(period="Daily"))

    with pytest.raises(XUsageCappedError) as capped:
        accounts(x, "alice")

    assert capped.value.messages == (
        "twitter usage cap reached: the daily usage cap of the X developer account is spent",
    )
    assert capped.value.retry_after_seconds is None
    assert upstreams.count("x_users") == 1


def test_one_read_looks_for_several_accounts_and_stops_once_all_are_found(
    upstreams: FakeUpstreams, x: XClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstreams.developer("alice", other_followers=2500)
    upstreams.developer("bob")
    upstreams.developer("carol")
    listed = upstreams.world.follower_ids(upstreams.world.developers["alice"])
    bob, carol = upstreams.world.x_id("bob"), upstreams.world.x_id("carol")
    monkeypatch.setattr(upstreams.world, "follower_ids", lambda _developer: [bob, *listed, carol])
    found = accounts(x, "alice", "bob", "carol")

    scan = x.followers_include(found["alice"], [found["bob"], found["carol"]])

    assert scan.found == {found["bob"].id, found["carol"].id}
    assert (scan.pages, scan.users_read, scan.complete) == (3, 2502, True)


def test_a_read_budget_caps_the_users_asked_for_and_leaves_the_scan_incomplete(
    upstreams: FakeUpstreams, x: XClient
) -> None:
    # Given alice has 2,500 followers, bob not among them
    upstreams.developer("alice", other_followers=2500)
    upstreams.developer("bob")
    found = accounts(x, "alice", "bob")

    # When bob is looked for with 1,200 users to spend
    scan = x.followers_include(found["alice"], [found["bob"]], max_users=1200)

    # Then X is asked for 1,000, then 200, never more, and the scan says it could not tell
    asked = [parse_qs(urlsplit(str(sent.url)).query)["max_results"] for sent in upstreams.requests["x_followers"]]
    assert asked == [["1000"], ["200"]]
    assert (scan.found, scan.users_read, scan.complete) == (frozenset(), 1200, False)
    assert upstreams.x_users_returned == 1200


def test_each_request_reserves_what_it_may_bill_asking_no_more_than_the_list_holds(
    upstreams: FakeUpstreams, x: XClient
) -> None:
    # Given a list X counts at 1,500 users, and a spending that notes every reservation and bill
    upstreams.developer("alice", follows=["bob"], other_following=1499)
    upstreams.developer("bob")
    upstreams.list_named_accounts_last()
    notes: list[tuple[str, int]] = []

    class Notebook(Spending):
        def reserve(self, users: int, last: bool = False) -> None:
            notes.append(("reserve last" if last else "reserve", users))

        def billed(self, users: int) -> None:
            notes.append(("billed", users))

    # When the list is read as the answer's last read
    with spending_of(Notebook(lambda: None, None, DayLimits, lambda *_: None)):  # type: ignore[arg-type,return-value]
        found = accounts(x, "alice", "bob", "nobody")
        x.following_includes(found["alice"], [found["bob"]], last=True)

    # Then the lookup reserves a user per name and is billed those found; the pages ask for 1,000, then the 500
    # left, the answer's last request, and each is billed what it returned
    assert notes == [
        ("reserve", 3),
        ("billed", 2),
        ("reserve", 1000),
        ("billed", 1000),
        ("reserve last", 500),
        ("billed", 500),
    ]
    assert [parse_qs(urlsplit(str(sent.url)).query)["max_results"] for sent in upstreams.requests["x_following"]] == [
        ["1000"],
        ["500"],
    ]


def test_a_list_grown_past_its_count_is_read_on_in_pages_of_a_hundred(
    upstreams: FakeUpstreams, x: XClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given carol follows 5 accounts by X's count at lookup, then 3 more and bob before her list is read
    upstreams.developer("bob")
    carol = upstreams.developer("carol", other_following=5)
    found = accounts(x, "bob", "carol")
    grown = [*upstreams.world.following_ids(carol), "newcomer1", "newcomer2", "newcomer3", found["bob"].id]
    monkeypatch.setattr(upstreams.world, "following_ids", lambda _developer: grown)

    # When bob is looked for
    scan = x.following_includes(found["carol"], [found["bob"]])

    # Then X is asked for the 5 its count foretold, then for a page of 100, which returns the 4 left
    asked = [parse_qs(urlsplit(str(sent.url)).query)["max_results"] for sent in upstreams.requests["x_following"]]
    assert asked == [["5"], ["100"]]
    assert (scan.found, scan.pages, scan.users_read) == (frozenset({found["bob"].id}), 2, 9)
    assert upstreams.x_users_returned == 9


def test_a_refused_reservation_sends_nothing(upstreams: FakeUpstreams, x: XClient) -> None:
    upstreams.developer("alice")

    class Spent(Spending):
        def reserve(self, users: int, last: bool = False) -> None:
            raise CallerBudgetSpentError(10, 60)

    with spending_of(Spent(lambda: None, None, DayLimits, lambda *_: None)), pytest.raises(CallerBudgetSpentError):  # type: ignore[arg-type,return-value]
        accounts(x, "alice")

    assert upstreams.count("x_users") == 0
