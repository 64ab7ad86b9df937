"""GET /connected/realtime/{dev1}/{dev2}, through the real handler, with GitHub and X faked at the HTTP
layer and the register table under moto."""

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from connected import factory
from connected.register import DynamoDBRegister
from connected.spending import DayLimits
from local.upstreams import ENDPOINTS
from tests.conftest import TABLE_NAME
from tests.support.aws import dynamodb_refusing
from tests.support.faults import FakeUpstreams, reply
from tests.support.handlers import Invoke


def records(register: Invoke, dev1: str, dev2: str) -> list[dict[str, Any]]:
    answer = register(f"/connected/register/{dev1}/{dev2}")
    assert answer.status == 200
    return list(answer.body)


def test_a_fully_connected_pair(upstreams: FakeUpstreams, realtime: Invoke, register: Invoke) -> None:
    upstreams.developer("alice", organisations=["zeta", "Acme", "beta", "Solo"], follows=["bob"])
    upstreams.developer("bob", organisations=["Beta", "Zeta", "acme"], follows=["alice"])

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.body == {"connected": True, "organisations": ["Acme", "beta", "zeta"]}
    (record,) = records(register, "alice", "bob")
    assert record == {"registered_at": record["registered_at"], **answer.body}


def test_a_pair_without_a_common_organisation_is_not_connected_and_reads_no_follow_list(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Other"], follows=["alice"])

    answer = realtime("/connected/realtime/alice/bob")

    assert (answer.status, answer.body) == (200, {"connected": False})
    assert upstreams.count("x_following") + upstreams.count("x_followers") == 0
    assert upstreams.x_users_returned == 0
    assert [record["connected"] for record in records(register, "bob", "alice")] == [False]


def test_stage_one_is_one_x_lookup_and_one_github_call_per_handle(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])

    realtime("/connected/realtime/alice/bob")

    assert upstreams.count("x_users") == 1
    assert upstreams.count("github_orgs") == 2


