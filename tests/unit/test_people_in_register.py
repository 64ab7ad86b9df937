"""The people in the register, under moto on the table template.yaml defines: every record found by either of
its handles, the objection list, an erasure, and the backfill of records written before the handle index."""

from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from connected.errors import RegisterUnavailableError
from connected.handles import Pair
from connected.models import Verdict
from connected.register import HANDLE_ATTRIBUTES, DynamoDBRegister, Erasure, RegisterAdmin
from connected.spending import DayLimits
from tests.conftest import TABLE_NAME
from tests.support.aws import dynamodb_refusing

DISCONNECTED = Verdict(connected=False)


def on_day(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def stores() -> tuple[DynamoDBRegister, RegisterAdmin]:
    client = boto3.client("dynamodb")
    return DynamoDBRegister(client, TABLE_NAME), RegisterAdmin(
        client, TABLE_NAME, clock=lambda: on_day(date(2026, 12, 2))
    )


def pairs_in_table() -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=TABLE_NAME)["Items"]
    return sorted(item["pair"]["S"] for item in items if "#" in item["pair"]["S"])


def test_a_record_carries_its_two_handles_lower_cased_for_the_indexes(dynamodb: Any) -> None:
    store, _admin = stores()

    store.record(Pair.of("Bob", "ADA"), DISCONNECTED)

    (item,) = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    assert {attribute: item[attribute]["S"] for attribute in HANDLE_ATTRIBUTES} == {
        "first_handle": "ada",
        "second_handle": "bob",
    }


def test_an_erasure_deletes_every_record_naming_the_handle_on_either_side_and_nothing_else(dynamodb: Any) -> None:
    store, admin = stores()
    for dev1, dev2 in [
        ("ada", "bob"),
        ("ADA", "bob"),
        ("carol", "Ada"),
        ("adam", "bob"),
        ("bada", "nada"),
        ("bob", "carol"),
    ]:
        store.record(Pair.of(dev1, dev2), DISCONNECTED)

    with dynamodb_refusing("Scan") as scans:
        erased = stores()[1].erase("aDa")

    assert erased == Erasure(pairs=2, records=3)
    assert scans == []
    assert pairs_in_table() == ["adam#bob", "bada#nada", "bob#carol"]
    assert admin.erase("ada") == Erasure(pairs=0, records=0)


def test_the_objection_list_is_read_for_all_handles_in_one_batch_without_letter_case(dynamodb: Any) -> None:
    store, admin = stores()
    admin.object_to("Ada")
    sent: list[str] = []
    dynamodb.meta.events.register("before-call.dynamodb", lambda model, **_: sent.append(model.name))
    store = DynamoDBRegister(dynamodb, TABLE_NAME)

    objected = store.objected(["ADA", "bob", "carol"])

    assert objected == frozenset({"ada"})
    assert sent == ["BatchGetItem"]
    assert store.objected([]) == frozenset()


def test_an_objection_keeps_the_day_it_was_first_made_and_only_the_handle(dynamodb: Any) -> None:
    _store, admin = stores()

    assert admin.object_to("ada") is True
    later = RegisterAdmin(dynamodb, TABLE_NAME, clock=lambda: on_day(date(2027, 1, 5)))
    assert later.object_to("ADA") is False

    assert admin.objections() == [("ada", date(2026, 12, 2))]
    (item,) = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    assert set(item) == {"pair", "recorded_at", "objected_on"}


def test_a_withdrawn_objection_is_gone_and_says_since_when_it_stood(dynamodb: Any) -> None:
    store, admin = stores()
    admin.object_to("ada")

    assert admin.withdraw_objection("ADA") == date(2026, 12, 2)
    assert admin.withdraw_objection("ada") is None
    assert store.objected(["ada"]) == frozenset()


def test_an_unreadable_objection_list_is_a_register_error_never_an_empty_list(dynamodb: Any) -> None:
    with dynamodb_refusing("BatchGetItem"), pytest.raises(RegisterUnavailableError, match="objection list"):
        stores()[0].objected(["ada"])


def records_without_handles(client: Any, pairs: list[str]) -> None:
    """Records as the register wrote them before the handle index."""
    for number, pair in enumerate(pairs):
        client.put_item(
            TableName=TABLE_NAME,
            Item={
                "pair": {"S": pair},
                "recorded_at": {"S": f"2025-01-01T00:00:00.{number:06d}Z#a"},
                "connected": {"BOOL": False},
            },
        )


def test_the_backfill_indexes_old_records_page_by_page_and_marks_the_table(dynamodb: Any) -> None:
    store, admin = stores()
    records_without_handles(dynamodb, ["ada#bob", "ada#carol", "bob#carol", "ada#dave", "carol#erin"])
    store.record(Pair.of("ada", "erin"), DISCONNECTED)
    store.reserve_x_users(date(2026, 12, 2), "ip:192.0.2.1", 3, DayLimits())
    assert admin.index_complete() is False

    pages = list(admin.backfill_index(page_size=2))

    assert sum(page.records_indexed for page in pages) == 5
    assert [page.resume_at is None for page in pages][-1] is True
    assert len(pages) > 2
    assert admin.index_complete() is True
    assert admin.erase("ada") == Erasure(pairs=4, records=4)
    assert pairs_in_table() == ["bob#carol", "carol#erin"]


def test_an_interrupted_backfill_resumes_where_it_stopped(dynamodb: Any) -> None:
    _store, admin = stores()
    records_without_handles(dynamodb, [f"ada#dev{number}" for number in range(6)])
    first_page = next(admin.backfill_index(page_size=2))

    resumed = list(admin.backfill_index(first_page.resume_at, page_size=2))

    assert first_page.records_indexed + sum(page.records_indexed for page in resumed) == 6
    assert admin.erase("ada").records == 6
