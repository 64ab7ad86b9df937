"""scripts/verify_upstreams.py against X and GitHub served at the HTTP layer (responses) by local/upstreams.py, from a
world holding the script's default accounts, every answer the fakes give checked against the vendors' schemas; each
deviation a test needs is a fault on one endpoint. What is asserted: the verdict lines, the exit code, the X users
read, and that no token is printed."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from connected.handles import can_be_github_login, can_be_x_username
from local.upstreams import ENDPOINTS, Fault, Reply, x_problem
from scripts import verify_upstreams
from tests.support.faults import (
    X_CREDITS_DOCUMENT,
    FakeUpstreams,
    following,
    off_spec,
    raise_error,
    reply,
    x_credits_depleted,
)

X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecret-x-bearer-token-0123456789"
GITHUB_TOKEN = "ghp_" + "secretGitHubToken0123456789abcdef"  # built, so no tracked file holds a token shape
GITHUB_LOGIN = verify_upstreams.DEFAULT_GITHUB_LOGIN
X_CHECKS = {
    "x-lookup",
    "x-unknown-user",
    "x-nobody-found",
    "x-following-page",
    "x-following-page-2",
    "x-rate-limit-headers",
}
LIVE_CHECKS = X_CHECKS | {
    "github-orgs",
    "github-next-link",
    "github-etag",
    "github-unknown-user",
    "github-organisation-login",
    "github-rate-limit-headers",
    "schemas",
}
NOT_CHECKABLE = {
    "x-402-credits-depleted",
    "x-429-usage-capped",
    "x-429-rate-limit",
    "x-partial-errors",
    "github-secondary-rate-limit",
    "github-primary-rate-limit",
}


@pytest.fixture
def vendors(upstreams: FakeUpstreams, monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    """X and GitHub as documented, holding the accounts the script reads by default."""
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.delenv("VERIFY_X_USERNAMES", raising=False)
    monkeypatch.delenv("VERIFY_GITHUB_LOGIN", raising=False)
    upstreams.developer("XDevelopers", other_following=1900)
    # One name, two accounts: @github on X, and the GitHub organisation the script asks about.
    upstreams.developer("github", organisations=[], is_organisation=True, other_following=310)
    upstreams.developer(GITHUB_LOGIN, organisations=["avajs", "chalk", "xojs"], on_x=False)
    return upstreams


def unknown_handles() -> verify_upstreams.Config:
    return verify_upstreams.Config.from_env({}, datetime.now(UTC).date())


def unknown_error_without(vendors: FakeUpstreams, *fields: str) -> Fault:
    """X's lookup, its unknown-user errors leaving out `fields`."""

    def drop(_headers: dict[str, str], body: Any) -> None:
        for error in body["errors"]:
            for name in fields:
                del error[name]

    return vendors.altered("x_users", drop)


def next_link_by_login(vendors: FakeUpstreams) -> Fault:
    """GitHub's first page of organisations, its next link naming the user by login instead of numeric id."""
    number = vendors.world.github_id(GITHUB_LOGIN)

    def by_login(headers: dict[str, str], _body: Any) -> None:
        headers["Link"] = headers["Link"].replace(f"/user/{number}/", f"/users/{GITHUB_LOGIN}/")

    return vendors.altered("github_orgs", by_login)


def no_next_token(vendors: FakeUpstreams) -> Fault:
    """A follow-list page without `meta.next_token` although more follow."""

    def drop(_headers: dict[str, str], body: Any) -> None:
        del body["meta"]["next_token"]

    return vendors.altered("x_following", drop)


def ids_as_numbers(vendors: FakeUpstreams) -> Fault:
    """X's lookup, its users' ids JSON numbers where X describes strings of digits."""

    def to_numbers(_headers: dict[str, str], body: Any) -> None:
        for user in body.get("data", []):
            user["id"] = int(user["id"])

    return off_spec(vendors.altered("x_users", to_numbers))


def as_documented(vendors: FakeUpstreams, endpoint: str) -> Fault:
    """The world's own answer: to wrap in a fault that changes the request first."""
    return vendors.altered(endpoint, lambda _headers, _body: None)


def result_count_off_by_one(vendors: FakeUpstreams) -> Fault:
    """A follow-list page whose `meta.result_count` is not the number of users it holds."""

    def miscount(_headers: dict[str, str], body: Any) -> None:
        body["meta"]["result_count"] += 1

    return vendors.altered("x_following", miscount)


def pagination_token_ignored(vendors: FakeUpstreams) -> Fault:
    """A follow list that answers the first page whatever `pagination_token` it is sent."""
    first_page = as_documented(vendors, "x_following")

    def fault(request: requests.PreparedRequest) -> Reply:
        parts = urlsplit(str(request.url))
        query = [(name, value) for name, value in parse_qsl(parts.query) if name != "pagination_token"]
        request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return first_page(request)

    return fault


