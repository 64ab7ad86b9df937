"""scripts/verify_upstreams.py against X and GitHub served by local/upstreams.py from a world holding the script's
default accounts, every answer checked against the vendors' schemas; each deviation a test needs is a fault on one
endpoint. What is asserted: the verdict lines, the exit code, the X users read, and that no token is printed."""

import re
import sys
import types
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.upstreams import (
    ENDPOINTS,
    X_CREDITS_DOCUMENT,
    FakeUpstreams,
    Fault,
    following,
    raise_error,
    reply,
    x_credits_depleted,
    x_problem,
)
from scripts import verify_upstreams

X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecret-x-bearer-token-0123456789"
GITHUB_TOKEN = "ghp_" + "secretGitHubToken0123456789abcdef"  # built, so no tracked file holds a token shape
GITHUB_LOGIN = verify_upstreams.DEFAULT_GITHUB_LOGIN


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


def requests_to(vendors: FakeUpstreams, vendor: str) -> list[requests.PreparedRequest]:
    return [request for endpoint in ENDPOINTS if endpoint.startswith(vendor) for request in vendors.requests[endpoint]]


def verdicts(output: str) -> dict[str, str]:
    """Check name to status, from the table's lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^(PASS|FAIL|NOT CHECKABLE LIVE|NOT RUN|SKIPPED)\s+(\S+)\s", line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def line_of(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if re.match(rf"^[A-Z ]+\s{re.escape(name)}\s", line))


def x_users_read(output: str) -> int:
    match = re.search(r"X users read: (\d+)", output)
    assert match, output
    return int(match.group(1))


NOT_CHECKABLE = {
    "x-402-credits-depleted",
    "x-429-usage-capped",
    "x-429-rate-limit",
    "x-partial-errors",
    "github-secondary-rate-limit",
    "github-primary-rate-limit",
}
CHECKABLE = {check.name for check in verify_upstreams.CHECKS} - NOT_CHECKABLE - {"schemas"}


def test_given_no_x_token_when_run_then_it_says_it_checked_nothing_and_exits_non_zero(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code != 0
    assert "checked nothing" in output
    assert "TWITTER_BEARER_TOKEN is not set" in output
    assert requests_to(vendors, "x") == []
    assert x_users_read(output) == 0
    assert {name for name, status in verdicts(output).items() if status == "NOT RUN"} == {
        check.name for check in verify_upstreams.CHECKS if check.needs_x_token
    }
    assert "RESULT: FAILED" in output


def test_given_upstreams_as_documented_when_run_then_every_checkable_line_passes_under_budget(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    found = verdicts(output)
    assert {name for name in CHECKABLE if found[name] != "PASS"} == set(), output
    assert {found[name] for name in NOT_CHECKABLE} == {"NOT CHECKABLE LIVE"}
    assert found["schemas"] in {"PASS", "SKIPPED"}, line_of(output, "schemas")
    assert code == 0, output
    assert x_users_read(output) == 6  # 2 accounts found, then 2 pages of 2 from one following list
    assert x_users_read(output) < 10
    assert "RESULT: PASSED" in output


def test_given_upstreams_as_documented_when_run_then_it_lists_the_smaller_following_list_and_reports_details(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "@github:" in line_of(output, "x-following-page")
    assert "recognised from value; present: value, resource_id, detail" in line_of(output, "x-unknown-user")
    assert "weak ETag" in line_of(output, "github-etag")
    assert f"/user/{vendors.world.github_id(GITHUB_LOGIN)}/orgs" in line_of(output, "github-next-link")
    pages = [parse_qs(urlsplit(str(request.url)).query) for request in vendors.requests["x_following"]]
    assert [page["max_results"] for page in pages] == [["2"], ["2"]]
    assert vendors.page_tokens[pages[1]["pagination_token"][0]] == 2


def test_given_a_token_when_run_then_both_vendors_get_the_documented_headers(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    capsys.readouterr()
    assert requests_to(vendors, "x")
    assert all(request.headers["Authorization"] == f"Bearer {X_TOKEN}" for request in requests_to(vendors, "x"))
    github = requests_to(vendors, "github")
    for request in github:
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert request.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert len(github) == 6


def test_given_no_github_token_when_run_then_github_is_asked_without_authorization_and_still_passes(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    code = verify_upstreams.main([])

    assert code == 0, capsys.readouterr().out
    assert requests_to(vendors, "github")
    assert all("Authorization" not in request.headers for request in requests_to(vendors, "github"))


@pytest.mark.parametrize(
    ("dropped", "recognised"),
    [
        (("value",), "recognised from resource_id; present: resource_id, detail"),
        (("value", "resource_id"), "recognised from detail; present: detail"),
    ],
)
def test_given_the_unknown_user_error_drops_value_or_resource_id_when_run_then_it_is_recognised_from_what_is_left(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str], dropped: tuple[str, ...], recognised: str
) -> None:
    vendors.fail_every_time("x_users", unknown_error_without(vendors, *dropped))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    line = line_of(output, "x-unknown-user")
    assert line.startswith("PASS")
    assert recognised in line
    assert code == 0, output


def test_given_the_unknown_user_error_has_another_title_when_run_then_that_line_fails(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    # X names a suspended account in `errors` as it does an unknown one, titled Forbidden.
    vendors.developer(verify_upstreams.unknown_x_username(datetime.now(UTC).date()), suspended=True)

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-unknown-user").startswith("FAIL")
    assert "title is 'Forbidden'" in line_of(output, "x-unknown-user")
    assert code != 0


def test_given_githubs_next_link_uses_the_login_when_run_then_that_line_fails_and_the_exit_code_is_non_zero(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail("github_orgs", next_link_by_login(vendors))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    line = line_of(output, "github-next-link")
    assert line.startswith("FAIL")
    assert f"/users/{GITHUB_LOGIN}/orgs" in line
    assert verdicts(output)["github-etag"] == "PASS"
    assert code != 0
    assert "RESULT: FAILED: github-next-link." in output


def test_given_a_following_list_without_a_next_token_when_more_exist_then_paging_fails(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail("x_following", no_next_token(vendors))

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    found = verdicts(output)
    assert found["x-following-page"] == "FAIL"
    assert "`meta.next_token` is absent" in line_of(output, "x-following-page")
    assert found["x-following-page-2"] == "FAIL"
    assert code != 0


def test_given_the_x_account_is_out_of_credits_when_run_then_x_lines_fail_with_the_problem_and_nothing_is_read(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.fail_every_time("x_users", x_credits_depleted())

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "answered 402, not 200: Payment Required" in line_of(output, "x-lookup")
    assert verdicts(output)["github-orgs"] == "PASS"
    assert x_users_read(output) == 0
    assert code != 0


def test_given_the_upstreams_are_unreachable_when_run_then_every_live_line_fails_without_a_traceback(
    vendors: FakeUpstreams, capsys: pytest.CaptureFixture[str]
) -> None:
    for endpoint in ENDPOINTS:
        vendors.fail_every_time(endpoint, raise_error(requests.ConnectionError("no route to host")))

    code = verify_upstreams.main([])

    captured = capsys.readouterr()
    found = verdicts(captured.out)
    assert {found[name] for name in CHECKABLE} == {"FAIL"}
    assert "the request failed: ConnectionError" in line_of(captured.out, "x-lookup")
    assert "the request failed: ConnectionError" in line_of(captured.out, "github-orgs")
    assert "Traceback" not in captured.out + captured.err
    assert code != 0


def unknown_x_handle_registered(vendors: FakeUpstreams) -> None:
    vendors.developer(verify_upstreams.unknown_x_username(datetime.now(UTC).date()))


@pytest.mark.parametrize(
    ("change", "failures"),
    [
        (unknown_x_handle_registered, {"x-lookup": "exists after all", "x-nobody-found": "`data` is present"}),
        (
            lambda vendors: vendors.developer("github", organisations=["octo-org"]),
            {"github-organisation-login": "not []"},
        ),
        (lambda vendors: vendors.developer("github", organisations=[]), {"github-organisation-login": "type 'User'"}),
        (lambda vendors: vendors.fail("github_orgs", reply(200, []), after=2), {"github-etag": "200, not 304"}),
    ],
    ids=["unknown-x-handle-taken", "github-a-user-in-orgs", "github-a-user", "if-none-match-ignored"],
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
    assert code != 0


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


@pytest.mark.parametrize("scenario", ["as documented", "next link by login", "no X token", "402"])
def test_given_any_outcome_when_run_then_no_token_is_printed(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: str
) -> None:
    if scenario == "next link by login":
        vendors.fail("github_orgs", next_link_by_login(vendors))
    if scenario == "no X token":
        monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    if scenario == "402":  # even if an upstream echoed the token back
        echoed = x_problem(402, f"Payment Required for {X_TOKEN}", "credits-depleted", f"No credits: {X_TOKEN}")
        vendors.fail_every_time("x_users", following(X_CREDITS_DOCUMENT, reply(402, echoed)))

    verify_upstreams.main([])

    captured = capsys.readouterr()
    assert X_TOKEN not in captured.out + captured.err
    assert GITHUB_TOKEN not in captured.out + captured.err
    assert "secret" not in captured.out + captured.err


def test_given_a_date_when_the_unknown_handles_are_made_then_they_are_valid_unregistrable_and_stable() -> None:
    day = date(2026, 11, 17)

    x_name = verify_upstreams.unknown_x_username(day)
    github_login = verify_upstreams.unknown_github_login(day)

    assert re.fullmatch(r"[_0-9]{15}", x_name)
    assert verify_upstreams.X_USERNAME.fullmatch(x_name)
    assert verify_upstreams.GITHUB_LOGIN.fullmatch(github_login)
    assert x_name == verify_upstreams.unknown_x_username(day) != verify_upstreams.unknown_x_username(date(2026, 11, 18))
    assert github_login == verify_upstreams.unknown_github_login(day)


def test_given_no_contracts_module_when_run_then_the_schema_line_is_skipped_and_the_run_can_still_pass(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tests.support.contracts", None)  # importing it raises ImportError

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "schemas").startswith("SKIPPED")
    assert "tests/support/contracts.py cannot be used" in line_of(output, "schemas")
    assert code == 0, output


def test_given_an_answer_that_breaks_the_published_schema_when_run_then_the_schema_line_fails(
    vendors: FakeUpstreams, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checked: list[tuple[str, str, int]] = []

    def check_answer(vendor: str, operation: str, status: int, body: Any) -> None:
        checked.append((vendor, operation, status))
        if operation == "GET /users/{username}":
            raise AssertionError("type is not described")

    contracts = types.ModuleType("tests.support.contracts")
    contracts.check_answer = check_answer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests.support.contracts", contracts)

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "schemas").startswith("FAIL")
    assert "github GET /users/{username}: type is not described" in line_of(output, "schemas")
    assert code != 0
    assert checked == [
        ("x", "GET /2/users/by", 200),
        ("x", "GET /2/users/by", 200),
        ("x", "GET /2/users/{id}/following", 200),
        ("x", "GET /2/users/{id}/following", 200),
        ("github", "GET /users/{username}/orgs", 200),
        ("github", "GET /users/{username}/orgs", 200),
        ("github", "GET /users/{username}/orgs", 200),
        ("github", "GET /users/{username}", 200),
    ]
