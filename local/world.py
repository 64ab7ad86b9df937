"""A world of developers, and an in-memory GitHub, X and register behaving as the real clients do (unknown and
suspended users, organisations, protected accounts, follow lists read a page of 1,000 at a time and billed per
user returned): the port-level fakes of the connection check's tests. local/upstreams.py serves the same world
at the HTTP layer, for the real clients (the other tests, `make bench` and the offline demo)."""

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connected.errors import FollowListUnreadable, RegisterUnavailableError
from connected.handles import Pair
from connected.models import FollowScan, Record, Verdict, XAccount

PAGE_SIZE = 1000
FIRST_X_ID = 1000
FIRST_GITHUB_ID = 583231


@dataclass
class Developer:
    handle: str
    organisations: list[str] | None = None
    on_x: bool = True
    follows: list[str] = field(default_factory=list)
    protected: bool = False
    suspended: bool = False
    other_following: int = 0
    other_followers: int = 0
    is_organisation: bool = False
    """A GitHub organisation's login, not a user's: it belongs to no organisation."""
    turns_protected: bool = False
    """Protected, suspended or gone right after the lookup: the lookup shows it, its lists answer only errors."""


@dataclass
class World:
    developers: dict[str, Developer] = field(default_factory=dict)

    def add(self, developer: Developer) -> Developer:
        self.developers[developer.handle.lower()] = developer
        return developer

    def developer(self, handle: str) -> Developer | None:
        return self.developers.get(handle.lower())

    def x_id(self, handle: str) -> str:
        return str(FIRST_X_ID + sorted(self.developers).index(handle.lower()))

    def by_x_id(self, x_id: str) -> Developer | None:
        return self._by_number(x_id, FIRST_X_ID)

    def github_id(self, handle: str) -> int:
        """The numeric id GitHub's next-page links name a user by."""
        return FIRST_GITHUB_ID + sorted(self.developers).index(handle.lower())

    def by_github_id(self, github_id: str) -> Developer | None:
        return self._by_number(github_id, FIRST_GITHUB_ID)

    def _by_number(self, number: str, first: int) -> Developer | None:
        handles = sorted(self.developers)
        index = int(number) - first if number.isdigit() else -1
        return self.developers[handles[index]] if 0 <= index < len(handles) else None

    def following_ids(self, developer: Developer) -> list[str]:
        named = [self.x_id(handle) for handle in developer.follows if self._on_x(handle)]
        own_id = self.x_id(developer.handle)
        return named + [f"{own_id}-following-{n}" for n in range(developer.other_following)]

    def follower_ids(self, developer: Developer) -> list[str]:
        named = [
            self.x_id(other.handle)
            for other in self.developers.values()
            if other.on_x and developer.handle.lower() in {name.lower() for name in other.follows}
        ]
        own_id = self.x_id(developer.handle)
        return named + [f"{own_id}-follower-{n}" for n in range(developer.other_followers)]

    def _on_x(self, handle: str) -> bool:
        developer = self.developer(handle)
        return developer is not None and developer.on_x

    @classmethod
    def from_json(cls, path: Path) -> "World":
        raw: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["developers"]
        world = cls()
        for entry in raw:
            world.add(Developer(**entry))
        return world


class WorldGitHub:
    def __init__(self, world: World) -> None:
        self.world = world
        self.calls: list[str] = []

    def organisations(self, login: str) -> list[str] | None:
        self.calls.append(login)
        developer = self.world.developer(login)
        if developer is None or developer.organisations is None or developer.is_organisation:
            return None
        return list(developer.organisations)


class WorldX:
    def __init__(self, world: World) -> None:
        self.world = world
        self.lookups: list[list[str]] = []
        self.lists_read: list[str] = []
        self.users_read = 0

    def find_accounts(self, usernames: Iterable[str]) -> Mapping[str, XAccount]:
        wanted = sorted({name.lower() for name in usernames})
        self.lookups.append(wanted)
        accounts: dict[str, XAccount] = {}
        for name in wanted:
            developer = self.world.developer(name)
            if developer is None or not developer.on_x or developer.suspended:
                continue
            accounts[name] = XAccount(
                id=self.world.x_id(name),
                username=developer.handle,
                followers_count=len(self.world.follower_ids(developer)),
                following_count=len(self.world.following_ids(developer)),
                protected=developer.protected,
            )
        return accounts

    def following_includes(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None
    ) -> FollowScan:
        developer = self._readable(account, "following")
        return self._scan(self.world.following_ids(developer), targets, max_users)

    def followers_include(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None
    ) -> FollowScan:
        developer = self._readable(account, "followers")
        return self._scan(self.world.follower_ids(developer), targets, max_users)

    def _readable(self, account: XAccount, list_name: str) -> Developer:
        """The developer whose list is read; as X answers, a list that cannot be shown decides nothing."""
        self.lists_read.append(f"{account.username}/{list_name}")
        developer = self.world.developer(account.username)
        if developer is None or developer.protected or developer.suspended or developer.turns_protected:
            raise FollowListUnreadable(account.username, 0)
        return developer

    def _scan(self, ids: list[str], targets: Collection[XAccount], max_users: int | None) -> FollowScan:
        """As the X client reads: pages of up to 1,000, fewer when the budget leaves fewer."""
        wanted = {target.id for target in targets}
        found: set[str] = set()
        users_read = pages = 0
        while True:
            page_size = PAGE_SIZE if max_users is None else min(PAGE_SIZE, max_users - users_read)
            if page_size < 1:
                return self._scanned(FollowScan(frozenset(found), users_read, pages, complete=False))
            page = ids[users_read : users_read + page_size]
            pages += 1
            users_read += len(page)
            found |= wanted.intersection(page)
            if found == wanted or users_read >= len(ids):
                return self._scanned(FollowScan(frozenset(found), users_read, pages))

    def _scanned(self, scan: FollowScan) -> FollowScan:
        self.users_read += scan.users_read
        return scan


class InMemoryRegister:
    """The register of the connection check, in memory: every record by pair key. `broken` makes every call fail
    as an unreachable table would."""

    def __init__(self) -> None:
        self.records: dict[str, list[Record]] = {}
        self.broken = False

    def record(self, pair: Pair, verdict: Verdict) -> Record:
        self._reachable("the register could not record the answer; nothing was stored")
        record = Record(datetime.now(UTC), verdict)
        self.records.setdefault(pair.key, []).append(record)
        return record

    def latest(self, pair: Pair) -> Record | None:
        self._reachable("the register could not be read")
        return self.records.get(pair.key, [None])[-1]

    @property
    def count(self) -> int:
        return sum(len(records) for records in self.records.values())

    def _reachable(self, failure: str) -> None:
        if self.broken:
            raise RegisterUnavailableError(failure)
