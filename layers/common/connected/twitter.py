"""X API v2 client over tweepy: one lookup for both accounts, follow lists read only as far as needed.

X bills every user an answer returns. Before each request the most it may bill is reserved
(`connected.spending`): a lookup, one user per name; a list page, the users it asks for (`max_results`): what
the list still holds by X's count, or, once the list has outgrown its count, a page of `LIST_GROWTH_PAGE_SIZE`.
"""

import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import requests
import tweepy

from connected import spending
from connected.errors import (
    FollowListUnreadable,
    UpstreamError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
    XCreditsDepletedError,
    XUsageCappedError,
)
from connected.models import FollowScan, XAccount
from connected.upstream import seconds_until

SERVICE = "twitter"
LIST_PAGE_SIZE = 1000
MAX_LIST_PAGES = 200
LIST_GROWTH_PAGE_SIZE = 100
"""Users asked for at a time once a list has returned as many as its count at lookup time said it held: lists
change, and X's counts lag behind them (X bills the users returned, not those asked for)."""
ABSENT_USER_TITLES = frozenset({"Not Found Error", "Forbidden"})
"""An unknown user, a suspended one; X spells the problem types with api.twitter.com or api.x.com."""
ABSENT_USER_TYPE = "/problems/resource-not-found"
USAGE_CAPPED_TYPE = "/problems/usage-capped"
USERNAME_IN_DETAIL = re.compile(r"\[([A-Za-z0-9_]{1,15})\]")

# tweepy logs request headers, bearer token included, at DEBUG: keep its logger above that.
logging.getLogger("tweepy").setLevel(logging.INFO)


