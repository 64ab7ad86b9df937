"""One request's X spending: reserved before each X request within both day budgets, given back when the
request ends, and told to the caller."""

from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import UTC, date, datetime
from typing import Any

import pytest

from connected.errors import BudgetRefused, CallerBudgetSpentError, DailyBudgetSpentError, RegisterUnavailableError
from connected.spending import DayLimits, Spending, reserve, spending_of

NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


class DayCounters:
    """The register's day counters in memory, with its limits."""

    def __init__(self) -> None:
        self.counts: dict[str | None, int] = {}
        self.given_back: list[int] = []
        self.unreachable = False

    def reserve_x_users(self, day: date, caller: str | None, users: int, limits: DayLimits) -> int | None:
        if caller is not None and limits.per_caller and self.counts.get(caller, 0) + users > limits.per_caller:
            raise BudgetRefused(by_caller=True)
        if limits.service and self.counts.get(None, 0) + users > limits.service:
            raise BudgetRefused(by_caller=False)
        self.counts[None] = self.counts.get(None, 0) + users
        if caller is None:
            return None
        self.counts[caller] = self.counts.get(caller, 0) + users
        return self.counts[caller]

    def give_back_x_users(self, day: date, caller: str | None, users: int) -> int | None:
        if self.unreachable:
            raise RegisterUnavailableError("the day's count of X users billed could not be updated")
        self.given_back.append(users)
        return self.reserve_x_users(day, caller, -users, DayLimits())

    def x_users_billed(self, day: date, caller: str) -> int:
        return self.counts.get(caller, 0)


class AtOnce(Executor):
    """Runs what is submitted before `submit` returns: what is given back aside is seen at once."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def spending_for(
    counters: DayCounters, limits: DayLimits, troubles: list[str] | None = None, executor: Executor | None = None
) -> Spending:
    return Spending(
        lambda: counters,
        "ada",
        lambda: limits,
        lambda operation, _error: (troubles if troubles is not None else []).append(operation),
        clock=lambda: NOON,
        executor=(lambda: executor) if executor is not None else None,
    )


def test_what_was_reserved_and_not_billed_is_given_back_when_the_request_ends() -> None:
    counters = DayCounters()
    spending = spending_for(counters, DayLimits(service=100, per_caller=50))

    with spending_of(spending):
        reserve(12)
        spending.billed(7)
        assert counters.counts == {None: 12, "ada": 12}

    assert counters.counts == {None: 7, "ada": 7}
    spending.settle()
    assert counters.counts == {None: 7, "ada": 7}


@pytest.mark.parametrize(
    ("limits", "refusal", "status_words"),
    [
        (DayLimits(service=100, per_caller=10), CallerBudgetSpentError, "of this caller is spent: 10 users"),
        (DayLimits(service=10, per_caller=100), DailyBudgetSpentError, "the daily twitter read budget is spent"),
        (DayLimits(service=10, per_caller=10), CallerBudgetSpentError, "of this caller is spent: 10 users"),
    ],
)
def test_a_reservation_past_a_budget_is_refused_until_midnight_utc_the_callers_first(
    limits: DayLimits, refusal: type[Exception], status_words: str
) -> None:
    spending = spending_for(DayCounters(), limits)

    with pytest.raises(refusal) as refused:
        spending.reserve(11)

    assert status_words in refused.value.messages[0]  # type: ignore[attr-defined]
    assert refused.value.retry_after_seconds == 12 * 3600  # type: ignore[attr-defined]


def test_a_give_back_that_fails_is_reported_and_fails_no_answer() -> None:
    counters, troubles = DayCounters(), list[str]()
    spending = spending_for(counters, DayLimits(), troubles)
    spending.reserve(5)
    counters.unreachable = True

    spending.settle()

    assert troubles == ["give back X users reserved and not billed"]
    assert counters.counts["ada"] == 1000


def test_the_caller_is_told_what_is_left_of_its_day_as_the_draft_headers_say() -> None:
    counters = DayCounters()
    spending = spending_for(counters, DayLimits(per_caller=10_000))
    with spending_of(spending):
        spending.reserve(1010)
        spending.billed(7)

    assert spending.rate_limit_headers() == {
        "RateLimit-Policy": '"daily";q=10000;w=86400',
        "RateLimit": '"daily";r=9993;t=43200',
    }
    assert spending_for(counters, DayLimits(per_caller=0)).rate_limit_headers() == {}


def test_a_lease_serves_later_requests_without_asking_the_counters_again() -> None:
    counters = DayCounters()
    asked: list[int] = []
    reserve_on_counters = counters.reserve_x_users

    def noted(day: date, caller: str | None, users: int, limits: DayLimits) -> int | None:
        asked.append(users)
        return reserve_on_counters(day, caller, users, limits)

    counters.reserve_x_users = noted  # type: ignore[method-assign]
    spending = spending_for(counters, DayLimits(service=100_000, per_caller=10_000))

    for users in (2, 310, 310, 500):
        spending.reserve(users)

    assert asked == [1000, 1000]
    assert counters.counts["ada"] == 2000


def test_a_lease_that_does_not_fit_the_budget_gives_way_to_exactly_what_is_needed() -> None:
    counters = DayCounters()
    spending = spending_for(counters, DayLimits(per_caller=30))

    spending.reserve(2)
    spending.reserve(11)
    with pytest.raises(CallerBudgetSpentError):
        spending.reserve(20)

    assert counters.counts["ada"] == 13


def test_the_last_request_gives_back_the_rest_of_the_lease_while_it_is_under_way() -> None:
    # Given an answer whose lookup leased 1,000 users, and whose first page billed 200 of the 201 it reserved
    counters = DayCounters()
    spending = spending_for(counters, DayLimits(service=100_000, per_caller=10_000), executor=AtOnce())
    spending.reserve(2)
    spending.billed(2)
    spending.reserve(201)
    spending.billed(200)

    # When its last request, which may bill 401, is reserved
    spending.reserve(401, last=True)

    # Then all that was reserved beyond what X billed and that request is given back before X answers it
    assert counters.given_back == [397]
    assert counters.counts == {None: 603, "ada": 603}

    # And once X billed all the last request reserved, the end of the answer has nothing left to give back
    spending.billed(401)
    spending.settle()
    assert counters.given_back == [397]
    assert counters.counts == {None: 603, "ada": 603}


def test_without_an_executor_the_rest_is_given_back_when_the_request_ends() -> None:
    counters = DayCounters()
    spending = spending_for(counters, DayLimits(service=100_000))

    spending.reserve(2, last=True)
    spending.billed(1)
    assert counters.given_back == []

    spending.settle()
    assert counters.given_back == [999]
    assert counters.counts[None] == 1


def test_giving_back_aside_what_x_billed_whole_asks_no_thread_for_it() -> None:
    # Given an answer whose requests billed all they reserved, once the rest of its lease went back
    submitted: list[object] = []

    class Noting(AtOnce):
        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    counters = DayCounters()
    spending = spending_for(counters, DayLimits(service=100_000), executor=Noting())
    spending.reserve(5, last=True)
    spending.billed(5)

    # When its X requests are over and it gives back aside what is left
    spending.give_back_aside()

    # Then only the lease's rest was ever sent to the executor, and the count is what X billed
    assert len(submitted) == 1
    assert counters.given_back == [995]
    assert counters.counts[None] == 5
