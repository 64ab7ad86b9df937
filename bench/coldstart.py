"""Cold starts, each in a fresh interpreter (bench/child.py), against a baseline interpreter that imports
boto3 and requests: medians of several runs, the variants interleaved so that the machine's noise falls on
all of them alike."""

import dataclasses
import json
import marshal
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench import BenchError
from bench.child import BASELINE, RESULT_PREFIX, TRACED_SUFFIX
from bench.report import Row, Target, against
from bench.scenarios import COLD_START_SCENARIO, FAKED_ROUND_TRIP_SECONDS
from local.events import LambdaContext, http_api_event
from local.template import PROJECT_ROOT

COLD_START_LIMITS = {"realtime": 1.5, "register": 1.2}
NEVER_IN_REGISTER = ("tweepy", "requests", "oauthlib")
CHILD_TIMEOUT_SECONDS = 60
TRACED_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(PROJECT_ROOT),
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
}


@dataclass(frozen=True, slots=True)
class Variant:
    """A kind of child (see bench/child.py) and how long its faked upstreams take to answer."""

    kind: str
    upstream_latency_seconds: float = FAKED_ROUND_TRIP_SECONDS

    @property
    def function(self) -> str:
        return self.kind.removesuffix(TRACED_SUFFIX)

    @property
    def traced(self) -> bool:
        return self.kind.endswith(TRACED_SUFFIX)


@dataclass(frozen=True, slots=True)
class ColdStart:
    cold_ms: float
    import_ms: float
    faked_ms: float
    status: int | None
    loaded: tuple[str, ...]
    loaded_by_fake: tuple[str, ...]

    @classmethod
    def from_json(cls, result: Mapping[str, Any]) -> "ColdStart":
        return cls(
            cold_ms=result["cold_ms"],
            import_ms=result["import_ms"],
            faked_ms=result["faked_ms"],
            status=result["status"],
            loaded=tuple(result["loaded"]),
            loaded_by_fake=tuple(result["loaded_by_fake"]),
        )


def child_input(variant: Variant) -> bytes:
    """What the child hands its handler: the event, and the context's attributes (local/events.py), as
    marshal data, which the child reads without importing anything."""
    context = LambdaContext(function_name=variant.function)
    attributes = dataclasses.asdict(context) | {"invoked_function_arn": context.invoked_function_arn}
    for clock_reading in ("started", "timeout_seconds"):
        del attributes[clock_reading]
    path = f"/connected/{variant.function}/{COLD_START_SCENARIO.dev1}/{COLD_START_SCENARIO.dev2}"
    return marshal.dumps(
        {
            "event": http_api_event("GET", path),
            "context": attributes,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "upstream_latency_seconds": variant.upstream_latency_seconds,
        }
    )


def cold_start(variant: Variant, environ: Mapping[str, str]) -> ColdStart:
    """Runs one child. A traced child runs as inside Lambda, where Tracer is enabled (X-Ray's daemon address
    is a loopback port nobody listens on)."""
    completed = subprocess.run(  # noqa: S603 - this interpreter running the benchmark's own module
        [sys.executable, "-m", "bench.child", variant.kind],
        cwd=PROJECT_ROOT,
        env={**environ, **(TRACED_ENVIRONMENT if variant.traced else {})},
        input=child_input(variant),
        capture_output=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    stdout = completed.stdout.decode(errors="replace")
    results = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        stderr = completed.stderr.decode(errors="replace")
        raise BenchError(f"the {variant.kind} cold start failed (exit code {completed.returncode}):\n{stderr[-3000:]}")
    measured = ColdStart.from_json(json.loads(results[-1].removeprefix(RESULT_PREFIX)))
    if variant.kind != BASELINE and measured.status != 200:
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


BASELINE_VARIANT = Variant(BASELINE)
REALTIME = Variant("realtime")
REALTIME_INSTANT_UPSTREAMS = Variant("realtime", upstream_latency_seconds=0.0)
REGISTER = Variant("register")
TRACED = (Variant("realtime" + TRACED_SUFFIX), Variant("register" + TRACED_SUFFIX))


def cold_start_rows(environ: Mapping[str, str], runs: int) -> list[Row]:
    measured = cold_starts([BASELINE_VARIANT, REALTIME, REALTIME_INSTANT_UPSTREAMS, REGISTER, *TRACED], environ, runs)
    baseline_ms = median_ms(measured[BASELINE_VARIANT])
    instant_ms = median_ms(measured[REALTIME_INSTANT_UPSTREAMS])
    realtime_detail = f"with instant upstreams {instant_ms:.0f} ms ({instant_ms / baseline_ms:.2f})"
    return [
        Row(
            scenario="cold start: baseline (a process importing boto3 and requests)",
            ms=f"{baseline_ms:.0f}",
            ratio="1.00",
            note="the reference",
        ),
        _function_row(REALTIME, measured[REALTIME], baseline_ms, realtime_detail),
        _traced_row(TRACED[0], measured[TRACED[0]], median_ms(measured[REALTIME]), baseline_ms),
        _function_row(REGISTER, measured[REGISTER], baseline_ms, _register_modules(measured[REGISTER])[0]),
        _traced_row(TRACED[1], measured[TRACED[1]], median_ms(measured[REGISTER]), baseline_ms),
    ]


def _function_row(variant: Variant, runs: Sequence[ColdStart], baseline_ms: float, detail: str) -> Row:
    cold_ms = median_ms(runs)
    import_ms = statistics.median(run.import_ms for run in runs)
    limit = COLD_START_LIMITS[variant.function]
    targets = [Target("cold start", cold_ms / baseline_ms, limit)]
    if variant.function == "register":
        targets.append(Target("X/HTTP modules loaded", len(_register_modules(runs)[1]), 0))
    return Row(
        scenario=f"cold start: {variant.function}",
        ms=f"{cold_ms:.0f}",
        ratio=against(cold_ms / baseline_ms, limit),
        calls=f"import {import_ms:.0f} ms, first answer {cold_ms - import_ms:.0f} ms; {detail}",
        targets=tuple(targets),
    )


def _register_modules(runs: Sequence[ColdStart]) -> tuple[str, list[str]]:
    loaded = sorted({name for run in runs for name in run.loaded if name in NEVER_IN_REGISTER})
    return ("loads " + ", ".join(loaded) if loaded else "loads no tweepy, requests, oauthlib"), loaded


def _traced_row(variant: Variant, runs: Sequence[ColdStart], untraced_ms: float, baseline_ms: float) -> Row:
    traced_ms = median_ms(runs)
    return Row(
        scenario=f"cold start: {variant.function} with Powertools Tracer",
        ms=f"{traced_ms:.0f}",
        ratio=f"{traced_ms / baseline_ms:.2f}",
        note=f"Tracer would add {traced_ms - untraced_ms:+.0f} ms: not used",
    )
