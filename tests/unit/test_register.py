"""The DynamoDB register under moto, on the table template.yaml defines."""

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from connected.errors import BudgetRefused, RegisterUnavailableError
from connected.handles import Pair
from connected.models import Record, Verdict
from connected.register import WRITE_ATTEMPTS, DynamoDBRegister
from connected.spending import DayLimits
from tests.conftest import TABLE_NAME

PAIR = Pair.of("alice", "bob")
CONNECTED = Verdict(connected=True, organisations=("Acme", "beta"))


def every_record(store: DynamoDBRegister, pair: Pair) -> list[Record]:
    """The pair's records, oldest first, every query page followed, as the register route reads them."""
    return [record for _position, record in store.records(pair)]


def counted_queries(client: Any) -> list[dict[str, Any]]:
    """The parameters of every Query the client sends from now on."""
    sent: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.dynamodb.Query", lambda params, **_: sent.append(dict(params)))
    return sent


def fixed_clock() -> datetime:
    return datetime(2019, 9, 13, 9, 30, 0, 123456, tzinfo=UTC)


def test_records_come_back_oldest_first_with_whole_second_times(dynamodb: object) -> None:
    times = iter(
        [
            datetime(2019, 9, 13, 9, 30, 59, 999999, tzinfo=UTC),
            datetime(2020, 1, 1, tzinfo=UTC),
            datetime(2020, 1, 2, tzinfo=UTC),
        ]
    )
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=lambda: next(times))
    store.record(PAIR, Verdict(connected=False))
    store.record(PAIR, CONNECTED)

    history = [record.to_json() for record in every_record(store, Pair.of("BOB", "Alice"))]

    assert history == [
        {"registered_at": "2019-09-13T09:30:59Z", "connected": False},
        {"registered_at": "2020-01-01T00:00:00Z", "connected": True, "organisations": ["Acme", "beta"]},
    ]


def test_writes_in_the_same_microsecond_are_all_kept(dynamodb: object) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=fixed_clock)

    for _ in range(5):
        store.record(PAIR, CONNECTED)

    assert len(every_record(store, PAIR)) == 5


def test_a_colliding_sort_key_is_never_overwritten_but_retried(dynamodb: object) -> None:
    suffixes = iter(["same", "same", "other"])
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=fixed_clock, suffix=lambda: next(suffixes))
    store.record(PAIR, Verdict(connected=False))

    store.record(PAIR, CONNECTED)

    assert {record.verdict for record in every_record(store, PAIR)} == {Verdict(connected=False), CONNECTED}


def test_a_write_that_keeps_colliding_fails_loudly(dynamodb: object) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=fixed_clock, suffix=lambda: "same")
    store.record(PAIR, CONNECTED)

    with pytest.raises(RegisterUnavailableError, match="nothing was stored"):
        store.record(PAIR, CONNECTED)


def test_a_write_to_a_missing_table_is_a_register_failure(dynamodb: object) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), "no-such-table")

    with pytest.raises(RegisterUnavailableError):
        store.record(PAIR, CONNECTED)


def test_pairs_do_not_see_each_others_records(dynamodb: object) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME)
    store.record(PAIR, CONNECTED)

    assert every_record(store, Pair.of("alice", "carol")) == []


def test_history_follows_every_page_of_a_long_register(dynamodb: object) -> None:
    """A Query page holds at most 1 MB: 300 records of about 4 KB each need more than one."""
    ticks = count()
    client = boto3.client("dynamodb")
    queries: list[object] = []
    client.meta.events.register("after-call.dynamodb.Query", lambda **kwargs: queries.append(kwargs))
    store = DynamoDBRegister(
        client,
        TABLE_NAME,
        clock=lambda: datetime.fromtimestamp(1_500_000_000 + next(ticks), UTC),
    )
    organisations = tuple(f"organisation-with-a-long-name-{n:04}" for n in range(100))
    for _ in range(300):
        store.record(PAIR, Verdict(connected=True, organisations=organisations))

    history = every_record(store, PAIR)

    assert len(history) == 300
    assert len(queries) >= 2
    assert [record.registered_at for record in history] == sorted(record.registered_at for record in history)


