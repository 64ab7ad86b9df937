"""GET /connected/register/{dev1}/{dev2}, through the real handler, on the moto table."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from connected.handles import Pair
from connected.models import Verdict
from connected.register import DynamoDBRegister
from tests.conftest import TABLE_NAME
from tests.support.aws import dynamodb_refusing
from tests.support.handlers import Invoke


@pytest.fixture
def store(dynamodb: object) -> DynamoDBRegister:
    ticks = count()
    start = datetime(2019, 9, 13, 9, 30, tzinfo=UTC)
    return DynamoDBRegister(dynamodb, TABLE_NAME, clock=lambda: start + timedelta(minutes=next(ticks)))  # type: ignore[arg-type]


def test_an_empty_register_is_an_empty_array(register: Invoke) -> None:
    answer = register("/connected/register/alice/bob")

    assert (answer.status, answer.body) == (200, [])


def test_records_come_back_oldest_first_in_the_contract_shape(register: Invoke, store: DynamoDBRegister) -> None:
    store.record(Pair.of("alice", "bob"), Verdict(connected=False))
    store.record(Pair.of("alice", "bob"), Verdict(connected=True, organisations=("Acme", "beta")))

    answer = register("/connected/register/alice/bob")

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.body == [
        {"registered_at": "2019-09-13T09:30:00Z", "connected": False},
        {"registered_at": "2019-09-13T09:31:00Z", "connected": True, "organisations": ["Acme", "beta"]},
    ]


@pytest.mark.parametrize("path", ["/connected/register/BOB/Alice", "/connected/register/alice/BOB"])
def test_order_and_letter_case_give_the_same_records(register: Invoke, store: DynamoDBRegister, path: str) -> None:
    store.record(Pair.of("alice", "bob"), Verdict(connected=False))

    assert register(path).body == [{"registered_at": "2019-09-13T09:30:00Z", "connected": False}]


def test_every_record_of_a_long_history_is_returned(register: Invoke, store: DynamoDBRegister) -> None:
    for _ in range(150):
        store.record(Pair.of("alice", "bob"), Verdict(connected=True, organisations=("Acme",)))

    body = register("/connected/register/alice/bob").body

    assert len(body) == 150
    assert body[0]["registered_at"] == "2019-09-13T09:30:00Z"
    assert body[-1]["registered_at"] == "2019-09-13T11:59:00Z"


def test_the_same_handle_twice_is_a_bad_request(register: Invoke) -> None:
    answer = register("/connected/register/alice/ALICE")

    assert answer.status == 400
    assert "same developer" in answer.body["errors"][0]


def test_a_handle_no_service_allows_is_a_bad_request(register: Invoke) -> None:
    answer = register("/connected/register/alice/a.b")

    assert (answer.status, answer.body) == (400, {"errors": ["a.b is not a valid handle on github or twitter"]})


def test_an_unreadable_register_is_a_503(register: Invoke) -> None:
    with dynamodb_refusing("Query"):
        answer = register("/connected/register/alice/bob")

    assert (answer.status, answer.body) == (503, {"errors": ["the register could not be read"]})
