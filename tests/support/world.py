"""An in-memory GitHub, X and register behaving as the real clients do (unknown and suspended users,
organisations, protected accounts, follow lists read a page of 1,000 at a time and billed per user returned),
over a `local.world.World`: the port-level fakes of the connection check's tests."""

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

from connected.errors import FollowListUnreadable, RegisterUnavailableError
from connected.handles import Pair
from connected.models import FollowScan, Record, Verdict, XAccount
from local.world import Developer, World

PAGE_SIZE = 1000


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
        self.read_as_last: list[str] = []
        """The lists read as the answer's last read."""
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
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        developer = self._readable(account, "following", last)
        return self._scan(self.world.following_ids(developer), targets, max_users)

    def followers_include(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        developer = self._readable(account, "followers", last)
        return self._scan(self.world.follower_ids(developer), targets, max_users)

    def _readable(self, account: XAccount, list_name: str, last: bool) -> Developer:
        """The developer whose list is read; as X answers, a list that cannot be shown decides nothing."""
        self.lists_read.append(f"{account.username}/{list_name}")
        if last:
            self.read_as_last.append(f"{account.username}/{list_name}")
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
