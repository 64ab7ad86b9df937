"""GET /connected/team/{handles}, through the real handler, with GitHub and X faked at the HTTP layer and the
register table under moto."""

from collections import Counter
from itertools import combinations
from typing import Any
from urllib.parse import urlsplit

import pytest

from connected import factory
from connected.register import DynamoDBRegister
from tests.support.faults import FakeUpstreams
from tests.support.handlers import Invoke

TEN = ["ada", "grace", "alan", "linus", "margaret", "katherine", "guido", "barbara", "dennis", "ken"]


def lists_read(upstreams: FakeUpstreams) -> list[str]:
    return [
        f"{urlsplit(str(request.url)).path.split('/')[3]}/{endpoint}"
        for endpoint in ("x_following", "x_followers")
        for request in upstreams.requests[endpoint]
        if "pagination_token" not in str(request.url)
    ]


def test_every_pair_once_in_the_order_the_handles_were_given_each_recorded(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    # Given ada and grace follow each other and share an organisation; alan shares none
    upstreams.developer("ada", organisations=["pioneers"], follows=["grace"])
    upstreams.developer("Grace", organisations=["Pioneers", "navy"], follows=["ada"])
    upstreams.developer("alan", organisations=["bletchley"], follows=["ada"])

    # When the team is asked about, handles as the caller writes them
    answer = realtime("/connected/team/Ada,grace,ALAN")

    # Then each pair comes once, in handle order, handles as written, and each is recorded as a pair answer
    assert answer.status == 200
    assert answer.body == {
        "pairs": [
            {"dev1": "Ada", "dev2": "grace", "connected": True, "organisations": ["pioneers"]},
            {"dev1": "Ada", "dev2": "ALAN", "connected": False},
            {"dev1": "grace", "dev2": "ALAN", "connected": False},
        ]
    }
    assert [
        len(register(f"/connected/register/{a}/{b}").body) for a, b in combinations(["ada", "grace", "alan"], 2)
    ] == [1, 1, 1]
    assert upstreams.count("x_users") == 1
    assert upstreams.count("github_orgs") == 3


@pytest.mark.parametrize(
    ("handles", "message"),
    [
        ("ada", "a team is 2 to 20 comma-separated handles, not 1"),
        (",".join(f"dev{n}" for n in range(21)), "a team is 2 to 20 comma-separated handles, not 21"),
        ("ada,,grace", "an empty handle in the team 'ada,,grace': separate handles with single commas"),
        ("ada,grace,", "an empty handle in the team 'ada,grace,': separate handles with single commas"),
        ("ada,grace,ADA", "ada and ADA are the same developer: give two different handles"),
    ],
)
def test_a_bad_team_is_a_400_and_calls_nothing(
    upstreams: FakeUpstreams, realtime: Invoke, handles: str, message: str
) -> None:
    answer = realtime(f"/connected/team/{handles}")

    assert (answer.status, answer.body) == (400, {"errors": [message]})
    assert upstreams.count("x_users") + upstreams.count("github_orgs") == 0


def test_unknown_users_are_a_404_in_handle_order_github_before_twitter(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("ada", organisations=["pioneers"])
    upstreams.developer("ghost", on_x=False, organisations=["pioneers"])

    answer = realtime("/connected/team/nobody,ada,ghost,x.y")

    assert answer.status == 404
    assert answer.body == {
        "errors": [
            "nobody is no a valid user in github",
            "nobody is no a valid user in twitter",
            "ghost is no a valid user in twitter",
            "x.y is no a valid user in github",
            "x.y is no a valid user in twitter",
        ]
    }
    assert register("/connected/register/ada/ghost").body == []


def test_pairs_that_cannot_be_told_are_listed_undecided_with_their_reason_and_not_recorded(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("ada", organisations=["pioneers"], follows=["grace"], protected=True)
    upstreams.developer("grace", organisations=["pioneers"], follows=["ada", "ken"])
    upstreams.developer("ken", organisations=["pioneers"], follows=["ada", "grace"], protected=True)

    answer = realtime("/connected/team/ada,grace,ken")

    assert answer.status == 200
    assert answer.body == {
        "pairs": [
            {"dev1": "ada", "dev2": "grace", "connected": True, "organisations": ["pioneers"]},
            {"dev1": "grace", "dev2": "ken", "connected": True, "organisations": ["pioneers"]},
        ],
        "undecided": [
            {
                "dev1": "ada",
                "dev2": "ken",
                "reason": "cannot tell whether ada and ken follow each other on twitter: both accounts are protected",
            }
        ],
    }
    assert register("/connected/register/ada/ken").body == []


def test_a_team_of_ten_reads_each_list_at_most_once_and_far_fewer_users_than_45_pair_answers(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ten developers of one organisation, each following the others, with 1,500 followers and following,
    # and no read budget (a team of lists that long needs more than the default 5,000 users)
    monkeypatch.setenv("MAX_X_USERS_READ", "0")
    monkeypatch.setenv("MAX_X_USERS_READ_PER_DAY", "0")
    monkeypatch.setenv("MAX_X_USERS_READ_PER_CALLER_PER_DAY", "0")
    for handle in TEN:
        upstreams.developer(
            handle,
            organisations=["pioneers"],
            follows=[other for other in TEN if other != handle],
            other_following=1500,
            other_followers=1500,
        )
    upstreams.list_named_accounts_last()

    # When the team is asked about at once
    team = realtime(f"/connected/team/{','.join(TEN)}")
    team_users_read = upstreams.x_users_returned
    team_lists = lists_read(upstreams)

    # And, for comparison, the 45 pairs one by one
    for first, second in combinations(TEN, 2):
        assert realtime(f"/connected/realtime/{first}/{second}").body["connected"] is True
    pair_users_read = upstreams.x_users_returned - team_users_read

    # Then all 45 pairs are connected, no list was read twice, and the team read a fraction of the users
    assert team.status == 200
    assert len(team.body["pairs"]) == 45
    assert all(pair["connected"] for pair in team.body["pairs"])
    assert Counter(team_lists).most_common(1)[0][1] == 1
    assert len(team_lists) <= 2 * len(TEN)
    assert team_users_read * 4 < pair_users_read


def test_if_some_records_cannot_be_written_the_answer_is_a_503_saying_how_many_were(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstreams.developer("ada", organisations=["pioneers"])
    upstreams.developer("grace", organisations=["navy"])
    upstreams.developer("alan", organisations=["bletchley"])
    record = DynamoDBRegister.record

    def failing_for_alan_and_grace(store: DynamoDBRegister, pair: Any, verdict: Any) -> Any:
        if pair.key == "alan#grace":
            raise_unavailable()
        return record(store, pair, verdict)

    monkeypatch.setattr(DynamoDBRegister, "record", failing_for_alan_and_grace)

    answer = realtime("/connected/team/ada,grace,alan")

    assert answer.status == 503
    assert answer.body == {"errors": ["the register recorded 2 of the 3 pairs decided; the answer is not given"]}


def raise_unavailable() -> None:
    from connected.errors import RegisterUnavailableError

    raise RegisterUnavailableError("the register could not record the answer; nothing was stored")


def test_with_max_age_young_pairs_come_from_the_register_and_only_the_others_are_looked_up(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("ada", organisations=["pioneers"], follows=["grace"])
    upstreams.developer("grace", organisations=["pioneers"], follows=["ada"])
    upstreams.developer("alan", organisations=["bletchley"])
    realtime("/connected/realtime/ada/grace")
    upstreams.requests.clear()

    answer = realtime("/connected/team/ada,grace,alan?max_age=3600")

    assert answer.status == 200
    assert answer.body["pairs"][0] == {"dev1": "ada", "dev2": "grace", "connected": True, "organisations": ["pioneers"]}
    assert sorted(str(request.url).split("/")[4] for request in upstreams.requests["github_orgs"]) == [
        "ada",
        "alan",
        "grace",
    ]
    assert len(register("/connected/register/ada/grace").body) == 1
    assert len(register("/connected/register/ada/alan").body) == 1


def test_the_read_budget_covers_the_whole_team(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_X_USERS_READ", "2500")
    for handle in ("ada", "grace", "alan"):
        upstreams.developer(
            handle,
            organisations=["pioneers"],
            follows=[other for other in ("ada", "grace", "alan") if other != handle],
            other_following=1000,
            other_followers=1000,
        )

    answer = realtime("/connected/team/ada,grace,alan")

    assert answer.status == 200
    assert upstreams.x_users_returned <= 2500
    assert answer.body["undecided"]
    assert all("within the read budget of 2500 users" in pair["reason"] for pair in answer.body["undecided"])


def test_a_team_whose_pairs_are_all_in_the_register_needs_no_credentials(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a recorded team answer, then a container whose credentials secret cannot be read
    for name in ("ada", "grace", "alan"):
        upstreams.developer(name, organisations=["pioneers"], follows=["ada", "grace", "alan"])
    assert realtime("/connected/team/ada,grace,alan").status == 200
    factory.reset()
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:000000000000:secret:gone")
    upstreams.requests.clear()

    # When the team is asked with max_age
    remembered = realtime("/connected/team/ada,grace,alan?max_age=600")

    # Then every pair comes from the register, with no token and no upstream call
    assert remembered.status == 200
    assert [pair["connected"] for pair in remembered.body["pairs"]] == [True, True, True]
    assert sum(len(sent) for sent in upstreams.requests.values()) == 0
