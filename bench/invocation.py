"""A handler invoked in this process, as Lambda invokes it on a warm container; only the handler is timed."""

import json
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from local.events import LambdaContext, http_api_event


@dataclass(frozen=True, slots=True)
class Invocation:
    status: int
    body: Any
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def invoke(function: ModuleType, path: str) -> Invocation:
    event = http_api_event("GET", path)
    context = LambdaContext(function_name=function.__name__)
    started = time.perf_counter()
    result = function.lambda_handler(event, context)
    ended = time.perf_counter()
    return Invocation(result["statusCode"], json.loads(result["body"]), started, ended)
