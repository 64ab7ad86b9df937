"""The one place where failures become HTTP answers: every error is `{"errors": [...]}` with the status its
row in `errors.ERRORS` gives."""

import json
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from connected.errors import ConnectedError, UnexpectedError, cause_of, entry_of


def json_response(body: object, status: int = HTTPStatus.OK, headers: Mapping[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=dict(headers or {}),
    )


def errors_response(status: int, messages: Sequence[str], headers: Mapping[str, str] | None = None) -> Response[str]:
    return json_response({"errors": list(messages)}, status, headers)


def error_response(error: ConnectedError) -> Response[str]:
    headers = {}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return errors_response(entry_of(error).status, error.messages, headers)


def path_handle(segment: str) -> str:
    """A handle as the caller wrote it: API Gateway hands the path over still percent-encoded."""
    return unquote(segment)


def install_error_handlers(
    app: APIGatewayHttpResolver, logger: Logger, on_refusal: Callable[[Exception], None] | None = None
) -> None:
    """Maps the package's errors to their statuses and anything unexpected to a bare 500, never a traceback.
    `on_refusal` hears of every error answer (the realtime function counts them by outcome)."""

    def handle_connected_error(error: ConnectedError) -> Response[str]:
        response = error_response(error)
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
        return error_response(UnexpectedError())

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
        return errors_response(HTTPStatus.NOT_FOUND, [f"no route for {event.http_method} {event.path}"])
