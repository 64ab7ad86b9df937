"""One exception type per failure a caller must tell apart, and `ERRORS`, the one table that gives each its
HTTP status, its metrics outcome and the example the OpenAPI document shows. Adding an error is a class and
its row; the HTTP answer, the `Answers` metric and the document follow from the row."""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import NamedTuple


class ConnectedError(Exception):
    """Base of every failure the API answers with an errors JSON body."""

    retry_after_seconds: int | None = None

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages: tuple[str, ...] = messages


class SameHandleError(ConnectedError):
    def __init__(self, dev1: str, dev2: str) -> None:
        super().__init__(f"{dev1} and {dev2} are the same developer: give two different handles")


class InvalidHandleError(ConnectedError):
    """A handle that can be a user on neither service (register route only)."""

    def __init__(self, handles: Sequence[str]) -> None:
        super().__init__(*(f"{handle} is not a valid handle on github or twitter" for handle in handles))


class InvalidQueryError(ConnectedError):
    """A register query parameter (limit, cursor, since, until) that cannot be used."""


class InvalidTeamError(ConnectedError):
    """A team path that is not 2 to 20 comma-separated handles."""


class UnknownUsersError(ConnectedError):
    """One or more handles name no user on a service; messages follow the contract's order, in its wording
    ("is no a valid user")."""

    @staticmethod
    def message(handle: str, service: str) -> str:
        return f"{handle} is no a valid user in {service}"


class ObjectedError(ConnectedError):
    """A developer of the pair is on the objection list: never looked up again, nor read from the register.
    The same words whichever of the two objected, so that the answer does not say who did."""

    def __init__(self) -> None:
        super().__init__("a developer of this pair asked not to be looked up")


class UndecidableError(ConnectedError):
    """No follow list that could decide a direction can be read with an app token."""


class FollowsUnreadableError(UndecidableError):
    """Both X accounts are protected."""

    def __init__(self, dev1: str, dev2: str) -> None:
        super().__init__(
            f"cannot tell whether {dev1} and {dev2} follow each other on twitter: both accounts are protected"
        )


class ListUnreadableError(UndecidableError):
    """A follow list answered with only `errors` (X's partial errors): its account turned protected, was
    suspended or deleted after the lookup. It says nothing of who follows whom."""

    def __init__(self, follower: str, followed: str, unreadable: str) -> None:
        super().__init__(
            f"cannot tell whether {follower} follows {followed} on twitter: {unreadable}'s lists became unreadable"
        )
        self.unreadable = unreadable


class OverBudgetError(UndecidableError):
    """A direction that cannot be decided within what is left of the answer's X read budget."""

    def __init__(self, follower: str, followed: str, max_x_users_read: int) -> None:
        super().__init__(
            f"cannot tell whether {follower} follows {followed} on twitter within the read budget of "
            f"{max_x_users_read} users"
        )


class FollowListUnreadable(Exception):  # noqa: N818  (a signal between the X client and the check)
    """A follow list answered only `errors` (X's partial errors): its account turned protected, was suspended
    or deleted after the lookup. The connection check reads another list, or answers `ListUnreadableError`."""

    def __init__(self, account: str, x_users_read: int) -> None:
        super().__init__(f"{account}'s follow lists became unreadable")
        self.account = account
        self.x_users_read = x_users_read


class BudgetRefused(Exception):  # noqa: N818  (a signal between the register and the spending)
    """A day counter of X users would pass its limit: the caller's (`by_caller`) or the service's."""

    def __init__(self, by_caller: bool) -> None:
        super().__init__("the caller's day budget is spent" if by_caller else "the service's day budget is spent")
        self.by_caller = by_caller


class UpstreamError(ConnectedError):
    """GitHub or X failed: 5xx, refused credentials, an unreadable answer, a connection that broke."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} failed: {detail}")
        self.service = service


class UpstreamRateLimitedError(ConnectedError):
    retry_after_seconds: int

    def __init__(self, service: str, retry_after_seconds: int, limit: str = "rate limit") -> None:
        super().__init__(f"{service} {limit} reached: retry in {retry_after_seconds} seconds")
        self.service = service
        self.retry_after_seconds = retry_after_seconds


class XCreditsDepletedError(ConnectedError):
    """X's pay-per-use account has no credits left (402): nothing is read until they are topped up."""

    def __init__(self) -> None:
        super().__init__("twitter credits depleted: the X developer account must be topped up before more reads")


