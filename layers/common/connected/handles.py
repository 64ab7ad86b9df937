"""What a handle may look like on each service, and the pair key the register is partitioned by."""

import re
from collections.abc import Sequence
from itertools import combinations
from typing import NamedTuple

from connected.errors import InvalidHandleError, InvalidTeamError, SameHandleError, UnknownUsersError

GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
X_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")
MIN_TEAM = 2
MAX_TEAM = 20


def can_be_github_login(handle: str) -> bool:
    return GITHUB_LOGIN.fullmatch(handle) is not None


def can_be_x_username(handle: str) -> bool:
    return X_USERNAME.fullmatch(handle) is not None


def can_be_handle(handle: str) -> bool:
    """True when the handle could name a user on at least one of the two services."""
    return can_be_github_login(handle) or can_be_x_username(handle)


def same_handle(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


class Pair(NamedTuple):
    """Two handles, lower-cased and sorted, so that (a, B) and (b, A) are the same pair."""

    first: str
    second: str

    @classmethod
    def of(cls, dev1: str, dev2: str) -> "Pair":
        low, high = sorted((dev1.lower(), dev2.lower()))
        return cls(low, high)

    @property
    def key(self) -> str:
        """The register's partition key; `#` cannot occur in a handle of either service."""
        return f"{self.first}#{self.second}"


def refuse_without_calls(handles: Sequence[str]) -> None:
    """What a realtime answer refuses before any call, credentials included: the same handle twice, and
    handles no service allows, all of them (every "no a valid user" error, as lookups would have listed them)."""
    for first, second in combinations(handles, 2):
        if same_handle(first, second):
            raise SameHandleError(first, second)
    if not any(can_be_handle(handle) for handle in handles):
        raise UnknownUsersError(
            *(UnknownUsersError.message(handle, service) for handle in handles for service in ("github", "twitter"))
        )


def team_handles(segment: str) -> list[str]:
    """The handles of `/connected/team/{handles}`: 2 to 20, comma-separated, none empty, as the caller wrote
    them. Two alike, letter case aside, are refused by `refuse_without_calls`."""
    handles = segment.split(",")
    if any(not handle for handle in handles):
        raise InvalidTeamError(f"an empty handle in the team {segment!r}: separate handles with single commas")
    if not MIN_TEAM <= len(handles) <= MAX_TEAM:
        raise InvalidTeamError(f"a team is {MIN_TEAM} to {MAX_TEAM} comma-separated handles, not {len(handles)}")
    return handles


def register_pair(dev1: str, dev2: str) -> Pair:
    """The pair whose register is asked for; a handle no service allows can have no record."""
    if same_handle(dev1, dev2):
        raise SameHandleError(dev1, dev2)
    invalid = [handle for handle in (dev1, dev2) if not can_be_handle(handle)]
    if invalid:
        raise InvalidHandleError(invalid)
    return Pair.of(dev1, dev2)
