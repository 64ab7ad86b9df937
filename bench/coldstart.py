"""Cold starts as a user feels them, each in a fresh interpreter (bench/child.py): a function importing its
handler and serving its first request, against a baseline interpreter doing the same I/O with the bare
libraries. Rounds of function and baseline run one after the other, so that the machine's noise falls on both
alike: the ratio is the median of the rounds' ratios. One run of each under `python -X importtime` tells what
the function imports beyond its baseline."""

import dataclasses
import json
import marshal
import statistics
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import BenchError
from bench.child import BASELINE_SUFFIX, FUNCTIONS, RESULT_PREFIX, X_USER_FIELDS
from bench.importtime import Beyond, import_tree, imported_beyond, milliseconds_by_package
from bench.report import Row, Target, against
from bench.scenarios import COLD_START_SCENARIO
from connected.handles import Pair
from connected.register import PARTITION_KEY, SORT_KEY
from local.events import LambdaContext, http_api_event
from local.template import PROJECT_ROOT

COLD_START_LIMITS = {"realtime": 1.3, "register": 1.3}
BASELINE_IO = {
    "realtime": f"import boto3, tweepy; one X user lookup ({', '.join(X_USER_FIELDS)}), one PutItem",
    "register": "import boto3; one Query",
}
NEVER_IN_REGISTER = ("tweepy", "requests", "oauthlib")
CHILD_TIMEOUT_SECONDS = 60
PACKAGES_SHOWN = 4
MODULES_SHOWN = 8
NOT_THE_FUNCTIONS = ("bench", "local")
"""The child itself and the fakes it sets up."""
HANDLER_MODULE = "app"
"""Not listed itself (the row names it); what it imports is."""


@dataclass(frozen=True, slots=True)
class Variant:
    """A kind of child (see bench/child.py) and how long its faked upstreams take to answer."""

    kind: str
    upstream_latency_seconds: float = 0.0

    @property
    def function(self) -> str:
        return self.kind.removesuffix(BASELINE_SUFFIX)

    @property
    def is_baseline(self) -> bool:
        return self.kind.endswith(BASELINE_SUFFIX)


@dataclass(frozen=True, slots=True)
class ColdStart:
    cold_ms: float
    import_ms: float
    faked_ms: float
    status: int | None
    loaded: tuple[str, ...]
    loaded_by_fake: tuple[str, ...]
    modules: frozenset[str]
    import_report: str = ""
    """`-X importtime`'s report, for a profiled run only."""

    @classmethod
    def from_json(cls, result: Mapping[str, Any], import_report: str = "") -> "ColdStart":
        return cls(
            cold_ms=result["cold_ms"],
            import_ms=result["import_ms"],
            faked_ms=result["faked_ms"],
            status=result["status"],
            loaded=tuple(result["loaded"]),
            loaded_by_fake=tuple(result["loaded_by_fake"]),
            modules=frozenset(result["modules"]),
            import_report=import_report,
        )


def child_input(variant: Variant) -> bytes:
    """What the child needs, as marshal data, which it reads without importing anything: for a function,
    the event and the context's attributes (local/events.py); for a baseline, its request parameters."""
    context = LambdaContext(function_name=variant.function)
    attributes = dataclasses.asdict(context) | {"invoked_function_arn": context.invoked_function_arn}
    for clock_reading in ("started", "timeout_seconds"):
        del attributes[clock_reading]
    scenario = COLD_START_SCENARIO
    pair_key = Pair.of(scenario.dev1, scenario.dev2).key
    return marshal.dumps(
        {
            "event": http_api_event("GET", f"/connected/{variant.function}/{scenario.dev1}/{scenario.dev2}"),
            "context": attributes,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "scenario": scenario.name,
            "upstream_latency_seconds": variant.upstream_latency_seconds,
            "handles": sorted({scenario.dev1.lower(), scenario.dev2.lower()}),
            "item": {
                PARTITION_KEY: {"S": pair_key},
                SORT_KEY: {"S": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}Z#{uuid.uuid4().hex[:12]}"},
                "connected": {"BOOL": False},
            },
            "query": {
                "KeyConditionExpression": "#pair = :pair",
                "ExpressionAttributeNames": {"#pair": PARTITION_KEY},
                "ExpressionAttributeValues": {":pair": {"S": pair_key}},
                "ScanIndexForward": True,
            },
        }
    )


