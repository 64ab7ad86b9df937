"""`make verify-upstreams`: the product's own clients against the live X and GitHub, checking that what the product
and its fakes assume of them still holds, every JSON answer held to the vendors' descriptions (tests/contracts/).
docs/true-to-x-and-github.md says what each check looks at.

Environment: TWITTER_BEARER_TOKEN (required: an app-only X bearer token; without it X is not checked and the run
fails), GITHUB_TOKEN (optional: without it GitHub answers 60 requests an hour per IP; the run makes 7),
VERIFY_X_USERNAMES (1 to 3 well-known public X accounts, comma-separated; default XDevelopers,github) and
VERIFY_GITHUB_LOGIN (a GitHub user with 2 or more public organisations; default sindresorhus).

It prints one line per assumption with its cost, and the totals; it reads at most 9 X users ($0.010 each; 6 with the
defaults) and never prints a token. Exit status: 0 when every checkable assumption passed, 1 when one failed or could
not be run, 2 when the configuration is invalid.
"""

import argparse
import hashlib
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "common"))

from connected.credentials import Credentials
from connected.factory import real_upstreams
from connected.github import GitHubClient
from connected.handles import can_be_github_login, can_be_x_username
from connected.models import XAccount
from connected.settings import Settings
from connected.telemetry import UpstreamCall
from connected.twitter import XClient
from connected.upstream import RETRIED_STATUSES, endpoint_of
from tests.support.contracts import Vendor, check_answer

DEFAULT_X_USERNAMES, DEFAULT_GITHUB_LOGIN = ("XDevelopers", "github"), "sindresorhus"
MAX_X_USERNAMES, X_PAGE_SIZE = 3, 2
X_LIST_READ = 2 * X_PAGE_SIZE
MAX_X_USERS_READ = MAX_X_USERNAMES + 1 + 1 + X_LIST_READ
"""The hard cap, by construction: a lookup of the names and the unknown one (found too, were it taken), one of the
unknown one alone, and a following list read to 2 pages at most."""
X_PRICE_PER_USER = 0.010
PASS, FAIL, NOT_CHECKABLE, NOT_RUN = "PASS", "FAIL", "NOT CHECKABLE LIVE", "NOT RUN"
OPERATIONS: Mapping[str, tuple[Vendor, str]] = {
    "/2/users/by": ("x", "GET /2/users/by"),
    "/2/users/*/following": ("x", "GET /2/users/{id}/following"),
    "/users/*/orgs": ("github", "GET /users/{username}/orgs"),
    "/user/*/orgs": ("github", "GET /users/{username}/orgs"),  # GitHub's next pages name the user by number
    "/users/*": ("github", "GET /users/{username}"),
}
NOT_CHECKABLE_LIVE = {  # what cannot be provoked safely, and the vendor's document the fakes follow instead
    "x-402-credits-depleted": "X answers 402 .../credits-depleted without credits (docs.x.com, Pay-per-use pricing)",
    "x-429-usage-capped": "X answers 429 UsageCapExceeded, .../usage-capped, at a usage cap (docs.x.com, Usage caps)",
    "x-429-rate-limit": "X answers 429 with x-rate-limit-reset, no Retry-After, at a limit (docs.x.com, Rate limits)",
    "x-partial-errors": "X answers 200 with only `errors` (Authorization Error) for a list turned protected or "
    "suspended (docs.x.com, Response codes and errors)",
    "github-secondary-rate-limit": "GitHub answers 403 or 429 at a secondary rate limit, retry-after optional "
    "(docs.github.com, Rate limits for the REST API)",
    "github-primary-rate-limit": "GitHub answers 403 or 429, x-ratelimit-remaining 0 and x-ratelimit-reset, at the "
    "primary limit (docs.github.com, Rate limits for the REST API)",
}


class CheckFailed(Exception):  # noqa: N818 - reads as the outcome it reports
    """The assumption does not hold; the message says what was seen instead."""


