"""The connection check: are two developers following each other on X and members of a common public
GitHub organisation? Every answer is recorded before it is returned.

Stage 1 asks GitHub for both users' organisations and X for both accounts at once (and, with a daily read
budget, the register for today's count of X users billed). Follow lists, which X bills per user returned, are
read only when the two share an organisation, from the cheaper side, within the answer's read budget.
"""

from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from connected.deadline import Deadline, deadline_of, in_this_context
from connected.errors import (
    ConnectedError,
    DailyBudgetSpentError,
    FollowListUnreadable,
    FollowsUnreadableError,
    ListUnreadableError,
    OverBudgetError,
    RegisterUnavailableError,
    UnknownUsersError,
)
from connected.handles import Pair, can_be_github_login, can_be_x_username, refuse_without_calls
from connected.models import FollowScan, Record, Verdict, XAccount
from connected.ports import AnswerRegister, GitHubDirectory, XDirectory


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
    """A verdict and its register record: the one written for a fresh answer, or, `from_register`, the young
    enough one it was taken from."""

    verdict: Verdict
    record: Record
    follow_reads: tuple[FollowRead, ...] = field(default=())
    from_register: bool = False

    @property
    def x_users_read(self) -> int:
        return sum(read.users_read for read in self.follow_reads)

    def age_seconds(self, now: datetime) -> int:
        return max(0, int((now - self.record.registered_at).total_seconds()))


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What X may bill: follow-list users per answer, and users (looked up and listed) per UTC day; 0: no limit."""

    per_answer: int = 0
    per_day: int = 0


@dataclass(frozen=True, slots=True)
class _Stage1:
    organisations: Mapping[str, list[str] | None]
    accounts: Mapping[str, XAccount]


def _ignore(_operation: str, _error: Exception) -> None:
    """The default `on_register_trouble`."""


class ConnectionService:
    def __init__(
        self,
        github: GitHubDirectory,
        x: XDirectory,
        register: AnswerRegister,
        executor: Executor,
        limits: ReadLimits = ReadLimits(),
        on_register_trouble: Callable[[str, Exception], None] = _ignore,
    ) -> None:
        """`on_register_trouble` hears of the register reads and counts that failed without failing the answer
        (the daily count, an answer from the register), with what was being done."""
        self._github = github
        self._x = x
        self._register = register
        self._executor = executor
        self._limits = limits
        self._on_register_trouble = on_register_trouble

    def answer(
        self, dev1: str, dev2: str, deadline: Deadline | None = None, max_age: timedelta | None = None
    ) -> Answer:
        """The pair's answer: its latest record when one is at most `max_age` old, else a fresh one, decided and
        recorded; raises a `ConnectedError` otherwise.

        Upstream calls give up at `deadline` (an `UpstreamTimeoutError`), leaving time to reply."""
        refuse_without_calls(dev1, dev2)
        with deadline_of(deadline):
            remembered = self._remembered(Pair.of(dev1, dev2), max_age) if max_age is not None else None
            return remembered or self._fresh(dev1, dev2)

    def _remembered(self, pair: Pair, max_age: timedelta) -> Answer | None:
        try:
            record = self._register.latest(pair)
        except RegisterUnavailableError as error:
            self._on_register_trouble("read the latest answer", error)
            return None
        if record is None or datetime.now(UTC) - record.registered_at > max_age:
            return None
        return Answer(record.verdict, record, from_register=True)

    def _fresh(self, dev1: str, dev2: str) -> Answer:
        billed_today = self._executor.submit(in_this_context(self._count_billed), 0) if self._limits.per_day else None
        billed = 0
        try:
            stage1 = self._look_up(dev1, dev2)
            billed = len(stage1.accounts)
            _raise_for_unknown_users(dev1, dev2, stage1)
            if billed_today is not None:
                self._refuse_when_spent(billed_today.result())
            answer = self._decided(dev1, dev2, stage1)
            billed += answer.x_users_read
            return answer
        except ConnectedError as error:
            billed += error.x_users_read
            raise
        finally:
            if billed_today is not None:
                billed_today.exception()
                if billed:
                    self._count_billed(billed)

    def _decided(self, dev1: str, dev2: str, stage1: _Stage1) -> Answer:
        in_pair_order = sorted((dev1, dev2), key=str.lower)
        organisations = common_organisations(*(stage1.organisations[handle] or [] for handle in in_pair_order))
        follow_reads: list[FollowRead] = []
        if organisations:
            first, second = stage1.accounts[dev1.lower()], stage1.accounts[dev2.lower()]
            follow_reads = self._mutual_follows(first, second)
        mutual = sum(read.found is True for read in follow_reads) == 2
        verdict = Verdict(connected=True, organisations=organisations) if mutual else Verdict(connected=False)
        return Answer(verdict, self._register.record(Pair.of(dev1, dev2), verdict), tuple(follow_reads))

    def _count_billed(self, users: int) -> int | None:
        """Today's total of X users billed after adding `users`; None when the count cannot be had, which never
        fails an answer."""
        try:
            return self._register.add_x_users_billed(users)
        except RegisterUnavailableError as error:
            self._on_register_trouble("count the X users billed today", error)
            return None

    def _refuse_when_spent(self, billed_today: int | None) -> None:
        if billed_today is not None and billed_today >= self._limits.per_day:
            now = datetime.now(UTC)
            midnight = datetime.combine(now.date() + timedelta(days=1), time.min, UTC)
            raise DailyBudgetSpentError(max(1, int((midnight - now).total_seconds() + 0.999)))

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
        directions = sorted((_read_plans(first, second), _read_plans(second, first)), key=_cheapest)
        reads: list[FollowRead] = []
        for plans in directions:
            if not self._decide(plans, reads):
                break
        return reads

    def _decide(self, plans: list["_ReadPlan"], reads: list[FollowRead]) -> bool:
        """Whether the direction holds, from the cheapest of its lists that the read budget still allows.

        A list that became unreadable decides nothing: the next list is read instead; with none left, the
        direction cannot be told. Nor can it when every list is longer than what the budget leaves (known from
        the counts), or when the read budget runs out in the middle of a list. The errors carry every X user
        this answer read."""
        spent = sum(read.users_read for read in reads)
        budget = self._limits.per_answer
        left = budget - spent if budget else None
        affordable = [plan for plan in plans if left is None or plan.cost <= left]
        if not affordable:
            raise OverBudgetError(plans[0].follower, plans[0].followed, budget, spent)
        plan = affordable[0]
        try:
            scan = plan.read(self._x, left)
        except FollowListUnreadable as unreadable:
            reads.append(FollowRead(plan.direction, plan.list_read, unreadable.x_users_read, None))
            others = [other for other in plans if other is not plan]
            if not others:
                total = spent + unreadable.x_users_read
                raise ListUnreadableError(plan.follower, plan.followed, unreadable.account, total) from unreadable
            return self._decide(others, reads)
        found = plan.looked_for.id in scan.found
        reads.append(FollowRead(plan.direction, plan.list_read, scan.users_read, found))
        if not found and not scan.complete:
            raise OverBudgetError(plan.follower, plan.followed, budget, spent + scan.users_read)
        return found


def _read_plans(follower: XAccount, followed: XAccount) -> list["_ReadPlan"]:
    """Whether `follower` follows `followed` shows in either account's list: the readable ones, shorter first."""
    plans = []
    if not follower.protected:
        plans.append(_ReadPlan(follower.following_count, follower, followed, follower, "following"))
    if not followed.protected:
        plans.append(_ReadPlan(followed.followers_count, follower, followed, followed, "followers"))
    if not plans:
        raise FollowsUnreadableError(follower.username, followed.username)
    return sorted(plans, key=_cost)


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    """One way to learn whether `follower_account` follows `followed_account`: which list to read, and what it
    costs (the users it may return, from X's counts)."""

    cost: int
    follower_account: XAccount
    followed_account: XAccount
    owner: XAccount
    relation: str

    @property
    def follower(self) -> str:
        return self.follower_account.username

    @property
    def followed(self) -> str:
        return self.followed_account.username

    @property
    def direction(self) -> str:
        return f"{self.follower} follows {self.followed}"

    @property
    def list_read(self) -> str:
        return f"{self.owner.username}/{self.relation}"

    @property
    def looked_for(self) -> XAccount:
        return self.followed_account if self.owner is self.follower_account else self.follower_account

    def read(self, x: XDirectory, max_users: int | None) -> FollowScan:
        scan = x.following_includes if self.relation == "following" else x.followers_include
        return scan(self.owner, [self.looked_for], max_users)


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
            errors.append(UnknownUsersError.message(handle, "github"))
        if handle.lower() not in stage1.accounts:
            errors.append(UnknownUsersError.message(handle, "twitter"))
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
