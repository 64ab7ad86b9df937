"""The HTTP contract as the OpenAPI document tells it: each route's answers with an example body each, its
error answers taken from the error table (`errors.ERRORS`). The handlers hand these to Powertools' route
decorators, which build the document from them."""

import re
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from connected.errors import ERRORS, ConnectedError, ErrorEntry, FollowsUnreadableError
from connected.freshness import MAX_AGE_LIMIT_SECONDS

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {"type": "string"}}},
}
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["connected"],
    "properties": {
        "connected": {"type": "boolean"},
        "organisations": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Present when connected: the public GitHub organisations both belong to, sorted.",
        },
    },
}
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["registered_at", "connected"],
    "properties": {
        "registered_at": {"type": "string", "format": "date-time", "example": "2019-09-13T09:30:00Z"},
        **VERDICT_SCHEMA["properties"],
    },
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, for a request with `Accept: application/problem+json`.",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": "tag:connected-developers,2026:problems/unknown_user"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "The first of `errors`."},
        "code": {"type": "string", "description": "The kind of problem: the `outcome` of the error table."},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}
RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {
        "description": "Seconds until it is worth asking again: an upstream's rate-limit reset, or, for a spent day "
        "budget, the next midnight UTC.",
        "schema": {"type": "integer"},
    }
}
RATE_LIMIT: dict[str, OpenAPIResponseHeader] = {
    "RateLimit-Policy": {
        "description": "With a per-caller budget (draft-ietf-httpapi-ratelimit-headers-11), in X users billed a UTC "
        'day: `"daily";q=10000;w=86400`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "What is left of the caller's budget after this answer, and seconds to midnight UTC: "
        '`"daily";r=9993;t=43210`.',
        "schema": {"type": "string"},
    },
}
AGE: dict[str, OpenAPIResponseHeader] = {
    "Age": {
        "description": "Only on an answer taken from the register (`max_age`): seconds since it was recorded.",
        "schema": {"type": "integer"},
    }
}
NEXT_PAGE: dict[str, OpenAPIResponseHeader] = {
    "Link": {
        "description": 'Present when more records exist: `<...?limit=N&cursor=...>; rel="next"`.',
        "schema": {"type": "string"},
    }
}


def _json(description: str, schema: dict[str, Any], **examples: object) -> OpenAPIResponse:
    return {
        "description": description,
        "content": {JSON: {"schema": schema, "examples": {name: {"value": value} for name, value in examples.items()}}},
    }


def _errors(description: str, *messages: str) -> OpenAPIResponse:
    return _json(description, ERRORS_SCHEMA, example={"errors": list(messages)})


def _error_responses(route: str) -> dict[int, OpenAPIResponse]:
    """Every error answer of a route, from the error table: one response per status, an example per error."""
    by_status: dict[int, list[ErrorEntry]] = {}
    for entry in ERRORS.values():
        if route in entry.routes:
            by_status.setdefault(entry.status, []).append(entry)
    responses: dict[int, OpenAPIResponse] = {}
    for status, entries in sorted(by_status.items()):
        response = _json(
            " ".join(entry.when for entry in entries),
            ERRORS_SCHEMA,
            **{_example_name(entry.example): {"errors": list(entry.example.messages)} for entry in entries},
        )
        response["content"][PROBLEM_JSON] = {"schema": PROBLEM_SCHEMA}
        headers = RATE_LIMIT if route in ("pair", "team") else {}
        if any(entry.example.retry_after_seconds is not None for entry in entries):
            headers = {**RETRY_AFTER, **headers}
        if headers:
            response["headers"] = headers
        responses[status] = response
    return responses


def _example_name(error: ConnectedError) -> str:
    """`UpstreamRateLimitedError` -> `upstream_rate_limited`."""
    name = type(error).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


REALTIME_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        **_json(
            "The answer: fresh and now recorded in the register, or, with `max_age`, the pair's latest record.",
            VERDICT_SCHEMA,
            connected={"connected": True, "organisations": ["Acme", "beta"]},
            not_connected={"connected": False},
        ),
        "headers": {**AGE, **RATE_LIMIT},
    },
    **_error_responses("pair"),
}

