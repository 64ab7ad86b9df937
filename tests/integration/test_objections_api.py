"""A developer who asked not to be looked up, through the real handlers, with GitHub and X faked at the HTTP
layer and the register table under moto: never looked up, nothing recorded, nothing read, nothing billed."""

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from connected import factory
from connected.handles import Pair
from connected.register import SPEND_PARTITION, DynamoDBRegister, RegisterAdmin
from scripts import register_admin
from tests.conftest import TABLE_NAME
from tests.support.aws import dynamodb_refusing
from tests.support.faults import FakeUpstreams
from tests.support.handlers import Invoke

OBJECTED = {"errors": ["a developer of this pair asked not to be looked up"]}


def upstream_requests(upstreams: FakeUpstreams) -> list[str]:
    return [str(request.url) for sent in upstreams.requests.values() for request in sent]


def stored(dev1: str, dev2: str) -> list[Any]:
    return list(DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).records(Pair.of(dev1, dev2)))


def day_counters() -> list[Any]:
    items = boto3.client("dynamodb").scan(TableName=TABLE_NAME)["Items"]
    return [item for item in items if item["pair"]["S"] == SPEND_PARTITION]


@pytest.fixture
def ada_objected(dynamodb: Any, upstreams: FakeUpstreams) -> None:
    upstreams.developer("ada", organisations=["pioneers"], follows=["grace", "alan"])
    upstreams.developer("grace", organisations=["pioneers"], follows=["ada", "alan"])
    upstreams.developer("alan", organisations=["pioneers"], follows=["ada", "grace"])
    RegisterAdmin(dynamodb, TABLE_NAME).object_to("ada")


@pytest.mark.parametrize("path", ["ADA/grace", "grace/ada", "grace/Ada?max_age=600"])
def test_a_pair_naming_an_objector_is_451_whichever_it_is_with_nothing_asked_recorded_or_billed(
    ada_objected: None, upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # Given a daily X budget, so that any X read would be counted
    monkeypatch.setenv("MAX_X_USERS_READ_PER_DAY", "1000")

    # When a pair naming ada is asked for, fresh or from the register
    answer = realtime(f"/connected/realtime/{path}")

    # Then it is refused in words that do not say who objected, and nothing else happened
    assert (answer.status, answer.body) == (451, OBJECTED)
    assert upstream_requests(upstreams) == []
    assert stored("ada", "grace") == []
    assert day_counters() == []


def test_the_register_of_a_pair_naming_an_objector_is_451(ada_objected: None, register: Invoke) -> None:
    answer = register("/connected/register/grace/ADA")

    assert (answer.status, answer.body) == (451, OBJECTED)


def test_a_team_is_answered_for_its_other_pairs_and_the_objector_is_never_sent_upstream(
    ada_objected: None, upstreams: FakeUpstreams, realtime: Invoke
) -> None:
    answer = realtime("/connected/team/grace,Ada,alan")

    assert answer.status == 200
    assert answer.body == {
        "pairs": [{"dev1": "grace", "dev2": "alan", "connected": True, "organisations": ["pioneers"]}],
        "undecided": [
            {"dev1": "grace", "dev2": "Ada", "reason": OBJECTED["errors"][0]},
            {"dev1": "Ada", "dev2": "alan", "reason": OBJECTED["errors"][0]},
        ],
    }
    assert [url for url in upstream_requests(upstreams) if "ada" in url.lower()] == []
    assert stored("ada", "grace") == stored("ada", "alan") == []
    assert len(stored("grace", "alan")) == 1


def test_an_objection_list_that_cannot_be_read_is_a_503_with_nothing_asked_or_recorded(
    ada_objected: None, upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    with dynamodb_refusing("BatchGetItem"):
        pair = realtime("/connected/realtime/grace/alan")
        team = realtime("/connected/team/grace,alan")
        history = register("/connected/register/grace/alan")

    unreadable = {"errors": ["the objection list could not be read; nothing was looked up"]}
    assert [(pair.status, pair.body), (team.status, team.body), (history.status, history.body)] == [
        (503, unreadable)
    ] * 3
    assert upstream_requests(upstreams) == []
    assert stored("grace", "alan") == []


def test_a_withdrawn_objection_lets_the_developer_be_looked_up_again(
    ada_objected: None, realtime: Invoke, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given ada objected, and a container that has read the objection
    assert realtime("/connected/realtime/ada/grace").status == 451
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    capsys.readouterr()
    assert register_admin.main(["objections"]) == 0
    assert capsys.readouterr().out == f"ada\t{datetime.now(UTC).date().isoformat()}\n"

    # When the objection is withdrawn, and a minute has passed (a container keeps what it read that long)
    assert register_admin.main(["unforget", "Ada"]) == 0
    factory.reset()

    # Then ada is looked up again, and the command said what it did
    assert realtime("/connected/realtime/ada/grace").body == {"connected": True, "organisations": ["pioneers"]}
    assert "ada is off the objection list (on it since" in capsys.readouterr().out
    assert register_admin.main(["unforget", "ada"]) == 0
    assert "ada was not on the objection list" in capsys.readouterr().out
    assert register_admin.main(["objections"]) == 0
    assert capsys.readouterr().out == ""