def expect(holds: object, otherwise: str) -> None:
    if not holds:
        raise CheckFailed(otherwise)


def found_above[T](value: T | None, what: str) -> T:
    expect(value is not None, f"could not be checked: {what} above failed")
    return cast(T, value)


def listed(body: Any, key: str) -> list[Any]:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, list) else []


class Config(NamedTuple):
    x_token: str | None
    github_token: str | None
    x_usernames: tuple[str, ...]
    github_login: str
    unknown_x_username: str
    unknown_github_login: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str], today: date) -> "Config":
        """Raises ValueError, in words, for a configuration the run cannot use."""
        listed_names = environ.get("VERIFY_X_USERNAMES", ",".join(DEFAULT_X_USERNAMES)).split(",")
        names = tuple(name.strip() for name in listed_names if name.strip())
        if not 1 <= len(names) <= MAX_X_USERNAMES or not all(map(can_be_x_username, names)):
            raise ValueError(f"VERIFY_X_USERNAMES must name 1 to {MAX_X_USERNAMES} valid X usernames (the X budget)")
        login = environ.get("VERIFY_GITHUB_LOGIN", "").strip() or DEFAULT_GITHUB_LOGIN
        if not can_be_github_login(login):
            raise ValueError("VERIFY_GITHUB_LOGIN is not a valid GitHub login")
        x_token, github_token = (
            environ.get(name, "").strip() or None for name in ("TWITTER_BEARER_TOKEN", "GITHUB_TOKEN")
        )
        unknown_x = f"__{today:%Y%m%d}__{today.toordinal() % 1000:03d}"  # valid, and never registered
        digest = hashlib.sha256(f"verify-upstreams {today.isoformat()}".encode()).hexdigest()
        return cls(x_token, github_token, names, login, unknown_x, f"no-such-user-{today:%Y%m%d}-{digest[:16]}")


class Heard(NamedTuple):
    """An answer as a client got it; `body` is None when it was not JSON (a 304 has none)."""

    vendor: Vendor
    operation: str
    status: int
    url: str
    headers: Mapping[str, str]
    body: Any


