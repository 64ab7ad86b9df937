"""What the service tells its operators: a JSON log line and EMF metrics for every upstream call and every
answer. Metric names are the contract with the template's alarms and dashboards.

| metric | unit | dimensions | meaning |
| --- | --- | --- | --- |
| Answers | Count | outcome | realtime answers: connected, not_connected, or the refusal's outcome in `ERRORS` |
| XUsersRead | Count | | X users read as X bills them (looked up, returned by follow lists), refusals included |
| UpstreamCalls | Count | upstream | HTTP requests to github or twitter, retries included |
| UpstreamLatency | Milliseconds | upstream | their durations |
| RegisterRecordsReturned | Count | | records in register answers |
| TeamPairsDecided | Count | | pairs a team answer decided (from the register or fresh) |
| RegisterTrouble | Count | operation | register calls that failed and failed no answer (a give-back, a count read) |
"""

import threading
import warnings
from typing import TYPE_CHECKING, NamedTuple

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from connected.errors import ConnectedError, cause_of, entry_of
from connected.spending import billed_so_far

if TYPE_CHECKING:
    from connected.connection import Answer, TeamAnswer

# An invocation without a counted metric (a docs page, a refused request) is normal here, not worth a
# warning in every such invocation's log.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

ANSWERS = "Answers"
X_USERS_READ = "XUsersRead"
UPSTREAM_CALLS = "UpstreamCalls"
UPSTREAM_LATENCY = "UpstreamLatency"
REGISTER_RECORDS_RETURNED = "RegisterRecordsReturned"
REGISTER_TROUBLE = "RegisterTrouble"
TEAM_PAIRS_DECIDED = "TeamPairsDecided"


class UpstreamCall(NamedTuple):
    upstream: str
    endpoint: str
    status: int | None
    milliseconds: float


def outcome_of(error: Exception) -> str:
    return entry_of(error).outcome


class Telemetry:
    """Upstream calls are logged as they happen (also from the upstream thread pool) and counted when the
    answer is given, in one EMF document per upstream, so that an answer writes a handful of documents
    rather than several per call."""

    def __init__(self, logger: Logger, metrics: Metrics) -> None:
        self._logger = logger
        self._metrics = metrics
        self._lock = threading.Lock()
        self._pending: list[UpstreamCall] = []

    def upstream_call(self, call: UpstreamCall) -> None:
        self._logger.info("upstream call", extra=call._asdict())
        with self._lock:
            self._pending.append(call)

    def answered(self, answer: "Answer") -> None:
        if answer.from_register:
            outcome = "from_register"
        else:
            outcome = "connected" if answer.verdict.connected else "not_connected"
        lists_read = [read.list_read for read in answer.follow_reads]
        x_users_read = billed_so_far()
        self._logger.info(
            "answered", extra={"outcome": outcome, "x_users_read": x_users_read, "follow_lists_read": lists_read}
        )
        self._count_answer(outcome)
        if not answer.from_register:
            self._metrics.add_metric(name=X_USERS_READ, unit=MetricUnit.Count, value=x_users_read)

    def team_answered(self, answer: "TeamAnswer") -> None:
        decided = [pair.answer for pair in answer.pairs if pair.answer is not None]
        x_users_read = billed_so_far()
        self._logger.info(
            "team answered",
            extra={
                "outcome": "team",
                "pairs": len(answer.pairs),
                "pairs_decided": len(decided),
                "pairs_connected": sum(pair.verdict.connected for pair in decided),
                "pairs_from_register": sum(pair.from_register for pair in decided),
                "x_users_read": x_users_read,
                "follow_lists_read": [read.list_read for read in answer.follow_reads],
            },
        )
        self._count_answer("team")
        self._metrics.add_metric(name=TEAM_PAIRS_DECIDED, unit=MetricUnit.Count, value=len(decided))
        self._metrics.add_metric(name=X_USERS_READ, unit=MetricUnit.Count, value=x_users_read)

    def refused(self, error: ConnectedError | Exception) -> None:
        """Counts a refusal by outcome, and the X users it read all the same (a lookup whose answer then failed
        on GitHub, a list that became unreadable midway: X bills what it returned)."""
        self._count_answer(outcome_of(error))
        x_users_read = billed_so_far()
        if x_users_read:
            self._metrics.add_metric(name=X_USERS_READ, unit=MetricUnit.Count, value=x_users_read)

    def register_trouble(self, operation: str, error: Exception) -> None:
        """A register call that failed without failing the answer: logged with its cause, and counted."""
        self._logger.warning("register trouble", extra={"operation": operation, **cause_of(error)})
        self._emit({"operation": operation}, [(REGISTER_TROUBLE, MetricUnit.Count, 1)])

    def register_read(self, records: int) -> None:
        self._logger.info("register read", extra={"records": records})
        self._metrics.add_metric(name=REGISTER_RECORDS_RETURNED, unit=MetricUnit.Count, value=records)

    def _count_answer(self, outcome: str) -> None:
        with self._lock:
            calls, self._pending = self._pending, []
        self._emit({"outcome": outcome}, [(ANSWERS, MetricUnit.Count, 1)])
        for upstream in sorted({call.upstream for call in calls}):
            latencies = [call.milliseconds for call in calls if call.upstream == upstream]
            self._emit(
                {"upstream": upstream},
                [
                    (UPSTREAM_CALLS, MetricUnit.Count, len(latencies)),
                    *((UPSTREAM_LATENCY, MetricUnit.Milliseconds, latency) for latency in latencies),
                ],
            )

    def _emit(self, dimensions: dict[str, str], values: list[tuple[str, MetricUnit, float]]) -> None:
        """One EMF document with dimensions of its own: Powertools' EphemeralMetrics, which shares nothing with
        the function's Metrics (whose metrics carry only `service`). A metric that cannot be written is logged,
        never allowed to fail the answer it describes."""
        try:
            document = EphemeralMetrics(namespace=self._metrics.namespace)
            for dimension, dimension_value in dimensions.items():
                document.add_dimension(name=dimension, value=dimension_value)
            for name, unit, value in values:
                document.add_metric(name=name, unit=unit, value=value)
            document.flush_metrics()
        except Exception:  # telemetry must not turn an answer into an error
            self._logger.warning("metrics not emitted", extra={"dimensions": dimensions}, exc_info=True)
