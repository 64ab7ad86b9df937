"""Cold starts as a caller feels them, each in a fresh interpreter (bench/child.py): a function importing its handler
and serving its first request, against two references serving the same request, the framework floor (bench/floor.py)
and the bare libraries (bench/bare.py). Each round runs every variant once, so that the machine's noise falls on all
alike; a ratio is the median of the rounds' ratios. (pyperf runs no such rounds, and its workers import pyperf.)"""

import json
import marshal
import re
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from bench.report import Row, Target, against
from bench.scenarios import COLD_START_SCENARIO
from local.events import LambdaContext, http_api_event
from local.template import PROJECT_ROOT

FUNCTIONS = ("realtime", "register")
LIMITS = {"bare": 1.3, "floor": 1.1}  # the most a function's cold start may take, in times each reference's
REFERENCES = {
    "realtime-bare": "import boto3, tweepy; one X user lookup, one PutItem",
    "realtime-floor": "Powertools' resolver, Logger, Metrics; requests, tweepy, boto3: BatchGetItem 1, github 2, "
    "UpdateItem 2, x lookup 1, PutItem 1",
    "register-bare": "import boto3; one Query",
    "register-floor": "Powertools' resolver, Logger, Metrics; boto3: BatchGetItem 1, Query 1",
}
NOT_THE_FUNCTIONS = ("app", "bench", "local")  # the handler module itself (the row names it), the child, the fakes


class ColdStart(NamedTuple):
    cold_ms: float
    import_ms: float
    status: int
    loaded_by_fake: tuple[str, ...]
    modules: frozenset[str]
    import_report: str = ""  # `-X importtime`'s, for a profiled run only


def cold_start(kind: str, environ: Mapping[str, str], profiled: bool = False) -> ColdStart:
    """Runs one child of `kind`; `profiled`, under `-X importtime` (slower: not for the medians)."""
    function = kind.partition("-")[0]
    context = LambdaContext(function_name=function)
    attributes = {**vars(context), "invoked_function_arn": context.invoked_function_arn}
    del attributes["started"], attributes["timeout_seconds"]  # for the remaining time, read here
    event = http_api_event("GET", f"/connected/{function}/{COLD_START_SCENARIO.dev1}/{COLD_START_SCENARIO.dev2}")
    invocation = {"event": event, "context": attributes, "remaining_ms": context.get_remaining_time_in_millis()}
    command = [sys.executable, *(["-X", "importtime"] if profiled else []), "-m", "bench.child", kind]
    completed = subprocess.run(  # noqa: S603 - this interpreter running the benchmark's own module
        command, cwd=PROJECT_ROOT, env=environ, input=marshal.dumps(invocation), capture_output=True, timeout=60
    )
    stdout, stderr = completed.stdout.decode(errors="replace"), completed.stderr.decode(errors="replace")
    if completed.returncode != 0:
        raise RuntimeError(f"the {kind} cold start failed (exit code {completed.returncode}):\n{stderr[-3000:]}")
    cold_ms, import_ms, status, loaded_by_fake, modules = json.loads(stdout.splitlines()[-1])
    if status != 200:
        raise RuntimeError(f"the {kind} cold start answered {status}:\n{stdout[-3000:]}")
    return ColdStart(cold_ms, import_ms, status, tuple(loaded_by_fake), frozenset(modules), stderr if profiled else "")


def round_ratios(runs: Sequence[ColdStart], reference_runs: Sequence[ColdStart]) -> list[float]:
    """Each round's time over its reference's, run next to it: noise that lasts a while falls on both."""
    return [run.cold_ms / reference.cold_ms for run, reference in zip(runs, reference_runs, strict=True)]


