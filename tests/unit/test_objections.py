"""What a container knows of the objection list: one read for all the handles of an answer, nothing read
again for a minute, and never an objection ignored because the list could not be read."""

from collections.abc import Iterable

import pytest

from connected.errors import ObjectedError, RegisterUnavailableError
from connected.objections import KEPT_SECONDS, Objections


class ObjectionList:
    def __init__(self, *objected: str) -> None:
        self.objected_handles = set(objected)
        self.reads: list[set[str]] = []
        self.readable = True

    def objected(self, handles: Iterable[str]) -> frozenset[str]:
        asked = set(handles)
        self.reads.append(asked)
        if not self.readable:
            raise RegisterUnavailableError("the objection list could not be read; nothing was looked up")
        return frozenset(asked & self.objected_handles)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_handles_of_an_answer_are_read_at_once_and_without_letter_case() -> None:
    listed = ObjectionList("ada")
    objections = Objections(listed, Clock())

    assert objections.objected(["ADA", "Bob"]) == frozenset({"ada"})
    assert listed.reads == [{"ada", "bob"}]


def test_what_was_read_is_kept_for_a_minute_and_read_again_after() -> None:
    listed, clock = ObjectionList(), Clock()
    objections = Objections(listed, clock)
    objections.objected(["ada", "bob"])

    clock.now += KEPT_SECONDS - 1
    listed.objected_handles.add("ada")
    assert objections.objected(["bob", "ada", "carol"]) == frozenset()
    assert listed.reads[1:] == [{"carol"}]

    clock.now += 1
    assert objections.objected(["ada", "bob"]) == frozenset({"ada"})
    assert listed.reads[2:] == [{"ada", "bob"}]


def test_a_pair_naming_an_objector_is_refused_in_the_same_words_whichever_objected() -> None:
    objections = Objections(ObjectionList("ada"), Clock())

    with pytest.raises(ObjectedError) as first:
        objections.refuse(["ada", "bob"])
    with pytest.raises(ObjectedError) as second:
        objections.refuse(["bob", "Ada"])
    objections.refuse(["bob", "carol"])

    assert first.value.messages == second.value.messages == ("a developer of this pair asked not to be looked up",)


def test_a_list_that_cannot_be_read_refuses_the_answer_and_is_read_again_next_time() -> None:
    listed = ObjectionList("ada")
    objections = Objections(listed, Clock())
    listed.readable = False

    with pytest.raises(RegisterUnavailableError):
        objections.refuse(["ada", "bob"])

    listed.readable = True
    with pytest.raises(ObjectedError):
        objections.refuse(["ada", "bob"])
    assert len(listed.reads) == 2
