"""Cold starts as a caller feels them, each in a fresh interpreter (bench/child.py): a function importing its
handler and serving its first request, against two references serving the same request: the framework floor
(bench/floor.py: Powertools and the same calls, made directly) and the bare libraries (bench/bare.py). Each
round runs every variant once, one after the other, so that the machine's noise falls on all alike; a ratio is
the median of the rounds' ratios. One run of each function and its floor under `python -X importtime` tells
what the function imports beyond the floor.

Hand-made rather than pyperf's: pyperf runs all the processes of one benchmark before the next (no rounds),
and its worker processes import pyperf before the code they time, which would take modules off the clock."""

import dataclasses
import json
import marshal
import statistics
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bench import BenchError
from bench.child import RESULT_PREFIX
from bench.report import Row, Target, against
from bench.scenarios import COLD_START_SCENARIO
from local.events import LambdaContext, http_api_event
from local.template import PROJECT_ROOT

FUNCTIONS = ("realtime", "register")
LIMITS = {"bare": 1.3, "floor": 1.1}
"""The most a function's cold start may take, in times that of each reference."""
REFERENCES = {
    "realtime-bare": "import boto3, tweepy; one X user lookup, one PutItem",
    "realtime-floor": "Powertools' resolver, Logger, Metrics; requests, tweepy, boto3: BatchGetItem 1, github 2, "
    "UpdateItem 2, x lookup 1, PutItem 1",
    "register-bare": "import boto3; one Query",
    "register-floor": "Powertools' resolver, Logger, Metrics; boto3: BatchGetItem 1, Query 1",
}
CHILD_TIMEOUT_SECONDS = 60
PACKAGES_SHOWN = 4
MODULES_SHOWN = 8
IMPORTTIME_PREFIX = "import time:"
NOT_THE_FUNCTIONS = ("app", "bench", "local")
"""The handler module itself (the row names it), the child, the references and the fakes."""


@dataclass(frozen=True, slots=True)
class ColdStart:
    cold_ms: float
    import_ms: float
    status: int
    loaded_by_fake: tuple[str, ...]
    modules: frozenset[str]
    import_report: str = ""
    """`-X importtime`'s report, for a profiled run only."""


def child_input(function: str) -> bytes:
    """The event and the context's attributes (local/events.py), as marshal data, which the child reads
    without importing anything."""
    context = LambdaContext(function_name=function)
    attributes = dataclasses.asdict(context) | {"invoked_function_arn": context.invoked_function_arn}
    for clock_reading in ("started", "timeout_seconds"):
        del attributes[clock_reading]
    path = f"/connected/{function}/{COLD_START_SCENARIO.dev1}/{COLD_START_SCENARIO.dev2}"
    return marshal.dumps(
        {
            "event": http_api_event("GET", path),
            "context": attributes,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }
    )


