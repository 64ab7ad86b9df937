"""GitHub and X faked at the HTTP layer: a `World` of developers served as the real APIs serve it, so that the
real clients run unchanged against it. The tests, `make bench` and the offline demo of `make run` use it.

What each answer looks like follows the vendors' own descriptions (tests/contracts/, extracted from X's
OpenAPI document and GitHub's REST description), and the tests check every answer against them. Where those
are silent, the fakes follow the vendors' prose documents:
- X partial errors (a list of an account that turned protected, was suspended or deleted: 200 with only
  `errors`): docs.x.com, "Fundamentals / Response codes and errors", partial errors;
- X 402 `credits-depleted` and 429 `UsageCapExceeded` (`usage-capped`, with `period` and `scope`): docs.x.com,
  "Pay-per-use pricing" and "Usage caps";
- GitHub secondary rate limits (403 or 429, a message naming them, often no `retry-after`): docs.github.com,
  "Rate limits for the REST API", and GitHub's numeric-id `Link` URLs: "Using pagination in the REST API".
"""

import hashlib
import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from local.world import Developer, World

GITHUB = "https://api.github.com"
X = "https://api.twitter.com/2"
X_PROBLEMS = "https://api.twitter.com/2/problems"
X_WINDOW_SECONDS = 900
X_REQUESTS_PER_WINDOW = 300
GITHUB_REQUESTS_PER_HOUR = 5000

Vendor = Literal["x", "github"]
Reply = tuple[int, dict[str, str], str]
Fault = Callable[[requests.PreparedRequest], Reply]
X_ERRORS_DOCUMENT = "docs.x.com, Fundamentals, Response codes and errors (about:blank problems)"
X_CREDITS_DOCUMENT = "docs.x.com, Pay-per-use pricing (402 credits-depleted)"
X_USAGE_CAPS_DOCUMENT = "docs.x.com, Usage caps (429 UsageCapExceeded, usage-capped)"


class AnswerCheck(Protocol):
    """Called for every JSON answer the fakes give; `follows` names the vendor's prose document an answer follows
    where its API description is silent."""

    def __call__(self, vendor: Vendor, operation: str, status: int, body: Any, follows: str | None = None) -> None: ...


ENDPOINTS: dict[str, tuple[Vendor, str]] = {
    "github_orgs": ("github", "GET /users/{username}/orgs"),
    "github_users": ("github", "GET /users/{username}"),
    "x_users": ("x", "GET /2/users/by"),
    "x_following": ("x", "GET /2/users/{id}/following"),
    "x_followers": ("x", "GET /2/users/{id}/followers"),
}


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Fault:
    """A fixed answer. Without a body, the endpoint's vendor's own error body for that status is sent."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return lambda _request: (status, dict(headers or {}), text)  # type: ignore[return-value]


def off_spec(fault: Fault) -> Fault:
    """Marks an answer no vendor would send (a list where an object belongs, a user without its counts), made
    on purpose to show what the clients do with it: the check against the vendors' schemas lets it pass."""
    return _marked(fault, off_spec=True)


def following(document: str, fault: Fault) -> Fault:
    """Marks an answer the vendor's API description is silent on, with the prose document it follows."""
    return _marked(fault, follows=document)


def _marked(fault: Fault, **marks: object) -> Fault:
    def answer(request: requests.PreparedRequest) -> Reply:
        return fault(request)

    answer.__dict__.update(marks)
    return answer


def raise_error(error: Exception) -> Fault:
    def fault(_request: requests.PreparedRequest) -> Reply:
        raise error

    return fault


def x_problem(status: int, title: str, problem: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An X problem object (RFC 7807 shaped), as X sends for a whole failed request."""
    return {"title": title, "detail": detail, "type": f"{X_PROBLEMS}/{problem}", "status": status, **extra}


def x_credits_depleted() -> Fault:
    """X pay-per-use, no credits left."""
    return following(
        X_CREDITS_DOCUMENT,
        reply(
            402,
            x_problem(
                402,
                "Payment Required",
                "credits-depleted",
                "Your enrolled account does not have any credits to fulfill this request.",
            ),
        ),
    )


def x_usage_capped(period: str = "Monthly", scope: str = "Account") -> Fault:
    """A spent usage cap: a 429 whose window still has requests left."""
    return following(
        X_USAGE_CAPS_DOCUMENT,
        reply(
            429,
            x_problem(
                429, "UsageCapExceeded", "usage-capped", f"Usage cap exceeded: {period}", period=period, scope=scope
            ),
            {
                "x-rate-limit-limit": str(X_REQUESTS_PER_WINDOW),
                "x-rate-limit-remaining": "287",
                "x-rate-limit-reset": str(int(time.time()) + X_WINDOW_SECONDS),
            },
        ),
    )


def github_secondary_rate_limit(status: int = 403, headers: dict[str, str] | None = None) -> Fault:
    """GitHub's secondary rate limit: requests left in the hour, and most often no `retry-after`."""
    return reply(
        status,
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
            "If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            "status": str(status),
        },
        {**_github_rate_headers(remaining=4890), **(headers or {})},
    )


