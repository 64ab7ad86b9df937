"""`make forget` on a real DynamoDB server (dynalite): a register of thousands of records, of which a few
name one developer in every letter case, written by pair and team answers through the real handlers."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from connected import factory
from connected.handles import Pair
from connected.register import HANDLE_ATTRIBUTES, RegisterAdmin
from local.dynamodb import LOCAL_TABLE_NAME, dynalite_node, ensure_register_table, publish_endpoint, start_dynalite
from scripts import register_admin
from tests.support.aws import dynamodb_refusing
from tests.support.faults import FakeUpstreams
from tests.support.handlers import Invoke, invoker

pytestmark = pytest.mark.server

TABLE = "connected-register-erasure"
OTHER_RECORDS = 5000
LOOKALIKES = ["adam", "ada_", "bada", "nada", "ad", "adaa"]


@pytest.fixture(autouse=True)
def environment_restored() -> Iterator[None]:
    """The commands set up their process's environment, as a command does (the DynamoDB endpoint, dummy
    credentials): the tests' process gets its own back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def dynalite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    database = start_dynalite(dynalite_node(), tmp_path)
    try:
        ensure_register_table(database.endpoint, TABLE)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", database.endpoint)
        monkeypatch.setenv("TABLE_NAME", TABLE)
        monkeypatch.setenv("SETTLE_SECONDS", "0")
        factory.reset()
        yield boto3.client("dynamodb", endpoint_url=database.endpoint)
    finally:
        database.stop()


def other_pairs_recorded(client: Any, count: int) -> None:
    """`count` records of pairs that do not name ada, some of them handles that look like hers."""
    handles = LOOKALIKES + [f"dev{number}" for number in range(100)]
    items = []
    for number in range(count):
        pair = Pair.of(handles[number % len(handles)], handles[(number * 7 + 1) % len(handles)] + "x")
        items.append(
            {
                "pair": {"S": pair.key},
                "recorded_at": {"S": f"2026-01-01T00:00:00.{number:06d}Z#filler"},
                HANDLE_ATTRIBUTES[0]: {"S": pair.first},
                HANDLE_ATTRIBUTES[1]: {"S": pair.second},
                "connected": {"BOOL": False},
            }
        )
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        assert not client.batch_write_item(RequestItems={TABLE: batch}).get("UnprocessedItems")


def every_pair(client: Any) -> list[str]:
    pages = client.get_paginator("scan").paginate(TableName=TABLE)
    return [item["pair"]["S"] for page in pages for item in page["Items"] if "#" in item["pair"]["S"]]


def test_forget_deletes_exactly_the_records_naming_the_handle_without_a_scan_and_stops_lookups(
    dynalite: Any, upstreams: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given 5,000 records of other pairs, and 30 naming ada in mixed letter case, from pair and team answers
    for name in ["ada", "bob", "carol", "dave", "erin", "frank", "grace"]:
        upstreams.developer(name, organisations=["pioneers"], follows=["ada", "bob", "carol", "erin", "grace"])
    realtime, register = invoker("realtime"), invoker("register")
    answers = [f"/connected/realtime/{pair}" for pair in ["Ada/bob", "carol/ADA", "aDa/dave"] for _ in range(5)]
    answers += ["/connected/team/ada,Erin,frank"] * 5 + ["/connected/team/grace,ADA"] * 5
    assert {realtime(path).status for path in answers} == {200}
    other_pairs_recorded(dynalite, OTHER_RECORDS)
    before = every_pair(dynalite)
    naming_ada = [pair for pair in before if "ada" in pair.split("#")]
    assert (len(before), len(naming_ada)) == (OTHER_RECORDS + 35, 30)

    # When ada is forgotten, twice, with every Scan refused
    with dynamodb_refusing("Scan") as scans:
        first = register_admin.main(["forget", "Ada"])
        first_said = capsys.readouterr().out
        second = register_admin.main(["forget", "ada"])
        second_said = capsys.readouterr().out

    # Then exactly those 30 records are gone, nothing else, and the second run deleted nothing
    assert (first, second, scans) == (0, 0, [])
    assert f"{TABLE}: 6 pairs named ada; 30 records deleted" in first_said
    assert "second pass: 0 records deleted" in first_said
    assert f"{TABLE}: 0 pairs named ada; 0 records deleted" in second_said
    assert "ada was already on the objection list" in second_said
    assert sorted(every_pair(dynalite)) == sorted(pair for pair in before if pair not in naming_ada)

    # And, once a container's minute of the objection list has passed, ada is never looked up again, nor her
    # register read
    factory.reset()
    upstreams.requests.clear()
    assert assert_objected(realtime, "/connected/realtime/ada/bob")
    assert assert_objected(register, "/connected/register/BOB/ada")
    assert upstreams.requests == {}


def assert_objected(invoke: Invoke, path: str) -> bool:
    answer = invoke(path)
    return (answer.status, answer.body) == (451, {"errors": ["a developer of this pair asked not to be looked up"]})


def test_with_local_the_commands_work_on_the_register_of_make_run_even_when_it_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SETTLE_SECONDS", "0")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)

    assert register_admin.main(["--local", "forget", "ada"]) == 0
    assert register_admin.main(["--local", "unforget", "ada"]) == 0

    said = capsys.readouterr().out
    assert f"{LOCAL_TABLE_NAME}: 0 pairs named ada; 0 records deleted" in said
    assert "ada is off the objection list (on it since" in said


def test_with_local_the_commands_use_the_database_of_a_running_make_run(
    dynalite: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a local run serving its register from a database whose folder it holds
    endpoint = dynalite.meta.endpoint_url
    ensure_register_table(endpoint)
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB")
    unpublish = publish_endpoint(tmp_path, endpoint)
    RegisterAdmin(dynalite, LOCAL_TABLE_NAME).object_to("ada")

    # When an objection is withdrawn with LOCAL=1
    withdrawn = register_admin.main(["--local", "unforget", "ada"])
    unpublish()

    # Then the running database was used
    assert withdrawn == 0
    assert "ada is off the objection list" in capsys.readouterr().out
    assert RegisterAdmin(dynalite, LOCAL_TABLE_NAME).objections() == []