class XUsageCappedError(ConnectedError):
    """A usage cap set on the X account or app is spent (429 `UsageCapExceeded`); the rate-limit window's
    reset says nothing of when the cap's period ends, so no Retry-After is given."""

    def __init__(self, period: str | None = None) -> None:
        cap = f"the {period.lower()} usage cap" if period else "a usage cap"
        super().__init__(f"twitter usage cap reached: {cap} of the X developer account is spent")


class DailyBudgetSpentError(ConnectedError):
    """The X users billed today (UTC) reached MAX_X_USERS_READ_PER_DAY: no fresh answer until midnight UTC."""

    retry_after_seconds: int

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("the daily twitter read budget is spent")
        self.retry_after_seconds = retry_after_seconds


class CallerBudgetSpentError(ConnectedError):
    """What is left of the caller's X read budget for today (UTC), MAX_X_USERS_READ_PER_CALLER_PER_DAY, cannot
    cover what an answer needs: no fresh answer for this caller until midnight UTC; other callers go on."""

    retry_after_seconds: int

    def __init__(self, budget: int, retry_after_seconds: int) -> None:
        super().__init__(f"the daily twitter read budget of this caller is spent: {budget} users")
        self.retry_after_seconds = retry_after_seconds


class UpstreamTimeoutError(ConnectedError):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} did not answer in time")
        self.service = service


class RegisterUnavailableError(ConnectedError):
    """The register could not be written or read; for a write, nothing was recorded and no answer is given."""


class ConfigurationError(ConnectedError):
    """The function is deployed without something it needs (table name, X credentials)."""


class UnexpectedError(ConnectedError):
    """What a caller is told of a failure nobody foresaw; the failure itself is logged."""

    def __init__(self) -> None:
        super().__init__("internal error: the failure was logged")


PAIR = frozenset({"pair"})
TEAM = frozenset({"team"})
REGISTER = frozenset({"register"})
USAGE = frozenset({"usage"})
REALTIME = PAIR | TEAM
EVERY_ROUTE = REALTIME | REGISTER


class ErrorEntry(NamedTuple):
    status: HTTPStatus
    outcome: str
    """The `outcome` dimension of the `Answers` metric."""
    when: str
    """When a caller gets it, as the OpenAPI document says."""
    example: ConnectedError
    routes: frozenset[str] = REALTIME
    """The routes that answer it: pair (/connected/realtime), team (/connected/team), register, usage."""


