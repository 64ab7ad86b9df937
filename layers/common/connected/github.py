"""GitHub REST client: public organisation memberships, every page, with conditional requests."""

import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import requests

from connected.errors import UpstreamError, UpstreamRateLimitedError, UpstreamTimeoutError
from connected.upstream import seconds_until

SERVICE = "github"
API_VERSION = "2022-11-28"
PAGE_SIZE = 100
MAX_PAGES = 50


class ETagCache:
    """The last body seen for each URL with its ETag, bounded, shared by a warm container's threads.

    A 304 answered to `If-None-Match` does not count against GitHub's rate limit when authenticated.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[str, tuple[str, Any, str | None]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, url: str) -> tuple[str, Any, str | None] | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
            return entry

    def put(self, url: str, etag: str, body: Any, next_url: str | None) -> None:
        with self._lock:
            self._entries[url] = (etag, body, next_url)
            self._entries.move_to_end(url)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class GitHubClient:
    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        token: str | None = None,
        etags: ETagCache | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._etags = etags if etags is not None else ETagCache()

    def organisations(self, login: str) -> list[str] | None:
        url: str | None = f"{self._base_url}/users/{quote(login, safe='')}/orgs?per_page={PAGE_SIZE}"
        organisations: list[str] = []
        pages = 0
        while url is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise UpstreamError(SERVICE, f"more than {MAX_PAGES} pages of organisations")
            page = self._get_page(url, first_page=pages == 1)
            if page is None:
                return None
            logins, url = page
            organisations.extend(logins)
        return organisations

    def _get_page(self, url: str, *, first_page: bool) -> tuple[list[str], str | None] | None:
        cached = self._etags.get(url)
        headers = dict(self._headers)
        if cached is not None:
            headers["If-None-Match"] = cached[0]
        try:
            response = self._session.get(url, headers=headers)
        except requests.Timeout as error:
            raise UpstreamTimeoutError(SERVICE) from error
        except requests.RequestException as error:
            raise UpstreamError(SERVICE, "the connection failed") from error

        if response.status_code == 304 and cached is not None:
            return cached[1], cached[2]
        if response.status_code == 404 and first_page:
            return None
        if response.status_code != 200:
            raise _failure(response)
        logins = _organisation_logins(response)
        next_url = response.links.get("next", {}).get("url")
        etag = response.headers.get("ETag")
        if etag:
            self._etags.put(url, etag, logins, next_url)
        return logins, next_url


def _organisation_logins(response: requests.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError as error:
        raise UpstreamError(SERVICE, "the answer was not JSON") from error
    if not isinstance(body, list) or not all(
        isinstance(item, dict) and isinstance(item.get("login"), str) for item in body
    ):
        raise UpstreamError(SERVICE, "the answer was not a list of organisations")
    return [item["login"] for item in body]


def _failure(response: requests.Response) -> Exception:
    status = response.status_code
    headers = response.headers
    if "retry-after" in headers and status in (403, 429):
        return UpstreamRateLimitedError(SERVICE, _retry_after(headers["retry-after"]))
    if status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
        return UpstreamRateLimitedError(SERVICE, seconds_until(headers.get("x-ratelimit-reset")))
    if status == 429:
        return UpstreamRateLimitedError(SERVICE, seconds_until(None))
    if status == 401:
        return UpstreamError(SERVICE, "the token was refused (401)")
    return UpstreamError(SERVICE, f"answered {status}")


def _retry_after(value: str) -> int:
    try:
        return max(1, int(value))
    except ValueError:
        return seconds_until(None)
