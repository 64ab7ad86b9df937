"""One cold start, in this fresh interpreter: `python -m bench.child KIND`, started by bench/coldstart.py,
which writes the event, the context and the upstream latency to stdin (marshal, built in) and reads the last
line printed.

KIND is `baseline` (imports boto3 and requests, nothing else), `realtime` or `register` (imports the
function's app.py as Lambda does, from functions/<name>/ with layers/common on sys.path, and invokes its
handler once), or either function with `+tracer` (the same, with Powertools' Tracer around the handler).

Fairness: before its clock starts, this module imports nothing that `python -m` has not already loaded, so
every import the baseline or a function needs is on its own clock. The loopback guard is installed when the
code under measurement first imports `socket`. The realtime function's GitHub and X are faked with
`responses`, which imports requests: so the fake is set up only once the function has imported its X client
module (connected/twitter.py), and with it requests, tweepy and the GitHub client; the set-up, and the time
spent inside faked requests, are left out of the figure, as network waits would be. The modules the set-up
loaded are reported, so that a test can check it took none the function would have loaded itself. The
DynamoDB round trip goes to a real local server (AWS_ENDPOINT_URL_DYNAMODB) and stays in.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import marshal
import os
import sys
import time
from types import SimpleNamespace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

    from bench.timeline import Timeline

    Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

RESULT_PREFIX = "BENCH-CHILD "
BASELINE = "baseline"
TRACED_SUFFIX = "+tracer"
WATCHED_MODULES = ("tweepy", "requests", "oauthlib", "asyncio", "aws_xray_sdk", "boto3")
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(kind: str, invocation: dict[str, Any]) -> dict[str, Any]:
    function = kind.removesuffix(TRACED_SUFFIX)
    sys.meta_path.insert(0, _AfterImport("socket", _guard_network))
    fake_waits: list[Timeline] = []
    loaded_by_fake: list[str] = []
    if function == "realtime":
        _fake_upstreams_once_imported(invocation["upstream_latency_seconds"], fake_waits, loaded_by_fake)
    remaining_ms = invocation["remaining_ms"]
    context = SimpleNamespace(**invocation["context"], get_remaining_time_in_millis=lambda: remaining_ms)

    started = time.perf_counter()
    status = None
    if function == BASELINE:
        importlib.import_module("boto3")
        importlib.import_module("requests")
        imported = time.perf_counter()
    else:
        handler = _import_handler(function)
        if kind.endswith(TRACED_SUFFIX):
            handler = _traced(handler)
        imported = time.perf_counter()
        status = handler(invocation["event"], context)["statusCode"]
    ended = time.perf_counter()

    waited = fake_waits[0].waited(started, ended) if fake_waits else 0.0
    return {
        "kind": kind,
        "cold_ms": (ended - started - waited) * 1000,
        "import_ms": (imported - started) * 1000,
        "faked_ms": waited * 1000,
        "status": status,
        "loaded": [name for name in WATCHED_MODULES if name in sys.modules],
        "loaded_by_fake": loaded_by_fake,
    }


def _guard_network(_socket: ModuleType) -> None:
    from bench.network import allow_only_loopback

    allow_only_loopback()


def _import_handler(function: str) -> Handler:
    sys.path[:0] = [os.path.join(PROJECT_ROOT, "functions", function), os.path.join(PROJECT_ROOT, "layers", "common")]
    handler: Handler = importlib.import_module("app").lambda_handler
    return handler


def _traced(handler: Handler) -> Handler:
    """What adding Powertools' Tracer to a handler costs: the X-Ray SDK, its patching, the handler's segment."""
    from aws_lambda_powertools import Tracer

    traced: Handler = Tracer().capture_lambda_handler(handler)
    return traced


def _fake_upstreams_once_imported(
    latency_seconds: float, fake_waits: list[Timeline], loaded_by_fake: list[str]
) -> None:
    """Sets up the fake upstreams (timed as a wait) once the function has imported its X client, and with
    it requests, tweepy and the GitHub client, and before it builds anything that runs aside."""

    def set_up(_x_client_module: ModuleType) -> None:
        set_up_started = time.perf_counter()
        modules_before = set(sys.modules)
        fake_waits.append(_started_fake_upstreams(latency_seconds))
        loaded_by_fake.extend(sorted(set(sys.modules) - modules_before))
        fake_waits[0].add(set_up_started, time.perf_counter())

    sys.meta_path.insert(0, _AfterImport("connected.twitter", set_up))


def _started_fake_upstreams(latency_seconds: float) -> Timeline:
    """The cold-start scenario's world behind `responses`, answering after `latency_seconds`; returns the
    timeline on which the time spent inside requests is recorded."""
    from bench.scenarios import COLD_START_SCENARIO
    from bench.timeline import Timeline
    from bench.upstreams import LatentRequestsMock, fake_upstreams, time_requests

    mock = LatentRequestsMock(latency_seconds)
    mock.start()
    fake_upstreams(mock, [COLD_START_SCENARIO])
    timeline = Timeline()
    time_requests(timeline)
    return timeline


class _AfterImport:
    """A meta path finder that lets `module_name` be imported as usual, by whoever imports it first, then
    hands the module to `then`."""

    def __init__(self, module_name: str, then: Callable[[ModuleType], None]) -> None:
        self._module_name = module_name
        self._then = then

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != self._module_name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def execute_then(module: ModuleType) -> None:
            execute(module)
            self._then(module)

        spec.loader.exec_module = execute_then  # type: ignore[method-assign]
        return spec


if __name__ == "__main__":
    result = main(sys.argv[1], marshal.loads(sys.stdin.buffer.read()))  # noqa: S302 - written by bench/coldstart.py
    sys.stdout.flush()
    import json

    print(RESULT_PREFIX + json.dumps(result), flush=True)