def test_with_a_retention_each_record_carries_its_expiry(dynamodb: object) -> None:
    client = boto3.client("dynamodb")
    DynamoDBRegister(client, TABLE_NAME, clock=fixed_clock, retention_days=30).record(PAIR, CONNECTED)

    (item,) = client.scan(TableName=TABLE_NAME)["Items"]

    assert int(item["expires_at"]["N"]) == int(datetime(2019, 10, 13, 9, 30, 0, tzinfo=UTC).timestamp())


def test_without_a_retention_records_never_expire(dynamodb: object) -> None:
    client = boto3.client("dynamodb")
    DynamoDBRegister(client, TABLE_NAME, clock=fixed_clock).record(PAIR, CONNECTED)

    (item,) = client.scan(TableName=TABLE_NAME)["Items"]

    assert "expires_at" not in item


def test_expired_records_not_yet_removed_by_ttl_are_left_out(dynamodb: object) -> None:
    now = [datetime(2019, 9, 13, tzinfo=UTC)]
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=lambda: now[0], retention_days=1)
    store.record(PAIR, CONNECTED)
    now[0] = datetime(2019, 9, 13, 23, 59, tzinfo=UTC)
    store.record(PAIR, Verdict(connected=False))

    now[0] = datetime(2019, 9, 14, 12, 0, tzinfo=UTC)

    assert [record.verdict for record in every_record(store, PAIR)] == [Verdict(connected=False)]


def test_the_health_check_passes_on_a_reachable_table(dynamodb: object) -> None:
    DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).check()


def test_the_health_check_fails_on_a_missing_table(dynamodb: object) -> None:
    with pytest.raises(RegisterUnavailableError, match="cannot be reached"):
        DynamoDBRegister(boto3.client("dynamodb"), "no-such-table").check()


def test_the_latest_record_is_the_newest_in_one_query_of_one_item(dynamodb: object) -> None:
    client = boto3.client("dynamodb")
    days = iter([datetime(2019, 9, day, tzinfo=UTC) for day in (13, 14, 15)])
    store = DynamoDBRegister(client, TABLE_NAME, clock=lambda: next(days, datetime(2019, 9, 16, tzinfo=UTC)))
    queries = counted_queries(client)
    for verdict in (CONNECTED, Verdict(connected=False), CONNECTED):
        store.record(PAIR, verdict)

    latest = store.latest(Pair.of("BOB", "alice"))

    assert latest is not None
    assert (latest.registered_at, latest.verdict) == (datetime(2019, 9, 15, tzinfo=UTC), CONNECTED)
    assert [(query["ScanIndexForward"], query["Limit"]) for query in queries] == [(False, 1)]
    assert store.latest(Pair.of("alice", "carol")) is None


def test_an_expired_latest_record_is_none(dynamodb: object) -> None:
    now = [datetime(2019, 9, 13, tzinfo=UTC)]
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=lambda: now[0], retention_days=1)
    store.record(PAIR, CONNECTED)
    now[0] = datetime(2019, 9, 15, tzinfo=UTC)

    assert store.latest(PAIR) is None


