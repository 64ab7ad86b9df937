"""scripts/verify_upstreams.py against X and GitHub faked at the HTTP layer, answering as the vendors document it
says the real ones do: the verdict lines, the exit code, the X users read, and that no token is printed."""

import json
import re
import sys
import time
import types
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from scripts import verify_upstreams

X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecret-x-bearer-token-0123456789"
GITHUB_TOKEN = "ghp_" + "secretGitHubToken0123456789abcdef"  # built, so no tracked file holds a token shape
X_USERS = {
    "xdevelopers": {"id": "2244994945", "username": "XDevelopers", "followers": 720000, "following": 1900},
    "github": {"id": "13334762", "username": "github", "followers": 2500000, "following": 310},
}
GITHUB_USER = "sindresorhus"
GITHUB_USER_ID = 170270
GITHUB_ORGS = ["avajs", "chalk", "xojs"]

Reply = tuple[int, dict[str, str], str]


def x_headers() -> dict[str, str]:
    return {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": "299",
        "x-rate-limit-reset": str(int(time.time()) + 900),
        "content-type": "application/json; charset=utf-8",
    }


def github_headers() -> dict[str, str]:
    return {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4990",
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-used": "10",
        "content-type": "application/json; charset=utf-8",
    }


class Vendors:
    """X and GitHub as documented, with the deviations a test asks for."""

    def __init__(self, http: responses.RequestsMock) -> None:
        self.unknown_error_fields: tuple[str, ...] = (
            "value",
            "detail",
            "title",
            "resource_type",
            "parameter",
            "resource_id",
            "type",
        )
        self.next_link_by_login = False
        self.x_requests: list[requests.PreparedRequest] = []
        self.github_requests: list[requests.PreparedRequest] = []
        self.following = [str(1000 + number) for number in range(7)]
        http.add_callback(responses.GET, re.compile(r"https://api\.twitter\.com/2/users/by\?.*"), self._x_users)
        http.add_callback(
            responses.GET, re.compile(r"https://api\.twitter\.com/2/users/\d+/following.*"), self._x_following
        )
        http.add_callback(responses.GET, re.compile(r"https://api\.github\.com/.*"), self._github)

    def _x_users(self, request: requests.PreparedRequest) -> Reply:
        self.x_requests.append(request)
        query = parse_qs(urlsplit(str(request.url)).query)
        assert query["user.fields"] == ["public_metrics,protected"]
        body: dict[str, Any] = {}
        for name in query["usernames"][0].split(","):
            known = X_USERS.get(name.lower())
            if known is None:
                error = {
                    "value": name,
                    "detail": f"Could not find user with usernames: [{name}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "usernames",
                    "resource_id": name,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                body.setdefault("errors", []).append(
                    {key: value for key, value in error.items() if key in self.unknown_error_fields}
                )
                continue
            body.setdefault("data", []).append(
                {
                    "id": known["id"],
                    "name": known["username"],
                    "username": known["username"],
                    "protected": False,
                    "public_metrics": {
                        "followers_count": known["followers"],
                        "following_count": known["following"],
                        "post_count": 4000,
                        "listed_count": 900,
                        "like_count": 100,
                        "media_count": 10,
                    },
                }
            )
        return 200, x_headers(), json.dumps(body)

    def _x_following(self, request: requests.PreparedRequest) -> Reply:
        self.x_requests.append(request)
        query = parse_qs(urlsplit(str(request.url)).query)
        size = int(query["max_results"][0])
        assert 1 <= size <= 1000
        start = int(query["pagination_token"][0].split("-")[-1]) if "pagination_token" in query else 0
        ids = self.following[start : start + size]
        meta: dict[str, Any] = {"result_count": len(ids)}
        if start + size < len(self.following):
            meta["next_token"] = f"7140dibdnow9c7btw4{start + size:06d}-{start + size}"
        if start:
            meta["previous_token"] = f"77qp8bu2hfg8c7btw4{start:06d}-{start}"
        data = [{"id": user_id, "name": f"User {user_id}", "username": f"user{user_id}"} for user_id in ids]
        return 200, x_headers(), json.dumps({"data": data, "meta": meta})

    def _github(self, request: requests.PreparedRequest) -> Reply:
        self.github_requests.append(request)
        url = urlsplit(str(request.url))
        query = parse_qs(url.query)
        page = int(query.get("page", ["1"])[0])
        per_page = int(query.get("per_page", ["30"])[0])
        if url.path in (f"/users/{GITHUB_USER}/orgs", f"/user/{GITHUB_USER_ID}/orgs"):
            etag = f'W/"{page:040x}"'
            if request.headers.get("If-None-Match") == etag:
                return 304, {"ETag": etag, **github_headers()}, ""
            headers = {"ETag": etag, **github_headers()}
            if page * per_page < len(GITHUB_ORGS):
                owner = GITHUB_USER if self.next_link_by_login else str(GITHUB_USER_ID)
                root = "users" if self.next_link_by_login else "user"
                headers["Link"] = (
                    f'<https://api.github.com/{root}/{owner}/orgs?per_page={per_page}&page={page + 1}>; rel="next", '
                    f'<https://api.github.com/{root}/{owner}/orgs?per_page={per_page}&page=3>; rel="last"'
                )
            logins = GITHUB_ORGS[(page - 1) * per_page : page * per_page]
            return 200, headers, json.dumps([organisation(login) for login in logins])
        if url.path == "/users/github/orgs":
            return 200, {"ETag": '"0123"', **github_headers()}, "[]"
        if url.path == "/users/github":
            return 200, github_headers(), json.dumps(github_organisation_profile())
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
        return 404, github_headers(), json.dumps(not_found)


def organisation(login: str) -> dict[str, Any]:
    """An item of GET /users/{username}/orgs, as GitHub's description lists it."""
    org_id = sum(map(ord, login)) * 1000
    url = f"https://api.github.com/orgs/{login}"
    return {
        "login": login,
        "id": org_id,
        "node_id": f"MDEyOk9yZ2FuaXphdGlvbj{org_id}",
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org_id}?v=4",
        "description": None,
    }


