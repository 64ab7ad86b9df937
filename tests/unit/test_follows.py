"""The follow-list planner against an in-memory X: it decides every pair it can, reads each list at most once,
chooses the lists of smallest total count, and says why a pair cannot be told."""

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from connected.errors import ConnectedError, FollowsUnreadableError, ListUnreadableError, OverBudgetError
from connected.follows import FollowPlanner
from connected.handles import Pair
from connected.models import XAccount
from local.world import Developer, World
from tests.support.world import WorldX

NAMES = ["ann", "bea", "cal", "dan", "eve", "fay"]


def planned(
    world: World, handles: list[str], max_x_users_read: int = 0, pairs: list[tuple[str, str]] | None = None
) -> tuple[dict[int, bool | ConnectedError], WorldX]:
    """The planner's verdicts for `pairs` (every pair of `handles` by default), by position, an undecided pair as
    the error a pair answer gives, and the X it read."""
    x = WorldX(world)
    accounts = x.find_accounts(handles)
    asked: dict[Pair, tuple[XAccount, XAccount]] = {
        Pair.of(a, b): (accounts[a], accounts[b]) for a, b in (pairs if pairs is not None else combinations(handles, 2))
    }
    follows = FollowPlanner(x, max_x_users_read).mutual_follows(asked)
    told: dict[Pair, bool | ConnectedError] = {pair: undecided.error() for pair, undecided in follows.undecided.items()}
    told.update(follows.mutual)
    return {number: told[pair] for number, pair in enumerate(asked)}, x


def test_one_following_list_decides_a_direction_for_every_other_member() -> None:
    # Given ann follows 3 accounts (all of the team), and each of the others has 5,000 followers and follows
    world = World()
    world.add(Developer("ann", follows=["bea", "cal", "dan"]))
    for name in ("bea", "cal", "dan"):
        world.add(Developer(name, follows=["ann"], other_followers=5000, other_following=5000))

    # When ann's three pairs are planned
    mutual, x = planned(world, ["ann", "bea", "cal", "dan"], pairs=[("ann", "bea"), ("ann", "cal"), ("ann", "dan")])

    # Then ann's following (3 users) settles "ann follows X" for all three, and ann's followers the way back
    assert sorted(x.lists_read) == ["ann/followers", "ann/following"]
    assert x.users_read == 6
    assert mutual == {0: True, 1: True, 2: True}


def test_a_failed_direction_spares_the_other_one() -> None:
    world = World()
    world.add(Developer("ann", other_following=10, other_followers=10))
    world.add(Developer("bea", follows=["ann"], other_following=2000, other_followers=2000))

    mutual, x = planned(world, ["ann", "bea"])

    assert mutual == {0: False}
    assert x.lists_read == ["ann/following"]


def test_a_read_is_the_last_when_its_list_shows_every_direction_still_needed() -> None:
    # Given ann and bea follow each other, ann's following the shorter list
    world = World()
    world.add(Developer("ann", follows=["bea"], other_following=10, other_followers=50))
    world.add(Developer("bea", follows=["ann"], other_following=20, other_followers=60))

    # When their pair is planned
    mutual, x = planned(world, ["ann", "bea"])

    # Then ann's following could leave bea's to read; bea's, read next, is the last read
    assert mutual == {0: True}
    assert x.lists_read == ["ann/following", "bea/following"]
    assert x.read_as_last == ["bea/following"]


def test_why_a_pair_cannot_be_told() -> None:
    world = World()
    world.add(Developer("ann", protected=True))
    world.add(Developer("bea", protected=True))
    world.add(Developer("cal", turns_protected=True, follows=["dan"]))
    world.add(Developer("dan", protected=True, follows=["cal"]))
    world.add(Developer("eve", follows=["fay"], other_following=900, other_followers=900))
    world.add(Developer("fay", follows=["eve"], other_following=900, other_followers=900))

    both_protected, _ = planned(world, ["ann", "bea"])
    unreadable, _ = planned(world, ["cal", "dan"])
    over_budget, _ = planned(world, ["eve", "fay"], max_x_users_read=500)

    assert isinstance(both_protected[0], FollowsUnreadableError)
    assert isinstance(unreadable[0], ListUnreadableError)
    assert "cal's lists became unreadable" in unreadable[0].messages[0]
    assert isinstance(over_budget[0], OverBudgetError)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, list[str]]:
    size = draw(st.integers(min_value=2, max_value=len(NAMES)))
    handles = NAMES[:size]
    world = World()
    for handle in handles:
        others = [name for name in handles if name != handle]
        world.add(
            Developer(
                handle,
                follows=draw(st.lists(st.sampled_from(others), unique=True)) if others else [],
                protected=draw(st.booleans()),
                turns_protected=draw(st.integers(0, 5)) == 0,
                other_following=draw(st.integers(0, 2500)),
                other_followers=draw(st.integers(0, 2500)),
            )
        )
    return world, handles


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_every_pair_that_can_be_told_is_told_rightly_and_no_list_is_read_twice(drawn: tuple[World, list[str]]) -> None:
    world, handles = drawn

    mutual, x = planned(world, handles)

    for number, (first, second) in enumerate(combinations(handles, 2)):
        a, b = world.developers[first], world.developers[second]
        truth = second in a.follows and first in b.follows
        if isinstance(mutual[number], bool):
            assert mutual[number] == truth
        else:
            unreadable = {
                name
                for name in (first, second)
                if world.developers[name].protected or world.developers[name].turns_protected
            }
            assert unreadable, "a pair of two readable accounts is always decided"
    assert len(x.lists_read) == len(set(x.lists_read))
