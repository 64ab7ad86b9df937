"""The connection check: are two developers following each other on X and members of a common public
GitHub organisation? Every answer is recorded before it is returned.

Stage 1 asks GitHub for both users' organisations and X for both accounts at once. Follow lists, which X
bills per user returned, are read only when the two share an organisation, and then from the cheaper side.
"""

from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from connected.deadline import Deadline, deadline_of, in_this_context
from connected.errors import (
    ConnectedError,
    FollowsUnreadableError,
    ListUnreadableError,
    SameHandleError,
    UnknownUsersError,
)
from connected.handles import Pair, can_be_github_login, can_be_x_username, same_handle
from connected.models import FollowScan, Verdict, XAccount
from connected.ports import GitHubDirectory, RegisterWriter, XDirectory


@dataclass(frozen=True, slots=True)
class FollowRead:
    """One follow list read for a direction, and what it cost. `found` is None when the list answered only
    with errors (it became unreadable), which decides nothing."""

    direction: str
    list_read: str
    users_read: int
    found: bool | None


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    follow_reads: tuple[FollowRead, ...] = field(default=())

    @property
    def x_users_read(self) -> int:
        return sum(read.users_read for read in self.follow_reads)


@dataclass(frozen=True, slots=True)
class _Stage1:
    organisations: Mapping[str, list[str] | None]
    accounts: Mapping[str, XAccount]


class ConnectionService:
    def __init__(
        self,
        github: GitHubDirectory,
        x: XDirectory,
        register: RegisterWriter,
        executor: Executor,
    ) -> None:
        self._github = github
        self._x = x
        self._register = register
        self._executor = executor

    def answer(self, dev1: str, dev2: str, deadline: Deadline | None = None) -> Answer:
        """Decides, records and returns the answer for a pair; raises a `ConnectedError` otherwise.

        Upstream calls give up at `deadline` (an `UpstreamTimeoutError`), leaving time to reply."""
        with deadline_of(deadline):
            return self._answer(dev1, dev2)

    def _answer(self, dev1: str, dev2: str) -> Answer:
        if same_handle(dev1, dev2):
            raise SameHandleError(dev1, dev2)
        stage1 = self._look_up(dev1, dev2)
        _raise_for_unknown_users(dev1, dev2, stage1)

        in_pair_order = sorted((dev1, dev2), key=str.lower)
        organisations = common_organisations(*(stage1.organisations[handle] or [] for handle in in_pair_order))
        if not organisations:
            answer = Answer(Verdict(connected=False))
        else:
            first, second = stage1.accounts[dev1.lower()], stage1.accounts[dev2.lower()]
            follow_reads = self._mutual_follows(first, second)
            mutual = sum(read.found is True for read in follow_reads) == 2
            verdict = Verdict(connected=True, organisations=organisations) if mutual else Verdict(connected=False)
            answer = Answer(verdict, tuple(follow_reads))

        self._register.record(Pair.of(dev1, dev2), answer.verdict)
        return answer

    def _look_up(self, dev1: str, dev2: str) -> _Stage1:
        github_logins = [handle for handle in (dev1, dev2) if can_be_github_login(handle)]
        x_usernames = [handle for handle in (dev1, dev2) if can_be_x_username(handle)]

        github_futures = {
            login: self._executor.submit(in_this_context(self._github.organisations), login) for login in github_logins
        }
        x_error: ConnectedError | None = None
        accounts: Mapping[str, XAccount] = {}
        try:
            accounts = self._x.find_accounts(x_usernames) if x_usernames else {}
        except ConnectedError as error:
            x_error = error
        organisations: dict[str, list[str] | None] = dict.fromkeys((dev1, dev2))
        organisations.update(_results(github_futures))
        if x_error is not None:
            raise x_error
        return _Stage1(organisations, accounts)

    def _mutual_follows(self, first: XAccount, second: XAccount) -> list[FollowRead]:
        """Both directions, the cheaper first; the second is read only when the first holds."""
        directions = sorted((self._read_plans(first, second), self._read_plans(second, first)), key=_cheapest)
        reads: list[FollowRead] = []
        for plans in directions:
            if not self._decide(plans, reads):
                break
        return reads

    def _decide(self, plans: list["_ReadPlan"], reads: list[FollowRead]) -> bool:
        """Whether the direction holds, from the cheapest of its lists that can still be read. A list that
        became unreadable decides nothing: the next list is read instead; with none left, the direction
        cannot be told, and the error carries every X user this answer read."""
        plan, *others = plans
        try:
            scan = plan.read()
        except ListUnreadableError as error:
            reads.append(FollowRead(plan.direction, plan.list_read, error.x_users_read, None))
            if not others:
                error.x_users_read = sum(read.users_read for read in reads)
                raise
            return self._decide(others, reads)
        reads.append(FollowRead(plan.direction, plan.list_read, scan.users_read, scan.found))
        return scan.found

    def _read_plans(self, follower: XAccount, followed: XAccount) -> list["_ReadPlan"]:
        """Whether `follower` follows `followed` shows in either account's list: the readable ones, shorter
        first."""
        direction = f"{follower.username} follows {followed.username}"
        plans: list[_ReadPlan] = []
        if not follower.protected:
            plans.append(
                _ReadPlan(
                    follower.following_count,
                    direction,
                    f"{follower.username}/following",
                    lambda: self._x.following_includes(follower, followed),
                )
            )
        if not followed.protected:
            plans.append(
                _ReadPlan(
                    followed.followers_count,
                    direction,
                    f"{followed.username}/followers",
                    lambda: self._x.followers_include(followed, follower),
                )
            )
        if not plans:
            raise FollowsUnreadableError(follower.username, followed.username)
        return sorted(plans, key=_cost)


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    """One way to learn a follow direction: which list to read, what it costs (users it may return)."""

    cost: int
    direction: str
    list_read: str
    read: Callable[[], FollowScan]


def _cost(plan: _ReadPlan) -> int:
    return plan.cost


def _cheapest(plans: list[_ReadPlan]) -> int:
    return plans[0].cost


def common_organisations(first: list[str], second: list[str]) -> tuple[str, ...]:
    """Organisations in both lists, compared without letter case, spelled as GitHub spells them, sorted."""
    spelled = {name.casefold(): name for name in reversed(first)}
    shared = spelled.keys() & {name.casefold() for name in second}
    return tuple(spelled[key] for key in sorted(shared))


def _raise_for_unknown_users(dev1: str, dev2: str, stage1: _Stage1) -> None:
    errors: list[str] = []
    for handle in (dev1, dev2):
        if stage1.organisations[handle] is None:
            errors.append(f"{handle} is no a valid user in github")
        if handle.lower() not in stage1.accounts:
            errors.append(f"{handle} is no a valid user in twitter")
    if errors:
        raise UnknownUsersError(*errors)


def _results(futures: Mapping[str, Future[list[str] | None]]) -> dict[str, list[str] | None]:
    """Waits for every future, so that no request outlives the answer, then raises the first failure."""
    results: dict[str, list[str] | None] = {}
    first_error: BaseException | None = None
    for handle, future in futures.items():
        error = future.exception()
        if error is not None:
            first_error = first_error or error
        else:
            results[handle] = future.result()
    if first_error is not None:
        raise first_error
    return results