TEAM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["pairs"],
    "properties": {
        "pairs": {
            "type": "array",
            "description": "Every decided pair once, in the order the handles were given.",
            "items": {
                "type": "object",
                "required": ["dev1", "dev2", "connected"],
                "properties": {"dev1": {"type": "string"}, "dev2": {"type": "string"}, **VERDICT_SCHEMA["properties"]},
            },
        },
        "undecided": {
            "type": "array",
            "description": "Present when some pair cannot be told: both protected, over the read budget, a list that "
            "became unreadable, or a developer of the pair asked not to be looked up.",
            "items": {
                "type": "object",
                "required": ["dev1", "dev2", "reason"],
                "properties": {"dev1": {"type": "string"}, "dev2": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

TEAM_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "headers": RATE_LIMIT,
        **_json(
            "Every pair of the team: decided ones in `pairs` (recorded, or taken from the register with `max_age`), "
            "the others in `undecided` with their reason.",
            TEAM_SCHEMA,
            team={
                "pairs": [
                    {"dev1": "ada", "dev2": "grace", "connected": True, "organisations": ["pioneers"]},
                    {"dev1": "ada", "dev2": "alan", "connected": False},
                    {"dev1": "grace", "dev2": "alan", "connected": False},
                ]
            },
            with_undecided={
                "pairs": [{"dev1": "ada", "dev2": "grace", "connected": True, "organisations": ["pioneers"]}],
                "undecided": [
                    {
                        "dev1": "ada",
                        "dev2": "ken",
                        "reason": FollowsUnreadableError("ada", "ken").messages[0],
                    }
                ],
            },
        ),
    },
    **_error_responses("team"),
}

USAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["caller", "day", "x_users_billed", "daily_budget", "remaining", "resets_in_seconds"],
    "properties": {
        "caller": {
            "type": "string",
            "description": "Who API Gateway says is asking: an app client, an IAM ARN, ip:...",
        },
        "day": {"type": "string", "format": "date", "description": "Today, UTC."},
        "x_users_billed": {"type": "integer", "description": "X users billed for this caller's answers today."},
        "daily_budget": {"type": ["integer", "null"], "description": "null: no per-caller budget."},
        "remaining": {"type": ["integer", "null"], "description": "null: no per-caller budget."},
        "resets_in_seconds": {"type": "integer", "description": "Seconds to midnight UTC, when the day starts again."},
    },
}

USAGE_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _json(
        "The caller's day so far: what its answers were billed by X, and what is left of its budget. Free: nothing "
        "is asked of X or GitHub, nothing recorded.",
        USAGE_SCHEMA,
        usage={
            "caller": "arn:aws:iam::111122223333:user/ada",
            "day": "2026-12-02",
            "x_users_billed": 7,
            "daily_budget": 10000,
            "remaining": 9993,
            "resets_in_seconds": 43210,
        },
    ),
    **_error_responses("usage"),
}

REGISTER_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        **_json(
            "Every answer given for the pair, oldest first (a page of them with `limit`).",
            {"type": "array", "items": RECORD_SCHEMA},
            history=[
                {"registered_at": "2019-09-13T09:30:00Z", "connected": False},
                {"registered_at": "2019-09-14T10:02:11Z", "connected": True, "organisations": ["Acme"]},
            ],
        ),
        "headers": NEXT_PAGE,
    },
    **_error_responses("register"),
}

REALTIME_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "max_age",
        "in": "query",
        "required": False,
        "description": "Seconds (0 to 30 days): when the pair's latest recorded answer is at most this old, it is "
        "given, with an `Age` header, without asking GitHub or X and without a new record. Absent: always fresh.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_AGE_LIMIT_SECONDS},
    },
]

HEALTH_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _json("The function reaches its table.", {"type": "object"}, healthy={"status": "ok"}),
    503: _errors("The table cannot be reached.", "the register's table cannot be reached"),
}