class XClient:
    def __init__(self, client: tweepy.Client) -> None:
        if client.wait_on_rate_limit:
            raise ValueError("wait_on_rate_limit sleeps up to 15 minutes; API Gateway gives up after 30 s")
        self._client = client

    def find_accounts(self, usernames: Iterable[str]) -> Mapping[str, XAccount]:
        wanted = sorted({name.lower() for name in usernames})
        if not wanted:
            return {}
        body = self._billed_call(
            len(wanted),
            lambda body: len(body.get("data") or []),
            self._client.get_users,
            usernames=wanted,
            user_fields=["public_metrics", "protected"],
        )
        found = {account.username.lower(): account for account in map(_account, body.get("data") or [])}
        absent = {name for error in body.get("errors") or [] if (name := _absent_username(error))}
        unexplained = set(wanted) - found.keys() - absent
        if unexplained:
            raise UpstreamError(SERVICE, "the user lookup left accounts unexplained")
        return {name: account for name, account in found.items() if name in wanted}

    def following_includes(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        """Reads `account`'s following list until every target appeared, the list ended, or `max_users` users
        were read."""
        return self._scan(self._client.get_users_following, account, account.following_count, targets, max_users, last)

    def followers_include(
        self, account: XAccount, targets: Collection[XAccount], max_users: int | None = None, last: bool = False
    ) -> FollowScan:
        """Reads `account`'s followers list, likewise."""
        return self._scan(self._client.get_users_followers, account, account.followers_count, targets, max_users, last)

    def _scan(
        self,
        read_page: Callable[..., Any],
        account: XAccount,
        count: int,
        targets: Collection[XAccount],
        max_users: int | None,
        last: bool,
    ) -> FollowScan:
        """`last`: the answer's last read; its page that reaches the list's count is the answer's last request."""
        wanted = {target.id for target in targets}
        found: set[str] = set()
        users_read = 0
        token: str | None = None
        for page_number in range(1, MAX_LIST_PAGES + 1):
            expected = count - users_read if count > users_read else LIST_GROWTH_PAGE_SIZE
            page_size = min(LIST_PAGE_SIZE, expected, max_users - users_read if max_users is not None else expected)
            if page_size < 1:
                return FollowScan(frozenset(found), users_read, page_number - 1, complete=False)
            params: dict[str, Any] = {"max_results": page_size}
            if token:
                params["pagination_token"] = token
            last_page = last and page_size == expected
            body = self._billed_call(page_size, _users_in_page, read_page, account.id, last=last_page, **params)
            if body.get("data") is None and body.get("errors"):
                raise FollowListUnreadable(account.username, users_read)
            ids = _ids(body.get("data"))
            users_read += len(ids)
            found |= wanted.intersection(ids)
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if found == wanted or not token:
                return FollowScan(frozenset(found), users_read, page_number)
        raise UpstreamError(SERVICE, f"a follow list ran past {MAX_LIST_PAGES} pages")

    def _billed_call(
        self,
        most: int,
        billed: Callable[[dict[str, Any]], int],
        method: Callable[..., Any],
        *args: Any,
        last: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A request that may bill up to `most` users: reserved before (`last`: as the answer's last request),
        and what X billed (`billed` of the answer) noted after; a failed request billed nothing, and its whole
        reservation is given back."""
        spending.reserve(most, last)
        body = self._call(method, *args, **kwargs)
        spending.billed(billed(body))
        return body

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            body = method(*args, **kwargs)
        except tweepy.TooManyRequests as error:
            if _is_usage_cap(problem := _problem(error.response)):
                raise XUsageCappedError(_text(problem.get("period"))) from error
            raise UpstreamRateLimitedError(
                SERVICE, seconds_until(error.response.headers.get("x-rate-limit-reset"))
            ) from error
        except tweepy.Unauthorized as error:
            raise UpstreamError(SERVICE, "the bearer token was refused (401)") from error
        except tweepy.HTTPException as error:
            if error.response.status_code == HTTPStatus.PAYMENT_REQUIRED:
                raise XCreditsDepletedError from error
            raise UpstreamError(SERVICE, f"answered {error.response.status_code}") from error
        except requests.Timeout as error:
            raise UpstreamTimeoutError(SERVICE) from error
        except requests.JSONDecodeError as error:
            raise UpstreamError(SERVICE, "the answer was not JSON") from error
        except requests.RequestException as error:
            raise UpstreamError(SERVICE, "the connection failed") from error
        if not isinstance(body, dict):
            raise UpstreamError(SERVICE, "the answer was not a JSON object")
        return body


def _account(item: Any) -> XAccount:
    try:
        metrics = item["public_metrics"]
        return XAccount(
            id=str(item["id"]),
            username=str(item["username"]),
            followers_count=int(metrics["followers_count"]),
            following_count=int(metrics["following_count"]),
            protected=bool(item.get("protected", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UpstreamError(SERVICE, "a user in the answer lacked its id or counts") from error


def _users_in_page(body: dict[str, Any]) -> int:
    data = body.get("data")
    return len(data) if isinstance(data, list) else 0


def _ids(data: Any) -> list[str]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) and "id" in item for item in data):
        raise UpstreamError(SERVICE, "a follow list page was not a list of users")
    return [str(item["id"]) for item in data]


def _absent_username(error: Any) -> str | None:
    """The lower-cased username an error of the lookup says is unknown or suspended, or None for any other
    error. X's own example carries no `value`: then `resource_id`, then the name in `detail`."""
    if not isinstance(error, dict):
        return None
    if error.get("title") not in ABSENT_USER_TITLES and not _text(error.get("type")).endswith(ABSENT_USER_TYPE):
        return None
    for key in ("value", "resource_id"):
        if name := _text(error.get(key)):
            return name.lower()
    named = USERNAME_IN_DETAIL.search(_text(error.get("detail")))
    return named.group(1).lower() if named else None


def _problem(response: requests.Response) -> dict[str, Any]:
    """The problem object of an error answer (`title`, `type`, `detail`...), or {} when there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _is_usage_cap(problem: dict[str, Any]) -> bool:
    """A 429 for a spent usage cap, not for the 15-minute window (whose remaining count may still be high)."""
    return problem.get("title") == "UsageCapExceeded" or _text(problem.get("type")).endswith(USAGE_CAPPED_TYPE)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
