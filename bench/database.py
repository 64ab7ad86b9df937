"""The benchmark's environment and its DynamoDB: none of the user's credentials, profiles or endpoints,
the register table on a local server (local/dynamodb.py: dynalite, or moto's server without Node.js), and
a count of every DynamoDB call by operation."""

import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore
import botocore.session

from bench.timeline import Timeline
from local.dynamodb import LocalDynamoDB, ensure_register_table, start_local_dynamodb

BENCH_TABLE = "connected-register-bench"
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
FUNCTION_ENVIRONMENT = {
    "TABLE_NAME": BENCH_TABLE,
    "TWITTER_BEARER_TOKEN": "bench-x-bearer-token",
    "GITHUB_TOKEN": "bench-github-token",
    "POWERTOOLS_SERVICE_NAME": "connected-developers",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_CALL_STARTED = "bench_call_started"


def isolate(environ: MutableMapping[str, str]) -> None:
    """Leaves `environ` with what a deployed function would see, and nothing of the user's that could send
    a call elsewhere (profiles, endpoints, real tokens) or change the interpreter."""
    kept = {name: environ[name] for name in KEPT_VARIABLES if name in environ}
    environ.clear()
    environ.update(kept | FUNCTION_ENVIRONMENT)


@contextmanager
def local_register_table(data_dir: Path, environ: MutableMapping[str, str]) -> Iterator[LocalDynamoDB]:
    """A local DynamoDB server holding the register table; `environ` points boto3 at it."""
    database = start_local_dynamodb(data_dir, environ)
    try:
        ensure_register_table(database.endpoint, BENCH_TABLE)
        yield database
    finally:
        database.stop()


class DynamoDBCalls:
    """Every DynamoDB call of a botocore session created after `watch()`: counted by operation, and timed on
    a timeline from signing to the parsed answer, the part a remote table would make the function wait for."""

    def __init__(self, timeline: Timeline) -> None:
        self.counts: Counter[str] = Counter()
        self._timeline = timeline

    def watch(self) -> None:
        botocore.register_initializer(self._instrument)

    def snapshot(self) -> Mapping[str, int]:
        return dict(self.counts)

    def _instrument(self, session: botocore.session.Session) -> None:
        session.register("before-call.dynamodb", self._before_call)
        session.register("after-call.dynamodb", self._after_call)

    def _before_call(self, **event: Any) -> None:
        self.counts[event["model"].name] += 1
        event["context"][_CALL_STARTED] = time.perf_counter()

    def _after_call(self, **event: Any) -> None:
        started = event["context"].pop(_CALL_STARTED, None)
        if started is not None:
            self._timeline.add(started, time.perf_counter())
