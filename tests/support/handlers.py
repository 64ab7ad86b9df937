"""Loads each function's app.py as its own module (both are named app.py) and invokes its handler."""

import base64
import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from local.events import LambdaContext, http_api_event
from local.template import PROJECT_ROOT, import_file_module


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: Any


class Invoke(Protocol):
    def __call__(
        self,
        path: str,
        method: str = "GET",
        timeout_seconds: float = 20.0,
        raw: bool = False,
        headers: dict[str, str] | None = None,
        authorizer: dict[str, object] | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpAnswer: ...


def load_function(name: str) -> ModuleType:
    return import_file_module(f"{name}_app", PROJECT_ROOT / "functions" / name / "app.py")


def invoker(name: str) -> Invoke:
    module = load_function(name)

    def invoke(
        path: str,
        method: str = "GET",
        timeout_seconds: float = 20.0,
        raw: bool = False,
        headers: dict[str, str] | None = None,
        authorizer: dict[str, object] | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpAnswer:
        """Calls the handler as API Gateway would, past `authorizer` when given, from `source_ip`; the body comes
        back parsed as JSON unless `raw`."""
        raw_path, _, query = path.partition("?")
        context = LambdaContext(function_name=name, timeout_seconds=timeout_seconds)
        event = http_api_event(method, raw_path, query, headers, source_ip=source_ip, authorizer=authorizer)
        result = module.lambda_handler(event, context)
        headers = {key.lower(): value for key, value in result.get("headers", {}).items()}
        text = result.get("body") or ""
        if result.get("isBase64Encoded"):
            text = base64.b64decode(text).decode("utf-8")
        body = text if raw else (json.loads(text) if text else None)
        return HttpAnswer(result["statusCode"], headers, body)

    return invoke
