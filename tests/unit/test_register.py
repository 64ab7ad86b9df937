"""The DynamoDB register under moto, on the table template.yaml defines."""

from datetime import UTC, datetime
from itertools import count

import boto3
import pytest

from connected.errors import RegisterUnavailableError
from connected.handles import Pair
from connected.models import Verdict
from connected.register import DynamoDBRegister
from tests.conftest import TABLE_NAME

PAIR = Pair.of("alice", "bob")
CONNECTED = Verdict(connected=True, organisations=("Acme", "beta"))


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

    history = [record.to_json() for record in store.history(Pair.of("BOB", "Alice"))]

    assert history == [
        {"registered_at": "2019-09-13T09:30:59Z", "connected": False},
        {"registered_at": "2020-01-01T00:00:00Z", "connected": True, "organisations": ["Acme", "beta"]},
    ]


def test_writes_in_the_same_microsecond_are_all_kept(dynamodb: object) -> None:
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=fixed_clock)

    for _ in range(5):
        store.record(PAIR, CONNECTED)

    assert len(store.history(PAIR)) == 5


def test_a_colliding_sort_key_is_never_overwritten_but_retried(dynamodb: object) -> None:
    suffixes = iter(["same", "same", "other"])
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME, clock=fixed_clock, suffix=lambda: next(suffixes))
    store.record(PAIR, Verdict(connected=False))

    store.record(PAIR, CONNECTED)

    assert {record.verdict for record in store.history(PAIR)} == {Verdict(connected=False), CONNECTED}


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

    assert store.history(Pair.of("alice", "carol")) == []


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

    history = store.history(PAIR)

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

    assert [record.verdict for record in store.history(PAIR)] == [Verdict(connected=False)]


def test_the_health_check_passes_on_a_reachable_table(dynamodb: object) -> None:
    DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).check()


def test_the_health_check_fails_on_a_missing_table(dynamodb: object) -> None:
    with pytest.raises(RegisterUnavailableError, match="cannot be reached"):
        DynamoDBRegister(boto3.client("dynamodb"), "no-such-table").check()
