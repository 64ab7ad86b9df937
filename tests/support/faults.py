"""Faults to inject into the fakes of local/upstreams.py (`FakeUpstreams.fail`, `fail_every_time`). Where the
vendors' API descriptions are silent, these follow the vendors' prose documents:
- X 402 `credits-depleted` and 429 `UsageCapExceeded` (`usage-capped`, with `period` and `scope`): docs.x.com,
  "Pay-per-use pricing" and "Usage caps";
- GitHub secondary rate limits (403 or 429, a message naming them, often no `retry-after`): docs.github.com,
  "Rate limits for the REST API".
"""

import json
from typing import Any

import requests

from local.upstreams import Fault, Reply, github_rate_headers, x_problem, x_rate_headers

X_CREDITS_DOCUMENT = "docs.x.com, Pay-per-use pricing (402 credits-depleted)"
X_USAGE_CAPS_DOCUMENT = "docs.x.com, Usage caps (429 UsageCapExceeded, usage-capped)"


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


def x_credits_depleted() -> Fault:
    """X pay-per-use, no credits left."""
    detail = "Your enrolled account does not have any credits to fulfill this request."
    return following(X_CREDITS_DOCUMENT, reply(402, x_problem(402, "Payment Required", "credits-depleted", detail)))


def x_usage_capped(period: str = "Monthly", scope: str = "Account") -> Fault:
    """A spent usage cap: a 429 whose window still has requests left."""
    detail = f"Usage cap exceeded: {period}"
    problem = x_problem(429, "UsageCapExceeded", "usage-capped", detail, period=period, scope=scope)
    return following(X_USAGE_CAPS_DOCUMENT, reply(429, problem, x_rate_headers(remaining=287)))


def github_secondary_rate_limit(status: int = 403, headers: dict[str, str] | None = None) -> Fault:
    """GitHub's secondary rate limit: requests left in the hour, and most often no `retry-after`."""
    message = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach "
        "out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000."
    )
    documentation = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    body = {"message": message, "documentation_url": documentation, "status": str(status)}
    return reply(status, body, {**github_rate_headers(remaining=4890), **(headers or {})})