ERRORS: Mapping[type[ConnectedError], ErrorEntry] = {
    SameHandleError: ErrorEntry(
        HTTPStatus.BAD_REQUEST,
        "bad_request",
        "The same handle twice.",
        SameHandleError("alice", "ALICE"),
        EVERY_ROUTE,
    ),
    InvalidHandleError: ErrorEntry(
        HTTPStatus.BAD_REQUEST,
        "bad_request",
        "A handle no service allows.",
        InvalidHandleError(["a.b"]),
        REGISTER,
    ),
    InvalidQueryError: ErrorEntry(
        HTTPStatus.BAD_REQUEST,
        "bad_request",
        "A bad query parameter.",
        InvalidQueryError("since must not be later than until"),
        EVERY_ROUTE,
    ),
    InvalidTeamError: ErrorEntry(
        HTTPStatus.BAD_REQUEST,
        "bad_request",
        "A team of fewer than 2 or more than 20 handles, or with an empty one.",
        InvalidTeamError("a team is 2 to 20 comma-separated handles, not 21"),
        TEAM,
    ),
    UnknownUsersError: ErrorEntry(
        HTTPStatus.NOT_FOUND,
        "unknown_user",
        "A handle is no user on a service (dev1-github, dev1-twitter, dev2-github, dev2-twitter order); "
        "a GitHub organisation is no user.",
        UnknownUsersError("bob is no a valid user in github", "bob is no a valid user in twitter"),
    ),
    ObjectedError: ErrorEntry(
        HTTPStatus.UNAVAILABLE_FOR_LEGAL_REASONS,
        "objected",
        "A developer of the pair asked not to be looked up (RFC 7725); nothing was asked of GitHub or X, and "
        "nothing was recorded or read.",
        ObjectedError(),
        PAIR | REGISTER,
    ),
    UndecidableError: ErrorEntry(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "undecidable",
        "No follow list that could decide it can be read: both X accounts are protected, or a list became "
        "unreadable after the lookup.",
        FollowsUnreadableError("alice", "bob"),
        PAIR,
    ),
    ConfigurationError: ErrorEntry(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "The function is not configured (logged).",
        ConfigurationError("the service is not configured: TABLE_NAME is not set"),
        EVERY_ROUTE | USAGE,
    ),
    OverBudgetError: ErrorEntry(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "over_budget",
        "A follow direction cannot be decided within the answer's X read budget (MAX_X_USERS_READ).",
        OverBudgetError("alice", "bob", 5000),
        PAIR,
    ),
    UpstreamError: ErrorEntry(
        HTTPStatus.BAD_GATEWAY,
        "upstream_error",
        "An upstream failed: 5xx, refused credentials, an unreadable answer.",
        UpstreamError("github", "answered 500"),
    ),
    UpstreamRateLimitedError: ErrorEntry(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "upstream_error",
        "An upstream rate limit, with Retry-After.",
        UpstreamRateLimitedError("twitter", 412),
    ),
    XCreditsDepletedError: ErrorEntry(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "credits_depleted",
        "The X account's credits are spent (no Retry-After: they must be topped up).",
        XCreditsDepletedError(),
    ),
    XUsageCappedError: ErrorEntry(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "usage_capped",
        "A usage cap of the X account is spent (no Retry-After: the cap must be raised or its period end).",
        XUsageCappedError("Daily"),
    ),
    CallerBudgetSpentError: ErrorEntry(
        HTTPStatus.TOO_MANY_REQUESTS,
        "caller_budget_spent",
        "The caller's X read budget for the day (MAX_X_USERS_READ_PER_CALLER_PER_DAY) cannot cover the answer: "
        "Retry-After is the next midnight UTC; answers from the register (max_age) still work, and other callers "
        "are not affected.",
        CallerBudgetSpentError(10000, 37800),
    ),
    DailyBudgetSpentError: ErrorEntry(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "daily_budget_spent",
        "The day's X read budget (MAX_X_USERS_READ_PER_DAY) is spent: Retry-After is the next midnight UTC; "
        "answers from the register (max_age) still work.",
        DailyBudgetSpentError(37800),
    ),
    RegisterUnavailableError: ErrorEntry(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "register_error",
        "The register could not be written (nothing was answered) or read.",
        RegisterUnavailableError("the register could not record the answer; nothing was stored"),
        EVERY_ROUTE | USAGE,
    ),
    UpstreamTimeoutError: ErrorEntry(
        HTTPStatus.GATEWAY_TIMEOUT,
        "upstream_error",
        "An upstream did not answer in time.",
        UpstreamTimeoutError("twitter"),
    ),
    UnexpectedError: ErrorEntry(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "An unexpected failure (logged).",
        UnexpectedError(),
        EVERY_ROUTE | USAGE,
    ),
}


PROBLEM_TITLES: Mapping[str, str] = {
    "bad_request": "The request cannot be answered as sent",
    "not_found": "No such route",
    "unknown_user": "A developer is no user on a service",
    "objected": "A developer asked not to be looked up",
    "undecidable": "Who follows whom cannot be told",
    "over_budget": "The answer's X read budget cannot decide it",
    "caller_budget_spent": "The caller's daily X read budget is spent",
    "daily_budget_spent": "The service's daily X read budget is spent",
    "upstream_error": "GitHub or X failed",
    "credits_depleted": "The X account's credits are spent",
    "usage_capped": "A usage cap of the X account is spent",
    "register_error": "The register cannot be used",
    "internal_error": "Internal error",
}
"""The title of each kind of problem (RFC 9457): one per outcome of `ERRORS`, and `not_found` for a path no
route serves."""


def cause_of(error: BaseException) -> dict[str, str]:
    """What an operator needs to tell failures apart: the exception type of the error and of its root cause,
    and, for AWS, the error code (ThrottlingException, AccessDeniedException, ResourceNotFoundException...)."""
    cause: dict[str, str] = {"error_type": type(error).__name__}
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    if root is not error:
        cause["cause_type"] = type(root).__name__
    response = getattr(root, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if isinstance(code, str):
        cause["aws_error_code"] = code
    return cause


def entry_of(error: BaseException) -> ErrorEntry:
    """The row of the error's nearest class in `ERRORS` (a subclass shares its parent's row)."""
    return next((ERRORS[kind] for kind in type(error).__mro__ if kind in ERRORS), ERRORS[UnexpectedError])
