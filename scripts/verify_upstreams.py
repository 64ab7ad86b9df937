"""Live check that what the product and its test fakes assume about the real X and GitHub APIs still holds.

Run by hand or on a schedule: `python scripts/verify_upstreams.py` (or `make verify-upstreams`).

Environment:
  TWITTER_BEARER_TOKEN  required: an app-only X bearer token. Without it X is not checked and the run fails.
  GITHUB_TOKEN          optional: GitHub answers 60 requests an hour per IP without one, and this run needs 6.
  VERIFY_X_USERNAMES    optional: 1 to 3 well-known public X accounts, comma-separated (default XDevelopers,github).
  VERIFY_GITHUB_LOGIN   optional: a GitHub user with 2 or more public organisations (default sindresorhus).

It prints one line per assumption (PASS, FAIL, NOT CHECKABLE LIVE, NOT RUN or SKIPPED), what each cost, and the
totals. X bills every user it returns at $0.010: the run reads at most 9 (2 found accounts and 2 pages of 2 from
one following list, 6 in all with the defaults). Exit status: 0 when every checkable assumption passed, 1 when
one failed or could not be run, 2 when the configuration is invalid. Tokens are never printed.
"""

import argparse
import hashlib
import importlib
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent

X_API = "https://api.twitter.com/2"
GITHUB_API = "https://api.github.com"
GITHUB_API_VERSION = "2022-11-28"
USER_AGENT = "connected-developers-verify-upstreams"
TIMEOUTS = (3.05, 10.0)

DEFAULT_X_USERNAMES = ("XDevelopers", "github")
DEFAULT_GITHUB_LOGIN = "sindresorhus"
GITHUB_ORGANISATION = "github"
MAX_X_USERNAMES = 3
LIST_PAGE_SIZE = 2
MAX_X_USERS_READ = 9
X_PRICE_PER_USER = 0.010
MIN_PAGINATION_TOKEN_LENGTH = 16

X_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
NUMERIC_ID = re.compile(r"^\d+$")
GITHUB_NEXT_PATH = re.compile(r"^/user/\d+/orgs$")
X_RATE_LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
GITHUB_RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


class Status(StrEnum):
    # A verdict, not a password:
    PASS = "PASS"  # noqa: S105  # nosec B105
    FAIL = "FAIL"
    NOT_CHECKABLE = "NOT CHECKABLE LIVE"
    NOT_RUN = "NOT RUN"
    SKIPPED = "SKIPPED"


FAILING = frozenset({Status.FAIL, Status.NOT_RUN})


class CheckFailed(Exception):  # noqa: N818 - reads as the outcome it reports
    """The assumption does not hold; the message says what was seen instead."""


class NotCheckable(Exception):  # noqa: N818
    """The assumption cannot be shown with the accounts at hand; the message says why."""


class Skipped(Exception):  # noqa: N818
    """An optional check whose tooling is absent."""


class BudgetExceeded(CheckFailed):
    """A call could read more X users than the run allows."""


@dataclass(frozen=True)
class Config:
    x_token: str | None
    github_token: str | None
    x_usernames: tuple[str, ...]
    github_login: str
    unknown_x_username: str
    unknown_github_login: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str], today: date) -> "Config":
        """Raises ValueError, in words, for a configuration the run cannot use."""
        names = tuple(
            name.strip() for name in environ.get("VERIFY_X_USERNAMES", ",".join(DEFAULT_X_USERNAMES)).split(",")
        )
        names = tuple(name for name in names if name)
        if not 1 <= len(names) <= MAX_X_USERNAMES:
            raise ValueError(f"VERIFY_X_USERNAMES must name 1 to {MAX_X_USERNAMES} accounts (the X budget)")
        if not all(X_USERNAME.fullmatch(name) for name in names):
            raise ValueError("VERIFY_X_USERNAMES holds a name that is not a valid X username")
        login = environ.get("VERIFY_GITHUB_LOGIN", "").strip() or DEFAULT_GITHUB_LOGIN
        if not GITHUB_LOGIN.fullmatch(login):
            raise ValueError("VERIFY_GITHUB_LOGIN is not a valid GitHub login")
        return cls(
            x_token=environ.get("TWITTER_BEARER_TOKEN", "").strip() or None,
            github_token=environ.get("GITHUB_TOKEN", "").strip() or None,
            x_usernames=names,
            github_login=login,
            unknown_x_username=unknown_x_username(today),
            unknown_github_login=unknown_github_login(today),
        )

    def secrets(self) -> list[str]:
        return [token for token in (self.x_token, self.github_token) if token]