class Live:
    """The product's clients against the live X and GitHub, what they were answered, and the checks on that. Each
    check is a method named x_... or github_... (and schemas), run in the order written: its name names its line, its
    docstring is the assumption, and it may use what the checks before it learnt."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.calls: list[UpstreamCall] = []
        self.heard: list[Heard] = []
        credentials = Credentials(config.x_token or "", config.github_token)
        upstreams = real_upstreams(Settings(table_name="not read"), credentials, self.calls.append)
        self.github, self.x = cast(GitHubClient, upstreams.github), cast(XClient, upstreams.x)
        for session in (self.github._session, self.x._client.session):  # real_upstreams returns no session
            session.hooks["response"].append(self._hear)
        self.accounts: Mapping[str, XAccount] | None = None  # what checks learn, for the checks after them
        self.following_pages: list[Any] | None = None
        self.organisations: list[str] | None = None
        self.first_orgs_page: Heard | None = None

    def _hear(self, response: requests.Response, **_: Any) -> None:
        """Keeps each answer a client takes: not a 502, 503 or 504 the session retries (or, retried to the
        last, makes the client fail)."""
        if response.status_code in RETRIED_STATUSES:
            return
        try:
            body = response.json()
        except ValueError:
            body = None
        vendor, operation = OPERATIONS[endpoint_of(response.url)]
        self.heard.append(Heard(vendor, operation, response.status_code, response.url, response.headers, body))

    def heard_during[T](self, call: Callable[[], T]) -> tuple[T, list[Heard]]:
        start = len(self.heard)
        return call(), self.heard[start:]

    def oks(self, vendor: Vendor) -> list[Heard]:
        return [heard for heard in self.heard if heard.vendor == vendor and heard.status == 200]

    def spent(self) -> tuple[int, int, int]:
        """X users read (what X bills: the users of its 200 answers), X requests, GitHub requests."""
        upstreams = [call.upstream for call in self.calls]
        users = sum(len(listed(ok.body, "data")) for ok in self.oks("x"))
        return users, upstreams.count("twitter"), upstreams.count("github")

    def x_lookup(self) -> str:
        """X's user lookup (the client's GET /2/users/by) finds the known accounts and explains the unknown one"""
        unknown, known = self.config.unknown_x_username, self.config.x_usernames
        accounts = self.x.find_accounts([*known, unknown])
        expect(unknown.lower() not in accounts, f"the unknown handle {unknown} exists after all")
        missing = [name for name in known if name.lower() not in accounts]
        expect(not missing, f"known accounts not found: {', '.join(missing)}")
        self.accounts = accounts
        return f"{len(accounts)} found: " + ", ".join(
            f"{one.username} (following {one.following_count}{', protected' if one.protected else ''})"
            for one in accounts.values()
        )

    def x_unknown_user(self) -> str:
        """X lists an unknown username in `errors` with title 'Not Found Error' and type .../resource-not-found"""
        lookup = next((heard for heard in self.oks("x") if heard.operation == "GET /2/users/by"), None)
        errors = listed(found_above(lookup, "the lookup").body, "errors")
        expect(len(errors) == 1 and isinstance(errors[0], dict), f"{len(errors)} `errors` for one unknown user")
        title, kind = errors[0].get("title"), errors[0].get("type")
        expect(title == "Not Found Error" and str(kind).endswith("/resource-not-found"), f"title {title!r}, {kind!r}")
        return f"present: {', '.join(key for key in ('value', 'resource_id', 'detail') if key in errors[0])}; {kind}"

    def x_nobody_found(self) -> str:
        """X GET /2/users/by answers 200 without `data` when nobody is found"""
        found, heard = self.heard_during(lambda: self.x.find_accounts([self.config.unknown_x_username]))
        expect(not found and "data" not in heard[-1].body, f"`data` is present: {heard[-1].body.get('data')!r}")
        return "no `data`, and the client found nobody"

    def x_following_page(self) -> str:
        """X GET /2/users/{id}/following?max_results=2 answers result_count users, and a 16+ character next_token"""
        accounts = found_above(self.accounts, "the lookup").values()
        pageable = [one for one in accounts if not one.protected and one.following_count > X_PAGE_SIZE]
        expect(pageable, f"no public account follows over {X_PAGE_SIZE}, for 2 pages: set VERIFY_X_USERNAMES")
        account = min(pageable, key=lambda one: one.following_count)
        with mock.patch("connected.twitter.LIST_PAGE_SIZE", X_PAGE_SIZE):  # no list holds its own account: read on
            _, heard = self.heard_during(lambda: self.x.following_includes(account, [account], X_LIST_READ))
        self.following_pages = [page.body for page in heard if page.status == 200]
        ids, meta = listed(self.following_pages[0], "data"), self.following_pages[0].get("meta", {})
        expect(meta.get("result_count") == len(ids) <= X_PAGE_SIZE, f"{len(ids)} users, {meta.get('result_count')=}")
        token = meta.get("next_token")
        expect(len(token or "") >= 16, f"`meta.next_token` is {token!r}, not 16+ characters")
        return f"@{account.username}: {len(ids)} ids, result_count {len(ids)}, next_token of {len(token)} characters"

    def x_following_page_2(self) -> str:
        """X follow lists: the client's pagination_token (the meta.next_token) gives the next page"""
        pages = found_above(self.following_pages, "the first page")
        expect(len(pages) == 2, f"the client read {len(pages)} page(s): there was no next_token to send back")
        first, second = ({user.get("id") for user in listed(page, "data")} for page in pages)
        expect(not first & second, f"page 2 repeats {len(first & second)} id(s) of page 1: the token was ignored")
        return f"{len(second)} more ids, none from page 1"

    def x_rate_limit_headers(self) -> str:
        """X 200 answers carry x-rate-limit-limit, x-rate-limit-remaining and x-rate-limit-reset (epoch seconds)"""
        return self._rate_limit_headers("x", "x-rate-limit-")

    def github_orgs(self) -> str:
        """The GitHub client reads a user's public organisations (GET /users/{login}/orgs)"""
        login = self.config.github_login
        self.organisations, heard = self.heard_during(lambda: self.github.organisations(login))
        expect(self.organisations is not None, f"{login} is no GitHub user: set VERIFY_GITHUB_LOGIN")
        self.first_orgs_page = heard[0]
        return f"{login}: {len(self.organisations or [])} public organisations in {len(heard)} page(s)"

    def github_next_link(self) -> str:
        """GitHub pages organisations by Link rel="next", in the numeric id form /user/<digits>/orgs?...page=2"""
        login, organisations = self.config.github_login, found_above(self.organisations, "the list")
        expect(len(organisations) > 1, f"{login} has under 2 public organisations to page: set VERIFY_GITHUB_LOGIN")
        with mock.patch("connected.github.PAGE_SIZE", len(organisations) - 1):
            paged, heard = self.heard_during(lambda: self.github.organisations(login))
        pages = [page for page in heard if page.status == 200]
        expect(len(pages) == 2 and paged == organisations, f"{len(pages)} pages gave {paged}, not {organisations}")
        parts = urlsplit(pages[1].url)
        numeric = re.fullmatch(r"/user/\d+/orgs", parts.path) and parse_qs(parts.query).get("page") == ["2"]
        expect(numeric, f"the next URL {pages[1].url} is not /user/<digits>/orgs?...page=2")
        return f"{parts.path}?{parts.query}, and page 2 answers 200"

    def github_etag(self) -> str:
        """GitHub sends an ETag, and answers the client's If-None-Match with 304"""
        etag = found_above(self.first_orgs_page, "the list").headers.get("ETag", "")
        expect(etag, "the first page has no ETag")
        again, heard = self.heard_during(lambda: self.github.organisations(self.config.github_login))
        statuses = [page.status for page in heard]
        expect(set(statuses) == {304} and again == self.organisations, f"If-None-Match got {statuses}, not 304")
        return f"{'weak' if etag.startswith('W/') else 'strong'} ETag; the client's If-None-Match answered 304"

    def github_unknown_user(self) -> str:
        """GitHub GET /users/{unknown}/orgs answers 404"""
        login = self.config.unknown_github_login
        found, heard = self.heard_during(lambda: self.github.organisations(login))
        expect(found is None and heard[0].status == 404, f"answered {heard[0].status}, not 404; found {found}")
        return f"{login}: 404"

    def github_organisation_login(self) -> str:
        """GitHub GET /users/github/orgs answers 200 [] and /users/github type Organization: no user, to the client"""
        found, heard = self.heard_during(lambda: self.github.organisations("github"))
        statuses = [page.status for page in heard]
        expect(found is None and statuses == [200, 200], f"answered {statuses}: taken for a user in {found}")
        return "orgs [] and type Organization"

    def github_rate_limit_headers(self) -> str:
        """GitHub 200 answers carry x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset (epoch seconds)"""
        return self._rate_limit_headers("github", "x-ratelimit-")

    def _rate_limit_headers(self, vendor: Vendor, prefix: str) -> str:
        oks, now, problems = self.oks(vendor), time.time(), set()
        expect(oks, "could not be checked: no 200 answer above")
        for heard in oks:
            for name in (prefix + part for part in ("limit", "remaining", "reset")):
                value = heard.headers.get(name, "")
                if not value.isdigit() or (name.endswith("reset") and not now - 300 <= int(value) <= now + 86400):
                    problems.add(f"{heard.operation}: {name} is {value!r}, not an integer (reset: an epoch second)")
        expect(not problems, "; ".join(sorted(problems)))
        return f"on all {len(oks)} 200 answers"

    def schemas(self) -> str:
        """Every JSON answer above matches the vendor's description and has the fields the product reads"""
        answers, violations = [heard for heard in self.heard if heard.body is not None], []
        expect(answers, "could not be checked: no JSON answer was heard above")
        for heard in answers:
            try:
                check_answer(heard.vendor, heard.operation, heard.status, heard.body)
            except AssertionError as violation:
                violations.append(str(violation))
        expect(not violations, "; ".join(violations))
        return f"{len(answers)} answers checked"


