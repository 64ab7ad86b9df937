"""One cold start in this fresh interpreter, `python -m bench.child KIND`, run by bench/coldstart.py, which writes the
event and the context to stdin (marshal) and reads the last line printed (JSON). KIND's handler is imported as Lambda
imports it and invoked once: `realtime` or `register` (functions/<name>/app.py), `<function>-floor` or `-bare`.

Fairness: before the clock starts, this module imports nothing that `python -m` has not. The loopback guard comes once
the handler imports `socket`; the fake GitHub and X, answering at once, once it has imported what it shares with them
(FAKE_SET_UP_AFTER). Their set-up and the requests' time in the faked adapter are off the clock; DynamoDB's is on."""

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

# The function's X client module imports requests, tweepy and the package's models; the register calls no upstream.
FAKE_SET_UP_AFTER = {"realtime": "connected.twitter", "realtime-floor": "tweepy", "realtime-bare": "tweepy"}
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYER = os.path.join(PROJECT_ROOT, "layers", "common")


def main(kind: str, invocation: dict[str, Any]) -> list[Any]:
    """The fields of a ColdStart (bench/coldstart.py)."""
    waits: list[Timeline] = []
    loaded_by_fake: list[str] = []
    sys.meta_path.insert(0, _AfterImport("socket", allow_only_loopback))
    if kind in FAKE_SET_UP_AFTER:
        sys.meta_path.insert(0, _AfterImport(FAKE_SET_UP_AFTER[kind], lambda: _fake(waits, loaded_by_fake)))
    function, _, reference = kind.partition("-")
    if not reference:
        sys.path[:0] = [os.path.join(PROJECT_ROOT, "functions", function), LAYER]
    context = SimpleNamespace(**invocation["context"], get_remaining_time_in_millis=lambda: invocation["remaining_ms"])

    started = time.perf_counter()
    handler = importlib.import_module(f"bench.{reference}" if reference else "app").lambda_handler
    imported = time.perf_counter()
    status = handler(invocation["event"], context)["statusCode"]
    ended = time.perf_counter()

    def ms(start: float, end: float) -> float:
        return (end - start - (waits[0].waited(start, end) if waits else 0.0)) * 1000

    return [ms(started, ended), ms(started, imported), status, loaded_by_fake, sorted(sys.modules)]


def allow_only_loopback() -> None:
    """Only the loopback interface may be resolved or reached: a mistake (a fake that does not match) fails at once."""
    import socket  # in a child, once the handler has imported it

    def local(host: object) -> bool:
        return isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127."))

    def resolvable(host: Any) -> bool:
        return host is None or local(host.decode() if isinstance(host, bytes) else host)

    def reachable(address: Any) -> bool:  # an AF_UNIX path, or a (host, port, ...) tuple
        return isinstance(address, str | bytes) or (isinstance(address, tuple) and bool(address) and local(address[0]))

    def guarded(original: Callable[..., Any], allowed: Callable[[Any], bool], at: int) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not allowed(args[at]):
                raise ConnectionRefusedError(f"the benchmark may reach only the loopback interface, not {args[at]!r}")
            return original(*args, **kwargs)

        return call

    socket.getaddrinfo = guarded(socket.getaddrinfo, resolvable, 0)
    for method in ("connect", "connect_ex", "sendto"):  # the address is their last argument
        setattr(socket.socket, method, guarded(getattr(socket.socket, method), reachable, -1))


def _fake(waits: list[Timeline], loaded_by_fake: list[str]) -> None:
    """GitHub and X answering the cold-start scenario at once: its set-up and each request are waits."""
    if sys.modules["threading"].active_count() > 1:  # threading: loaded with requests
        raise RuntimeError("the fake would be set up while another thread runs: its work would go unmeasured")
    set_up_started = time.perf_counter()
    modules_before = set(sys.modules)
    if LAYER not in sys.path:
        sys.path.append(LAYER)  # the fake world speaks in the package's models
    import responses

    from bench.scenarios import COLD_START_SCENARIO
    from bench.timeline import Timeline
    from local.upstreams import FakeUpstreams

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    COLD_START_SCENARIO.add_to(FakeUpstreams(mock))
    timeline = Timeline()
    timeline.time_requests()
    loaded_by_fake.extend(sorted(set(sys.modules) - modules_before))
    timeline.add(set_up_started, time.perf_counter())
    waits.append(timeline)


class _AfterImport:
    """A meta path finder that lets `name` be imported as usual, by whoever imports it first, then calls `then`."""

    def __init__(self, name: str, then: Callable[[], object]) -> None:
        self.name, self.then = name, then

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            execute = spec.loader.exec_module

            def execute_then(module: ModuleType) -> None:
                execute(module)
                self.then()

            spec.loader.exec_module = execute_then  # type: ignore[method-assign]
        return spec


if __name__ == "__main__":
    result = main(sys.argv[1], marshal.loads(sys.stdin.buffer.read()))  # noqa: S302 - written by bench/coldstart.py
    sys.stdout.flush()
    import json

    print(json.dumps(result), flush=True)
