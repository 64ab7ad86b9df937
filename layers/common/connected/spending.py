"""What X bills, kept within the day's budgets: the service's (MAX_X_USERS_READ_PER_DAY) and each caller's
(MAX_X_USERS_READ_PER_CALLER_PER_DAY), both counted in users billed per UTC day.

Before the X client sends a request, the most users it may bill are reserved on both day counters, each
with a condition that keeps it within its limit; once the request answered, what X billed is noted, and when
the answer ends the part reserved but not billed is given back. So answers running at the same moment never
push a counter past its limit, and every user X returned is counted, however the answer ends.

A reservation asks the counters for a lease of `LEASE_USERS` at once, from which the answer's later requests
are served without a round trip to DynamoDB; when a lease does not fit what is left of a budget, exactly what
the request needs is asked for instead, so a budget refuses only what it cannot cover. Once the answer's last X
request is reserved, the rest of the lease goes back while that request is under way, so that an answer whose
requests billed what they reserved has nothing left to give back at its end.

The spending of the answer under way travels in a context variable, as its deadline does, so that the X
client reserves without knowing the register (`connected.deadline.in_this_context` carries both to pool
threads).
"""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol

from connected.errors import (
    BudgetRefused,
    CallerBudgetSpentError,
    ConnectedError,
    DailyBudgetSpentError,
    RegisterUnavailableError,
)

DAY_SECONDS = 86_400
LEASE_USERS = 1000
"""What an answer reserves at once: a lookup and the first pages of its lists, most answers whole."""


class DayLimits(NamedTuple):
    """X users billed per UTC day: for the whole service, and for each caller; 0: no limit."""

    service: int = 0
    per_caller: int = 0


class XUsersCounters(Protocol):
    def reserve_x_users(self, day: date, caller: str | None, users: int, limits: DayLimits) -> int | None:
        """Adds `users` to the day's counters, or to none: raises `BudgetRefused` when one would pass its limit.
        Returns the caller's count after (None without a caller)."""
        ...

    def give_back_x_users(self, day: date, caller: str | None, users: int) -> int | None:
        """Takes `users` off the day's counters; returns the caller's count after (None without a caller)."""
        ...

    def x_users_billed(self, day: date, caller: str) -> int:
        """The caller's count of the day."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def seconds_to_midnight(now: datetime) -> int:
    """Whole seconds, at least 1, until the next midnight UTC, when the day's budgets start again."""
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, UTC)
    return max(1, int((midnight - now).total_seconds() + 0.999))


