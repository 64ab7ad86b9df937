import pytest

from connected.errors import InvalidHandleError, SameHandleError
from connected.handles import Pair, can_be_github_login, can_be_handle, can_be_x_username, register_pair


@pytest.mark.parametrize("login", ["a", "octocat", "Mona-Lisa", "a-b-c", "x" * 39, "123"])
def test_github_accepts_its_logins(login: str) -> None:
    assert can_be_github_login(login)


@pytest.mark.parametrize("login", ["", "-a", "a-", "a--b", "x" * 40, "a_b", "a.b", "a b", "ä", "a/b"])
def test_github_refuses_what_cannot_be_a_login(login: str) -> None:
    assert not can_be_github_login(login)


@pytest.mark.parametrize("username", ["a", "jack", "Jack_Dorsey", "_", "x" * 15, "007"])
def test_x_accepts_its_usernames(username: str) -> None:
    assert can_be_x_username(username)


@pytest.mark.parametrize("username", ["", "x" * 16, "a-b", "a.b", "a b", "ä", "a\n"])
def test_x_refuses_what_cannot_be_a_username(username: str) -> None:
    assert not can_be_x_username(username)


def test_a_handle_is_plausible_when_either_service_allows_it() -> None:
    assert can_be_handle("a-b")
    assert can_be_handle("a_b")
    assert not can_be_handle("a.b")


def test_pair_is_the_same_whatever_the_order_and_letter_case() -> None:
    assert Pair.of("Alice", "bob") == Pair.of("BOB", "alice")
    assert Pair.of("Alice", "bob").key == "alice#bob"


def test_register_pair_refuses_the_same_handle_twice() -> None:
    with pytest.raises(SameHandleError):
        register_pair("Alice", "aLICE")


def test_register_pair_names_every_impossible_handle() -> None:
    with pytest.raises(InvalidHandleError) as refused:
        register_pair("a.b", "../etc")
    assert refused.value.messages == (
        "a.b is not a valid handle on github or twitter",
        "../etc is not a valid handle on github or twitter",
    )