def unknown_x_username(today: date) -> str:
    """A valid X username (15 characters, `_` and digits) that no one will have registered: `__YYYYMMDD__NNN`."""
    return f"__{today:%Y%m%d}__{today.toordinal() % 1000:03d}"


def unknown_github_login(today: date) -> str:
    """A valid GitHub login that no one will have registered, the same all day."""
    digest = hashlib.sha256(f"verify-upstreams {today.isoformat()}".encode()).hexdigest()
    return f"no-such-user-{today:%Y%m%d}-{digest[:16]}"


@dataclass
class Meter:
    """What the run has spent: X users read (billed) and requests made to each upstream."""

    x_users_read: int = 0
    x_requests: int = 0
    github_requests: int = 0

    def snapshot(self) -> tuple[int, int, int]:
        return (self.x_users_read, self.x_requests, self.github_requests)


@dataclass
class Context:
    config: Config
    session: requests.Session
    meter: Meter = field(default_factory=Meter)
    lookup: dict[str, Any] | None = None
    listed_account: dict[str, Any] | None = None
    following_next_token: str | None = None
    following_first_ids: list[str] = field(default_factory=list)
    github_first_page: requests.Response | None = None
    x_oks: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    github_oks: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    bodies: list[tuple[str, str, int, Any]] = field(default_factory=list)

    # X -----------------------------------------------------------------------------------------------------

    def x_get(self, path: str, params: dict[str, str], most_users: int) -> requests.Response:
        """GET on X, refused before it is sent if it could read more users than the budget has left."""
        if self.meter.x_users_read + most_users > MAX_X_USERS_READ:
            raise BudgetExceeded(
                f"not sent: it could read {most_users} more X users, past the budget of {MAX_X_USERS_READ}"
            )
        self.meter.x_requests += 1
        response = self.session.get(
            f"{X_API}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.config.x_token}", "User-Agent": USER_AGENT},
            timeout=TIMEOUTS,
        )
        if response.status_code == 200:
            self.x_oks.append((f"GET {urlsplit(response.url).path}", response.headers))
            body = json_of(response)
            data = body.get("data") if isinstance(body, dict) else None
            self.meter.x_users_read += len(data) if isinstance(data, list) else 0
        return response

    # GitHub ------------------------------------------------------------------------------------------------

    def github_get(self, url: str, extra_headers: Mapping[str, str] | None = None) -> requests.Response:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
            "User-Agent": USER_AGENT,
        }
        if self.config.github_token:
            headers["Authorization"] = f"Bearer {self.config.github_token}"
        headers.update(extra_headers or {})
        self.meter.github_requests += 1
        response = self.session.get(url, headers=headers, timeout=TIMEOUTS)
        if response.status_code == 200:
            self.github_oks.append((f"GET {urlsplit(response.url).path}", response.headers))
        return response

    def record(self, vendor: str, operation: str, response: requests.Response) -> Any:
        body = json_of(response)
        self.bodies.append((vendor, operation, response.status_code, body))
        return body


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise CheckFailed(f"{response.status_code} answer was not JSON") from error


def expect_status(response: requests.Response, expected: int) -> None:
    if response.status_code != expected:
        raise CheckFailed(f"answered {response.status_code}, not {expected}{problem_of(response)}")


