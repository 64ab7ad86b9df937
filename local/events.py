"""API Gateway HTTP API (payload format 2.0) events and Lambda contexts, as Lambda hands them to a handler."""

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl


def http_api_event(
    method: str,
    raw_path: str,
    raw_query: str = "",
    headers: dict[str, str] | None = None,
    route_key: str = "$default",
    path_parameters: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    authorizer: dict[str, object] | None = None,
) -> dict[str, Any]:
    """`authorizer`: what API Gateway adds to `requestContext` once an authorizer let the request through
    (`{"jwt": {"claims": ..., "scopes": ...}}` or `{"iam": {"userArn": ...}}`); none for an open route."""
    now = datetime.now(UTC)
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    http = {"method": method.upper(), "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": source_ip}
    context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {**http, "userAgent": headers.get("user-agent", "")},
        "requestId": uuid.uuid4().hex,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": raw_path, "rawQueryString": raw_query}
    event |= {"headers": headers, "requestContext": context, "isBase64Encoded": False}
    if pairs := parse_qsl(raw_query, keep_blank_values=True):  # a repeated name's values joined by commas
        event["queryStringParameters"] = {name: ",".join(v for n, v in pairs if n == name) for name, _ in pairs}
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


@dataclass
class LambdaContext:
    """What a handler reads of Lambda's context: names, the request id and the time left."""

    function_name: str = "local"
    timeout_seconds: float = 20.0
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))