def test_one_way_follows_are_not_connected(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"])

    assert realtime("/connected/realtime/alice/bob").body == {"connected": False}


def test_unknown_users_are_listed_in_contract_order_as_written(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("alice", organisations=None)
    upstreams.developer("bob", organisations=["Acme"], on_x=False)

    answer = realtime("/connected/realtime/ALICE/Bob")

    assert answer.status == 404
    assert answer.body == {"errors": ["ALICE is no a valid user in github", "Bob is no a valid user in twitter"]}
    assert records(register, "alice", "bob") == []


def test_two_unknown_developers_get_four_errors_in_order(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    answer = realtime("/connected/realtime/ghost1/ghost2")

    assert answer.body == {
        "errors": [
            "ghost1 is no a valid user in github",
            "ghost1 is no a valid user in twitter",
            "ghost2 is no a valid user in github",
            "ghost2 is no a valid user in twitter",
        ]
    }


def test_a_suspended_x_account_is_no_user(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Acme"], suspended=True)

    answer = realtime("/connected/realtime/alice/bob")

    assert (answer.status, answer.body) == (404, {"errors": ["bob is no a valid user in twitter"]})


@pytest.mark.parametrize(
    ("handle", "errors", "github_calls", "x_usernames"),
    [
        ("has_underscore", ["has_underscore is no a valid user in github"], 1, "alice%2Chas_underscore"),
        ("has-dash", ["has-dash is no a valid user in twitter"], 2, "alice"),
        ("sixteen-chars-xx", ["sixteen-chars-xx is no a valid user in twitter"], 2, "alice"),
    ],
)
def test_a_handle_impossible_on_one_service_is_not_sent_to_it(
    upstreams: FakeUpstreams, realtime: Invoke, handle: str, errors: list[str], github_calls: int, x_usernames: str
) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer(handle, organisations=["Acme"])

    answer = realtime(f"/connected/realtime/alice/{handle}")

    assert (answer.status, answer.body) == (404, {"errors": errors})
    assert upstreams.count("github_orgs") == github_calls
    assert str(upstreams.requests["x_users"][0].url).endswith(f"usernames={x_usernames}")


def test_a_handle_impossible_everywhere_makes_no_call_for_it(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"])

    answer = realtime("/connected/realtime/alice/..%2F..%2Fetc")

    assert answer.body == {
        "errors": ["../../etc is no a valid user in github", "../../etc is no a valid user in twitter"]
    }
    assert upstreams.count("github_orgs") == 1


def test_a_character_outside_the_route_pattern_still_gets_the_contract_answer(
    upstreams: FakeUpstreams, realtime: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"])

    answer = realtime('/connected/realtime/alice/a"b')

    assert (answer.status, answer.body) == (
        404,
        {"errors": ['a"b is no a valid user in github', 'a"b is no a valid user in twitter']},
    )


@pytest.mark.parametrize("path", ["/connected/realtime/alice/ALICE", "/connected/realtime/Bob/bOB"])
def test_the_same_handle_twice_is_a_bad_request(upstreams: FakeUpstreams, realtime: Invoke, path: str) -> None:
    answer = realtime(path)

    assert answer.status == 400
    assert "same developer" in answer.body["errors"][0]
    assert upstreams.count("github_orgs") + upstreams.count("x_users") == 0


def test_letter_case_and_order_do_not_change_the_answer_or_the_register(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("Alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["acme"], follows=["alice"])

    first = realtime("/connected/realtime/alice/BOB")
    second = realtime("/connected/realtime/Bob/ALICE")

    assert first.body == second.body == {"connected": True, "organisations": ["Acme"]}
    assert len(records(register, "bob", "alice")) == 2


def test_organisations_over_three_github_pages(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    many = [f"org-{n:03}" for n in range(250)]
    upstreams.developer("alice", organisations=many, follows=["bob"])
    upstreams.developer("bob", organisations=["org-249", "org-000", "org-120"], follows=["alice"])

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.body == {"connected": True, "organisations": ["org-000", "org-120", "org-249"]}
    assert upstreams.count("github_orgs") == 4


def test_follows_found_across_several_x_pages(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=2100, other_followers=2200)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_following=2300, other_followers=2400)
    upstreams.list_named_accounts_last()

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.body == {"connected": True, "organisations": ["Acme"]}
    assert upstreams.count("x_following") == 3
    assert upstreams.count("x_followers") == 3
    assert upstreams.x_users_returned == 2101 + 2201


def test_the_cheaper_list_is_read_and_the_second_direction_skipped_when_the_first_fails(
    upstreams: FakeUpstreams, realtime: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=5000, other_followers=40)
    upstreams.developer("bob", organisations=["Acme"], other_following=30, other_followers=100)

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.body == {"connected": False}
    assert upstreams.count("x_following") == 1
    assert upstreams.count("x_followers") == 0
    assert f"/users/{upstreams.world.x_id('bob')}/following" in str(upstreams.requests["x_following"][0].url)
    assert upstreams.x_users_returned == 30


def test_a_protected_account_is_decided_from_the_other_side(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_following=3000)

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.body == {"connected": True, "organisations": ["Acme"]}
    bob_id = upstreams.world.x_id("bob")
    read = [str(sent.url) for sent in upstreams.requests["x_following"] + upstreams.requests["x_followers"]]
    assert all(f"/users/{bob_id}/" in url for url in read)


def test_two_protected_accounts_cannot_be_decided(upstreams: FakeUpstreams, realtime: Invoke, register: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], protected=True)

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == 422
    assert "both accounts are protected" in answer.body["errors"][0]
    assert records(register, "alice", "bob") == []


def test_an_upstream_failure_beats_an_unknown_user(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.fail_every_time("x_users", reply(500))

    answer = realtime("/connected/realtime/alice/ghost")

    assert answer.status == 502


def test_an_invocation_out_of_time_answers_504_before_lambda_cuts_it_off(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])

    answer = realtime("/connected/realtime/alice/bob", timeout_seconds=2.01)

    assert answer.status == 504
    assert answer.body["errors"][0].endswith("did not answer in time")
    assert upstreams.count("github_orgs") + upstreams.count("x_users") == 0
    assert records(register, "alice", "bob") == []


def test_a_failed_write_is_a_503_not_a_lost_record(upstreams: FakeUpstreams, realtime: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Other"])

    with dynamodb_refusing("PutItem") as refused:
        answer = realtime("/connected/realtime/alice/bob")

    assert refused == ["PutItem"]
    assert answer.status == 503
    assert answer.body == {"errors": ["the register could not record the answer; nothing was stored"]}


def test_many_answers_for_a_pair_are_kept_in_write_order(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    alice = upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    expected = []
    for n in range(12):
        alice.follows = ["bob"] if n % 3 else []
        expected.append(realtime("/connected/realtime/alice/bob").body["connected"])

    history = records(register, "bob", "ALICE")

    assert [record["connected"] for record in history] == expected
    assert [record["registered_at"] for record in history] == sorted(record["registered_at"] for record in history)


def test_an_unknown_route_is_a_404_in_the_errors_format(realtime: Invoke) -> None:
    answer = realtime("/connected/realtime/only-one")

    assert answer.status == 404
    assert answer.body == {"errors": ["no route for GET /connected/realtime/only-one"]}


def test_a_missing_configuration_is_a_500_with_errors_json(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == 500
    assert "TWITTER_BEARER_TOKEN" in answer.body["errors"][0]


def test_a_list_that_became_unreadable_is_decided_from_the_other_accounts_list(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    # Given bob's lists, the cheaper ones, answer only errors since his lookup (he turned protected)
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=40, other_followers=50)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], turns_protected=True)

    # When their answer is asked for
    answer = realtime("/connected/realtime/alice/bob")

    # Then one try of bob's lists is enough to know neither can be read: alice's two lists decide the pair
    assert answer.body == {"connected": True, "organisations": ["Acme"]}
    assert upstreams.count("x_following") + upstreams.count("x_followers") == 3
    assert upstreams.x_users_returned == 41 + 51
    assert len(records(register, "alice", "bob")) == 1


def test_a_list_that_became_unreadable_with_no_other_list_is_a_422_and_no_record(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    # Given alice is protected and bob's lists became unreadable after his lookup
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], turns_protected=True)

    # When their answer is asked for
    answer = realtime("/connected/realtime/alice/bob")

    # Then no direction can be told: a 422 naming whose lists, never a "false" or a 404, and nothing recorded
    assert answer.status == 422
    assert answer.body == {
        "errors": ["cannot tell whether alice follows bob on twitter: bob's lists became unreadable"]
    }
    assert records(register, "alice", "bob") == []


def test_a_github_organisation_is_no_user_and_costs_one_call_more_only_when_its_list_is_empty(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    # Given "github" is an organisation's login (its organisations list is empty) and alice a member of one
    upstreams.developer("alice", organisations=["Acme"], follows=["github"])
    upstreams.developer("github", organisations=[], follows=["alice"], is_organisation=True)

    # When a pair with the organisation is asked for
    answer = realtime("/connected/realtime/alice/github")

    # Then it is no valid user in github, told by one account lookup, for its empty list only
    assert (answer.status, answer.body) == (404, {"errors": ["github is no a valid user in github"]})
    assert [str(sent.url).rsplit("/", 1)[1] for sent in upstreams.requests["github_users"]] == ["github"]
    assert records(register, "alice", "github") == []


def test_a_user_without_organisations_is_a_user_after_one_account_lookup(
    upstreams: FakeUpstreams, realtime: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=[], follows=["alice"])

    answer = realtime("/connected/realtime/alice/bob")

    assert (answer.status, answer.body) == (200, {"connected": False})
    assert upstreams.count("github_users") == 1


def test_with_max_age_a_young_enough_record_is_given_with_its_age_and_no_call(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    # Given a fresh answer recorded for the pair
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    first = realtime("/connected/realtime/alice/bob")
    calls = {endpoint: upstreams.count(endpoint) for endpoint in ENDPOINTS}

    # When the pair is asked again, in the other order, accepting an answer up to an hour old
    again = realtime("/connected/realtime/Bob/alice?max_age=3600&other=ignored")

    # Then the record is the answer, with its age, and neither GitHub nor X is asked, nor a record added
    assert (again.status, again.body) == (200, first.body)
    assert 0 <= int(again.headers["age"]) <= 5
    assert {endpoint: upstreams.count(endpoint) for endpoint in ENDPOINTS} == calls
    assert len(records(register, "alice", "bob")) == 1
    assert "age" not in first.headers


def test_with_max_age_and_no_record_young_enough_the_answer_is_fresh(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke
) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Beta"])

    first = realtime("/connected/realtime/alice/bob?max_age=3600")
    second = realtime("/connected/realtime/alice/bob?max_age=0")

    assert (first.status, second.status) == (200, 200)
    assert "age" not in first.headers
    assert "age" not in second.headers
    assert len(records(register, "alice", "bob")) == 2


@pytest.mark.parametrize("value", ["-1", "soon", "2592001", "1.5", ""])
def test_a_bad_max_age_is_a_400_and_calls_nothing(upstreams: FakeUpstreams, realtime: Invoke, value: str) -> None:
    answer = realtime(f"/connected/realtime/alice/bob?max_age={value}")

    assert answer.status == 400
    assert answer.body == {"errors": ["max_age must be whole seconds from 0 to 2592000"]}
    assert sum(upstreams.count(endpoint) for endpoint in ENDPOINTS) == 0


def test_an_answer_over_the_read_budget_is_a_422_and_no_record(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a read budget of 1,500 users, and two accounts whose lists are longer
    monkeypatch.setenv("MAX_X_USERS_READ", "1500")
    upstreams.developer("alice", organisations=["Acme"], other_following=2000, other_followers=2000)
    upstreams.developer("bob", organisations=["Acme"], other_following=2000, other_followers=2000)

    answer = realtime("/connected/realtime/alice/bob")

    assert answer.status == 422
    assert answer.body == {
        "errors": ["cannot tell whether alice follows bob on twitter within the read budget of 1500 users"]
    }
    assert upstreams.x_users_returned == 0
    assert records(register, "alice", "bob") == []


def test_once_the_days_budget_cannot_cover_an_answer_it_is_503_until_midnight_before_any_x_call(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a daily budget of 100 X users, of which an answer for alice and bob spent 4 (2 looked up, 2 listed)
    monkeypatch.setenv("MAX_X_USERS_READ_PER_DAY", "100")
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    assert realtime("/connected/realtime/alice/bob").status == 200
    store = DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME)
    today = datetime.now(UTC).date()
    assert store.x_users_billed(today) == 4

    # When the day's count comes within one user of the budget, and fresh answers are asked for, then one from
    # the register
    store.reserve_x_users(today, "another caller", 95, DayLimits())
    upstreams.requests.clear()
    fresh = realtime("/connected/realtime/alice/bob")
    remembered = realtime("/connected/realtime/alice/bob?max_age=600")

    # Then the fresh one is refused with Retry-After to midnight UTC before anything is asked of X, the count
    # stays where it was, and the register still answers
    assert (fresh.status, fresh.body) == (503, {"errors": ["the daily twitter read budget is spent"]})
    assert 1 <= int(fresh.headers["retry-after"]) <= 86400
    assert upstreams.count("x_users") == 0
    assert store.x_users_billed(today) == 99
    assert (remembered.status, "age" in remembered.headers) == (200, True)
    assert len(records(register, "alice", "bob")) == 1


def test_a_day_budget_too_small_for_a_follow_list_refuses_before_reading_it_and_counts_the_lookup(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a daily budget of 6 X users, and two developers whose lists X counts at 900 users or more
    monkeypatch.setenv("MAX_X_USERS_READ_PER_DAY", "6")
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_following=1199, other_followers=899)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_following=899, other_followers=899)

    # When a fresh answer is asked for
    answer = realtime("/connected/realtime/alice/bob")

    # Then the lookup is counted, no follow list is read, and the answer is refused
    assert answer.status == 503
    assert upstreams.count("x_following") + upstreams.count("x_followers") == 0
    assert DynamoDBRegister(boto3.client("dynamodb"), TABLE_NAME).x_users_billed(datetime.now(UTC).date()) == 2


def test_two_impossible_handles_are_refused_before_credentials_are_loaded(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a new stack whose secret is still empty
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:000000000000:secret:nothing")

    answer = realtime("/connected/realtime/no.such.dev/nor.this.one")

    assert answer.status == 404
    assert answer.body["errors"] == [
        "no.such.dev is no a valid user in github",
        "no.such.dev is no a valid user in twitter",
        "nor.this.one is no a valid user in github",
        "nor.this.one is no a valid user in twitter",
    ]
    assert sum(upstreams.count(endpoint) for endpoint in ENDPOINTS) == 0


def test_an_answer_from_the_register_needs_no_credentials(
    upstreams: FakeUpstreams, realtime: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a recorded answer, then a container whose credentials secret cannot be read
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Beta"])
    assert realtime("/connected/realtime/alice/bob").status == 200
    factory.reset()
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:000000000000:secret:gone")

    # When the pair is asked with max_age, then without
    remembered = realtime("/connected/realtime/alice/bob?max_age=600")
    fresh = realtime("/connected/realtime/alice/bob")

    # Then the register answers without the tokens; a fresh answer needs them
    assert (remembered.status, remembered.body, "age" in remembered.headers) == (200, {"connected": False}, True)
    assert fresh.status == 502
    assert fresh.body == {"errors": ["secrets manager failed: the credentials secret could not be read"]}
