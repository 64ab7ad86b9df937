"""What the service tells its operators: a JSON log line and EMF metrics for every upstream call and every
answer. Metric names are the contract with the template's alarms and dashboards.

| metric | unit | dimensions | meaning |
| --- | --- | --- | --- |
| Answers | Count | outcome | realtime answers: connected, not_connected, unknown_user, upstream_error, ... |
| XUsersRead | Count | | users returned by X follow lists, the part of the bill that grows |
| UpstreamCalls | Count | upstream | HTTP requests to github or twitter, retries included |
| UpstreamLatency | Milliseconds | upstream | their durations |
| RegisterRecordsReturned | Count | | records in register answers |
"""

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from connected.errors import (
    ConnectedError,
    FollowsUnreadableError,
    InvalidHandleError,
    InvalidQueryError,
    RegisterUnavailableError,
    SameHandleError,
    UnknownUsersError,
    UpstreamError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)

# An invocation without a counted metric (a docs page, a refused request) is normal here, not worth a
# warning in every such invocation's log.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

ANSWERS = "Answers"
X_USERS_READ = "XUsersRead"
UPSTREAM_CALLS = "UpstreamCalls"
UPSTREAM_LATENCY = "UpstreamLatency"
REGISTER_RECORDS_RETURNED = "RegisterRecordsReturned"

OUTCOME_BY_ERROR: dict[type[Exception], str] = {
    UnknownUsersError: "unknown_user",
    UpstreamError: "upstream_error",
    UpstreamRateLimitedError: "upstream_error",
    UpstreamTimeoutError: "upstream_error",
    SameHandleError: "bad_request",
    InvalidHandleError: "bad_request",
    InvalidQueryError: "bad_request",
    FollowsUnreadableError: "undecidable",
    RegisterUnavailableError: "register_error",
}


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    upstream: str
    endpoint: str
    status: int | None
    milliseconds: float


def outcome_of(error: Exception) -> str:
    return next((OUTCOME_BY_ERROR[kind] for kind in type(error).__mro__ if kind in OUTCOME_BY_ERROR), "internal_error")


class Telemetry:
    def __init__(self, logger: Logger, metrics: Metrics) -> None:
        self._logger = logger
        self._metrics = metrics

    def upstream_call(self, call: UpstreamCall) -> None:
        self._logger.info("upstream call", extra=asdict(call))
        self._single(UPSTREAM_CALLS, MetricUnit.Count, 1, upstream=call.upstream)
        self._single(UPSTREAM_LATENCY, MetricUnit.Milliseconds, call.milliseconds, upstream=call.upstream)

    def answered(self, connected: bool, x_users_read: int, lists_read: Iterable[str]) -> None:
        outcome = "connected" if connected else "not_connected"
        self._logger.info(
            "answered", extra={"outcome": outcome, "x_users_read": x_users_read, "follow_lists_read": list(lists_read)}
        )
        self._single(ANSWERS, MetricUnit.Count, 1, outcome=outcome)
        self._metrics.add_metric(name=X_USERS_READ, unit=MetricUnit.Count, value=x_users_read)

    def refused(self, error: ConnectedError | Exception) -> None:
        self._single(ANSWERS, MetricUnit.Count, 1, outcome=outcome_of(error))

    def register_read(self, records: int) -> None:
        self._logger.info("register read", extra={"records": records})
        self._metrics.add_metric(name=REGISTER_RECORDS_RETURNED, unit=MetricUnit.Count, value=records)

    def _single(self, name: str, unit: MetricUnit, value: float, **dimensions: str) -> None:
        """A metric with dimensions of its own, written at once (also from the upstream thread pool). A
        metric that cannot be written is logged, never allowed to fail the answer it describes."""
        try:
            with single_metric(name=name, unit=unit, value=value, namespace=self._metrics.namespace) as metric:
                for dimension, dimension_value in dimensions.items():
                    metric.add_dimension(name=dimension, value=dimension_value)
        except Exception:  # telemetry must not turn an answer into an error
            self._logger.warning("metric not emitted", extra={"metric": name}, exc_info=True)
