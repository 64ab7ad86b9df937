"""An in-memory GitHub and X, behaving as the real clients do (unknown and suspended users, protected
accounts, follow lists read a page of 1,000 at a time and billed per user returned). The offline demo of
`make run` serves a committed world through them; the tests use them as fakes of the real clients."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connected.errors import UpstreamError
from connected.models import FollowScan, XAccount

PAGE_SIZE = 1000


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


@dataclass
class World:
    developers: dict[str, Developer] = field(default_factory=dict)

    def add(self, developer: Developer) -> Developer:
        self.developers[developer.handle.lower()] = developer
        return developer

    def developer(self, handle: str) -> Developer | None:
        return self.developers.get(handle.lower())

    def x_id(self, handle: str) -> str:
        return str(1000 + sorted(self.developers).index(handle.lower()))

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
        if developer is None or developer.organisations is None:
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

    def following_includes(self, account: XAccount, target: XAccount) -> FollowScan:
        developer = self._readable(account, "following")
        return self._scan(self.world.following_ids(developer), target.id)

    def followers_include(self, account: XAccount, target: XAccount) -> FollowScan:
        developer = self._readable(account, "followers")
        return self._scan(self.world.follower_ids(developer), target.id)

    def _readable(self, account: XAccount, list_name: str) -> Developer:
        self.lists_read.append(f"{account.username}/{list_name}")
        developer = self.world.developer(account.username)
        if developer is None or developer.protected:
            raise UpstreamError("twitter", "answered 401")
        return developer

    def _scan(self, ids: list[str], target_id: str) -> FollowScan:
        users_read = 0
        pages = 0
        for start in range(0, max(len(ids), 1), PAGE_SIZE):
            page = ids[start : start + PAGE_SIZE]
            pages += 1
            users_read += len(page)
            if target_id in page:
                self.users_read += users_read
                return FollowScan(found=True, users_read=users_read, pages=pages)
        self.users_read += users_read
        return FollowScan(found=False, users_read=users_read, pages=pages)
