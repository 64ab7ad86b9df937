"""GitHub and X faked at the HTTP layer: a `World` of developers served as the real APIs serve it, so that the
real clients run unchanged against it, for the tests, `make bench` and the offline demo of `make run`.

Each answer follows the vendors' own descriptions (tests/contracts/, from X's OpenAPI document and GitHub's REST
description), which the tests check every answer against; where those are silent, their prose documents: X's
partial errors (docs.x.com, "Response codes and errors") and GitHub's numeric-id `Link` URLs (docs.github.com,
"Using pagination in the REST API").
"""

import hashlib
import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from local.world import Developer, World

GITHUB = "https://api.github.com"
X = "https://api.twitter.com/2"
X_PROBLEMS = "https://api.twitter.com/2/problems"
X_WINDOW_SECONDS, X_REQUESTS_PER_WINDOW, GITHUB_REQUESTS_PER_HOUR = 900, 300, 5000
GITHUB_NOT_FOUND = '{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}'

Vendor = Literal["x", "github"]
Reply = tuple[int, dict[str, str], str]
Fault = Callable[[requests.PreparedRequest], Reply]

ENDPOINTS: dict[str, tuple[Vendor, str]] = {
    "github_orgs": ("github", "GET /users/{username}/orgs"),
    "github_users": ("github", "GET /users/{username}"),
    "x_users": ("x", "GET /2/users/by"),
    "x_following": ("x", "GET /2/users/{id}/following"),
    "x_followers": ("x", "GET /2/users/{id}/followers"),
}
_URLS = {
    "github_orgs": rf"{re.escape(GITHUB)}/users?/[^/?]+/orgs(\?.*)?$",
    "github_users": rf"{re.escape(GITHUB)}/users/[^/?]+(\?.*)?$",
    "x_users": rf"{re.escape(X)}/users/by\?.*",
    "x_following": rf"{re.escape(X)}/users/[^/]+/following.*",
    "x_followers": rf"{re.escape(X)}/users/[^/]+/followers.*",
}


