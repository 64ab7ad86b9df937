"""The fakes of local/upstreams.py with what only the tests need: faults, and every answer handed to a check
(against the vendors' schemas, tests/support/contracts.py); and the faults to inject. Where the vendors' API
descriptions are silent, these follow the vendors' prose documents:
- X errors with a bare status (`about:blank` problems): docs.x.com, "Fundamentals / Response codes and errors";
- X 402 `credits-depleted` and 429 `UsageCapExceeded` (`usage-capped`, with `period` and `scope`): docs.x.com,
  "Pay-per-use pricing" and "Usage caps";
- GitHub secondary rate limits (403 or 429, a message naming them, often no `retry-after`): docs.github.com,
  "Rate limits for the REST API".
"""

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

import requests
import responses

from local import upstreams
from local.upstreams import ENDPOINTS, Fault, Reply, Vendor, github_rate_headers, x_problem, x_rate_headers
from local.world import World

X_ERRORS_DOCUMENT = "docs.x.com, Fundamentals, Response codes and errors (about:blank problems)"
X_CREDITS_DOCUMENT = "docs.x.com, Pay-per-use pricing (402 credits-depleted)"
X_USAGE_CAPS_DOCUMENT = "docs.x.com, Usage caps (429 UsageCapExceeded, usage-capped)"


class AnswerCheck(Protocol):
    """Called for every JSON answer the fakes give; `follows` names the vendor's prose document an answer follows
    where its API description is silent."""

    def __call__(self, vendor: Vendor, operation: str, status: int, body: Any, follows: str | None = None) -> None: ...


class FakeUpstreams(upstreams.FakeUpstreams):
    """Faults can be injected per endpoint (the keys of local.upstreams.ENDPOINTS). Every JSON answer, faults
    included, is handed to `check`. A fault answering no body gets the vendor's own error body for its status;
    one marked `off_spec` is not checked, and one marked `follows` names the prose document it follows."""

    def __init__(
        self, http: responses.RequestsMock, world: World | None = None, check: AnswerCheck | None = None
    ) -> None:
        self.check = check
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.answer_before_faults: dict[str, int] = defaultdict(int)
        self.lasting_faults: dict[str, Fault] = {}
        super().__init__(http, world)

    def fail(self, endpoint: str, *faults: Fault, after: int = 0) -> None:
        """Requests to `endpoint` get these faults in order, once `after` more requests have been answered
        normally; later requests are answered normally too."""
        self.faults[endpoint].extend(faults)
        self.answer_before_faults[endpoint] = after

    def fail_every_time(self, endpoint: str, fault: Fault) -> None:
        """Every request to `endpoint` gets `fault`, retries included."""
        self.lasting_faults[endpoint] = fault

    def altered(self, endpoint: str, change: Callable[[dict[str, str], Any], None]) -> Fault:
        """A fault: the world's own answer to the request, its headers and JSON body changed in place by `change`
        (an answer that differs from the documented one in one detail: a link, a field left out)."""

        def fault(request: requests.PreparedRequest) -> Reply:
            status, headers, text = self.serve[endpoint](request)
            body = json.loads(text)
            change(headers, body)
            return status, headers, json.dumps(body)

        return fault

    def respond(self, endpoint: str, request: requests.PreparedRequest) -> Reply:
        fault = self._fault_for(endpoint)
        status, headers, text = (fault or self.serve[endpoint])(request)
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


def _vendor_error(vendor: Vendor, status: int) -> dict[str, Any]:
    """The body a vendor sends with a bare error status."""
    if vendor == "github":
        message = {401: "Bad credentials", 403: "Forbidden", 404: "Not Found"}.get(status, "Server Error")
        return {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
    title = titles.get(status, "Internal Server Error" if status >= 500 else "Bad Request")
    return {"title": title, "detail": title, "type": "about:blank", "status": status}


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