def imported_beyond(profile: ColdStart, references: Iterable[ColdStart]) -> dict[str, float]:
    """Each module in `profile`'s import report that no reference run imported or tried to, with its own ms (less
    its imports': imports on two threads at once nest wrongly), the costliest first. A guide, not a measurement."""
    reference_modules = set().union(
        *((run.modules | own_import_ms(run.import_report).keys()) - set(run.loaded_by_fake) for run in references)
    )
    beyond = {
        name: ms
        for name, ms in own_import_ms(profile.import_report).items()
        if name not in reference_modules
        and name not in profile.loaded_by_fake
        and name.split(".")[0] not in NOT_THE_FUNCTIONS
    }
    return dict(sorted(beyond.items(), key=lambda item: item[1], reverse=True))


def own_import_ms(report: str) -> dict[str, float]:
    """Each module `-X importtime` reports, with the ms its import took less those of its imports."""
    lines = re.findall(r"^import time:\s*(\d+) \|\s*\d+ \|(.+)$", report, re.MULTILINE)
    return {name.strip(): int(own) / 1000 for own, name in lines}


def by_package(beyond: Mapping[str, float]) -> dict[str, float]:
    """Milliseconds per top-level package, largest first."""
    totals: dict[str, float] = {}
    for name, ms in beyond.items():
        totals[name.split(".")[0]] = totals.get(name.split(".")[0], 0.0) + ms
    return dict(sorted(totals.items(), key=lambda item: item[1], reverse=True))


def cold_start_rows(environ: Mapping[str, str], runs: int) -> tuple[list[Row], list[str]]:
    """The table's rows, and the notes under it: what each function imports beyond its floor (one run of each under
    `-X importtime`). A first round, not counted, writes the bytecode caches and warms the file cache."""
    kinds = [f"{function}{suffix}" for function in FUNCTIONS for suffix in ("", "-floor", "-bare")]
    rounds = [[cold_start(kind, environ) for kind in kinds] for _ in range(runs + 1)]
    measured = dict(zip(kinds, zip(*rounds[1:], strict=True), strict=True))
    rows: list[Row] = []
    notes = ["cold start, imported beyond the framework floor (one run of each under -X importtime; own ms):"]
    for function in FUNCTIONS:
        own, floor, bare = (measured[function + suffix] for suffix in ("", "-floor", "-bare"))
        profile, floor_profile = (cold_start(kind, environ, profiled=True) for kind in (function, f"{function}-floor"))
        beyond = imported_beyond(profile, [*floor, floor_profile])
        medians = {name: statistics.median(round_ratios(own, measured[f"{function}-{name}"])) for name in LIMITS}
        low, _, high = statistics.quantiles(round_ratios(own, floor), n=4)
        cold_ms, import_ms = (statistics.median(getattr(run, name) for run in own) for name in ("cold_ms", "import_ms"))
        packages = ", ".join(f"{package} {ms:.0f}" for package, ms in list(by_package(beyond).items())[:4])
        floor_ratio = statistics.median(round_ratios(floor, bare))
        for reference, name, ratio in (("bare", "bare libraries", 1.0), ("floor", "framework floor", floor_ratio)):
            kind = f"{function}-{reference}"
            ms = statistics.median(run.cold_ms for run in measured[kind])
            rows.append(Row(f"cold start: {function}, {name}", f"{ms:.0f}", f"{ratio:.2f}", calls=REFERENCES[kind]))
        ratios = ", ".join(f"{against(medians[name], limit)} {name}" for name, limit in LIMITS.items())
        details = (
            f"import {import_ms:.0f} ms, first answer {cold_ms - import_ms:.0f} ms; middle half of rounds against "
        )
        details += f"the floor {low:.2f} to {high:.2f}; beyond the floor: {packages or 'nothing'} ms"
        targets = tuple(Target(f"cold start against {name}", medians[name], limit) for name, limit in LIMITS.items())
        rows.append(Row(f"cold start: {function}", f"{cold_ms:.0f}", ratios, calls=details, targets=targets))
        shown = ", ".join(f"{name} {ms:.1f}" for name, ms in list(beyond.items())[:8])
        notes.append(f"  {function}: {shown or 'none'} ({len(beyond)} modules, {sum(beyond.values()):.0f} ms in all)")
    return rows, notes