def test_x_users_are_counted_per_utc_day_for_the_service_and_each_caller_beside_the_pairs(dynamodb: object) -> None:
    # Given a register holding a record
    client = boto3.client("dynamodb")
    store = DynamoDBRegister(client, TABLE_NAME)
    store.record(PAIR, CONNECTED)
    first, second = date(2019, 9, 13), date(2019, 9, 14)

    # When two callers reserve on the first day, one gives part back, and one reserves on the next
    store.reserve_x_users(first, "ip:192.0.2.1", 7, DayLimits())
    store.reserve_x_users(first, "arn:aws:iam::111122223333:user/ada", 5, DayLimits())
    after_give_back = store.give_back_x_users(first, "ip:192.0.2.1", 2)
    store.reserve_x_users(second, "ip:192.0.2.1", 3, DayLimits())

    # Then each day has its totals, the service's and each caller's, in one item under a key no pair can have,
    # expiring a week after its day, and the day's callers are listed most first
    assert after_give_back == 5
    assert [store.x_users_billed(first), store.x_users_billed(first, "ip:192.0.2.1"), store.x_users_billed(second)] == [
        10,
        5,
        3,
    ]
    assert store.callers_of_day(first) == [("arn:aws:iam::111122223333:user/ada", 5), ("ip:192.0.2.1", 5)]
    counters = [item for item in client.scan(TableName=TABLE_NAME)["Items"] if "#" not in item["pair"]["S"]]
    assert [item["recorded_at"]["S"] for item in counters] == ["2019-09-13", "2019-09-14"]
    assert int(counters[0]["expires_at"]["N"]) == int(datetime(2019, 9, 21, tzinfo=UTC).timestamp())
    assert [record.verdict for record in every_record(store, PAIR)] == [CONNECTED]


def test_a_reservation_that_would_pass_a_limit_is_refused_and_leaves_both_counts_as_they_were(
    dynamodb: object,
) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME)
    day = date(2019, 9, 13)
    limits = DayLimits(service=10, per_caller=8)
    store.reserve_x_users(day, "ada", 8, limits)

    with pytest.raises(BudgetRefused) as by_caller:
        store.reserve_x_users(day, "ada", 1, limits)
    with pytest.raises(BudgetRefused) as by_service:
        store.reserve_x_users(day, "grace", 3, limits)
    with pytest.raises(BudgetRefused) as larger_than_the_budget:
        store.reserve_x_users(day, "alan", 9, limits)
    store.reserve_x_users(day, "grace", 2, limits)

    assert (by_caller.value.by_caller, by_service.value.by_caller, larger_than_the_budget.value.by_caller) == (
        True,
        False,
        True,
    )
    assert [store.x_users_billed(day, caller) for caller in (None, "ada", "grace", "alan")] == [10, 8, 2, 0]


class ConditionAlwaysFailing:
    """A DynamoDB client whose conditional updates all fail, as they do while other answers' reservations and
    give-backs keep moving a count around its limit; every other call reaches the table."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.updates = 0

    def update_item(self, **_update: Any) -> dict[str, Any]:
        self.updates += 1
        raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "UpdateItem")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_reservation_refused_while_the_counts_show_room_is_tried_again_then_refused_by_the_nearest_budget(
    dynamodb: object,
) -> None:
    # Given ada has 7 of her 10 users, and the service 7 of its 100
    client = boto3.client("dynamodb")
    day = date(2019, 9, 13)
    DynamoDBRegister(client, TABLE_NAME).reserve_x_users(day, "ada", 7, DayLimits())
    failing: Any = ConditionAlwaysFailing(client)

    # When every conditional update of 2 more fails, though each read after it shows room
    with pytest.raises(BudgetRefused) as refused:
        DynamoDBRegister(failing, TABLE_NAME).reserve_x_users(day, "ada", 2, DayLimits(service=100, per_caller=10))

    # Then it was tried again, and is refused by ada's budget, the nearer to its limit; nothing was added
    assert (failing.updates, refused.value.by_caller) == (WRITE_ATTEMPTS, True)
    assert DynamoDBRegister(client, TABLE_NAME).x_users_billed(day, "ada") == 7


def test_a_count_that_cannot_be_written_is_a_register_error(dynamodb: object) -> None:
    with pytest.raises(RegisterUnavailableError, match="count of X users billed"):
        DynamoDBRegister(boto3.client("dynamodb"), "no-such-table").reserve_x_users(
            date(2019, 9, 13), "ada", 1, DayLimits()
        )
