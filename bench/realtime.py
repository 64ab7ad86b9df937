"""Answers on a warm container: the realtime function's per scenario, GitHub and X answering each request after 50 ms
(wall time in faked round trips, the handler's own overhead, calls per endpoint, X users read); the register
function's reading a long history from the local DynamoDB server, its Query calls against the fewest possible."""

import itertools
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from unittest.mock import Mock

import boto3
import responses

from bench import scenarios as s
from bench.report import Row, Target, against
from bench.timeline import Timeline
from connected.handles import Pair
from connected.models import Verdict
from connected.register import PARTITION_KEY, DynamoDBRegister
from local.events import LambdaContext, http_api_event
from local.upstreams import FakeUpstreams

HISTORY_LENGTH = 10_000
HISTORY_PAIR = Pair.of("reader1", "reader2")
LABELS = {"github_orgs": "github", "x_users": "x lookup", "x_following": "x following", "x_followers": "x followers"}


def invoke(function: ModuleType, path: str) -> tuple[int, Any, float, float]:
    """The handler invoked as Lambda invokes it on a warm container: the answer's status and body, and when it ran."""
    event = http_api_event("GET", path)
    context = LambdaContext(function_name=function.__name__)
    started = time.perf_counter()
    result = function.lambda_handler(event, context)
    ended = time.perf_counter()
    return result["statusCode"], json.loads(result["body"]), started, ended


def realtime_rows(function: ModuleType, dynamodb: Counter[str], timeline: Timeline, runs: int) -> list[Row]:
    """A row per scenario: one answer to warm the container (and the pair's GitHub ETags), then `runs` measured ones,
    which must all make the same calls. A faked request is answered 50 ms after it came in, its own work included;
    the wait sleeps, releasing the GIL, so that concurrent requests wait concurrently, as on the network."""

    def late(callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def answer(request: Any) -> Any:
            arrived = time.perf_counter()
            try:
                return callback(request)
            finally:
                time.sleep(max(0.0, s.FAKED_ROUND_TRIP_SECONDS - (time.perf_counter() - arrived)))

        return answer

    def counts() -> Counter[str]:
        endpoints = {endpoint: upstreams.count(endpoint) for endpoint in s.UPSTREAM_ENDPOINTS}
        return Counter(endpoints | dynamodb | {"X users": upstreams.x_users_returned})

    def measure(scenario: s.RealtimeScenario) -> Row:
        walls: list[float] = []
        overheads: list[float] = []
        per_answer: set[tuple[tuple[str, int], ...]] = set()
        for run in range(runs + 1):
            before = counts()
            status, _, started, ended = invoke(function, scenario.path)
            if status != scenario.status:
                raise RuntimeError(f"{scenario.name}: answered {status}, expected {scenario.status}")
            if run:  # the first warms up
                walls.append(ended - started)
                overheads.append(ended - started - timeline.waited(started, ended))
                per_answer.add(tuple((counts() - before).items()))
        if len(per_answer) != 1:
            raise RuntimeError(f"{scenario.name}: the calls made differ from one answer to the next: {per_answer}")
        calls = dict(per_answer.pop())
        x_users_read = calls.pop("X users", 0)
        wall_ms, overhead_ms = statistics.median(walls) * 1000, statistics.median(overheads) * 1000
        ratio = wall_ms / 1000 / s.FAKED_ROUND_TRIP_SECONDS
        users_limit = scenario.x_users_read if scenario.max_x_users_read is None else scenario.max_x_users_read
        return Row(
            f"realtime: {scenario.name}",
            f"{wall_ms:.1f}",
            against(ratio, scenario.max_ratio),
            against(overhead_ms, s.WARM_OVERHEAD_TARGET_MS, digits=1),
            ", ".join(f"{LABELS.get(name, name)} {count}" for name, count in calls.items()),
            against(x_users_read, users_limit, digits=0),
            (
                Target("wall", ratio, scenario.max_ratio),
                Target("overhead", overhead_ms, s.WARM_OVERHEAD_TARGET_MS),
                Target("X users", x_users_read, users_limit),
            ),
        )

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, ExitStack() as stack:
        upstreams = FakeUpstreams(mock)  # one world holding every scenario's developers (their handles differ)
        for scenario in s.REALTIME_SCENARIOS:
            scenario.add_to(upstreams)
        for response in mock.registered():
            if isinstance(response, responses.CallbackResponse):
                response.callback = late(response.callback)
        stack.callback(timeline.time_requests())
        return [measure(scenario) for scenario in s.REALTIME_SCENARIOS]


def register_row(function: ModuleType, dynamodb: Counter[str], timeline: Timeline, runs: int) -> Row:
    """The history: answers a second apart, every other one connected, put by the register on a stand-in client,
    then written 25 at a time. The fewest Query calls: a COUNT query's, which reads the same 1 MB pages."""
    client, kept = boto3.client("dynamodb"), Mock()
    instants = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n) for n in itertools.count())
    store = DynamoDBRegister(kept, s.BENCH_TABLE, clock=lambda: next(instants))
    verdicts = (Verdict(connected=False), Verdict(connected=True, organisations=("Acme",)))
    for n in range(HISTORY_LENGTH):
        store.record(HISTORY_PAIR, verdicts[n % 2])
    items = [call.kwargs["Item"] for call in kept.put_item.call_args_list]
    for start in range(0, len(items), 25):
        pending: Any = {s.BENCH_TABLE: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
    pair = {"S": HISTORY_PAIR.key}
    query: Any = {"TableName": s.BENCH_TABLE, "KeyConditionExpression": "#pair = :pair", "Select": "COUNT"}
    query |= {"ExpressionAttributeNames": {"#pair": PARTITION_KEY}, "ExpressionAttributeValues": {":pair": pair}}
    fewest = len(list(client.get_paginator("query").paginate(**query)))

    path = f"/connected/register/{HISTORY_PAIR.first}/{HISTORY_PAIR.second}"
    invoke(function, path)
    walls: list[float] = []
    overheads: list[float] = []
    queries: list[int] = []
    for _ in range(runs):
        queries_before = dynamodb["Query"]
        status, body, started, ended = invoke(function, path)
        if status != 200 or len(body) != HISTORY_LENGTH:
            raise RuntimeError(f"the register answered {status} with {len(body)} records")
        walls.append(ended - started)
        overheads.append(ended - started - timeline.waited(started, ended))
        queries.append(dynamodb["Query"] - queries_before)
    return Row(
        f"register: {HISTORY_LENGTH:,} records",
        f"{statistics.median(walls) * 1000:.1f}",
        overhead_ms=f"{statistics.median(overheads) * 1000:.1f}",
        calls=f"Query {max(queries)} <= {fewest} (1 MB pages)",
        targets=(Target("Query calls", max(queries), fewest),),
    )
