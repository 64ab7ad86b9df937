"""The one place where failures become HTTP answers: every error is `{"errors": [...]}` with the status its
row in `errors.ERRORS` gives, or, for a request that accepts `application/problem+json`, RFC 9457 problem
details carrying the same list."""

import json
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from connected.errors import PROBLEM_TITLES, ConnectedError, UnexpectedError, cause_of, entry_of

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "tag:connected-developers,2026:problems/{code}"
"""A stable URI per kind of problem (RFC 4151 tag URIs name without pointing anywhere); `code` is its outcome."""


def json_response(
    body: object,
    status: int = HTTPStatus.OK,
    headers: Mapping[str, str] | None = None,
    content_type: str = content_types.APPLICATION_JSON,
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_type,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=dict(headers or {}),
    )


def errors_response(
    status: int,
    messages: Sequence[str],
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    accept: str | None = None,
) -> Response[str]:
    """`{"errors": messages}`, or, when `accept` takes problem details, the problem of kind `code`."""
    if code is None or not accepts_problem(accept):
        return json_response({"errors": list(messages)}, status, headers)
    problem = {
        "type": PROBLEM_TYPE.format(code=code),
        "title": PROBLEM_TITLES[code],
        "status": int(status),
        "detail": messages[0],
        "code": code,
        "errors": list(messages),
    }
    return json_response(problem, status, headers, PROBLEM_JSON)


def error_response(error: ConnectedError, accept: str | None = None) -> Response[str]:
    headers = {}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    entry = entry_of(error)
    return errors_response(entry.status, error.messages, headers, entry.outcome, accept)


def accepts_problem(accept: str | None) -> bool:
    """True when an Accept header lists `application/problem+json` (with any q but 0)."""
    for media_range in (accept or "").split(","):
        media_type, *parameters = (part.strip().lower() for part in media_range.split(";"))
        if media_type == PROBLEM_JSON:
            return all(
                parameter.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000") for parameter in parameters
            )
    return False


def path_handle(segment: str) -> str:
    """A handle as the caller wrote it: API Gateway hands the path over still percent-encoded."""
    return unquote(segment)


def install_error_handlers(
    app: APIGatewayHttpResolver, logger: Logger, on_refusal: Callable[[Exception], None] | None = None
) -> None:
    """Maps the package's errors to their statuses and anything unexpected to a bare 500, never a traceback.
    `on_refusal` hears of every error answer (the realtime function counts them by outcome)."""

    def accept() -> str | None:
        return app.current_event.headers.get("accept")

    def handle_connected_error(error: ConnectedError) -> Response[str]:
        response = error_response(error, accept())
        details = {"status": response.status_code, "errors": list(error.messages)}
        if response.status_code >= 500:
            logger.warning("request refused", extra={**details, **cause_of(error)})
        else:
            logger.info("request refused", extra=details)
        if on_refusal is not None:
            on_refusal(error)
        return response

    def handle_unexpected_error(error: Exception) -> Response[str]:
        logger.exception("unexpected failure")
        if on_refusal is not None:
            on_refusal(error)
        return error_response(UnexpectedError(), accept())

    app.exception_handler(ConnectedError)(handle_connected_error)
    app.exception_handler(Exception)(handle_unexpected_error)


def install_route_fallback(
    app: APIGatewayHttpResolver, routes: Mapping[re.Pattern[str], Callable[..., Response[str]]]
) -> None:
    """Powertools' route pattern refuses some characters that API Gateway passes on (a quote, a
    backslash, some Unicode); such a path still gets its route's own answer (the route called with the
    pattern's groups), and any other path a 404 in the errors format."""

    @app.not_found
    def not_found(_error: Exception) -> Response[str]:
        event = app.current_event
        for route_shape, route in routes.items():
            shape = route_shape.fullmatch(event.path)
            if event.http_method == "GET" and shape is not None:
                return route(*shape.groups())
        return errors_response(
            HTTPStatus.NOT_FOUND,
            [f"no route for {event.http_method} {event.path}"],
            code="not_found",
            accept=event.headers.get("accept"),
        )
