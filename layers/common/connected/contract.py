"""The HTTP contract as the OpenAPI document tells it: each route's answers with an example body each.
The handlers hand these to Powertools' route decorators, which build the document from them."""

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from connected.history import MAX_LIMIT, UNPAGED_RECORD_CAP

JSON = "application/json"
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
RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {"description": "Seconds until the upstream's rate limit resets.", "schema": {"type": "integer"}}
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


REALTIME_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _json(
        "The answer, now recorded in the register.",
        VERDICT_SCHEMA,
        connected={"connected": True, "organisations": ["Acme", "beta"]},
        not_connected={"connected": False},
    ),
    400: _errors("The same handle twice.", "alice and ALICE are the same developer: give two different handles"),
    404: _errors(
        "A handle is no user on a service (dev1-github, dev1-twitter, dev2-github, dev2-twitter order).",
        "bob is no a valid user in github",
        "bob is no a valid user in twitter",
    ),
    422: _errors(
        "Both X accounts are protected: no follow list can be read.",
        "cannot tell whether alice and bob follow each other on twitter: both accounts are protected",
    ),
    500: _errors(
        "The function is not configured, or failed unexpectedly (logged).", "internal error: the failure was logged"
    ),
    502: _errors("An upstream failed: 5xx, refused credentials, an unreadable answer.", "github failed: answered 500"),
    503: {
        **_errors(
            "An upstream rate limit (with Retry-After), or the answer could not be recorded.",
            "twitter rate limit reached: retry in 412 seconds",
        ),
        "headers": RETRY_AFTER,
    },
    504: _errors("An upstream did not answer in time.", "twitter did not answer in time"),
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
    400: _errors(
        "The same handle twice, a handle no service allows, or a bad query parameter.",
        f"limit must be a whole number from 1 to {MAX_LIMIT}",
    ),
    503: _errors("The register could not be read.", "the register could not be read"),
}

REGISTER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"At most this many records (1 to {MAX_LIMIT}); a Link header points to the next page. "
        f"Without it, every record up to {UNPAGED_RECORD_CAP:,} (then a Link header too).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The opaque cursor of a Link header's next page.",
        "schema": {"type": "string"},
    },
    {
        "name": "since",
        "in": "query",
        "required": False,
        "description": "Only records registered at or after this ISO 8601 time (UTC when no zone is given).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "until",
        "in": "query",
        "required": False,
        "description": "Only records registered at or before this ISO 8601 time.",
        "schema": {"type": "string", "format": "date-time"},
    },
]

HEALTH_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _json("The function reaches its table.", {"type": "object"}, healthy={"status": "ok"}),
    503: _errors("The table cannot be reached.", "the register's table cannot be reached"),
}
