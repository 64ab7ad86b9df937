"""The interfaces the connection check depends on, so it can be run against fakes, the demo world or the
real services alike."""

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Protocol

from connected.handles import Pair
from connected.models import FollowScan, Record, Verdict, XAccount


class GitHubDirectory(Protocol):
    def organisations(self, login: str) -> list[str] | None:
        """Public organisations of `login` as GitHub spells them, or None when no such user exists."""
        ...


class XDirectory(Protocol):
    def find_accounts(self, usernames: Iterable[str]) -> Mapping[str, XAccount]:
        """Accounts found, keyed by lower-cased username; unknown and suspended users are absent."""
        ...

    def following_includes(self, account: XAccount, target: XAccount) -> FollowScan:
        """Reads `account`'s following list until `target` appears."""
        ...

    def followers_include(self, account: XAccount, target: XAccount) -> FollowScan:
        """Reads `account`'s followers list until `target` appears."""
        ...


class RegisterWriter(Protocol):
    def record(self, pair: Pair, verdict: Verdict) -> Record: ...


class RegisterReader(Protocol):
    def history(self, pair: Pair) -> list[Record]: ...


class RegisterPages(Protocol):
    def records(
        self,
        pair: Pair,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
    ) -> Iterator[tuple[str, Record]]:
        """The pair's records oldest first with their positions, after `after`, within `since`..`until`."""
        ...