def without_header(vendors: FakeUpstreams, endpoint: str, header: str) -> Fault:
    """The world's own answer, `header` left out."""

    def drop(headers: dict[str, str], _body: Any) -> None:
        del headers[header]

    return vendors.altered(endpoint, drop)


def empty_list_for_unknown_login(vendors: FakeUpstreams) -> Fault:
    """GitHub answering an unknown login's organisations with 200 [] instead of 404."""
    organisations = as_documented(vendors, "github_orgs")

    def fault(request: requests.PreparedRequest) -> Reply:
        if f"/users/{unknown_handles().unknown_github_login}/" in str(request.url):
            return 200, {}, "[]"
        return organisations(request)

    return fault


def ignoring_if_none_match(vendors: FakeUpstreams) -> Fault:
    """GitHub's organisations as documented, except that a matching If-None-Match still gets the full 200."""
    organisations = as_documented(vendors, "github_orgs")

    def fault(request: requests.PreparedRequest) -> Reply:
        request.headers.pop("If-None-Match", None)
        return organisations(request)

    return fault


def echoing_the_token_in_errors(vendors: FakeUpstreams) -> Fault:
    """X's lookup, its unknown-user error titled with the bearer token it was sent."""

    def echo(_headers: dict[str, str], body: Any) -> None:
        for error in body.get("errors", []):
            error["title"] = f"Not Found for {X_TOKEN}"

    return vendors.altered("x_users", echo)


def requests_to(vendors: FakeUpstreams, vendor: str) -> list[requests.PreparedRequest]:
    return [request for endpoint in ENDPOINTS if endpoint.startswith(vendor) for request in vendors.requests[endpoint]]


