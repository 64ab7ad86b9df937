"""Who is asking: the caller API Gateway vouches for, taken from the event it hands the function.

First found wins: a JWT authorizer's `client_id` claim (a Cognito machine-to-machine app client), else its
`sub`; an IAM authorizer's `userArn`; with no authorizer, the source address (`ip:` and the address). The
caller names whose budget an answer spends and appears in the log lines; never as a metric dimension, as
callers are unbounded.
"""

from collections.abc import Mapping
from typing import Any


def caller_of(event: Mapping[str, Any]) -> str | None:
    """The caller of an HTTP API (payload 2.0) event, or None when the event names none."""
    context = _mapping(event.get("requestContext"))
    authorizer = _mapping(context.get("authorizer"))
    claims = _mapping(_mapping(authorizer.get("jwt")).get("claims"))
    for claim in ("client_id", "sub"):
        if value := _text(claims.get(claim)):
            return value
    if user_arn := _text(_mapping(authorizer.get("iam")).get("userArn")):
        return user_arn
    if source_ip := _text(_mapping(context.get("http")).get("sourceIp")):
        return f"ip:{source_ip}"
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