def cold_start(variant: Variant, environ: Mapping[str, str], profiled: bool = False) -> ColdStart:
    """Runs one child; `profiled`, under `-X importtime` (slower: not for the medians)."""
    importtime = ["-X", "importtime"] if profiled else []
    completed = subprocess.run(  # noqa: S603 - this interpreter running the benchmark's own module
        [sys.executable, *importtime, "-m", "bench.child", variant.kind],
        cwd=PROJECT_ROOT,
        env=dict(environ),
        input=child_input(variant),
        capture_output=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    stdout = completed.stdout.decode(errors="replace")
    stderr = completed.stderr.decode(errors="replace")
    results = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        raise BenchError(f"the {variant.kind} cold start failed (exit code {completed.returncode}):\n{stderr[-3000:]}")
    measured = ColdStart.from_json(json.loads(results[-1].removeprefix(RESULT_PREFIX)), stderr if profiled else "")
    if not variant.is_baseline and measured.status != 200:
        raise BenchError(f"the {variant.kind} cold start answered {measured.status}:\n{stdout[-3000:]}")
    return measured


def cold_starts(variants: Sequence[Variant], environ: Mapping[str, str], runs: int) -> dict[Variant, list[ColdStart]]:
    measured: dict[Variant, list[ColdStart]] = {variant: [] for variant in variants}
    for _ in range(runs):
        for variant in variants:
            measured[variant].append(cold_start(variant, environ))
    return measured


def median_ms(runs: Sequence[ColdStart]) -> float:
    return statistics.median(run.cold_ms for run in runs)


def round_ratios(runs: Sequence[ColdStart], baseline_runs: Sequence[ColdStart]) -> list[float]:
    """Each round's function time over its baseline's, run next to it: noise that lasts a while (another
    process busy on the other CPU) falls on both, and a round it spoils is one outlier among the medians."""
    return [run.cold_ms / baseline.cold_ms for run, baseline in zip(runs, baseline_runs, strict=True)]


@dataclass(frozen=True, slots=True)
class BeyondBaseline:
    """What a function's cold start imports that its baseline's does not."""

    packages: tuple[str, ...]
    """Top-level packages in the function's `sys.modules` and in no baseline run's, over every run."""
    modules: tuple[Beyond, ...]
    """The outermost modules the baseline did not load, in one profiled run, the costliest first."""

    def summary(self) -> str:
        by_package = milliseconds_by_package(self.modules)
        shown = ", ".join(f"{package} {ms:.0f}" for package, ms in list(by_package.items())[:PACKAGES_SHOWN])
        return f"beyond baseline: {shown} ms" if shown else "imports nothing beyond its baseline"

    def details(self) -> str:
        modules = ", ".join(f"{found.name} {found.milliseconds:.0f}" for found in self.modules)
        return f"{modules or 'none'} (ms); packages: {', '.join(self.packages) or 'none'}"


def beyond_baseline(
    runs: Sequence[ColdStart], baseline_runs: Sequence[ColdStart], profile: ColdStart, baseline_profile: ColdStart
) -> BeyondBaseline:
    ignored_packages = {*NOT_THE_FUNCTIONS, *(name.split(".")[0] for run in runs for name in run.loaded_by_fake)}

    def ignored(name: str) -> bool:
        return name.split(".")[0] in ignored_packages

    baseline_modules = set().union(
        *(run.modules - set(run.loaded_by_fake) for run in [*baseline_runs, baseline_profile])
    )
    baseline_packages = {name.split(".")[0] for name in baseline_modules}
    packages = (
        {name.split(".")[0] for run in runs for name in run.modules}
        - baseline_packages
        - {HANDLER_MODULE, *sys.builtin_module_names}
    )
    modules = imported_beyond(import_tree(profile.import_report), baseline_modules | {HANDLER_MODULE}, ignored)
    return BeyondBaseline(
        packages=tuple(sorted(package for package in packages if not ignored(package))),
        modules=tuple(modules[:MODULES_SHOWN]),
    )


def cold_start_rows(environ: Mapping[str, str], runs: int) -> tuple[list[Row], list[str]]:
    """The table's rows, and the notes printed under it: each function's imports beyond its baseline. A run of
    each variant warms up what all share (bytecode caches, the file cache) before any is measured."""
    variants = [Variant(kind) for function in FUNCTIONS for kind in (function, function + BASELINE_SUFFIX)]
    for variant in variants:
        cold_start(variant, environ)  # writes the bytecode caches a fresh checkout lacks
    profiles = {variant: cold_start(variant, environ, profiled=True) for variant in variants}
    measured = cold_starts(variants, environ, runs)
    rows: list[Row] = []
    notes = [
        "cold start, imported beyond the baseline (one run under -X importtime; ms of import time the baseline "
        "does not spend):"
    ]
    for function, baseline in zip(variants[::2], variants[1::2], strict=True):
        beyond = beyond_baseline(measured[function], measured[baseline], profiles[function], profiles[baseline])
        baseline_ms = median_ms(measured[baseline])
        rows.append(
            Row(
                scenario=f"cold start: {function.function} baseline",
                ms=f"{baseline_ms:.0f}",
                ratio="1.00",
                calls=BASELINE_IO[function.function],
                note="the reference",
            )
        )
        rows.append(_function_row(function, measured[function], measured[baseline], beyond))
        notes.append(f"  {function.function}: {beyond.details()}")
    return rows, notes


def _function_row(
    variant: Variant, runs: Sequence[ColdStart], baseline_runs: Sequence[ColdStart], beyond: BeyondBaseline
) -> Row:
    cold_ms = median_ms(runs)
    ratios = round_ratios(runs, baseline_runs)
    ratio = statistics.median(ratios)
    low, _, high = statistics.quantiles(ratios, n=4)
    import_ms = statistics.median(run.import_ms for run in runs)
    limit = COLD_START_LIMITS[variant.function]
    targets = [Target("cold start", ratio, limit)]
    details = (
        f"import {import_ms:.0f} ms, first answer {cold_ms - import_ms:.0f} ms; middle half of rounds {low:.2f} to "
        f"{high:.2f}; {beyond.summary()}"
    )
    if variant.function == "register":
        loaded = sorted({name for run in runs for name in run.loaded if name in NEVER_IN_REGISTER})
        targets.append(Target("X/HTTP modules loaded", len(loaded), 0))
        if loaded:
            details += "; loads " + ", ".join(loaded)
    return Row(
        scenario=f"cold start: {variant.function}",
        ms=f"{cold_ms:.0f}",
        ratio=against(ratio, limit),
        calls=details,
        targets=tuple(targets),
    )
