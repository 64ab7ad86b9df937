"""A world of developers (unknown and suspended users, organisations, protected accounts, follow lists of any
length): local/upstreams.py serves it as GitHub and X at the HTTP layer, for the real clients (the tests, `make
bench` and the offline demo); tests/support/world.py serves it at the connection check's ports."""

import json
from dataclasses import dataclass, field
from pathlib import Path

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
        named = [self.x_id(handle) for handle in developer.follows if getattr(self.developer(handle), "on_x", False)]
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

    @classmethod
    def from_json(cls, path: Path) -> "World":
        world = cls()
        for entry in json.loads(path.read_text(encoding="utf-8"))["developers"]:
            world.add(Developer(**entry))
        return world
