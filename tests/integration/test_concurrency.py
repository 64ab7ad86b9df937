"""Many containers answering at once, on a real DynamoDB server (dynalite): no record is lost, none overwrites
another, the register keeps them in the order they were written, and no day budget is ever overshot."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from connected.connection import ConnectionService
from connected.credentials import Credentials
from connected.errors import CallerBudgetSpentError
from connected.factory import real_upstreams
from connected.handles import Pair
from connected.ports import Upstreams
from connected.register import DynamoDBRegister
from connected.settings import Settings
from connected.spending import DayLimits, Spending, spending_of
from local.dynamodb import dynalite_node, ensure_register_table, start_dynalite
from local.world import Developer, World
from tests.support.faults import FakeUpstreams
from tests.support.world import WorldGitHub, WorldX

pytestmark = pytest.mark.server

CALLS = 200
CALLERS = 50
TABLE = "connected-register-concurrency"


@pytest.fixture
def dynalite(tmp_path: Path) -> Iterator[str]:
    database = start_dynalite(dynalite_node(), tmp_path)
    try:
        ensure_register_table(database.endpoint, TABLE)
        yield database.endpoint
    finally:
        database.stop()


def test_concurrent_answers_for_one_pair_are_all_kept_distinct_and_in_write_order(dynalite: str) -> None:
    world = World()
    world.add(Developer("alice", organisations=["Acme"], follows=["bob"]))
    world.add(Developer("bob", organisations=["Acme"], follows=["alice"]))
    client = boto3.client("dynamodb", endpoint_url=dynalite, config=Config(max_pool_connections=CALLS))
    store = DynamoDBRegister(client, TABLE)
    service = ConnectionService(Upstreams(WorldGitHub(world), WorldX(world)), store, ThreadPoolExecutor(max_workers=4))
    start_together = threading.Barrier(CALLS)

    def answer(_call: int) -> bool:
        start_together.wait()
        return service.answer("alice", "bob").verdict.connected

    with ThreadPoolExecutor(max_workers=CALLS) as callers:
        answers = list(callers.map(answer, range(CALLS)))
    stored = list(store.records(Pair.of("bob", "alice")))
    written = sorted(record.registered_at for _position, record in stored)

    assert answers == [True] * CALLS
    assert len(stored) == CALLS
    assert len({position for position, _record in stored}) == CALLS
    assert [record.registered_at for _position, record in stored] == written


def test_concurrent_answers_of_one_caller_never_spend_past_its_budget_and_are_counted_user_for_user(
    dynalite: str, upstreams: FakeUpstreams
) -> None:
    # Given a caller whose budget of 150 X users covers some of 50 answers that bill 4 each (2 looked up, 2 listed)
    # and reserve up to 24 while they run (each list page, the list's count and 10 more), and the real X client
    # over the fake X
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    client = boto3.client("dynamodb", endpoint_url=dynalite, config=Config(max_pool_connections=CALLERS * 2))
    store = DynamoDBRegister(client, TABLE)
    clients = real_upstreams(Settings(table_name=TABLE), Credentials("x-bearer-token-for-tests", "github-token"))
    service = ConnectionService(clients, store, ThreadPoolExecutor(max_workers=CALLERS))
    limits = DayLimits(service=100_000, per_caller=150)
    start_together = threading.Barrier(CALLERS)

    def answer(_call: int) -> str:
        start_together.wait()
        spending = Spending(lambda: store, "ip:192.0.2.1", lambda: limits, ignore_trouble)
        try:
            with spending_of(spending):
                service.answer("alice", "bob")
        except CallerBudgetSpentError:
            return "refused"
        return "answered"

    # When 50 answers are asked for at once
    with ThreadPoolExecutor(max_workers=CALLERS) as callers:
        outcomes = list(callers.map(answer, range(CALLERS)))

    # Then some are refused (all 50 would bill 200; which get through depends on how their reservations
    # interleave), X never returned more users than the budget, and both day counters hold exactly what X
    # returned
    returned = upstreams.x_users_looked_up + upstreams.x_users_returned
    today = datetime.now(UTC).date()
    assert "refused" in outcomes
    assert returned <= limits.per_caller
    assert store.x_users_billed(today, "ip:192.0.2.1") == returned
    assert store.x_users_billed(today) == returned


def ignore_trouble(operation: str, error: Exception) -> None:
    raise AssertionError(f"the register failed to {operation}: {error}")