def github_organisation_profile() -> dict[str, Any]:
    """GET /users/github: an organisation served as a public user with type Organization."""
    user = "https://api.github.com/users/github"
    return {
        "login": "github",
        "id": 9919,
        "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
        "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4",
        "gravatar_id": "",
        "url": user,
        "html_url": "https://github.com/github",
        "followers_url": f"{user}/followers",
        "following_url": f"{user}/following{{/other_user}}",
        "gists_url": f"{user}/gists{{/gist_id}}",
        "starred_url": f"{user}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{user}/subscriptions",
        "organizations_url": f"{user}/orgs",
        "repos_url": f"{user}/repos",
        "events_url": f"{user}/events{{/privacy}}",
        "received_events_url": f"{user}/received_events",
        "type": "Organization",
        "user_view_type": "public",
        "site_admin": False,
        "name": "GitHub",
        "company": None,
        "blog": "https://github.com/about",
        "location": "San Francisco, CA",
        "email": None,
        "hireable": None,
        "bio": "How people build software.",
        "twitter_username": None,
        "public_repos": 500,
        "public_gists": 0,
        "followers": 60000,
        "following": 0,
        "created_at": "2008-05-11T04:37:31Z",
        "updated_at": "2026-10-01T12:00:00Z",
    }


@pytest.fixture
def vendors(http: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> Vendors:
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.delenv("VERIFY_X_USERNAMES", raising=False)
    monkeypatch.delenv("VERIFY_GITHUB_LOGIN", raising=False)
    return Vendors(http)


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
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code != 0
    assert "checked nothing" in output
    assert "TWITTER_BEARER_TOKEN is not set" in output
    assert vendors.x_requests == []
    assert x_users_read(output) == 0
    assert {name for name, status in verdicts(output).items() if status == "NOT RUN"} == {
        check.name for check in verify_upstreams.CHECKS if check.needs_x_token
    }
    assert "RESULT: FAILED" in output


def test_given_upstreams_as_documented_when_run_then_every_checkable_line_passes_under_budget(
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
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
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "@github:" in line_of(output, "x-following-page")
    assert "recognised from value; present: value, resource_id, detail" in line_of(output, "x-unknown-user")
    assert "weak ETag" in line_of(output, "github-etag")
    assert "/user/170270/orgs" in line_of(output, "github-next-link")
    following = [urlsplit(str(request.url)) for request in vendors.x_requests if "/following" in str(request.url)]
    assert [parse_qs(url.query)["max_results"] for url in following] == [["2"], ["2"]]
    assert "pagination_token" in parse_qs(following[1].query)


def test_given_a_token_when_run_then_both_vendors_get_the_documented_headers(
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    verify_upstreams.main([])

    capsys.readouterr()
    assert vendors.x_requests
    assert all(request.headers["Authorization"] == f"Bearer {X_TOKEN}" for request in vendors.x_requests)
    assert vendors.github_requests
    for request in vendors.github_requests:
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert request.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert len(vendors.github_requests) == 6


def test_given_no_github_token_when_run_then_github_is_asked_without_authorization_and_still_passes(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    code = verify_upstreams.main([])

    assert code == 0, capsys.readouterr().out
    assert all("Authorization" not in request.headers for request in vendors.github_requests)


def test_given_the_unknown_user_error_drops_value_when_run_then_it_is_recognised_from_resource_id(
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.unknown_error_fields = ("detail", "title", "resource_type", "parameter", "resource_id", "type")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    line = line_of(output, "x-unknown-user")
    assert line.startswith("PASS")
    assert "recognised from resource_id; present: resource_id, detail" in line
    assert code == 0


def test_given_the_unknown_user_error_names_it_only_in_detail_when_run_then_it_is_recognised_from_detail(
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.unknown_error_fields = ("detail", "title", "type")

    verify_upstreams.main([])

    assert "PASS" in line_of(capsys.readouterr().out, "x-unknown-user")


def test_given_the_unknown_user_error_has_another_title_when_run_then_that_line_fails(
    http: responses.RequestsMock, vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {
        "errors": [
            {
                "value": verify_upstreams.unknown_x_username(datetime.now(UTC).date()),
                "title": "Forbidden",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    http.replace(responses.GET, re.compile(r"https://api\.twitter\.com/2/users/by\?.*"), json=body, headers=x_headers())

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "x-unknown-user").startswith("FAIL")
    assert "title is 'Forbidden'" in line_of(output, "x-unknown-user")
    assert code != 0


def test_given_githubs_next_link_uses_the_login_when_run_then_that_line_fails_and_the_exit_code_is_non_zero(
    vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors.next_link_by_login = True

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    line = line_of(output, "github-next-link")
    assert line.startswith("FAIL")
    assert "/users/sindresorhus/orgs" in line
    assert verdicts(output)["github-etag"] == "PASS"
    assert code != 0
    assert "RESULT: FAILED: github-next-link." in output


def test_given_a_following_list_without_a_next_token_when_more_exist_then_paging_fails(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(vendors, "following", vendors.following[:2])  # the list ends early: no next_token

    code = verify_upstreams.main([])

    found = verdicts(capsys.readouterr().out)
    assert found["x-following-page"] == "FAIL"
    assert found["x-following-page-2"] == "FAIL"
    assert code != 0


def test_given_the_x_account_is_out_of_credits_when_run_then_x_lines_fail_with_the_problem_and_nothing_is_read(
    http: responses.RequestsMock, vendors: Vendors, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = {
        "title": "Payment Required",
        "type": "https://api.twitter.com/2/problems/credits-depleted",
        "detail": "Your account has no credits.",
    }
    http.replace(responses.GET, re.compile(r"https://api\.twitter\.com/2/users/by\?.*"), json=problem, status=402)

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert "answered 402, not 200: Payment Required" in line_of(output, "x-lookup")
    assert verdicts(output)["github-orgs"] == "PASS"
    assert x_users_read(output) == 0
    assert code != 0


def test_given_the_upstreams_are_unreachable_when_run_then_every_live_line_fails_without_a_traceback(
    http: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", X_TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)

    code = verify_upstreams.main([])

    captured = capsys.readouterr()
    found = verdicts(captured.out)
    assert {found[name] for name in CHECKABLE} == {"FAIL"}
    assert "the request failed: ConnectionError" in line_of(captured.out, "x-lookup")
    assert "Traceback" not in captured.out + captured.err
    assert code != 0


@pytest.mark.parametrize("names", ["a,b,c,d", "XDevelopers,not-valid!", " , "])
def test_given_unusable_x_usernames_when_run_then_it_checks_nothing_and_exits_2(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], names: str
) -> None:
    monkeypatch.setenv("VERIFY_X_USERNAMES", names)

    code = verify_upstreams.main([])

    assert code == 2
    assert "Checked nothing: VERIFY_X_USERNAMES" in capsys.readouterr().out
    assert vendors.x_requests == vendors.github_requests == []


def test_given_three_x_usernames_when_run_then_the_run_stays_within_the_budget(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(
        X_USERS, "twitterapi", {"id": "6253282", "username": "TwitterAPI", "followers": 6000000, "following": 20}
    )
    monkeypatch.setenv("VERIFY_X_USERNAMES", "XDevelopers,github,TwitterAPI")

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert code == 0, output
    assert x_users_read(output) == 7
    assert x_users_read(output) <= verify_upstreams.MAX_X_USERS_READ < 10


@pytest.mark.parametrize("scenario", ["as documented", "next link by login", "no X token", "402"])
def test_given_any_outcome_when_run_then_no_token_is_printed(
    http: responses.RequestsMock,
    vendors: Vendors,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scenario: str,
) -> None:
    if scenario == "next link by login":
        vendors.next_link_by_login = True
    if scenario == "no X token":
        monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    if scenario == "402":
        http.replace(
            responses.GET,
            re.compile(r"https://api\.twitter\.com/2/users/by\?.*"),
            json={"title": f"Payment Required for {X_TOKEN}"},  # even if an upstream echoed it back
            status=402,
        )

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
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tests.support.contracts", None)  # importing it raises ImportError

    code = verify_upstreams.main([])

    output = capsys.readouterr().out
    assert line_of(output, "schemas").startswith("SKIPPED")
    assert "tests/support/contracts.py cannot be used" in line_of(output, "schemas")
    assert code == 0, output


def test_given_an_answer_that_breaks_the_published_schema_when_run_then_the_schema_line_fails(
    vendors: Vendors, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
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