def x_problem(status: int, title: str, problem: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An X problem object (RFC 7807 shaped), as X sends for a whole failed request."""
    return {"title": title, "detail": detail, "type": f"{X_PROBLEMS}/{problem}", "status": status, **extra}


def x_list_unreadable() -> Fault:
    """A follow-list page of only errors: X's answer for an account turned protected, suspended or gone since."""

    def fault(request: requests.PreparedRequest) -> Reply:
        user = urlsplit(str(request.url)).path.split("/")[3]
        detail = f"Sorry, you are not authorized to see the user with id: [{user}]."
        error = _x_error(user, "Authorization Error", detail, "id", "not-authorized-for-resource", section="data")
        return 200, x_rate_headers(), json.dumps({"errors": [error]})

    return fault


class FakeUpstreams:
    """GitHub and X served from `world`, counting what they are asked and what X bills. The tests' own
    (tests/support/faults.py) adds faults, and checks every answer against the vendors' schemas."""

    def __init__(self, http: responses.RequestsMock, world: World | None = None) -> None:
        self.world = world if world is not None else World()
        self.requests: dict[str, list[requests.PreparedRequest]] = defaultdict(list)
        self.statuses: Counter[tuple[str, int]] = Counter()  # by endpoint and status
        self.x_users_returned = 0  # by X's follow lists: what X bills for reading them
        self.x_users_looked_up = 0  # found by X's lookups: billed too
        self.page_tokens: dict[str, int] = {}  # every X pagination token given out, and its offset
        self.named_accounts_last = False  # the named accounts after the anonymous ones: a scan reads every page
        self._serving = threading.Lock()
        self.serve: dict[str, Fault] = {
            "github_orgs": self._github_orgs,
            "github_users": self._github_account,
            "x_users": self._x_lookup,
            "x_following": lambda request: self._x_list(request, self.world.following_ids),
            "x_followers": lambda request: self._x_list(request, self.world.follower_ids),
        }
        """The world's answer, uncounted, by endpoint."""
        for endpoint, url in _URLS.items():
            http.add_callback(responses.GET, re.compile(url), partial(self._answer, endpoint))

    def developer(self, handle: str, **details: Any) -> Developer:
        return self.world.add(Developer(handle, **details))

    def list_named_accounts_last(self) -> None:
        self.named_accounts_last = True

    def count(self, endpoint: str) -> int:
        return len(self.requests[endpoint])

    def _answer(self, endpoint: str, request: requests.PreparedRequest) -> Reply:
        """Serves one request at a time, so that what is counted stays exact when answers run side by side."""
        with self._serving:
            self.requests[endpoint].append(request)
            status, headers, text = self.respond(endpoint, request)
            self.statuses[(endpoint, status)] += 1
            return status, headers, text

    def respond(self, endpoint: str, request: requests.PreparedRequest) -> Reply:
        return self.serve[endpoint](request)

    def _github_orgs(self, request: requests.PreparedRequest) -> Reply:
        parts = urlsplit(str(request.url))
        kind, name = parts.path.split("/")[1:3]
        query = parse_qs(parts.query)
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        developer = self.world.developer(name) if kind == "users" else self.world.by_github_id(name)
        if developer is None or developer.organisations is None:
            return 404, github_rate_headers(), GITHUB_NOT_FOUND
        organisations = developer.organisations
        body = json.dumps([_organisation(name) for name in organisations[(page - 1) * per_page : page * per_page]])
        links: dict[str, str] = {}
        if page * per_page < len(organisations):
            user = f"{GITHUB}/user/{self.world.github_id(developer.handle)}/orgs"
            links["Link"] = (
                f'<{user}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{user}?per_page={per_page}&page={-(-len(organisations) // per_page)}>; rel="last"'
            )
        return _github_ok(request, body, weak_etag=True, headers=links)

    def _github_account(self, request: requests.PreparedRequest) -> Reply:
        developer = self.world.developer(urlsplit(str(request.url)).path.split("/")[2])
        if developer is None or developer.organisations is None:
            return 404, github_rate_headers(), GITHUB_NOT_FOUND
        body = json.dumps(_github_account(developer, self.world.github_id(developer.handle)))
        return _github_ok(request, body, weak_etag=False)

    def _x_lookup(self, request: requests.PreparedRequest) -> Reply:
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for name in parse_qs(urlsplit(str(request.url)).query)["usernames"][0].split(","):
            developer = self.world.developer(name)
            if developer is None or not developer.on_x:
                errors.append(_x_error(name, "Not Found Error", f"Could not find user with usernames: [{name}]."))
            elif developer.suspended:
                errors.append(_x_error(name, "Forbidden", f"User has been suspended: [{name}]."))
            else:
                data.append(self._x_user(developer))
        self.x_users_looked_up += len(data)
        body = {name: found for name, found in (("data", data), ("errors", errors)) if found}
        return 200, x_rate_headers(), json.dumps(body)

    def _x_user(self, developer: Developer) -> dict[str, Any]:
        counts = {"post_count": 1, "listed_count": 0, "like_count": 0, "media_count": 0}
        return {
            "id": self.world.x_id(developer.handle),
            "name": developer.handle.title(),
            "username": developer.handle,
            "protected": developer.protected,
            "public_metrics": {
                "followers_count": len(self.world.follower_ids(developer)),
                "following_count": len(self.world.following_ids(developer)),
                **counts,
            },
        }

    def _x_list(self, request: requests.PreparedRequest, ids_of: Callable[[Developer], list[str]]) -> Reply:
        parts = urlsplit(str(request.url))
        user_id = parts.path.split("/")[3]
        query = parse_qs(parts.query)
        max_results = int(query.get("max_results", ["100"])[0])
        token = query.get("pagination_token", [None])[0]
        developer = self.world.by_x_id(user_id)
        if developer is None or developer.suspended or developer.protected or developer.turns_protected:
            return x_list_unreadable()(request)
        if token is not None and token not in self.page_tokens:
            problem = x_problem(400, "Invalid Request", "invalid-request", "The `pagination_token` is invalid.")
            return 400, x_rate_headers(), json.dumps(problem)
        offset = self.page_tokens[token] if token is not None else 0
        ids = sorted(ids_of(developer), key=str.isdigit) if self.named_accounts_last else ids_of(developer)
        page = ids[offset : offset + max_results]
        self.x_users_returned += len(page)
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [{"id": _x_numeric_id(user), "name": user, "username": f"u{user}"[:15]} for user in page]
        if offset + max_results < len(ids):
            body["meta"]["next_token"] = self._page_token(user_id, offset + max_results)
        if offset:
            body["meta"]["previous_token"] = self._page_token(user_id, max(0, offset - max_results))
        return 200, x_rate_headers(), json.dumps(body)

    def _page_token(self, user_id: str, offset: int) -> str:
        """An opaque token as X gives them: 16+ lower-case letters and digits, meaningless to the client."""
        base36 = "".join("0123456789abcdefghijklmnopqrstuvwxyz"[offset // 36**power % 36] for power in range(5, -1, -1))
        token = hashlib.sha256(f"{user_id}:{offset}".encode()).hexdigest()[:13] + base36
        self.page_tokens[token] = offset
        return token


def _x_numeric_id(user: str) -> str:
    """X ids are strings of digits; the world's anonymous accounts get a stable one of their own."""
    return user if user.isdigit() else str(int(hashlib.sha256(user.encode()).hexdigest()[:15], 16))


def _organisation(login: str) -> dict[str, Any]:
    number = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
    url = f"{GITHUB}/orgs/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": f"O_{number}",
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "description": None,
    }


def _github_account(developer: Developer, number: int) -> dict[str, Any]:
    login = developer.handle
    url = f"{GITHUB}/users/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": f"U_{number}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "Organization" if developer.is_organisation else "User",
        "user_view_type": "public",
        "site_admin": False,
        **dict.fromkeys(("name", "company")),
        "blog": "",
        **dict.fromkeys(("location", "email", "hireable", "bio")),
        **{"public_repos": 1, "public_gists": 0, "followers": 0, "following": 0},
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2026-11-01T08:00:00Z",
    }


def _github_ok(
    request: requests.PreparedRequest, body: str, weak_etag: bool, headers: dict[str, str] | None = None
) -> Reply:
    """A GitHub 200 with its ETag (weak for lists, as GitHub's) and rate-limit headers; 304 when it is sent back."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]
    etag = f'W/"{digest}"' if weak_etag else f'"{digest}"'
    answered = {"ETag": etag, **github_rate_headers(), **(headers or {})}
    if request.headers.get("If-None-Match") == etag:
        return 304, answered, ""
    return 200, answered, body


def github_rate_headers(remaining: int = GITHUB_REQUESTS_PER_HOUR - 1) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(GITHUB_REQUESTS_PER_HOUR),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-used": str(GITHUB_REQUESTS_PER_HOUR - remaining),
        "x-ratelimit-resource": "core",
    }


def x_rate_headers(remaining: int = X_REQUESTS_PER_WINDOW - 1) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(X_REQUESTS_PER_WINDOW),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(time.time()) + X_WINDOW_SECONDS),
    }


def _x_error(
    value: str, title: str, detail: str, parameter: str = "usernames", problem: str = "resource-not-found", **extra: str
) -> dict[str, str]:
    """X's partial error about one user: unknown or suspended (a lookup), or whose list it will not show."""
    named = {"value": value, "detail": detail, "title": title, "resource_type": "user", "parameter": parameter}
    return {**named, "resource_id": value, **extra, "type": f"{X_PROBLEMS}/{problem}"}