CHECKS: list[Callable[[Live], str]] = [
    check for name, check in vars(Live).items() if name.startswith(("x_", "github_")) or name == "schemas"
]


def run(config: Config, emit: Callable[[str], None]) -> int:
    live, statuses = Live(config), dict[str, str]()
    if not config.x_token:
        emit("X: checked nothing: TWITTER_BEARER_TOKEN is not set, so no X assumption can be verified.")
    emit(
        f"Checking with X accounts {', '.join(config.x_usernames)} + unknown {config.unknown_x_username}, GitHub login "
        f"{config.github_login} + unknown {config.unknown_github_login}, GitHub "
        f"{'with' if config.github_token else 'without'} a token."
    )
    for check in CHECKS:
        before, name = live.spent(), check.__name__.replace("_", "-")
        try:
            if name.startswith("x-") and not config.x_token:
                status, detail = NOT_RUN, "TWITTER_BEARER_TOKEN is not set"
            else:
                status, detail = PASS, check(live)
        except CheckFailed as reason:
            status, detail = FAIL, str(reason)
        except Exception as error:  # noqa: BLE001 - a client's failure is a FAIL line, not a crashed run
            status, detail = FAIL, f"{type(error).__name__}: {error}"
        users, x_requests, github_requests = (now - then for now, then in zip(live.spent(), before, strict=True))
        cost = (
            f"X users read {users}" if x_requests else f"GitHub requests {github_requests}" if github_requests else ""
        )
        statuses[name] = status
        emit(f"{status:<18}  {name:<27}  [{cost or 'no calls'}]  {check.__doc__}: {detail}")
    for name, assumption in NOT_CHECKABLE_LIVE.items():
        statuses[name] = NOT_CHECKABLE
        emit(f"{NOT_CHECKABLE}  {name:<27}  [no calls]  {assumption}: cannot be provoked safely; the fakes follow that")
    users, x_requests, github_requests = live.spent()
    counted = Counter(statuses.values())
    counts = ", ".join(
        f"{counted[status]} {status}" for status in (PASS, FAIL, NOT_CHECKABLE, NOT_RUN) if counted[status]
    )
    emit(
        f"Totals: {counts}. X users read: {users} (${users * X_PRICE_PER_USER:.3f} at ${X_PRICE_PER_USER:.3f} each; "
        f"budget {MAX_X_USERS_READ}) in {x_requests} X requests; GitHub requests: {github_requests}."
    )
    failed = [name for name, status in statuses.items() if status in (FAIL, NOT_RUN)]
    if not config.x_token:
        emit("RESULT: FAILED: X was not checked (set TWITTER_BEARER_TOKEN); a run without it never passes.")
    else:
        emit(f"RESULT: FAILED: {', '.join(failed)}." if failed else "RESULT: PASSED: every checkable assumption holds.")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    try:
        config = Config.from_env(os.environ, datetime.now(UTC).date())
    except ValueError as error:
        print(f"Checked nothing: {error}.")
        return 2
    secrets = [token for token in (config.x_token, config.github_token) if token]

    def emit(text: str) -> None:
        for secret in secrets:
            text = text.replace(secret, "***")
        print(text, flush=True)

    return run(config, emit)


if __name__ == "__main__":
    sys.exit(main())
