"""The register function reading a long history from the local DynamoDB server: its time on a warm
container, and its Query calls against the fewest DynamoDB allows for that history (1 MB pages)."""

import itertools
import statistics
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import boto3

from bench import BenchError
from bench.database import BENCH_TABLE, DynamoDBCalls
from bench.invocation import invoke
from bench.report import Row, Target
from bench.timeline import Timeline
from connected.handles import Pair
from connected.models import Verdict
from connected.register import PARTITION_KEY, DynamoDBRegister

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HISTORY_LENGTH = 10_000
HISTORY_PAIR = Pair.of("reader1", "reader2")
HISTORY_START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH_WRITE_LIMIT = 25


class _KeptItems:
    """Stands in for the DynamoDB client under `DynamoDBRegister` and keeps the items it is asked to put, so
    the benchmark's history is written in the register's own format."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_item(self, **request: Any) -> dict[str, Any]:
        self.items.append(request["Item"])
        return {}


def history_items(pair: Pair, length: int) -> list[dict[str, Any]]:
    """`length` answers for `pair`, a second apart, every other one connected."""
    kept = _KeptItems()
    instants = (HISTORY_START + timedelta(seconds=n) for n in itertools.count())
    store = DynamoDBRegister(cast("DynamoDBClient", kept), BENCH_TABLE, clock=lambda: next(instants))
    for n in range(length):
        store.record(pair, Verdict(connected=True, organisations=("Acme",)) if n % 2 else Verdict(connected=False))
    return kept.items


def write_items(client: "DynamoDBClient", items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        pending: Any = {
            BENCH_TABLE: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]
        }
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def fewest_queries(client: "DynamoDBClient", pair: Pair) -> int:
    """The Query calls any reader of the pair needs: a COUNT query reads the same 1 MB pages as any other."""
    query: dict[str, Any] = {
        "TableName": BENCH_TABLE,
        "KeyConditionExpression": "#pair = :pair",
        "ExpressionAttributeNames": {"#pair": PARTITION_KEY},
        "ExpressionAttributeValues": {":pair": {"S": pair.key}},
        "Select": "COUNT",
    }
    for pages in itertools.count(1):
        last_key = client.query(**query).get("LastEvaluatedKey")
        if not last_key:
            return pages
        query["ExclusiveStartKey"] = last_key
    raise AssertionError("unreachable")


def register_row(function: ModuleType, dynamodb: DynamoDBCalls, timeline: Timeline, runs: int) -> Row:
    client = boto3.client("dynamodb")
    write_items(client, history_items(HISTORY_PAIR, HISTORY_LENGTH))
    floor = fewest_queries(client, HISTORY_PAIR)
    path = f"/connected/register/{HISTORY_PAIR.first}/{HISTORY_PAIR.second}"
    invoke(function, path)
    walls: list[float] = []
    overheads: list[float] = []
    queries: set[int] = set()
    for _ in range(runs):
        queries_before = dynamodb.counts["Query"]
        answer = invoke(function, path)
        if answer.status != 200 or len(answer.body) != HISTORY_LENGTH:
            raise BenchError(f"the register answered {answer.status} with {len(answer.body)} records")
        walls.append(answer.seconds)
        overheads.append(answer.seconds - timeline.waited(answer.started, answer.ended))
        queries.add(dynamodb.counts["Query"] - queries_before)
    query_calls = max(queries)
    return Row(
        scenario=f"register: {HISTORY_LENGTH:,} records",
        ms=f"{statistics.median(walls) * 1000:.1f}",
        overhead_ms=f"{statistics.median(overheads) * 1000:.1f}",
        calls=f"Query {query_calls} <= {floor} (1 MB pages)",
        targets=(Target("Query calls", query_calls, floor),),
    )
