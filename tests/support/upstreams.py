"""GitHub and X faked at the HTTP layer: a `World` of developers served as the real APIs serve it (pages,
Link headers, ETags, X's `errors` for unknown and suspended users, pagination tokens), with faults that a
test can inject per endpoint. The real clients run unchanged against it."""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from local.world import Developer, World

GITHUB = "https://api.github.com"
X = "https://api.twitter.com/2"

Reply = tuple[int, dict[str, str], str]
Fault = Callable[[requests.PreparedRequest], Reply]


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Fault:
    text = body if isinstance(body, str) else json.dumps(body if body is not None else {"message": "fault"})
    return lambda _request: (status, dict(headers or {}), text)


def raise_error(error: Exception) -> Fault:
    def fault(_request: requests.PreparedRequest) -> Reply:
        raise error

    return fault


class FakeUpstreams:
    def __init__(self, http: responses.RequestsMock) -> None:
        self.world = World()
        self.requests: dict[str, list[requests.PreparedRequest]] = defaultdict(list)
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.answer_before_faults: dict[str, int] = defaultdict(int)
        self.lasting_faults: dict[str, Fault] = {}
        self.x_users_returned = 0
        http.add_callback(responses.GET, re.compile(rf"{re.escape(GITHUB)}/users/[^/]+/orgs.*"), self._github_orgs)
        http.add_callback(responses.GET, re.compile(rf"{re.escape(X)}/users/by\?.*"), self._x_users)
        http.add_callback(responses.GET, re.compile(rf"{re.escape(X)}/users/[^/]+/following.*"), self._x_following)
        http.add_callback(responses.GET, re.compile(rf"{re.escape(X)}/users/[^/]+/followers.*"), self._x_followers)

    def developer(self, handle: str, **details: Any) -> Developer:
        return self.world.add(Developer(handle, **details))

    def fail(self, endpoint: str, *faults: Fault, after: int = 0) -> None:
        """Requests to `endpoint` (github_orgs, x_users, x_following, x_followers) get these faults in order,
        once `after` more requests have been answered normally; later requests are answered normally too."""
        self.faults[endpoint].extend(faults)
        self.answer_before_faults[endpoint] = after

    def fail_every_time(self, endpoint: str, fault: Fault) -> None:
        """Every request to `endpoint` gets `fault`, retries included."""
        self.lasting_faults[endpoint] = fault

    def list_named_accounts_last(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Puts the accounts a test named after the anonymous ones, so a scan has to reach the last page."""
        for method in ("following_ids", "follower_ids"):
            listed = getattr(self.world, method)
            monkeypatch.setattr(
                self.world, method, lambda developer, listed=listed: sorted(listed(developer), key=str.isdigit)
            )

    def count(self, endpoint: str) -> int:
        return len(self.requests[endpoint])

    def _faulted(self, endpoint: str, request: requests.PreparedRequest) -> Reply | None:
        self.requests[endpoint].append(request)
        if self.answer_before_faults[endpoint] > 0:
            self.answer_before_faults[endpoint] -= 1
            return None
        if self.faults[endpoint]:
            return self.faults[endpoint].pop(0)(request)
        if endpoint in self.lasting_faults:
            return self.lasting_faults[endpoint](request)
        return None

    def _github_orgs(self, request: requests.PreparedRequest) -> Reply:
        faulted = self._faulted("github_orgs", request)
        if faulted is not None:
            return faulted
        parts = urlsplit(str(request.url))
        login = parts.path.split("/")[2]
        query = parse_qs(parts.query)
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        developer = self.world.developer(login)
        if developer is None or developer.organisations is None:
            return 404, {}, json.dumps({"message": "Not Found", "status": "404"})
        organisations = developer.organisations
        chunk = organisations[(page - 1) * per_page : page * per_page]
        body = json.dumps([{"login": name, "id": 100 + index} for index, name in enumerate(chunk)])
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "x-ratelimit-remaining": "4999"}
        if page * per_page < len(organisations):
            next_url = f"{GITHUB}/users/{login}/orgs?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        if request.headers.get("If-None-Match") == etag:
            return 304, headers, ""
        return 200, headers, body

    def _x_users(self, request: requests.PreparedRequest) -> Reply:
        faulted = self._faulted("x_users", request)
        if faulted is not None:
            return faulted
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
                data.append(
                    {
                        "id": self.world.x_id(developer.handle),
                        "name": developer.handle.title(),
                        "username": developer.handle,
                        "protected": developer.protected,
                        "public_metrics": {
                            "followers_count": len(self.world.follower_ids(developer)),
                            "following_count": len(self.world.following_ids(developer)),
                            "tweet_count": 1,
                            "listed_count": 0,
                        },
                    }
                )
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return 200, {"x-rate-limit-remaining": "299"}, json.dumps(body)

    def _x_following(self, request: requests.PreparedRequest) -> Reply:
        return self._x_list("x_following", request, self.world.following_ids)

    def _x_followers(self, request: requests.PreparedRequest) -> Reply:
        return self._x_list("x_followers", request, self.world.follower_ids)

    def _x_list(
        self, endpoint: str, request: requests.PreparedRequest, ids_of: Callable[[Developer], list[str]]
    ) -> Reply:
        faulted = self._faulted(endpoint, request)
        if faulted is not None:
            return faulted
        parts = urlsplit(str(request.url))
        user_id = parts.path.split("/")[3]
        query = parse_qs(parts.query)
        max_results = int(query.get("max_results", ["100"])[0])
        offset = int(query.get("pagination_token", ["0"])[0])
        developer = next(
            (dev for dev in self.world.developers.values() if dev.on_x and self.world.x_id(dev.handle) == user_id),
            None,
        )
        if developer is None:
            return 404, {}, json.dumps({"title": "Not Found Error"})
        if developer.protected:
            return 401, {}, json.dumps({"title": "Authorization Error", "status": 401})
        ids = ids_of(developer)
        page = ids[offset : offset + max_results]
        self.x_users_returned += len(page)
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [{"id": user, "name": user, "username": f"u{user}"} for user in page]
        if offset + max_results < len(ids):
            body["meta"]["next_token"] = str(offset + max_results)
        return 200, {"x-rate-limit-remaining": "299"}, json.dumps(body)


def _x_absent(name: str, title: str, detail: str) -> dict[str, str]:
    return {
        "value": name,
        "detail": detail,
        "title": title,
        "resource_type": "user",
        "parameter": "usernames",
        "resource_id": name,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }
