"""Values that cross the package's seams: verdicts, why a pair is undecided, register records, X accounts,
follow-list scans."""

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from connected.errors import ConnectedError


class Verdict(NamedTuple):
    connected: bool
    organisations: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        if not self.connected:
            return {"connected": False}
        return {"connected": True, "organisations": list(self.organisations)}


class Undecided(NamedTuple):
    """Why a pair cannot be told, as the error a pair answer gives for it: its type and arguments. A team lists
    the pair with the error's words as its reason."""

    kind: Callable[..., ConnectedError]
    arguments: tuple[object, ...] = ()

    def error(self) -> ConnectedError:
        return self.kind(*self.arguments)

    @property
    def reason(self) -> str:
        return self.error().messages[0]


class Record(NamedTuple):
    registered_at: datetime
    verdict: Verdict

    def to_json(self) -> dict[str, object]:
        stamp = self.registered_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"registered_at": stamp, **self.verdict.to_json()}


class XAccount(NamedTuple):
    id: str
    username: str
    followers_count: int
    following_count: int
    protected: bool


class FollowScan(NamedTuple):
    """What reading one follow list found: the ids of the accounts looked for that are in it, what it cost, and
    whether it was read far enough to tell for each of them (until all were found, or to its end). A scan cut
    short by its read budget is not `complete`: who was not found may still be further down."""

    found: frozenset[str]
    users_read: int
    pages: int
    complete: bool = True
