"""`python -m bench` (`make bench`): what answers cost, offline, against fakes and a local DynamoDB server, in
this process (warm answers) and in fresh interpreters (cold starts); non-zero exit when a figure misses its target."""

import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from local.template import PROJECT_ROOT, import_file_module

sys.path.insert(0, str(PROJECT_ROOT / "layers" / "common"))

from bench.child import allow_only_loopback
from bench.coldstart import cold_start_rows
from bench.quota import quota_report
from bench.realtime import realtime_rows, register_row
from bench.report import COLUMNS, text_table
from bench.scenarios import BENCH_TABLE, isolate
from bench.timeline import Timeline
from local.dynamodb import ensure_register_table, start_local_dynamodb

WARM_RUNS = 9
REGISTER_RUNS = 3
COLD_START_RUNS = 15
LEGEND = """\
realtime: a warm container, each GitHub and X request answered after 50 ms (RT). ms: median wall time of the handler;
  ratio: that in RTs, against the RTs the answer needs one after the other, plus half of one; overhead: wall time less
  the time some upstream or DynamoDB call was in flight; X users read: what X bills.
register: a warm container reading a whole history from the local DynamoDB server; its Query calls against the fewest
  the table allows (a COUNT query over the same 1 MB pages).
cold start: a fresh interpreter importing the handler as Lambda does and serving its first request (GitHub and X
  answering at once, DynamoDB local), median ms; ratio: the median, over rounds, of its time against each of two
  references run next to it: the bare libraries making the core of its calls, and the framework floor, a handler of
  Powertools' resolver, Logger and Metrics making all its calls directly (the floor row: against the bare one).
quotas: a made-up day of 1,000 answers counted per quota (bench/quota.py), per 1,000 answers; answers per 15 min: how
  many the first quota to run out allows (X: 300 lookups, 300 of each follow list; GitHub: 1,250)."""


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
    dynamodb = timeline.count_dynamodb_calls()
    with tempfile.TemporaryDirectory(prefix="connected-bench-") as data_dir, ExitStack() as database_stopped:
        database = start_local_dynamodb(Path(data_dir), os.environ)
        database_stopped.callback(database.stop)
        ensure_register_table(database.endpoint, BENCH_TABLE)
        with handler_logs_discarded():  # both functions are app.py: each gets a module name of its own
            progress("realtime answers on a warm container")
            realtime = import_file_module("realtime_app", PROJECT_ROOT / "functions" / "realtime" / "app.py")
            rows = realtime_rows(realtime, dynamodb, timeline, WARM_RUNS)
            progress("the register reading a long history")
            register = import_file_module("register_app", PROJECT_ROOT / "functions" / "register" / "app.py")
            rows.append(register_row(register, dynamodb, timeline, REGISTER_RUNS))
        progress("cold starts, each in a fresh interpreter")
        cold_rows, cold_notes = cold_start_rows(dict(os.environ), COLD_START_RUNS)
        rows += cold_rows
    progress("a day of answers against the upstreams' quotas")
    quotas = quota_report()
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.MULTILINE)
    cpu = model.group(1).strip() if model else platform.processor() or "unknown CPU"
    machine = f"{len(os.sched_getaffinity(0))} CPUs ({cpu}), Python {platform.python_version()} on {platform.machine()}"
    print(f"{machine}; DynamoDB: {database.description}")
    print("\n\n".join([text_table(COLUMNS, [row.cells() for row in rows]), "\n".join(cold_notes), quotas, LEGEND]))
    missed = [row for row in rows if row.missed]
    for row in missed:
        print(f"MISSED {row.scenario}: " + "; ".join(f"{t.name} {t.value:g} > {t.limit:g}" for t in row.missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
