"""What a handle may look like on each service, and the pair key the register is partitioned by."""

import re
from dataclasses import dataclass

from connected.errors import InvalidHandleError, SameHandleError, UnknownUsersError

GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
X_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")


def can_be_github_login(handle: str) -> bool:
    return GITHUB_LOGIN.fullmatch(handle) is not None


def can_be_x_username(handle: str) -> bool:
    return X_USERNAME.fullmatch(handle) is not None


def can_be_handle(handle: str) -> bool:
    """True when the handle could name a user on at least one of the two services."""
    return can_be_github_login(handle) or can_be_x_username(handle)


def same_handle(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


@dataclass(frozen=True, slots=True)
class Pair:
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


def refuse_without_calls(dev1: str, dev2: str) -> None:
    """What a realtime answer refuses before any call, credentials included: the same handle twice, and two
    handles no service allows (every "no a valid user" error, as lookups would have listed them)."""
    if same_handle(dev1, dev2):
        raise SameHandleError(dev1, dev2)
    if not any(can_be_handle(handle) for handle in (dev1, dev2)):
        raise UnknownUsersError(
            *(
                UnknownUsersError.message(handle, service)
                for handle in (dev1, dev2)
                for service in ("github", "twitter")
            )
        )


def register_pair(dev1: str, dev2: str) -> Pair:
    """The pair whose register is asked for; a handle no service allows can have no record."""
    if same_handle(dev1, dev2):
        raise SameHandleError(dev1, dev2)
    invalid = [handle for handle in (dev1, dev2) if not can_be_handle(handle)]
    if invalid:
        raise InvalidHandleError(invalid)
    return Pair.of(dev1, dev2)