def verdicts(output: str) -> dict[str, str]:
    """Check name to status, from the table's lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^(PASS|FAIL|NOT CHECKABLE LIVE|NOT RUN)\s+(\S+)\s", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def line_of(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if re.match(rf"^[A-Z ]+\s{re.escape(name)}\s", line))


def x_users_read(output: str) -> int:
    match = re.search(r"X users read: (\d+)", output)
    assert match, output
    return int(match.group(1))


def test_given_no_x_token_when_run_then_it_says_it_checked_nothing_and_exits_non_zero(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code == 1
    assert "checked nothing" in output
    assert "TWITTER_BEARER_TOKEN is not set" in output
    assert requests_to(vendors, "x") == []
    assert x_users_read(output) == 0
    assert {name for name, status in verdicts(output).items() if status == "NOT RUN"} == X_CHECKS
    assert {verdicts(output)[name] for name in LIVE_CHECKS - X_CHECKS} == {"PASS"}
    assert "RESULT: FAILED: X was not checked" in output


def test_given_upstreams_as_documented_when_run_then_every_checkable_line_passes_under_budget(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    found = verdicts(output)
    assert found == dict.fromkeys(LIVE_CHECKS, "PASS") | dict.fromkeys(NOT_CHECKABLE, "NOT CHECKABLE LIVE"), output
    assert code == 0, output
    assert x_users_read(output) == 6  # 2 accounts found, then 2 pages of 2 from one following list
    assert x_users_read(output) == vendors.x_users_looked_up + vendors.x_users_returned
    assert "RESULT: PASSED" in output


def test_given_upstreams_as_documented_when_run_then_it_pages_the_smaller_following_list_and_reports_details(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "@github:" in line_of(output, "x-following-page")
    assert "present: value, resource_id, detail" in line_of(output, "x-unknown-user")
    assert "weak ETag" in line_of(output, "github-etag")
    assert f"/user/{vendors.world.github_id(GITHUB_LOGIN)}/orgs" in line_of(output, "github-next-link")
    pages = [parse_qs(urlsplit(str(request.url)).query) for request in vendors.requests["x_following"]]
    assert [page["max_results"] for page in pages] == [["2"], ["2"]]
    assert vendors.page_tokens[pages[1]["pagination_token"][0]] == 2
    assert ("github_orgs", 304) in vendors.statuses


@pytest.mark.parametrize("endpoint", ["x_users", "x_following", "github_orgs", "github_users"])
def test_given_an_answer_the_session_tries_again_for_when_run_then_every_line_still_passes(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str], endpoint: str
) -> None:
    vendors.fail(endpoint, reply(503))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code == 0, output
    assert vendors.statuses[(endpoint, 503)] == 1


def test_given_tokens_when_run_then_the_products_clients_ask_each_vendor_with_its_own(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    capsys.readouterr()
    x = requests_to(vendors, "x")
    assert x
    assert all(request.headers["Authorization"] == f"Bearer {X_TOKEN}" for request in x)
    assert all("Tweepy/" in request.headers["User-Agent"] for request in x)
    github = requests_to(vendors, "github")
    assert len(github) == 7
    for request in github:
        assert request.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_given_no_github_token_when_run_then_github_is_asked_without_authorization_and_still_passes(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    code = verify_upstreams.main([])

    assert code == 0, capsys.readouterr().out
    assert requests_to(vendors, "github")
    assert all("Authorization" not in request.headers for request in requests_to(vendors, "github"))


@pytest.mark.parametrize(
    ("dropped", "present"),
    [(("value",), "present: resource_id, detail"), (("value", "resource_id"), "present: detail")],
)
def test_given_the_unknown_user_error_drops_value_or_resource_id_when_run_then_what_is_left_is_reported(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str], dropped: tuple[str, ...], present: str
) -> None:
    vendors.fail_every_time("x_users", unknown_error_without(vendors, *dropped))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-lookup").startswith("PASS")
    assert line_of(output, "x-unknown-user").startswith("PASS")
    assert present in line_of(output, "x-unknown-user")
    assert code == 0, output


def test_given_the_unknown_user_error_has_another_title_when_run_then_that_line_fails(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    # X names a suspended account in `errors` as it does an unknown one, titled Forbidden.
    vendors.developer(unknown_handles().unknown_x_username, suspended=True)

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-lookup").startswith("PASS")
    assert line_of(output, "x-unknown-user").startswith("FAIL")
    assert "title 'Forbidden'" in line_of(output, "x-unknown-user")
    assert code == 1


def test_given_githubs_next_link_uses_the_login_when_run_then_that_line_fails_and_the_exit_code_is_non_zero(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail("github_orgs", next_link_by_login(vendors), after=1)  # the first page of the paged read

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    line = line_of(output, "github-next-link")
    assert line.startswith("FAIL")
    assert f"/users/{GITHUB_LOGIN}/orgs" in line
    assert verdicts(output)["github-etag"] == "PASS"
    assert code == 1
    assert "RESULT: FAILED: github-next-link." in output


def test_given_a_following_list_without_a_next_token_when_more_exist_then_paging_fails(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail("x_following", no_next_token(vendors))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-following-page").startswith("FAIL")
    assert "`meta.next_token` is None" in line_of(output, "x-following-page")
    assert line_of(output, "x-following-page-2").startswith("FAIL")
    assert "no next_token to send back" in line_of(output, "x-following-page-2")
    assert code == 1


def test_given_the_x_account_is_out_of_credits_when_run_then_x_lines_fail_with_the_problem_and_nothing_is_read(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail_every_time("x_users", x_credits_depleted())

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "XCreditsDepletedError: twitter credits depleted" in line_of(output, "x-lookup")
    assert verdicts(output)["github-orgs"] == "PASS"
    assert x_users_read(output) == 0
    assert code == 1


def test_given_the_upstreams_are_unreachable_when_run_then_every_live_line_fails_without_a_traceback(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    for endpoint in ENDPOINTS:
        vendors.fail_every_time(endpoint, raise_error(requests.ConnectionError("no route to host")))

    code = verify_upstreams.main([])

    captured = capsys.readouterr()
    found = verdicts(captured.out)
    assert {found[name] for name in LIVE_CHECKS} == {"FAIL"}
    assert "the connection failed" in line_of(captured.out, "x-lookup")
    assert "the connection failed" in line_of(captured.out, "github-orgs")
    assert "Traceback" not in captured.out + captured.err
    assert code == 1


def test_given_x_ids_sent_as_numbers_when_run_then_the_client_copes_but_the_schema_line_fails(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail_every_time("x_users", ids_as_numbers(vendors))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-lookup").startswith("PASS")
    assert line_of(output, "schemas").startswith("FAIL")
    assert "x GET /2/users/by 200" in line_of(output, "schemas")
    assert "data[0].id" in line_of(output, "schemas")
    assert code == 1


@pytest.mark.parametrize(
    ("change", "failures"),
    [
        pytest.param(
            lambda vendors: vendors.developer(unknown_handles().unknown_x_username),
            {"x-lookup": "exists after all", "x-nobody-found": "`data` is present"},
            id="unknown-x-handle-taken",
        ),
        pytest.param(
            lambda vendors: vendors.world.developers.pop("xdevelopers"),
            {"x-lookup": "known accounts not found: XDevelopers"},
            id="known-x-account-gone",
        ),
        pytest.param(
            lambda vendors: vendors.fail("x_following", result_count_off_by_one(vendors)),
            {"x-following-page": "2 users, meta.get('result_count')=3"},
            id="x-result-count-off",
        ),
        pytest.param(
            lambda vendors: vendors.fail_every_time("x_following", pagination_token_ignored(vendors)),
            {"x-following-page-2": "page 2 repeats 2 id(s) of page 1"},
            id="x-pagination-token-ignored",
        ),
        pytest.param(
            lambda vendors: vendors.fail("x_users", without_header(vendors, "x_users", "x-rate-limit-reset")),
            {"x-rate-limit-headers": "GET /2/users/by: x-rate-limit-reset is ''"},
            id="x-rate-limit-reset-missing",
        ),
        pytest.param(
            lambda vendors: vendors.fail_every_time("github_orgs", empty_list_for_unknown_login(vendors)),
            {"github-unknown-user": "answered 200, not 404"},
            id="github-unknown-login-listed",
        ),
        pytest.param(
            lambda vendors: vendors.developer("github", organisations=["octo-org"]),
            {"github-organisation-login": "['octo-org']"},
            id="github-a-user-in-orgs",
        ),
        pytest.param(
            lambda vendors: vendors.developer("github", organisations=[]),
            {"github-organisation-login": "taken for a user"},
            id="github-a-user",
        ),
        pytest.param(
            lambda vendors: vendors.fail_every_time("github_orgs", ignoring_if_none_match(vendors)),
            {"github-etag": "If-None-Match got [200], not 304"},
            id="if-none-match-ignored",
        ),
        pytest.param(
            lambda vendors: vendors.fail("github_orgs", without_header(vendors, "github_orgs", "x-ratelimit-limit")),
            {"github-rate-limit-headers": "x-ratelimit-limit is ''"},
            id="github-rate-limit-missing",
        ),
    ],
)
def test_given_an_upstream_that_breaks_an_assumption_when_run_then_its_lines_fail(
    vendors: FakeUpstreams,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[FakeUpstreams], object],
    failures: dict[str, str],
) -> None:
    change(vendors)

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    for name, words in failures.items():
        assert line_of(output, name).startswith("FAIL"), output
        assert words in line_of(output, name)
    assert code == 1


@pytest.mark.parametrize("names", ["a,b,c,d", "XDevelopers,not-valid!", " , "])
def test_given_unusable_x_usernames_when_run_then_it_checks_nothing_and_exits_2(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], names: str
) -> None:
    monkeypatch.setenv("VERIFY_X_USERNAMES", names)

    code = verify_upstreams.main([])

    assert code == 2
    assert "Checked nothing: VERIFY_X_USERNAMES" in capsys.readouterr().out
    assert requests_to(vendors, "x") == requests_to(vendors, "github") == []


def test_given_three_x_usernames_when_run_then_the_run_stays_within_the_budget(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.developer("TwitterAPI", other_following=20)
    monkeypatch.setenv("VERIFY_X_USERNAMES", "XDevelopers,github,TwitterAPI")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code == 0, output
    assert "@TwitterAPI:" in line_of(output, "x-following-page")
    assert x_users_read(output) == 7
    assert x_users_read(output) <= verify_upstreams.MAX_X_USERS_READ < 10


@pytest.mark.parametrize("scenario", ["as documented", "next link by login", "no X token", "402", "echoed in errors"])
def test_given_any_outcome_when_run_then_no_token_is_printed(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: str
) -> None:
    if scenario == "next link by login":
        vendors.fail("github_orgs", next_link_by_login(vendors), after=1)
    if scenario == "no X token":
        monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    if scenario == "402":  # even if an upstream echoed the token back
        echoed = x_problem(402, f"Payment Required for {X_TOKEN}", "credits-depleted", f"No credits: {X_TOKEN}")
        vendors.fail_every_time("x_users", following(X_CREDITS_DOCUMENT, reply(402, echoed)))
    if scenario == "echoed in errors":  # a failure line quotes what X sent
        vendors.fail_every_time("x_users", echoing_the_token_in_errors(vendors))

    verify_upstreams.main([])

    captured = capsys.readouterr()
    assert X_TOKEN not in captured.out + captured.err
    assert GITHUB_TOKEN not in captured.out + captured.err
    assert "secret" not in captured.out + captured.err


def test_given_a_date_when_the_unknown_handles_are_made_then_they_are_valid_unregistrable_and_stable() -> None:
    def handles(day: date) -> tuple[str, str]:
        config = verify_upstreams.Config.from_env({}, day)
        return config.unknown_x_username, config.unknown_github_login

    x_name, github_login = handles(date(2026, 11, 17))

    assert re.fullmatch(r"[_0-9]{15}", x_name)
    assert can_be_x_username(x_name)
    assert can_be_github_login(github_login)
    assert handles(date(2026, 11, 17)) == (x_name, github_login)
    assert handles(date(2026, 11, 18))[0] != x_name