def x_list_unreadable() -> Fault:
    """A follow-list page of only errors: what X answers an app token for the list of an account that turned
    protected, was suspended or deleted since it was looked up."""

    def fault(request: requests.PreparedRequest) -> Reply:
        user_id = urlsplit(str(request.url)).path.split("/")[3]
        return 200, _x_rate_headers(), json.dumps({"errors": [_x_unauthorized(user_id)]})

    return fault


class FakeUpstreams:
    """GitHub and X for the clients of the `connected` package, served from `world`.

    Faults can be injected per endpoint (github_orgs, github_users, x_users, x_following, x_followers). Every
    JSON answer, faults included, is handed to `check` (the tests check them against the vendors' schemas).
    """

    def __init__(
        self, http: responses.RequestsMock, world: World | None = None, check: AnswerCheck | None = None
    ) -> None:
        self.world = world if world is not None else World()
        self.check = check
        self.requests: dict[str, list[requests.PreparedRequest]] = defaultdict(list)
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.answer_before_faults: dict[str, int] = defaultdict(int)
        self.lasting_faults: dict[str, Fault] = {}
        self._serving = threading.Lock()
        self.x_users_returned = 0
        """Users X's follow lists returned: what X bills for reading them."""
        self.x_users_looked_up = 0
        """Users X's lookups found: billed too."""
        self.statuses: Counter[tuple[str, int]] = Counter()
        """How many answers of each status each endpoint gave."""
        self.named_accounts_last = False
        self.page_tokens: dict[str, int] = {}
        """Every X pagination token given out, with the offset it stands for."""
        github, x = re.escape(GITHUB), re.escape(X)
        http.add_callback(responses.GET, re.compile(rf"{github}/users?/[^/?]+/orgs(\?.*)?$"), self._github_orgs)
        http.add_callback(responses.GET, re.compile(rf"{github}/users/[^/?]+(\?.*)?$"), self._github_user)
        http.add_callback(responses.GET, re.compile(rf"{x}/users/by\?.*"), self._x_users)
        http.add_callback(responses.GET, re.compile(rf"{x}/users/[^/]+/following.*"), self._x_following)
        http.add_callback(responses.GET, re.compile(rf"{x}/users/[^/]+/followers.*"), self._x_followers)

    def developer(self, handle: str, **details: Any) -> Developer:
        return self.world.add(Developer(handle, **details))

    def fail(self, endpoint: str, *faults: Fault, after: int = 0) -> None:
        """Requests to `endpoint` get these faults in order, once `after` more requests have been answered
        normally; later requests are answered normally too."""
        self.faults[endpoint].extend(faults)
        self.answer_before_faults[endpoint] = after

    def fail_every_time(self, endpoint: str, fault: Fault) -> None:
        """Every request to `endpoint` gets `fault`, retries included."""
        self.lasting_faults[endpoint] = fault

    def list_named_accounts_last(self) -> None:
        """Puts the accounts a test named after the anonymous ones, so a scan has to reach the last page."""
        self.named_accounts_last = True

    def count(self, endpoint: str) -> int:
        return len(self.requests[endpoint])

    def altered(self, endpoint: str, change: Callable[[dict[str, str], Any], None]) -> Fault:
        """A fault: the world's own answer to the request, its headers and JSON body changed in place by `change`
        (an answer that differs from the documented one in one detail: a link, a field left out)."""
        serve: dict[str, Callable[[requests.PreparedRequest], Reply]] = {
            "github_orgs": self._github_orgs_page,
            "github_users": self._github_account,
            "x_users": self._x_lookup,
            "x_following": lambda request: self._x_list(request, self.world.following_ids),
            "x_followers": lambda request: self._x_list(request, self.world.follower_ids),
        }

        def fault(request: requests.PreparedRequest) -> Reply:
            status, headers, text = serve[endpoint](request)
            body = json.loads(text)
            change(headers, body)
            return status, headers, json.dumps(body)

        return fault

    def _answer(self, endpoint: str, request: requests.PreparedRequest, serve: Callable[[], Reply]) -> Reply:
        """Serves one request at a time, so that what is counted stays exact when answers run side by side."""
        with self._serving:
            return self._answer_alone(endpoint, request, serve)

    def _answer_alone(self, endpoint: str, request: requests.PreparedRequest, serve: Callable[[], Reply]) -> Reply:
        self.requests[endpoint].append(request)
        fault = self._fault_for(endpoint)
        status, headers, text = fault(request) if fault is not None else serve()
        self.statuses[(endpoint, status)] += 1
        vendor, operation = ENDPOINTS[endpoint]
        follows: str | None = getattr(fault, "follows", None)
        if text is None:
            text = json.dumps(_vendor_error(vendor, status))
            follows = X_ERRORS_DOCUMENT if vendor == "x" else None
        if self.check is not None and text and not getattr(fault, "off_spec", False):
            try:
                body = json.loads(text)
            except ValueError:
                body = None  # an answer that is not JSON on purpose: nothing to check
            if body is not None:
                self.check(vendor, operation, status, body, follows)
        return status, headers, text

    def _fault_for(self, endpoint: str) -> Fault | None:
        if self.answer_before_faults[endpoint] > 0:
            self.answer_before_faults[endpoint] -= 1
            return None
        if self.faults[endpoint]:
            return self.faults[endpoint].pop(0)
        return self.lasting_faults.get(endpoint)

    def _github_orgs(self, request: requests.PreparedRequest) -> Reply:
        return self._answer("github_orgs", request, lambda: self._github_orgs_page(request))

    def _github_orgs_page(self, request: requests.PreparedRequest) -> Reply:
        parts = urlsplit(str(request.url))
        kind, name = parts.path.split("/")[1:3]
        query = parse_qs(parts.query)
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        developer = self.world.developer(name) if kind == "users" else self.world.by_github_id(name)
        if developer is None or developer.organisations is None:
            return 404, _github_rate_headers(), json.dumps(_vendor_error("github", 404))
        organisations = developer.organisations
        chunk = organisations[(page - 1) * per_page : page * per_page]
        body = json.dumps([_organisation(name) for name in chunk])
        links: dict[str, str] = {}
        if page * per_page < len(organisations):
            user = f"{GITHUB}/user/{self.world.github_id(developer.handle)}/orgs"
            links["Link"] = (
                f'<{user}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{user}?per_page={per_page}&page={-(-len(organisations) // per_page)}>; rel="last"'
            )
        return _github_ok(request, body, weak_etag=True, headers=links)

    def _github_user(self, request: requests.PreparedRequest) -> Reply:
        return self._answer("github_users", request, lambda: self._github_account(request))

    def _github_account(self, request: requests.PreparedRequest) -> Reply:
        login = urlsplit(str(request.url)).path.split("/")[2]
        developer = self.world.developer(login)
        if developer is None or developer.organisations is None:
            return 404, _github_rate_headers(), json.dumps(_vendor_error("github", 404))
        body = json.dumps(_github_account(developer, self.world.github_id(developer.handle)))
        return _github_ok(request, body, weak_etag=False)

    def _x_users(self, request: requests.PreparedRequest) -> Reply:
        return self._answer("x_users", request, lambda: self._x_lookup(request))

    def _x_lookup(self, request: requests.PreparedRequest) -> Reply:
        query = parse_qs(urlsplit(str(request.url)).query)
        names = query["usernames"][0].split(",")
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for name in names:
            developer = self.world.developer(name)
            if developer is None or not developer.on_x:
                errors.append(_x_absent(name, "Not Found Error", f"Could not find user with usernames: [{name}]."))
            elif developer.suspended:
                errors.append(_x_absent(name, "Forbidden", f"User has been suspended: [{name}]."))
            else:
                data.append(self._x_user(developer))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        self.x_users_looked_up += len(data)
        return 200, _x_rate_headers(), json.dumps(body)

    def _x_user(self, developer: Developer) -> dict[str, Any]:
        return {
            "id": self.world.x_id(developer.handle),
            "name": developer.handle.title(),
            "username": developer.handle,
            "protected": developer.protected,
            "public_metrics": {
                "followers_count": len(self.world.follower_ids(developer)),
                "following_count": len(self.world.following_ids(developer)),
                "post_count": 1,
                "listed_count": 0,
                "like_count": 0,
                "media_count": 0,
            },
        }

    def _x_following(self, request: requests.PreparedRequest) -> Reply:
        return self._answer("x_following", request, lambda: self._x_list(request, self.world.following_ids))

    def _x_followers(self, request: requests.PreparedRequest) -> Reply:
        return self._answer("x_followers", request, lambda: self._x_list(request, self.world.follower_ids))

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
            return 400, _x_rate_headers(), json.dumps(problem)
        offset = self.page_tokens[token] if token is not None else 0
        ids = ids_of(developer)
        if self.named_accounts_last:
            ids = sorted(ids, key=str.isdigit)
        page = ids[offset : offset + max_results]
        self.x_users_returned += len(page)
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [{"id": _x_numeric_id(user), "name": user, "username": f"u{user}"[:15]} for user in page]
        if offset + max_results < len(ids):
            next_token = self._page_token(user_id, offset + max_results)
            body["meta"]["next_token"] = next_token
        if offset:
            body["meta"]["previous_token"] = self._page_token(user_id, max(0, offset - max_results))
        return 200, _x_rate_headers(), json.dumps(body)

    def _page_token(self, user_id: str, offset: int) -> str:
        """An opaque token as X gives them: 16+ lower-case letters and digits, meaningless to the client."""
        token = hashlib.sha256(f"{user_id}:{offset}".encode()).hexdigest()[:13] + _base36(offset).rjust(6, "0")
        self.page_tokens[token] = offset
        return token


