"""One cold start, in this fresh interpreter: `python -m bench.child KIND`, started by bench/coldstart.py,
which writes the event and the context to stdin (marshal, built in) and reads the last line printed.

KIND names the handler module imported, as Lambda imports it, and invoked once: `realtime` or `register`,
the function's app.py (from functions/<name>/, with layers/common on sys.path); `realtime-floor` or
`register-floor`, bench/floor.py; `realtime-bare` or `register-bare`, bench/bare.py.

Fairness: before its clock starts, this module imports nothing that `python -m` has not already loaded, so
every import a handler needs is on its own clock. The loopback guard is installed when the handler first
imports `socket`. GitHub and X are faked with `responses`, which imports requests, and answer at once. The
fake is set up once the handler has imported what it shares with it (the function its X client module,
connected/twitter.py, which has imported requests, tweepy and the package's models; the references tweepy),
so that it takes none of the handler's imports off its clock; it must not overlap work on another thread,
which would be left out with it. The set-up, and the time requests spend in the faked adapter (the part a
network round trip would replace), are left out of the figures; the modules the set-up loaded are reported.
DynamoDB is a real local server (AWS_ENDPOINT_URL_DYNAMODB): its round trips stay in.
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

RESULT_PREFIX = "BENCH-CHILD "
FAKE_SET_UP_AFTER = {"realtime": "connected.twitter", "realtime-floor": "tweepy", "realtime-bare": "tweepy"}
"""The module whose import, by the handler, the fake upstreams are set up after; the register makes no call
upstream."""
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER = os.path.join(PROJECT_ROOT, "layers", "common")


def main(kind: str, invocation: dict[str, Any]) -> dict[str, Any]:
    sys.meta_path.insert(0, _AfterImport("socket", _guard_network))
    waits: list[Timeline] = []
    loaded_by_fake: list[str] = []
    if kind in FAKE_SET_UP_AFTER:
        sys.meta_path.insert(0, _AfterImport(FAKE_SET_UP_AFTER[kind], lambda _: _fake(waits, loaded_by_fake)))

    started = time.perf_counter()
    handler = _import_handler(kind)
    imported = time.perf_counter()
    answer = handler(invocation["event"], _context(invocation))
    ended = time.perf_counter()

    def ms(start: float, end: float) -> float:
        return (end - start - (waits[0].waited(start, end) if waits else 0.0)) * 1000

    return {
        "cold_ms": ms(started, ended),
        "import_ms": ms(started, imported),
        "status": answer["statusCode"],
        "loaded_by_fake": loaded_by_fake,
        "modules": sorted(sys.modules),
    }


def _import_handler(kind: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    function, _, reference = kind.partition("-")
    if reference:
        module = f"bench.{reference}"
    else:
        sys.path[:0] = [os.path.join(PROJECT_ROOT, "functions", function), LAYER]
        module = "app"
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = importlib.import_module(module).lambda_handler
    return handler


def _context(invocation: dict[str, Any]) -> SimpleNamespace:
    remaining_ms = invocation["remaining_ms"]
    return SimpleNamespace(**invocation["context"], get_remaining_time_in_millis=lambda: remaining_ms)


def _guard_network(_socket: ModuleType) -> None:
    from bench.network import allow_only_loopback

    allow_only_loopback()


def _fake(waits: list[Timeline], loaded_by_fake: list[str]) -> None:
    """GitHub and X answering the cold-start scenario at once; the set-up is the first wait on the timeline,
    then every request's time in the HTTP adapter."""
    import threading  # loaded with requests

    if threading.active_count() > 1:
        raise RuntimeError("the fake would be set up while another thread runs: its work would go unmeasured")
    set_up_started = time.perf_counter()
    modules_before = set(sys.modules)
    if LAYER not in sys.path:
        sys.path.append(LAYER)  # the fake world speaks in the package's models
    import responses

    from bench.scenarios import COLD_START_SCENARIO
    from bench.timeline import Timeline
    from bench.upstreams import time_requests
    from local.upstreams import FakeUpstreams

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    COLD_START_SCENARIO.add_to(FakeUpstreams(mock))
    timeline = Timeline()
    time_requests(timeline)
    loaded_by_fake.extend(sorted(set(sys.modules) - modules_before))
    timeline.add(set_up_started, time.perf_counter())
    waits.append(timeline)


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
