"""One cold start, in this fresh interpreter: `python -m bench.child KIND`, started by bench/coldstart.py,
which writes the event, the context and what the baselines need to stdin (marshal, built in) and reads the
last line printed.

KIND is `realtime` or `register` (imports the function's app.py as Lambda does, from functions/<name>/ with
layers/common on sys.path, and invokes its handler once), or `realtime-baseline` or `register-baseline`
(the same I/O with the bare libraries: `import boto3, tweepy`, one PutItem and one X user lookup through
tweepy; `import boto3` and one Query).

Fairness: before its clock starts, this module imports nothing that `python -m` has not already loaded, so
every import a function or its baseline needs is on its own clock. The loopback guard is installed when the
code under measurement first imports `socket`. GitHub and X are faked with `responses`, which imports
requests, and answer at once. The fake is set up once the code under measurement has imported what it
shares with it: the realtime function its X client module (connected/twitter.py, which has imported requests,
tweepy and the package's models), the baseline tweepy. The set-up must not overlap work on another thread,
which would be left out with it (the function builds its DynamoDB client aside): it fails if another thread
runs. The set-up, and the time requests spend in the faked adapter (the part a network round trip would
replace), are left out of the figure; the modules the set-up loaded are reported, so that a test can check it
took none the function would have loaded itself. DynamoDB is a real local server (AWS_ENDPOINT_URL_DYNAMODB):
its round trip stays in.
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
BASELINE_SUFFIX = "-baseline"
FUNCTIONS = ("realtime", "register")
FAKE_SET_UP_AFTER = {"realtime": "connected.twitter", "realtime" + BASELINE_SUFFIX: "tweepy"}
"""The module whose import (by the code under measurement) the fake upstreams are set up after."""
WATCHED_MODULES = ("tweepy", "requests", "oauthlib", "asyncio", "pydantic", "aws_xray_sdk", "boto3")
X_USER_FIELDS = ["public_metrics", "protected"]
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(kind: str, invocation: dict[str, Any]) -> dict[str, Any]:
    function = kind.removesuffix(BASELINE_SUFFIX)
    sys.meta_path.insert(0, _AfterImport("socket", _guard_network))
    fake_waits: list[Timeline] = []
    loaded_by_fake: list[str] = []
    if kind in FAKE_SET_UP_AFTER:
        _fake_upstreams_once_imported(FAKE_SET_UP_AFTER[kind], invocation, fake_waits, loaded_by_fake)

    started = time.perf_counter()
    status = None
    if kind.endswith(BASELINE_SUFFIX):
        imported = _baseline(function, invocation)
    else:
        handler = _import_handler(function)
        imported = time.perf_counter()
        status = handler(invocation["event"], _context(invocation))["statusCode"]
    ended = time.perf_counter()

    waited = fake_waits[0].waited(started, ended) if fake_waits else 0.0
    return {
        "kind": kind,
        "cold_ms": (ended - started - waited) * 1000,
        "import_ms": (imported - started - (fake_waits[0].waited(started, imported) if fake_waits else 0.0)) * 1000,
        "faked_ms": waited * 1000,
        "status": status,
        "loaded": [name for name in WATCHED_MODULES if name in sys.modules],
        "loaded_by_fake": loaded_by_fake,
        "modules": sorted(sys.modules),
    }


def _baseline(function: str, invocation: dict[str, Any]) -> float:
    """The function's I/O with the bare libraries; returns when its imports ended."""
    import boto3

    if function == "realtime":
        import tweepy

        imported = time.perf_counter()
        x = tweepy.Client(bearer_token=os.environ["TWITTER_BEARER_TOKEN"], return_type=dict)
        x.get_users(usernames=invocation["handles"], user_fields=X_USER_FIELDS)
        boto3.client("dynamodb").put_item(TableName=os.environ["TABLE_NAME"], Item=invocation["item"])
    else:
        imported = time.perf_counter()
        boto3.client("dynamodb").query(TableName=os.environ["TABLE_NAME"], **invocation["query"])
    return imported


def _context(invocation: dict[str, Any]) -> SimpleNamespace:
    remaining_ms = invocation["remaining_ms"]
    return SimpleNamespace(**invocation["context"], get_remaining_time_in_millis=lambda: remaining_ms)


def _guard_network(_socket: ModuleType) -> None:
    from bench.network import allow_only_loopback

    allow_only_loopback()


def _import_handler(function: str) -> Handler:
    sys.path[:0] = [os.path.join(PROJECT_ROOT, "functions", function), os.path.join(PROJECT_ROOT, "layers", "common")]
    handler: Handler = importlib.import_module("app").lambda_handler
    return handler


def _fake_upstreams_once_imported(
    module_name: str, invocation: dict[str, Any], fake_waits: list[Timeline], loaded_by_fake: list[str]
) -> None:
    """Sets up the fake upstreams, timed as a wait, once `module_name` has been imported."""

    def set_up(_module: ModuleType) -> None:
        import threading  # loaded with requests

        if threading.active_count() > 1:
            raise RuntimeError(f"{module_name} was imported while another thread ran: its work would go unmeasured")
        modules_before = set(sys.modules)
        from bench.timeline import Timeline

        timeline = Timeline()
        with timeline.waiting():
            _start_fake_upstreams(invocation["scenario"], invocation["upstream_latency_seconds"], timeline)
        loaded_by_fake.extend(sorted(set(sys.modules) - modules_before))
        fake_waits.append(timeline)

    sys.meta_path.insert(0, _AfterImport(module_name, set_up))


def _start_fake_upstreams(scenario_name: str, latency_seconds: float, timeline: Timeline) -> None:
    """The named scenario's world behind `responses`, answering after `latency_seconds`; the time requests
    spend in the faked adapter is recorded on `timeline`."""
    layer = os.path.join(PROJECT_ROOT, "layers", "common")
    if layer not in sys.path:
        sys.path.append(layer)  # the fake world speaks in the package's models (a baseline imports none)
    from bench.scenarios import REALTIME_SCENARIOS
    from bench.upstreams import LatentRequestsMock, fake_upstreams, time_requests

    mock = LatentRequestsMock(latency_seconds)
    mock.start()
    fake_upstreams(mock, [scenario for scenario in REALTIME_SCENARIOS if scenario.name == scenario_name])
    time_requests(timeline)


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