def _x_numeric_id(user: str) -> str:
    """X ids are strings of digits; the world's anonymous accounts get a stable one of their own."""
    return user if user.isdigit() else str(int(hashlib.sha256(user.encode()).hexdigest()[:15], 16))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if not number:
            return text


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
        "name": None,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "public_repos": 1,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2026-11-01T08:00:00Z",
    }


def _github_ok(
    request: requests.PreparedRequest, body: str, weak_etag: bool, headers: dict[str, str] | None = None
) -> Reply:
    """A GitHub 200 with its ETag (weak, as GitHub sends for lists, or strong) and rate-limit headers, or a 304
    when the request sent that ETag back."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]
    etag = f'W/"{digest}"' if weak_etag else f'"{digest}"'
    answered = {"ETag": etag, **_github_rate_headers(), **(headers or {})}
    if request.headers.get("If-None-Match") == etag:
        return 304, answered, ""
    return 200, answered, body


def _github_rate_headers(remaining: int = GITHUB_REQUESTS_PER_HOUR - 1) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(GITHUB_REQUESTS_PER_HOUR),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-used": str(GITHUB_REQUESTS_PER_HOUR - remaining),
        "x-ratelimit-resource": "core",
    }


def _x_rate_headers() -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(X_REQUESTS_PER_WINDOW),
        "x-rate-limit-remaining": str(X_REQUESTS_PER_WINDOW - 1),
        "x-rate-limit-reset": str(int(time.time()) + X_WINDOW_SECONDS),
    }


def _vendor_error(vendor: Vendor, status: int) -> dict[str, Any]:
    """The body a vendor sends with a bare error status."""
    if vendor == "github":
        messages = {401: "Bad credentials", 403: "Forbidden", 404: "Not Found"}
        return {
            "message": messages.get(status, "Server Error"),
            "documentation_url": "https://docs.github.com/rest",
            "status": str(status),
        }
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
    title = titles.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
    return {"title": title, "detail": title, "type": "about:blank", "status": status}


def _x_absent(name: str, title: str, detail: str) -> dict[str, str]:
    return {
        "value": name,
        "detail": detail,
        "title": title,
        "resource_type": "user",
        "parameter": "usernames",
        "resource_id": name,
        "type": f"{X_PROBLEMS}/resource-not-found",
    }


def _x_unauthorized(user_id: str) -> dict[str, str]:
    """X's partial error for a list it will not show an app token: the account is protected, suspended or
    gone since it was looked up."""
    return {
        "value": user_id,
        "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
        "title": "Authorization Error",
        "resource_type": "user",
        "parameter": "id",
        "resource_id": user_id,
        "section": "data",
        "type": f"{X_PROBLEMS}/not-authorized-for-resource",
    }