def problem_of(response: requests.Response) -> str:
    """X's or GitHub's own words for a failure, briefly: title and type, or message."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    words = [str(body[key]) for key in ("title", "type", "message") if isinstance(body.get(key), str)]
    return f": {'; '.join(words)}" if words else ""


# The checks --------------------------------------------------------------------------------------------------


def check_x_lookup(ctx: Context) -> str:
    names = [*ctx.config.x_usernames, ctx.config.unknown_x_username]
    response = ctx.x_get(
        "/users/by",
        {"usernames": ",".join(names), "user.fields": "public_metrics,protected"},
        most_users=len(names),
    )
    expect_status(response, 200)
    body = ctx.record("x", "GET /2/users/by", response)
    if not isinstance(body, dict):
        raise CheckFailed("the answer was not a JSON object")
    ctx.lookup = body
    users = body.get("data")
    if not isinstance(users, list):
        raise CheckFailed("no `data` list although known accounts were asked for")
    problems = [problem for user in users for problem in user_problems(user)]
    if problems:
        raise CheckFailed("; ".join(problems))
    found = {str(user["username"]).lower() for user in users}
    missing = [name for name in ctx.config.x_usernames if name.lower() not in found]
    if missing:
        raise CheckFailed(f"known accounts not found: {', '.join(missing)}")
    if ctx.config.unknown_x_username.lower() in found:
        raise CheckFailed(f"the unknown handle {ctx.config.unknown_x_username} exists after all")
    return f"{len(users)} found: " + ", ".join(
        f"{user['username']} (following {user['public_metrics']['following_count']}"
        f"{', protected' if user['protected'] else ''})"
        for user in users
    )


def user_problems(user: Any) -> list[str]:
    if not isinstance(user, dict):
        return ["a user is not an object"]
    label = str(user.get("username", "?"))
    problems = []
    if not (isinstance(user.get("id"), str) and NUMERIC_ID.fullmatch(user["id"])):
        problems.append(f"{label}: `id` is not a string of digits")
    if not isinstance(user.get("username"), str):
        problems.append(f"{label}: `username` is not a string")
    if not isinstance(user.get("protected"), bool):
        problems.append(f"{label}: `protected` is not a boolean")
    metrics = user.get("public_metrics")
    for count in ("followers_count", "following_count"):
        value = metrics.get(count) if isinstance(metrics, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{label}: `public_metrics.{count}` is not an integer")
    return problems


def check_x_unknown_error(ctx: Context) -> str:
    if ctx.lookup is None:
        raise CheckFailed("could not be checked: the lookup above failed")
    unknown = ctx.config.unknown_x_username
    error = unknown_user_error(ctx.lookup, unknown)
    if error is None:
        raise CheckFailed(f"no entry in `errors` names {unknown}")
    return describe_unknown_error(error, unknown)


def unknown_user_error(body: Mapping[str, Any], unknown: str) -> dict[str, Any] | None:
    errors = body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict) and recognised_by(error, unknown):
            return error
    return None


def recognised_by(error: Mapping[str, Any], unknown: str) -> list[str]:
    """Which of `value`, `resource_id` and `detail` name the unknown handle."""
    ways = [key for key in ("value", "resource_id") if str(error.get(key, "")).lower() == unknown.lower()]
    detail = error.get("detail")
    if isinstance(detail, str) and re.search(rf"(?<![A-Za-z0-9_]){re.escape(unknown)}(?![A-Za-z0-9_])", detail, re.I):
        ways.append("detail")
    return ways


def describe_unknown_error(error: Mapping[str, Any], unknown: str) -> str:
    problems = []
    if error.get("title") != "Not Found Error":
        problems.append(f"title is {error.get('title')!r}, not 'Not Found Error'")
    if not str(error.get("type", "")).endswith("/resource-not-found"):
        problems.append(f"type is {error.get('type')!r}, not .../resource-not-found")
    if problems:
        raise CheckFailed("; ".join(problems))
    ways = recognised_by(error, unknown)
    present = [key for key in ("value", "resource_id", "detail") if key in error]
    return f"recognised from {ways[0]}; present: {', '.join(present)}; type {error['type']}"


def check_x_nobody_found(ctx: Context) -> str:
    unknown = ctx.config.unknown_x_username
    response = ctx.x_get("/users/by", {"usernames": unknown, "user.fields": "public_metrics,protected"}, most_users=1)
    expect_status(response, 200)
    body = ctx.record("x", "GET /2/users/by", response)
    if not isinstance(body, dict):
        raise CheckFailed("the answer was not a JSON object")
    if "data" in body:
        raise CheckFailed(f"`data` is present: {body['data']!r}")
    if unknown_user_error(body, unknown) is None:
        raise CheckFailed(f"no entry in `errors` names {unknown}")
    return "no `data`, the handle listed in `errors`"


def check_x_following_page(ctx: Context) -> str:
    if ctx.lookup is None or not isinstance(ctx.lookup.get("data"), list):
        raise CheckFailed("could not be checked: the lookup above failed")
    readable = [
        user
        for user in ctx.lookup["data"]
        if not user_problems(user) and not user["protected"] and user["public_metrics"]["following_count"] > 0
    ]
    if not readable:
        raise CheckFailed("no public account that follows anyone was found: set VERIFY_X_USERNAMES")
    more_than_a_page = [user for user in readable if user["public_metrics"]["following_count"] > LIST_PAGE_SIZE]
    account = min(more_than_a_page or readable, key=lambda user: user["public_metrics"]["following_count"])
    response = ctx.x_get(
        f"/users/{account['id']}/following", {"max_results": str(LIST_PAGE_SIZE)}, most_users=LIST_PAGE_SIZE
    )
    expect_status(response, 200)
    body = ctx.record("x", "GET /2/users/{id}/following", response)
    ids = page_ids(body)
    ctx.following_first_ids = ids
    meta = body["meta"]
    token = meta.get("next_token")
    if account["public_metrics"]["following_count"] > LIST_PAGE_SIZE:
        if not isinstance(token, str) or len(token) < MIN_PAGINATION_TOKEN_LENGTH:
            raise CheckFailed(f"`meta.next_token` is {describe_token(token)}, not a string of 16+ characters")
        ctx.following_next_token = token
    ctx.listed_account = account
    return (
        f"@{account['username']}: {len(ids)} ids, result_count {meta['result_count']}, "
        f"next_token {describe_token(token)}"
    )


def page_ids(body: Any) -> list[str]:
    if not isinstance(body, dict):
        raise CheckFailed("the answer was not a JSON object")
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise CheckFailed(f"`data` is {type(data).__name__}, not a list of users")
    ids = [item.get("id") if isinstance(item, dict) else None for item in data]
    if not all(isinstance(value, str) and NUMERIC_ID.fullmatch(value) for value in ids):
        raise CheckFailed("a `data[].id` is not a string of digits")
    meta = body.get("meta")
    count = meta.get("result_count") if isinstance(meta, dict) else None
    if not isinstance(count, int) or isinstance(count, bool):
        raise CheckFailed("`meta.result_count` is not an integer")
    if count != len(ids):
        raise CheckFailed(f"`meta.result_count` is {count} for {len(ids)} users")
    if len(ids) > LIST_PAGE_SIZE:
        raise CheckFailed(f"{len(ids)} users answered for max_results={LIST_PAGE_SIZE}")
    return [str(value) for value in ids]


def describe_token(token: Any) -> str:
    return f"{len(token)} characters" if isinstance(token, str) else "absent"


def check_x_following_page_two(ctx: Context) -> str:
    account = ctx.listed_account
    if account is None:
        raise CheckFailed("could not be checked: the first page above failed")
    if ctx.following_next_token is None:
        raise NotCheckable(f"@{account['username']} follows too few accounts for a second page")
    response = ctx.x_get(
        f"/users/{account['id']}/following",
        {"max_results": str(LIST_PAGE_SIZE), "pagination_token": ctx.following_next_token},
        most_users=LIST_PAGE_SIZE,
    )
    expect_status(response, 200)
    ids = page_ids(ctx.record("x", "GET /2/users/{id}/following", response))
    repeated = set(ids) & set(ctx.following_first_ids)
    if repeated:
        raise CheckFailed(f"page 2 repeats {len(repeated)} id(s) of page 1: the token was ignored")
    return f"{len(ids)} more ids, none from page 1"


def check_x_rate_limit_headers(ctx: Context) -> str:
    return rate_limit_headers(ctx.x_oks, X_RATE_LIMIT_HEADERS, "X")


def rate_limit_headers(oks: list[tuple[str, Mapping[str, str]]], names: Sequence[str], upstream: str) -> str:
    if not oks:
        raise CheckFailed(f"could not be checked: {upstream} answered no 200 above")
    now = time.time()
    problems = []
    for label, headers in oks:
        for name in names:
            value = headers.get(name)
            if value is None:
                problems.append(f"{label}: no {name}")
            elif not value.strip().isdigit():
                problems.append(f"{label}: {name} is {value!r}, not an integer")
            elif name.endswith("reset") and not now - 300 <= int(value) <= now + 86400:
                problems.append(f"{label}: {name} {value} is not an epoch second in the next day")
    if problems:
        raise CheckFailed("; ".join(sorted(set(problems))))
    return f"on all {len(oks)} 200 answers"


def check_github_orgs_page(ctx: Context) -> str:
    login = ctx.config.github_login
    response = ctx.github_get(f"{GITHUB_API}/users/{login}/orgs?per_page=1")
    expect_status(response, 200)
    body = ctx.record("github", "GET /users/{username}/orgs", response)
    ctx.github_first_page = response
    organisation_logins(body)
    return f"{login}: {len(body)} organisation on page 1"


def organisation_logins(body: Any) -> list[str]:
    if not isinstance(body, list) or not all(
        isinstance(item, dict) and isinstance(item.get("login"), str) for item in body
    ):
        raise CheckFailed("the answer is not a list of objects with a `login`")
    return [item["login"] for item in body]


def check_github_next_link(ctx: Context) -> str:
    first = ctx.github_first_page
    if first is None:
        raise CheckFailed("could not be checked: the first page above failed")
    next_url = first.links.get("next", {}).get("url")
    if not next_url:
        raise CheckFailed(
            f'no Link rel="next": {ctx.config.github_login} has under 2 public organisations? set VERIFY_GITHUB_LOGIN'
        )
    parts = urlsplit(next_url)
    if f"{parts.scheme}://{parts.netloc}" != GITHUB_API or not GITHUB_NEXT_PATH.fullmatch(parts.path):
        raise CheckFailed(f"the next URL {next_url} is not {GITHUB_API}/user/<digits>/orgs")
    if parse_qs(parts.query).get("page") != ["2"]:
        raise CheckFailed(f"the next URL {next_url} does not ask for page=2")
    response = ctx.github_get(next_url)
    expect_status(response, 200)
    organisation_logins(ctx.record("github", "GET /users/{username}/orgs", response))
    return f"{parts.path}?{parts.query}, and page 2 answers 200"


def check_github_etag(ctx: Context) -> str:
    first = ctx.github_first_page
    if first is None:
        raise CheckFailed("could not be checked: the first page above failed")
    etag = first.headers.get("ETag")
    if not etag:
        raise CheckFailed("the first page has no ETag")
    kind = "weak" if etag.startswith('W/"') else "strong"
    response = ctx.github_get(first.url, {"If-None-Match": etag})
    expect_status(response, 304)
    return f"{kind} ETag; If-None-Match answered 304"


def check_github_unknown_user(ctx: Context) -> str:
    login = ctx.config.unknown_github_login
    response = ctx.github_get(f"{GITHUB_API}/users/{login}/orgs?per_page=1")
    expect_status(response, 404)
    return f"{login}: 404"


def check_github_organisation_login(ctx: Context) -> str:
    orgs = ctx.github_get(f"{GITHUB_API}/users/{GITHUB_ORGANISATION}/orgs?per_page=1")
    expect_status(orgs, 200)
    body = ctx.record("github", "GET /users/{username}/orgs", orgs)
    if body != []:
        raise CheckFailed(f"/users/{GITHUB_ORGANISATION}/orgs is not []: {len(organisation_logins(body))} items")
    user = ctx.github_get(f"{GITHUB_API}/users/{GITHUB_ORGANISATION}")
    expect_status(user, 200)
    profile = ctx.record("github", "GET /users/{username}", user)
    kind = profile.get("type") if isinstance(profile, dict) else None
    if kind != "Organization":
        raise CheckFailed(f"/users/{GITHUB_ORGANISATION} has type {kind!r}, not 'Organization'")
    return "orgs [] and type Organization"


def check_github_rate_limit_headers(ctx: Context) -> str:
    return rate_limit_headers(ctx.github_oks, GITHUB_RATE_LIMIT_HEADERS, "GitHub")


def check_schemas(ctx: Context) -> str:
    try:
        check_answer = importlib.import_module("tests.support.contracts").check_answer
    except (ImportError, AttributeError) as error:
        raise Skipped(f"tests/support/contracts.py cannot be used ({type(error).__name__}: {error})") from error
    if not ctx.bodies:
        raise CheckFailed("could not be checked: no live answer was recorded above")
    violations = []
    for vendor, operation, status, body in ctx.bodies:
        try:
            check_answer(vendor, operation, status, body)
        except AssertionError as error:
            violations.append(f"{vendor} {operation}: {error}")
    if violations:
        raise CheckFailed("; ".join(violations))
    return f"{len(ctx.bodies)} answers checked"


def not_checkable(source: str) -> Callable[[Context], str]:
    def check(_ctx: Context) -> str:
        raise NotCheckable(f"cannot be provoked safely; the fakes follow {source}")

    return check


@dataclass(frozen=True)
class Check:
    name: str
    assumption: str
    run: Callable[[Context], str]
    needs_x_token: bool = False


CHECKS: tuple[Check, ...] = (
    Check(
        "x-lookup",
        "X GET /2/users/by answers 200; each user has a string id, username, protected (bool) and integer "
        "public_metrics.followers_count and following_count",
        check_x_lookup,
        needs_x_token=True,
    ),
    Check(
        "x-unknown-user",
        "X lists an unknown username in `errors` with title 'Not Found Error' and type .../resource-not-found, "
        "recognisable from value, resource_id or detail",
        check_x_unknown_error,
        needs_x_token=True,
    ),
    Check(
        "x-nobody-found",
        "X GET /2/users/by answers 200 without `data` when nobody is found",
        check_x_nobody_found,
        needs_x_token=True,
    ),
    Check(
        "x-following-page",
        f"X GET /2/users/{{id}}/following?max_results={LIST_PAGE_SIZE} answers 200 with string data[].id, integer "
        "meta.result_count and an opaque meta.next_token of 16+ characters when more exist",
        check_x_following_page,
        needs_x_token=True,
    ),
    Check(
        "x-following-page-2",
        "X follow lists: sending meta.next_token back as pagination_token gives the next page",
        check_x_following_page_two,
        needs_x_token=True,
    ),
    Check(
        "x-rate-limit-headers",
        "X 200 answers carry x-rate-limit-limit, x-rate-limit-remaining and x-rate-limit-reset (epoch seconds)",
        check_x_rate_limit_headers,
        needs_x_token=True,
    ),
    Check(
        "github-orgs",
        "GitHub GET /users/{login}/orgs answers 200 with a list of objects that have a `login`",
        check_github_orgs_page,
    ),
    Check(
        "github-next-link",
        'GitHub\'s Link rel="next" uses the numeric id form /user/<digits>/orgs?...page=2, and it works',
        check_github_next_link,
    ),
    Check(
        "github-etag",
        "GitHub sends an ETag, and sending it back in If-None-Match gives 304",
        check_github_etag,
    ),
    Check(
        "github-unknown-user",
        "GitHub GET /users/{unknown}/orgs answers 404",
        check_github_unknown_user,
    ),
    Check(
        "github-organisation-login",
        f"GitHub GET /users/{GITHUB_ORGANISATION}/orgs answers 200 [] and /users/{GITHUB_ORGANISATION} has type "
        "Organization",
        check_github_organisation_login,
    ),
    Check(
        "github-rate-limit-headers",
        "GitHub 200 answers carry x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset (epoch seconds)",
        check_github_rate_limit_headers,
    ),
    Check(
        "schemas",
        "every live answer above matches the vendor's published schema (tests/support/contracts.py)",
        check_schemas,
    ),
    Check(
        "x-402-credits-depleted",
        "X answers 402 Payment Required, type .../credits-depleted, when the account has no credits",
        not_checkable("docs.x.com, Pay-per-use pricing (402 credits-depleted)"),
    ),
    Check(
        "x-429-usage-capped",
        "X answers 429 title UsageCapExceeded, type .../usage-capped, when a usage cap is hit",
        not_checkable("docs.x.com, Usage caps (429 UsageCapExceeded)"),
    ),
    Check(
        "x-429-rate-limit",
        "X answers 429 with x-rate-limit-reset and no Retry-After when a rate limit is hit",
        not_checkable("docs.x.com, Rate limits (429, x-rate-limit-reset)"),
    ),
    Check(
        "x-partial-errors",
        "X answers 200 with `errors` (Authorization Error, not-authorized-for-resource) and no `data` for a "
        "list whose account became protected or suspended",
        not_checkable("docs.x.com, Response codes and errors (partial errors)"),
    ),
    Check(
        "github-secondary-rate-limit",
        "GitHub answers 403 or 429 for a secondary rate limit, retry-after optional",
        not_checkable("docs.github.com, Rate limits for the REST API (secondary rate limits)"),
    ),
    Check(
        "github-primary-rate-limit",
        "GitHub answers 403 or 429 with x-ratelimit-remaining 0 and x-ratelimit-reset when the limit is spent",
        not_checkable("docs.github.com, Rate limits for the REST API (primary rate limit)"),
    ),
)


@dataclass(frozen=True)
class Result:
    check: Check
    status: Status
    detail: str
    x_users_read: int
    x_requests: int
    github_requests: int


def run_check(check: Check, ctx: Context) -> Result:
    before = ctx.meter.snapshot()
    if check.needs_x_token and not ctx.config.x_token:
        status, detail = Status.NOT_RUN, "TWITTER_BEARER_TOKEN is not set"
    else:
        try:
            status, detail = Status.PASS, check.run(ctx)
        except NotCheckable as reason:
            status, detail = Status.NOT_CHECKABLE, str(reason)
        except Skipped as reason:
            status, detail = Status.SKIPPED, str(reason)
        except CheckFailed as reason:
            status, detail = Status.FAIL, str(reason)
        except requests.RequestException as error:
            status, detail = Status.FAIL, f"the request failed: {type(error).__name__}: {error}"
        except Exception as error:  # noqa: BLE001 - one broken check is a FAIL line, not a crashed run
            status, detail = Status.FAIL, f"unexpected {type(error).__name__}: {error}"
    after = ctx.meter.snapshot()
    return Result(check, status, detail, *(spent - had for spent, had in zip(after, before, strict=True)))


def cost_of(result: Result) -> str:
    spent = []
    if result.x_requests:
        spent.append(f"X users read {result.x_users_read}")
    if result.github_requests:
        spent.append(f"GitHub requests {result.github_requests}")
    return ", ".join(spent) or "no calls"


def run(config: Config, session: requests.Session, emit: Callable[[str], None]) -> int:
    ctx = Context(config, session)
    if not config.x_token:
        emit("X: checked nothing: TWITTER_BEARER_TOKEN is not set, so no X assumption can be verified.")
    emit(
        f"Checking with X accounts {', '.join(config.x_usernames)} + unknown {config.unknown_x_username}, "
        f"GitHub login {config.github_login} + unknown {config.unknown_github_login}, "
        f"GitHub {'with' if config.github_token else 'without'} a token."
    )
    results = []
    for check in CHECKS:
        result = run_check(check, ctx)
        results.append(result)
        line = f"{result.status:<18}  {check.name:<27}  [{cost_of(result)}]  {check.assumption}"
        emit(f"{line}: {result.detail}" if result.detail else line)
    counts = {status: sum(result.status == status for result in results) for status in Status}
    emit(
        "Totals: "
        + ", ".join(f"{count} {status}" for status, count in counts.items() if count)
        + f". X users read: {ctx.meter.x_users_read} (${ctx.meter.x_users_read * X_PRICE_PER_USER:.3f} at "
        f"${X_PRICE_PER_USER:.3f} each; budget {MAX_X_USERS_READ}) in {ctx.meter.x_requests} X requests; "
        f"GitHub requests: {ctx.meter.github_requests}."
    )
    failed = [result.check.name for result in results if result.status in FAILING]
    if not config.x_token:
        emit("RESULT: FAILED: X was not checked (set TWITTER_BEARER_TOKEN); a run without it never passes.")
    elif failed:
        emit(f"RESULT: FAILED: {', '.join(failed)}.")
    else:
        emit("RESULT: PASSED: every assumption that can be checked live holds.")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Environment: TWITTER_BEARER_TOKEN (required), GITHUB_TOKEN, VERIFY_X_USERNAMES, VERIFY_GITHUB_LOGIN.",
    ).parse_args(argv)
    try:
        config = Config.from_env(os.environ, datetime.now(UTC).date())
    except ValueError as error:
        print(f"Checked nothing: {error}.")
        return 2
    secrets = config.secrets()

    def emit(text: str) -> None:
        for secret in secrets:
            text = text.replace(secret, "***")
        print(text, flush=True)

    with requests.Session() as session:
        return run(config, session, emit)


if __name__ == "__main__":
    sys.path[:0] = [str(PROJECT_ROOT), str(PROJECT_ROOT / "layers" / "common")]
    sys.exit(main())
