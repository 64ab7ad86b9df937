"""The connection check against in-memory GitHub and X: which calls it makes, what it reads, what it records."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from connected.connection import ConnectionService, common_organisations
from connected.errors import (
    FollowsUnreadableError,
    ListUnreadableError,
    OverBudgetError,
    RegisterUnavailableError,
    SameHandleError,
    UnknownUsersError,
    UpstreamError,
)
from connected.models import Verdict
from connected.ports import Upstreams
from local.world import Developer, World
from tests.support.world import InMemoryRegister, WorldGitHub, WorldX


class Harness:
    def __init__(self, max_x_users_read: int = 0) -> None:
        self.world = World()
        self.github = WorldGitHub(self.world)
        self.x = WorldX(self.world)
        self.register = InMemoryRegister()
        self.troubles: list[str] = []
        self.service = ConnectionService(
            Upstreams(self.github, self.x),
            self.register,
            ThreadPoolExecutor(max_workers=2),
            max_x_users_read,
            on_register_trouble=lambda operation, _error: self.troubles.append(operation),
        )

    def developer(self, handle: str, **details: Any) -> Developer:
        return self.world.add(Developer(handle, **details))


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_mutual_followers_in_a_common_organisation_are_connected(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme", "Zeta"], follows=["bob"])
    harness.developer("bob", organisations=["Acme", "Other"], follows=["alice"])

    answer = harness.service.answer("alice", "bob")

    assert answer.verdict == Verdict(connected=True, organisations=("Acme",))
    assert harness.register.count == 1


def test_disjoint_organisations_read_no_follow_list(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"])
    harness.developer("bob", organisations=["Other"], follows=["alice"])

    answer = harness.service.answer("alice", "bob")

    assert answer.verdict == Verdict(connected=False)
    assert harness.x.lists_read == []
    assert answer.follow_reads == ()
    assert harness.register.count == 1


def test_stage_one_is_two_github_calls_and_one_x_lookup(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"])
    harness.developer("bob", organisations=["Acme"])

    harness.service.answer("alice", "bob")

    assert sorted(harness.github.calls) == ["alice", "bob"]
    assert harness.x.lookups == [["alice", "bob"]]


def test_a_one_way_follow_is_not_a_connection(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"])
    harness.developer("bob", organisations=["Acme"])

    assert harness.service.answer("alice", "bob").verdict == Verdict(connected=False)


def test_the_second_direction_is_skipped_when_the_first_does_not_hold(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"], other_following=50)
    harness.developer("bob", organisations=["Acme"], other_following=10, other_followers=20)

    answer = harness.service.answer("alice", "bob")

    assert answer.verdict == Verdict(connected=False)
    assert len(answer.follow_reads) == 1
    assert answer.follow_reads[0].list_read == "alice/followers"


def test_each_direction_is_read_from_the_shorter_list(harness: Harness) -> None:
    """A follows 5,000, B has 3 followers (A among them); B follows A, A has 4 followers."""
    harness.developer("a", organisations=["Acme"], follows=["b"], other_following=4999, other_followers=3)
    harness.developer("b", organisations=["Acme"], follows=["a"], other_following=100, other_followers=2)

    answer = harness.service.answer("a", "b")

    assert answer.verdict.connected
    assert sorted(read.list_read for read in answer.follow_reads) == ["a/followers", "b/followers"]
    assert sum(read.users_read for read in answer.follow_reads) <= 10


def test_the_cheaper_direction_is_read_first(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], other_following=300, other_followers=300)
    harness.developer("bob", organisations=["Acme"], other_following=5, other_followers=400)

    answer = harness.service.answer("alice", "bob")

    assert [read.list_read for read in answer.follow_reads] == ["bob/following"]


def test_a_protected_account_is_decided_from_the_other_side(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], other_following=9000, other_followers=9000)

    answer = harness.service.answer("alice", "bob")

    assert answer.verdict.connected
    assert sorted(read.list_read for read in answer.follow_reads) == ["bob/followers", "bob/following"]


def test_two_protected_accounts_cannot_be_decided_and_nothing_is_recorded(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], protected=True)

    with pytest.raises(FollowsUnreadableError):
        harness.service.answer("alice", "bob")

    assert harness.x.lists_read == []
    assert harness.register.count == 0


def test_unknown_users_are_listed_in_contract_order_and_nothing_is_recorded(harness: Harness) -> None:
    harness.developer("alice", organisations=None, on_x=True)
    harness.developer("bob", organisations=["Acme"], on_x=False)

    with pytest.raises(UnknownUsersError) as refused:
        harness.service.answer("Alice", "Bob")

    assert refused.value.messages == ("Alice is no a valid user in github", "Bob is no a valid user in twitter")
    assert harness.register.count == 0


def test_a_suspended_x_account_is_no_user(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"])
    harness.developer("bob", organisations=["Acme"], suspended=True)

    with pytest.raises(UnknownUsersError) as refused:
        harness.service.answer("alice", "bob")

    assert refused.value.messages == ("bob is no a valid user in twitter",)


def test_a_handle_impossible_on_a_service_is_never_sent_to_it(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"])

    with pytest.raises(UnknownUsersError) as refused:
        harness.service.answer("alice", "bad-name_")

    assert refused.value.messages == (
        "bad-name_ is no a valid user in github",
        "bad-name_ is no a valid user in twitter",
    )
    assert harness.github.calls == ["alice"]
    assert harness.x.lookups == [["alice"]]


def test_the_same_handle_twice_is_refused_before_any_call(harness: Harness) -> None:
    with pytest.raises(SameHandleError):
        harness.service.answer("Alice", "aLiCe")

    assert harness.github.calls == []
    assert harness.x.lookups == []


def test_an_upstream_failure_is_not_dressed_up_as_an_unknown_user(harness: Harness) -> None:
    class BrokenGitHub(WorldGitHub):
        def organisations(self, login: str) -> list[str] | None:
            raise UpstreamError("github", "answered 500")

    harness.developer("alice", organisations=["Acme"], on_x=False)
    harness.developer("bob", organisations=["Acme"])
    service = ConnectionService(
        Upstreams(BrokenGitHub(harness.world), harness.x), harness.register, ThreadPoolExecutor(1)
    )

    with pytest.raises(UpstreamError):
        service.answer("alice", "bob")

    assert harness.register.count == 0


def test_a_list_that_became_unreadable_gives_way_to_the_other_accounts_list(harness: Harness) -> None:
    # Given bob's lists are the shorter ones but answer only errors since his lookup
    harness.developer("alice", organisations=["Acme"], follows=["bob"], other_following=9, other_followers=9)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], turns_protected=True)

    # When the pair is answered
    answer = harness.service.answer("alice", "bob")

    # Then one try of bob's lists tells that neither can be read, and alice's two lists decide both directions
    assert answer.verdict == Verdict(connected=True, organisations=("Acme",))
    assert harness.x.lists_read[0].startswith("bob/")
    assert sorted(harness.x.lists_read[1:]) == ["alice/followers", "alice/following"]
    assert [read.found for read in answer.follow_reads] == [None, 1, 1]
    assert harness.register.count == 1


def test_with_no_other_list_an_unreadable_one_is_undecidable_and_records_nothing(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], turns_protected=True)

    with pytest.raises(ListUnreadableError, match="bob's lists became unreadable"):
        harness.service.answer("alice", "bob")

    assert harness.register.count == 0


def test_a_register_failure_fails_the_answer(harness: Harness) -> None:
    harness.developer("alice", organisations=["Acme"])
    harness.developer("bob", organisations=["Other"])
    harness.register.broken = True

    with pytest.raises(RegisterUnavailableError, match="nothing was stored"):
        harness.service.answer("alice", "bob")


def test_common_organisations_ignore_case_keep_github_spelling_and_sort() -> None:
    first = ["zeta-Org", "Acme", "beta", "acme", "Solo"]
    second = ["ACME", "Beta", "Zeta-org", "other"]

    assert common_organisations(first, second) == ("Acme", "beta", "zeta-Org")


def test_a_direction_whose_lists_are_all_longer_than_the_budget_is_refused_before_any_read() -> None:
    # Given a budget of 100 users, and both lists that could tell whether alice follows bob hold more
    harness = Harness(max_x_users_read=100)
    harness.developer("alice", organisations=["Acme"], follows=["bob"], other_following=150)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], other_followers=200)

    # When the pair is answered
    with pytest.raises(OverBudgetError) as refused:
        harness.service.answer("alice", "bob")

    # Then the counts decide it: no such list is read, and nothing is recorded
    assert refused.value.messages == (
        "cannot tell whether alice follows bob on twitter within the read budget of 100 users",
    )
    assert "alice/following" not in harness.x.lists_read
    assert "bob/followers" not in harness.x.lists_read
    assert harness.register.count == 0


def test_a_budget_met_while_reading_stops_the_read_and_refuses_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given X's counts say alice follows 50, but her list holds 1,500 (counts can lag the lists)
    harness = Harness(max_x_users_read=1000)
    alice = harness.developer("alice", organisations=["Acme"], follows=["bob"], other_following=1500)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], other_followers=5000, other_following=3000)
    listed = harness.world.following_ids
    monkeypatch.setattr(
        harness.world,
        "following_ids",
        lambda developer: sorted(listed(developer), key=str.isdigit) if developer is alice else listed(developer),
    )
    monkeypatch.setattr(harness.x, "find_accounts", _lagging_counts(harness.x.find_accounts, "alice", following=50))

    with pytest.raises(OverBudgetError, match="within the read budget of 1000 users"):
        harness.service.answer("alice", "bob")

    assert harness.x.users_read == 1000
    assert harness.register.count == 0


def _lagging_counts(find_accounts: Any, name: str, following: int) -> Any:
    def lagging(usernames: Any) -> Any:
        return {
            key: account._replace(following_count=following) if key == name else account
            for key, account in find_accounts(usernames).items()
        }

    return lagging


def test_no_budget_reads_as_far_as_the_lists_go() -> None:
    harness = Harness(max_x_users_read=0)
    harness.developer("alice", organisations=["Acme"], follows=["bob"], other_following=2500, other_followers=2500)
    harness.developer("bob", organisations=["Acme"], follows=["alice"], other_following=2500, other_followers=2500)

    answer = harness.service.answer("alice", "bob")

    assert answer.verdict.connected


def _unreachable(*_args: Any) -> Any:
    raise RegisterUnavailableError("the table cannot be reached")


def test_a_young_enough_record_is_the_answer_without_a_call_or_a_new_record() -> None:
    harness = Harness()
    harness.developer("alice", organisations=["Acme"], follows=["bob"])
    harness.developer("bob", organisations=["Acme"], follows=["alice"])
    first = harness.service.answer("alice", "bob")

    again = harness.service.answer("BOB", "alice", max_age=timedelta(minutes=5))

    assert (again.from_register, again.verdict, again.record) == (True, first.verdict, first.record)
    assert sorted(harness.github.calls) == ["alice", "bob"]
    assert harness.register.count == 1


def test_a_record_older_than_max_age_gives_way_to_a_fresh_answer() -> None:
    harness = Harness()
    harness.developer("alice", organisations=["Acme"])
    harness.developer("bob", organisations=["Beta"])
    harness.service.answer("alice", "bob")

    again = harness.service.answer("alice", "bob", max_age=timedelta(seconds=0))

    assert not again.from_register
    assert harness.register.count == 2


def test_a_register_that_cannot_be_read_gives_way_to_a_fresh_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = Harness()
    harness.developer("alice", organisations=["Acme"])
    harness.developer("bob", organisations=["Beta"])
    monkeypatch.setattr(harness.register, "latest", _unreachable)

    answer = harness.service.answer("alice", "bob", max_age=timedelta(days=1))

    assert not answer.from_register
    assert harness.troubles == ["read the latest answer"]
    assert harness.register.count == 1