def cold_start(kind: str, environ: Mapping[str, str], profiled: bool = False) -> ColdStart:
    """Runs one child of `kind` (see bench/child.py); `profiled`, under `-X importtime` (slower: not for the
    medians)."""
    importtime = ["-X", "importtime"] if profiled else []
    completed = subprocess.run(  # noqa: S603 - this interpreter running the benchmark's own module
        [sys.executable, *importtime, "-m", "bench.child", kind],
        cwd=PROJECT_ROOT,
        env=dict(environ),
        input=child_input(kind.partition("-")[0]),
        capture_output=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    stdout = completed.stdout.decode(errors="replace")
    stderr = completed.stderr.decode(errors="replace")
    results = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        raise BenchError(f"the {kind} cold start failed (exit code {completed.returncode}):\n{stderr[-3000:]}")
    result = json.loads(results[-1].removeprefix(RESULT_PREFIX))
    if result["status"] != 200:
        raise BenchError(f"the {kind} cold start answered {result['status']}:\n{stdout[-3000:]}")
    result |= {"loaded_by_fake": tuple(result["loaded_by_fake"]), "modules": frozenset(result["modules"])}
    return ColdStart(**result, import_report=stderr if profiled else "")


def round_ratios(runs: Sequence[ColdStart], reference_runs: Sequence[ColdStart]) -> list[float]:
    """Each round's time over its reference's, run next to it: noise that lasts a while (another process busy
    on the other CPU) falls on both, and a round it spoils is one outlier among the medians."""
    return [run.cold_ms / reference.cold_ms for run, reference in zip(runs, reference_runs, strict=True)]


def imported_beyond(profile: ColdStart, references: Iterable[ColdStart]) -> dict[str, float]:
    """The milliseconds `profile`'s import report gives each module that no reference run imported or tried to
    import (a module not found is reported too), itself alone (not its imports), the costliest first; the
    modules of the fakes, the child and the references left out. Own times only: the lines of imports made on
    two threads at once nest wrongly, their own times do not. A guide to what to trim, not a measurement; the
    table's medians are."""
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
    """Each module `-X importtime` reports, with the milliseconds its import took less those of its imports."""
    found: dict[str, float] = {}
    for line in report.splitlines():
        fields = [field.strip() for field in line.removeprefix(IMPORTTIME_PREFIX).split("|")]
        if line.startswith(IMPORTTIME_PREFIX) and len(fields) == 3 and fields[0].isdigit():
            found[fields[2]] = int(fields[0]) / 1000
    return found


def by_package(beyond: Mapping[str, float]) -> dict[str, float]:
    """Milliseconds per top-level package, largest first."""
    totals: dict[str, float] = {}
    for name, ms in beyond.items():
        totals[name.split(".")[0]] = totals.get(name.split(".")[0], 0.0) + ms
    return dict(sorted(totals.items(), key=lambda item: item[1], reverse=True))


def cold_start_rows(environ: Mapping[str, str], runs: int) -> tuple[list[Row], list[str]]:
    """The table's rows, and the notes printed under it: what each function imports beyond its floor. A first
    round, not counted, writes the bytecode caches a fresh checkout lacks and warms the file cache."""
    kinds = [f"{function}{suffix}" for function in FUNCTIONS for suffix in ("", "-floor", "-bare")]
    measured: dict[str, list[ColdStart]] = {kind: [] for kind in kinds}
    for round_number in range(runs + 1):
        for kind in kinds:
            run = cold_start(kind, environ)
            if round_number:
                measured[kind].append(run)
    rows: list[Row] = []
    notes = ["cold start, imported beyond the framework floor (one run of each under -X importtime; own ms):"]
    for function in FUNCTIONS:
        floor, bare = measured[f"{function}-floor"], measured[f"{function}-bare"]
        profiles = [cold_start(kind, environ, profiled=True) for kind in (function, f"{function}-floor")]
        beyond = imported_beyond(profiles[0], [*floor, profiles[1]])
        rows += [
            Row(f"cold start: {function}, bare libraries", _ms(bare), "1.00", calls=REFERENCES[f"{function}-bare"]),
            Row(
                f"cold start: {function}, framework floor",
                _ms(floor),
                f"{statistics.median(round_ratios(floor, bare)):.2f}",
                calls=REFERENCES[f"{function}-floor"],
            ),
            _function_row(function, measured[function], {"bare": bare, "floor": floor}, beyond),
        ]
        shown = ", ".join(f"{name} {ms:.1f}" for name, ms in list(beyond.items())[:MODULES_SHOWN])
        notes.append(f"  {function}: {shown or 'none'} ({len(beyond)} modules, {sum(beyond.values()):.0f} ms in all)")
    return rows, notes


def _ms(runs: Sequence[ColdStart]) -> str:
    return f"{statistics.median(run.cold_ms for run in runs):.0f}"


def _function_row(
    function: str,
    runs: Sequence[ColdStart],
    references: Mapping[str, Sequence[ColdStart]],
    beyond: Mapping[str, float],
) -> Row:
    ratios = {reference: round_ratios(runs, reference_runs) for reference, reference_runs in references.items()}
    medians = {reference: statistics.median(values) for reference, values in ratios.items()}
    low, _, high = statistics.quantiles(ratios["floor"], n=4)
    cold_ms = statistics.median(run.cold_ms for run in runs)
    import_ms = statistics.median(run.import_ms for run in runs)
    packages = ", ".join(f"{package} {ms:.0f}" for package, ms in list(by_package(beyond).items())[:PACKAGES_SHOWN])
    return Row(
        scenario=f"cold start: {function}",
        ms=f"{cold_ms:.0f}",
        ratio=", ".join(f"{against(medians[reference], limit)} {reference}" for reference, limit in LIMITS.items()),
        calls=f"import {import_ms:.0f} ms, first answer {cold_ms - import_ms:.0f} ms; middle half of rounds against "
        f"the floor {low:.2f} to {high:.2f}; beyond the floor: {packages or 'nothing'} ms",
        targets=tuple(Target(f"cold start against {name}", medians[name], limit) for name, limit in LIMITS.items()),
    )
