"""GitHub REST client: public organisation memberships, every page, with conditional requests; GitHub's
primary and secondary rate limits told from refusals."""

import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

import requests

from connected.errors import UpstreamError, UpstreamRateLimitedError, UpstreamTimeoutError
from connected.upstream import DEFAULT_RETRY_AFTER_SECONDS, seconds_until

SERVICE = "github"
API_VERSION = "2022-11-28"
PAGE_SIZE = 100
MAX_PAGES = 50
ORGANISATION = "Organization"


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
        """Public organisations of the user, every page; None when `login` is no user: unknown, or an
        organisation. An organisation belongs to no organisation, so its type is asked only when the list is
        empty, the one case where it can be an organisation."""
        url: str | None = f"{self._user_url(login)}/orgs?per_page={PAGE_SIZE}"
        organisations: list[str] = []
        pages = 0
        while url is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise UpstreamError(SERVICE, f"more than {MAX_PAGES} pages of organisations")
            page = self._get_json(url, missing_means_none=pages == 1)
            if page is None:
                return None
            body, url = page
            organisations.extend(_organisation_logins(body))
        if not organisations and self._is_organisation(login):
            return None
        return organisations

    def _is_organisation(self, login: str) -> bool:
        found = self._get_json(self._user_url(login), missing_means_none=True)
        if found is None:
            return True
        account = found[0]
        if not isinstance(account, dict) or not isinstance(account.get("type"), str):
            raise UpstreamError(SERVICE, "the answer was not an account")
        return bool(account["type"] == ORGANISATION)

    def _user_url(self, login: str) -> str:
        return f"{self._base_url}/users/{quote(login, safe='')}"

    def _get_json(self, url: str, *, missing_means_none: bool) -> tuple[Any, str | None] | None:
        """The JSON body and the next page's URL; from the cache when GitHub answers 304 Not Modified."""
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
        if response.status_code == 404 and missing_means_none:
            return None
        if response.status_code != 200:
            raise _failure(response)
        try:
            body = response.json()
        except ValueError as error:
            raise UpstreamError(SERVICE, "the answer was not JSON") from error
        next_url = response.links.get("next", {}).get("url")
        etag = response.headers.get("ETag")
        if etag:
            self._etags.put(url, etag, body, next_url)
        return body, next_url


def _organisation_logins(body: Any) -> list[str]:
    if not isinstance(body, list) or not all(
        isinstance(item, dict) and isinstance(item.get("login"), str) for item in body
    ):
        raise UpstreamError(SERVICE, "the answer was not a list of organisations")
    return [item["login"] for item in body]


def _failure(response: requests.Response) -> Exception:
    status = response.status_code
    if status in (403, 429):
        limited = _rate_limited(response)
        if limited is not None:
            return limited
    if status == 401:
        return UpstreamError(SERVICE, "the token was refused (401)")
    return UpstreamError(SERVICE, f"answered {status}")


def _rate_limited(response: requests.Response) -> UpstreamRateLimitedError | None:
    """GitHub's rule for how long to wait: `retry-after` when given; else the reset, once no request is left;
    else, for a secondary limit (often sent with requests still left), at least a minute. A 403 that is
    none of these is a refusal, not a limit."""
    headers = response.headers
    message = _message(response).lower()
    limit = "secondary rate limit" if "secondary rate limit" in message else "rate limit"
    if "retry-after" in headers:
        return UpstreamRateLimitedError(SERVICE, _retry_after(headers["retry-after"]), limit)
    if headers.get("x-ratelimit-remaining") == "0":
        return UpstreamRateLimitedError(SERVICE, seconds_until(headers.get("x-ratelimit-reset")), limit)
    if "rate limit" in message or response.status_code == 429:
        return UpstreamRateLimitedError(SERVICE, DEFAULT_RETRY_AFTER_SECONDS, limit)
    return None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else ""


def _retry_after(value: str) -> int:
    try:
        return max(1, int(value))
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS
