"""The interfaces the connection check depends on, so it can be run against fakes, the demo world or the
real services alike."""

from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol

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

    def following_includes(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        """Reads `account`'s following list until every target appeared, the list ended, or `max_users` users
        were read; raises `FollowListUnreadable` when the list answers only errors. `last`: the answer reads
        nothing else of X once this list is read whole (what it reserved beyond the read can go back meanwhile)."""
        ...

    def followers_include(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        """Reads `account`'s followers list, likewise."""
        ...


class Upstreams(NamedTuple):
    github: GitHubDirectory
    x: XDirectory


class AnswerRegister(Protocol):
    """What the connection check asks of the register."""

    def record(self, pair: Pair, verdict: Verdict) -> Record: ...

    def latest(self, pair: Pair) -> Record | None:
        """The pair's newest record, if it has one."""
        ...


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
