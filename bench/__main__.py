"""`python -m bench` (`make bench`): the table of what answers cost, offline, in about a minute.

It exits non-zero when a figure misses its target. Everything runs against fakes and a local DynamoDB
server, in this process (warm answers) and in fresh interpreters (cold starts); nothing may leave the
loopback interface.
"""

import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from local.template import PROJECT_ROOT, import_file_module

sys.path.insert(0, str(PROJECT_ROOT / "layers" / "common"))

from bench.coldstart import cold_start_rows
from bench.database import DynamoDBCalls, isolate, local_register_table
from bench.network import allow_only_loopback
from bench.quota import quota_report
from bench.realtime import realtime_rows
from bench.register import register_row
from bench.report import render
from bench.timeline import Timeline

WARM_RUNS = 9
REGISTER_RUNS = 3
COLD_START_RUNS = 15
LEGEND = """\
realtime: a warm container, each GitHub and X request answered after 50 ms (RT). ms: median wall time of
  the handler; ratio: that in RTs, against the RTs the answer needs one after the other, plus half of one;
  overhead: wall time less the time some upstream or DynamoDB call was in flight; X users read: what X bills.
register: a warm container reading a whole history from the local DynamoDB server; its Query calls against
  the fewest the table allows (a COUNT query over the same 1 MB pages).
cold start: a fresh interpreter importing the handler as Lambda does and serving its first request (GitHub and
  X answering at once, DynamoDB local), median ms; ratio: the median, over rounds, of its time against each of two
  references run next to it: the bare libraries making the core of its calls, and the framework floor, a handler
  of Powertools' resolver, Logger and Metrics making all its calls directly (the floor row: against the bare one).
quotas: a made-up day of 1,000 answers counted per quota (bench/quota.py), per 1,000 answers; answers per 15 min:
  how many the first quota to run out allows (X: 300 lookups, 300 of each follow list; GitHub: 1,250)."""


def load_function(name: str) -> ModuleType:
    """A function's app.py under a module name of its own (both are named app.py)."""
    return import_file_module(f"{name}_app", PROJECT_ROOT / "functions" / name / "app.py")


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo().splitlines() if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    return f"{len(os.sched_getaffinity(0))} CPUs ({model}), Python {platform.python_version()} on {platform.machine()}"


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return ""


@contextmanager
def handler_logs_discarded() -> Iterator[None]:
    """The handlers log a JSON line per answer to stdout, as Lambda wants them to; the table stays readable."""
    sys.stdout.flush()
    saved = os.dup(1)
    with Path(os.devnull).open("w", encoding="utf-8") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main() -> int:
    allow_only_loopback()
    isolate(os.environ)
    timeline = Timeline()
    dynamodb = DynamoDBCalls(timeline)
    dynamodb.watch()
    with (
        tempfile.TemporaryDirectory(prefix="connected-bench-") as data_dir,
        local_register_table(Path(data_dir), os.environ) as database,
    ):
        if database.warning:
            progress(database.warning)
        with handler_logs_discarded():
            progress("realtime answers on a warm container")
            rows = realtime_rows(load_function("realtime"), dynamodb, timeline, WARM_RUNS)
            progress("the register reading a long history")
            rows.append(register_row(load_function("register"), dynamodb, timeline, REGISTER_RUNS))
        progress("cold starts, each in a fresh interpreter")
        cold_rows, cold_notes = cold_start_rows(dict(os.environ), COLD_START_RUNS)
        rows += cold_rows
    progress("a day of answers against the upstreams' quotas")
    quotas = quota_report()
    print(f"{machine()}; DynamoDB: {database.description}")
    print(render(rows))
    print()
    print("\n".join(cold_notes))
    print()
    print(quotas)
    print()
    print(LEGEND)
    missed = [row for row in rows if row.missed]
    for row in missed:
        print(f"MISSED {row.scenario}: " + "; ".join(f"{t.name} {t.value:g} > {t.limit:g}" for t in row.missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
