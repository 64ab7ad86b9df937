"""Many containers answering for one pair at once, on a real DynamoDB server (dynalite): no record is lost,
none overwrites another, and the register keeps them in the order they were written."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from connected.connection import ConnectionService
from connected.handles import Pair
from connected.register import DynamoDBRegister
from local.dynamodb import dynalite_node, ensure_register_table, start_dynalite
from local.world import Developer, World, WorldGitHub, WorldX

pytestmark = pytest.mark.server

CALLS = 200
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
    service = ConnectionService(WorldGitHub(world), WorldX(world), store, ThreadPoolExecutor(max_workers=4))
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
