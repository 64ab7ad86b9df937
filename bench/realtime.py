"""Realtime answers on a warm container, every GitHub and X request answered after 50 ms: wall time in
faked round trips, the handler's own overhead, calls per endpoint and X users read, per scenario. The calls
are shown, not held to a target here: tests/integration/test_costs.py checks them, scenario by scenario."""

import statistics
from dataclasses import dataclass
from types import ModuleType

from bench import BenchError
from bench.database import DynamoDBCalls
from bench.invocation import invoke
from bench.report import Row, Target, against, calls_text
from bench.scenarios import (
    FAKED_ROUND_TRIP_SECONDS,
    REALTIME_SCENARIOS,
    UPSTREAM_ENDPOINTS,
    WARM_OVERHEAD_TARGET_MS,
    RealtimeScenario,
)
from bench.timeline import Timeline
from bench.upstreams import LatentRequestsMock, fake_upstreams, time_requests
from local.upstreams import FakeUpstreams


@dataclass(frozen=True, slots=True)
class WarmFigures:
    wall_ms: float
    overhead_ms: float
    calls: dict[str, int]
    x_users_read: int

    def row(self, scenario: RealtimeScenario) -> Row:
        ratio = self.wall_ms / 1000 / FAKED_ROUND_TRIP_SECONDS
        users_limit = scenario.max_x_users_read if scenario.max_x_users_read is not None else scenario.x_users_read
        targets = (
            Target("wall", ratio, scenario.max_ratio),
            Target("overhead", self.overhead_ms, WARM_OVERHEAD_TARGET_MS),
            Target("X users", self.x_users_read, users_limit),
        )
        return Row(
            scenario=f"realtime: {scenario.name}",
            ms=f"{self.wall_ms:.1f}",
            ratio=against(ratio, scenario.max_ratio),
            overhead_ms=against(self.overhead_ms, WARM_OVERHEAD_TARGET_MS, digits=1),
            calls=calls_text(self.calls),
            x_users_read=against(self.x_users_read, users_limit, digits=0),
            targets=targets,
        )


def realtime_rows(function: ModuleType, dynamodb: DynamoDBCalls, timeline: Timeline, runs: int) -> list[Row]:
    with LatentRequestsMock(FAKED_ROUND_TRIP_SECONDS) as mock:
        upstreams = fake_upstreams(mock, REALTIME_SCENARIOS)
        undo = time_requests(timeline)
        try:
            return [
                measure(function, scenario, upstreams, dynamodb, timeline, runs).row(scenario)
                for scenario in REALTIME_SCENARIOS
            ]
        finally:
            undo()


def measure(
    function: ModuleType,
    scenario: RealtimeScenario,
    upstreams: FakeUpstreams,
    dynamodb: DynamoDBCalls,
    timeline: Timeline,
    runs: int,
) -> WarmFigures:
    """One answer to warm the container (and the pair's GitHub ETags), then `runs` measured ones. Calls and
    users read are those of one answer, the same in every run."""
    _checked(scenario, invoke(function, scenario.path).status)
    walls: list[float] = []
    overheads: list[float] = []
    per_answer: set[tuple[tuple[str, int], ...]] = set()
    users_read: set[int] = set()
    for _ in range(runs):
        requests_before = {endpoint: upstreams.count(endpoint) for endpoint in UPSTREAM_ENDPOINTS}
        dynamodb_before = dynamodb.snapshot()
        users_before = upstreams.x_users_returned
        answer = invoke(function, scenario.path)
        _checked(scenario, answer.status)
        walls.append(answer.seconds)
        overheads.append(answer.seconds - timeline.waited(answer.started, answer.ended))
        calls = {endpoint: upstreams.count(endpoint) - requests_before[endpoint] for endpoint in UPSTREAM_ENDPOINTS}
        calls |= {operation: count - dynamodb_before.get(operation, 0) for operation, count in dynamodb.counts.items()}
        per_answer.add(tuple(calls.items()))
        users_read.add(upstreams.x_users_returned - users_before)
    if len(per_answer) != 1 or len(users_read) != 1:
        raise BenchError(f"{scenario.name}: the calls made differ from one answer to the next: {per_answer}")
    return WarmFigures(
        wall_ms=statistics.median(walls) * 1000,
        overhead_ms=statistics.median(overheads) * 1000,
        calls=dict(per_answer.pop()),
        x_users_read=users_read.pop(),
    )


def _checked(scenario: RealtimeScenario, status: int) -> None:
    if status != scenario.status:
        raise BenchError(f"{scenario.name}: answered {status}, expected {scenario.status}")
