"""Register pages: limit, cursors (positions in the pair's history) and a since/until window, on the moto table."""

from datetime import UTC, datetime, timedelta
from itertools import count

import boto3
import pytest

from connected import history
from connected.errors import InvalidQueryError
from connected.handles import Pair
from connected.history import HistoryRequest, cursor_for, read_history
from connected.models import Verdict
from connected.register import DynamoDBRegister
from tests.conftest import TABLE_NAME

PAIR = Pair.of("alice", "bob")
START = datetime(2019, 9, 13, 9, 30, tzinfo=UTC)
TENTH_MINUTE = "2019-09-13T09:40:00.000000Z#ffffffffffff"
"""Just after the record of 09:40, whatever its random suffix."""
SIGNED_BEFORE = (
    "eyJwYWlyIjoiYWxpY2UjYm9iIiwiYWZ0ZXIiOiIyMDE5LTA5LTEzVDA5OjQw"
    "OjAwLjAwMDAwMFojZmZmZmZmZmZmZmZmIn0.c2lnbmF0dXJlLWJ5dGVz"
)
"""A cursor as earlier versions handed them out, signed: {"pair": "alice#bob", "after": TENTH_MINUTE}.signature"""


@pytest.fixture
def store(dynamodb: object) -> DynamoDBRegister:
    """A register holding 25 records for alice and bob, one a minute from 09:30, and one for another pair."""
    minutes = count()
    register = DynamoDBRegister(
        boto3.client("dynamodb"), TABLE_NAME, clock=lambda: START + timedelta(minutes=next(minutes))
    )
    for _ in range(25):
        register.record(PAIR, Verdict(connected=False))
    register.record(Pair.of("alice", "carol"), Verdict(connected=False))
    return DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME)


def stamps(page: history.HistoryPage) -> list[str]:
    return [str(record.to_json()["registered_at"])[11:16] for record in page.records]


def read(store: DynamoDBRegister, **query: str) -> history.HistoryPage:
    return read_history(store, PAIR, HistoryRequest.from_query(query))


def test_without_parameters_every_record_comes_back(store: DynamoDBRegister) -> None:
    page = read(store)

    assert len(page.records) == 25
    assert page.next_cursor is None


def test_pages_of_a_limit_walk_the_whole_register_in_order(store: DynamoDBRegister) -> None:
    first = read(store, limit="10")
    second = read(store, limit="10", cursor=str(first.next_cursor))
    third = read(store, limit="10", cursor=str(second.next_cursor))

    assert stamps(first)[0] == "09:30"
    assert stamps(first) + stamps(second) + stamps(third) == [f"09:{30 + n}" for n in range(25)]
    assert third.next_cursor is None


def test_a_page_that_ends_exactly_at_the_last_record_has_no_cursor(store: DynamoDBRegister) -> None:
    first = read(store, limit="20")
    last = read(store, limit="5", cursor=str(first.next_cursor))

    assert len(last.records) == 5
    assert last.next_cursor is None


def test_since_and_until_keep_the_window_inclusive(store: DynamoDBRegister) -> None:
    page = read(store, since="2019-09-13T09:35:00Z", until="2019-09-13T09:37:00+00:00")

    assert stamps(page) == ["09:35", "09:36", "09:37"]


def test_a_window_pages_like_the_rest(store: DynamoDBRegister) -> None:
    first = read(store, since="2019-09-13T09:40:00Z", limit="4")
    second = read(store, since="2019-09-13T09:40:00Z", limit="4", cursor=str(first.next_cursor))

    assert stamps(first) + stamps(second) == ["09:40", "09:41", "09:42", "09:43", "09:44", "09:45", "09:46", "09:47"]


def test_a_time_without_a_zone_is_utc(store: DynamoDBRegister) -> None:
    assert stamps(read(store, until="2019-09-13T09:31:00")) == ["09:30", "09:31"]


def test_without_a_limit_a_huge_register_stops_at_the_cap_with_a_cursor(
    store: DynamoDBRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "UNPAGED_RECORD_CAP", 20)

    first = read(store)
    rest = read(store, cursor=str(first.next_cursor))

    assert (len(first.records), len(rest.records), rest.next_cursor) == (20, 5, None)


def test_a_page_stops_before_its_body_outgrows_lambdas_response_limit(
    store: DynamoDBRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "RESPONSE_BUDGET_BYTES", 300)

    page = read(store)

    assert 0 < len(page.records) < 25
    assert page.next_cursor is not None


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("garbage", "the cursor is not one this API gave out"),
        (cursor_for("no position at all"), "the cursor is not one this API gave out"),
        (cursor_for("2019-09-13T09:40:00Z#abc"), "the cursor is not one this API gave out"),
        (cursor_for("2019-09-13T09:20:00.000000Z#abc"), "the cursor lies outside since and until"),
        (cursor_for("2019-09-13T10:20:00.000000Z#abc"), "the cursor lies outside since and until"),
    ],
)
def test_a_cursor_that_is_no_position_within_the_window_is_refused(
    store: DynamoDBRegister, cursor: str, message: str
) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        read(store, cursor=cursor, since="2019-09-13T09:30:00Z", until="2019-09-13T10:00:00Z")


def test_a_cursor_handed_out_signed_by_an_earlier_version_still_works(store: DynamoDBRegister) -> None:
    page = read(store, limit="3", cursor=SIGNED_BEFORE)

    assert stamps(page) == ["09:41", "09:42", "09:43"]


def test_a_cursor_moves_within_the_pair_of_the_path_only(store: DynamoDBRegister) -> None:
    # Given an old signed cursor made for alice and carol
    made_for_carol = (
        "eyJwYWlyIjoiYWxpY2UjY2Fyb2wiLCJhZnRlciI6IjIwMTktMDktMTNUMDk6NDA6MDAuMDAwMDAwWiNm"
        "ZmZmZmZmZmZmZmYifQ.c2lnbmF0dXJlLWJ5dGVz"
    )

    # When it is sent for alice and bob
    page = read(store, cursor=made_for_carol)

    # Then it is a position in alice and bob's history: their records after 09:40, and none of carol's
    assert stamps(page) == [f"09:{minute}" for minute in range(41, 55)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 1000"),
        ({"limit": "1001"}, "limit must be a whole number from 1 to 1000"),
        ({"limit": "-1"}, "limit must be a whole number from 1 to 1000"),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 1000"),
        ({"since": "yesterday"}, "since must be an ISO 8601 time"),
        ({"until": "2019-13-45"}, "until must be an ISO 8601 time"),
        ({"since": "2020-01-01T00:00:00Z", "until": "2019-01-01T00:00:00Z"}, "since must not be later than until"),
        ({"page": "2"}, "unknown query parameter page"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(query: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        HistoryRequest.from_query(query)


def test_the_next_query_keeps_the_window_and_the_limit() -> None:
    request = HistoryRequest.from_query({"limit": "5", "since": "2019-09-13T09:35:00Z"})

    assert request.query_for("abc") == {"limit": "5", "cursor": "abc", "since": "2019-09-13T09:35:00Z"}
