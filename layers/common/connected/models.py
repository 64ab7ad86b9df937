"""Values that cross the package's seams: answers, register records, X accounts, follow-list scans."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Verdict:
    connected: bool
    organisations: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        if not self.connected:
            return {"connected": False}
        return {"connected": True, "organisations": list(self.organisations)}


@dataclass(frozen=True, slots=True)
class Record:
    registered_at: datetime
    verdict: Verdict

    def to_json(self) -> dict[str, object]:
        stamp = self.registered_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"registered_at": stamp, **self.verdict.to_json()}


@dataclass(frozen=True, slots=True)
class XAccount:
    id: str
    username: str
    followers_count: int
    following_count: int
    protected: bool


@dataclass(frozen=True, slots=True)
class FollowScan:
    """What reading one follow list found: the ids of the accounts looked for that are in it, what it cost, and
    whether it was read far enough to tell for each of them (until all were found, or to its end). A scan cut
    short by its read budget is not `complete`: who was not found may still be further down."""

    found: frozenset[str]
    users_read: int
    pages: int
    complete: bool = True