class Spending:
    """One request's X spending on behalf of `caller` (None: a caller nobody identified)."""

    def __init__(
        self,
        counters: Callable[[], XUsersCounters],
        caller: str | None,
        limits: Callable[[], DayLimits],
        on_register_trouble: Callable[[str, Exception], None],
        clock: Callable[[], datetime] = utc_now,
        executor: Callable[[], Executor] | None = None,
    ) -> None:
        """`counters` and `limits` are called at their first use: a request refused before any X call reads no
        configuration and builds nothing. `on_register_trouble` hears of a give-back or a read of the caller's
        count that failed: neither fails an answer (a count not given back only errs on the side of the budget).
        `executor` gives back aside, while the last X request or the answer's record is under way; None: at the
        end."""
        self.caller = caller
        self._on_register_trouble = on_register_trouble
        self._limits = limits
        self._counters = counters
        self._clock = clock
        self._executor = executor
        self._giving_back: list[Future[None]] = []
        self._day = clock().astimezone(UTC).date()
        self._lock = threading.Lock()
        self._reserved = 0
        """Users reserved on the counters for this request, lease included."""
        self._lease = 0
        """Users reserved and not yet promised to any X request."""
        self._billed = 0
        self._caller_count: int | None = None

    def reserve(self, users: int, last: bool = False) -> None:
        """Reserves what one X request may bill; raises `CallerBudgetSpentError` (429) when the caller's budget
        cannot cover it, else `DailyBudgetSpentError` (503) when the service's cannot. `last`: no other X request
        of the answer is expected after this one; what was reserved beyond it goes back while it is under way."""
        if users > 0:
            with self._lock:
                needed = max(0, users - self._lease)
                self._lease -= users - needed
            if needed:
                granted = self._reserve_on_counters(needed)
                with self._lock:
                    self._reserved += granted
                    self._lease += granted - needed
        if last:
            self.give_back_aside(keeping=users)

    def _reserve_on_counters(self, needed: int) -> int:
        """A lease when it fits, else exactly what is `needed`; the users granted."""
        limits = self._limits()
        counters = self._counters()
        for users in dict.fromkeys((max(needed, LEASE_USERS), needed)):
            try:
                caller_count = counters.reserve_x_users(self._day, self.caller, users, limits)
            except BudgetRefused as refused:
                if users > needed:
                    continue
                retry_after = seconds_to_midnight(self._clock())
                if refused.by_caller:
                    raise CallerBudgetSpentError(limits.per_caller, retry_after) from None
                raise DailyBudgetSpentError(retry_after) from None
            with self._lock:
                self._caller_count = caller_count
            return users
        raise AssertionError("the last attempt either grants or raises")

    def billed(self, users: int) -> None:
        """What X billed for a request: counted for good; the rest of its reservation is given back."""
        with self._lock:
            self._billed += users

    @property
    def billed_users(self) -> int:
        with self._lock:
            return self._billed

    def settle(self) -> None:
        """Gives back what was reserved and not billed; safe to call more than once."""
        with self._lock:
            giving_back, self._giving_back = self._giving_back, []
        for future in giving_back:
            future.result()
        self._give_back(self._take_unbilled(keeping=0))

    def give_back_aside(self, keeping: int = 0) -> None:
        """Gives back on the executor what was reserved and neither billed nor kept for the request about to be
        sent (`keeping`); `settle` waits for it. Nothing is sent to the executor when nothing is left to give."""
        if self._executor is None:
            return
        unbilled = self._take_unbilled(keeping)
        if unbilled > 0:
            future = self._executor().submit(self._give_back, unbilled)
            with self._lock:
                self._giving_back.append(future)

    def _take_unbilled(self, keeping: int) -> int:
        """Takes off what this spending reserved, its lease included, all that X has not billed beyond
        `keeping`: the users to give back."""
        with self._lock:
            unbilled = self._reserved - self._billed - keeping
            if unbilled <= 0:
                return 0
            self._reserved -= unbilled
            self._lease = 0
            if self._caller_count is not None:
                self._caller_count -= unbilled
            return unbilled

    def _give_back(self, users: int) -> None:
        if users <= 0:
            return
        try:
            count = self._counters().give_back_x_users(self._day, self.caller, users)
        except RegisterUnavailableError as error:
            self._on_register_trouble("give back X users reserved and not billed", error)
            with self._lock:
                self._caller_count = None
            return
        with self._lock:
            self._caller_count = count

    def caller_billed_today(self) -> int | None:
        """The caller's count of the day after this request, as the last reservation or give-back answered it,
        else read; None without a caller, or when it cannot be read."""
        if self.caller is None:
            return None
        with self._lock:
            known = self._caller_count
        if known is not None:
            return known
        try:
            return self._counters().x_users_billed(self._day, self.caller)
        except RegisterUnavailableError as error:
            self._on_register_trouble("read the caller's X users billed today", error)
            return None

    def rate_limit_headers(self) -> dict[str, str]:
        """The caller's standing after this request, as draft-ietf-httpapi-ratelimit-headers-11 spells it (the
        unit: X users billed): none without a caller, a per-caller budget, or a count that can be read."""
        try:
            budget = self._limits().per_caller
            billed_today = self.caller_billed_today() if budget else None
        except ConnectedError:
            return {}
        if billed_today is None:
            return {}
        return {
            "RateLimit-Policy": f'"daily";q={budget};w={DAY_SECONDS}',
            "RateLimit": f'"daily";r={max(0, budget - billed_today)};t={seconds_to_midnight(self._clock())}',
        }


def usage_of(counters: XUsersCounters, caller: str | None, budget: int, now: datetime) -> dict[str, object]:
    """A caller's day so far: X users billed for its answers, its budget (`None`: none) and what is left of it."""
    day = now.astimezone(UTC).date()
    billed_today = counters.x_users_billed(day, caller) if caller is not None else 0
    return {
        "caller": caller,
        "day": day.isoformat(),
        "x_users_billed": billed_today,
        "daily_budget": budget or None,
        "remaining": max(0, budget - billed_today) if budget else None,
        "resets_in_seconds": seconds_to_midnight(now),
    }


_current: ContextVar[Spending | None] = ContextVar("connected_spending", default=None)


@contextmanager
def spending_of(spending: Spending) -> Iterator[Spending]:
    """Runs the block with `spending` as the answer's; gives back what it did not bill when the block ends,
    however it ends."""
    token = _current.set(spending)
    try:
        yield spending
    finally:
        _current.reset(token)
        spending.settle()


def give_back_aside() -> None:
    """Called once the answer's X requests are over: what it reserved and X did not bill goes back on the
    spending's executor while the answer is recorded; the spending's end waits for it."""
    spending = _current.get()
    if spending is not None:
        spending.give_back_aside()


def reserve(users: int, last: bool = False) -> None:
    """Called by the X client before a request that may bill up to `users` (`last`: the answer's last one, as
    X's counts foretell); nothing without a spending."""
    spending = _current.get()
    if spending is not None:
        spending.reserve(users, last)


def billed_so_far() -> int:
    """The X users billed for the request under way (users looked up and users follow lists returned, as X bills
    them, however the answer ends): the one count the answer's telemetry reports; 0 without a spending."""
    spending = _current.get()
    return spending.billed_users if spending is not None else 0


def billed(users: int) -> None:
    """Called by the X client once a request answered (0 when it failed)."""
    spending = _current.get()
    if spending is not None:
        spending.billed(users)
