"""The register: every answer, one DynamoDB item, partitioned by pair and sorted by write time.

The only module that touches boto3. The sort key is the write time to the microsecond plus a random
suffix, written with a condition, so two answers for the same pair never overwrite each other, even when
written in the same microsecond by two containers.
"""

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from connected.errors import RegisterUnavailableError
from connected.handles import Pair
from connected.models import Record, Verdict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PARTITION_KEY = "pair"
SORT_KEY = "recorded_at"
EXPIRY = "expires_at"
HEALTH_PARTITION = "_health"
SPEND_PARTITION = "_x_users_billed"
"""The daily counters of X users billed, one item per UTC day; a pair key always holds `#`, this one cannot."""
SPEND_COUNT = "x_users_billed"
SPEND_DAYS_KEPT = 8
WRITE_ATTEMPTS = 3
_KEY_NAMES = {"#pair": PARTITION_KEY}


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_suffix() -> str:
    return secrets.token_hex(6)


def new_dynamodb_client(connect_timeout: float = 2.0, read_timeout: float = 5.0) -> "DynamoDBClient":
    """A DynamoDB client with bounded standard-mode retries; honours AWS_ENDPOINT_URL_DYNAMODB."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return boto3.client("dynamodb", config=config)


class DynamoDBRegister:
    def __init__(
        self,
        client: "DynamoDBClient",
        table_name: str,
        clock: Callable[[], datetime] = utc_now,
        suffix: Callable[[], str] = random_suffix,
        retention_days: int = 0,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._clock = clock
        self._suffix = suffix
        self._retention = timedelta(days=retention_days) if retention_days > 0 else None

    def record(self, pair: Pair, verdict: Verdict) -> Record:
        for _attempt in range(WRITE_ATTEMPTS):
            written_at = self._clock().astimezone(UTC)
            item: dict[str, Any] = {
                PARTITION_KEY: {"S": pair.key},
                SORT_KEY: {"S": f"{_sort_key_time(written_at)}Z#{self._suffix()}"},
                "connected": {"BOOL": verdict.connected},
            }
            if verdict.connected:
                item["organisations"] = {"L": [{"S": name} for name in verdict.organisations]}
            if self._retention is not None:
                item[EXPIRY] = {"N": str(int((written_at + self._retention).timestamp()))}
            try:
                self._client.put_item(
                    TableName=self._table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#pair)",
                    ExpressionAttributeNames=_KEY_NAMES,
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    continue
                raise RegisterUnavailableError(
                    "the register could not record the answer; nothing was stored"
                ) from error
            except BotoCoreError as error:
                raise RegisterUnavailableError(
                    "the register could not record the answer; nothing was stored"
                ) from error
            return Record(written_at, verdict)
        raise RegisterUnavailableError("the register could not record the answer; nothing was stored")

    def latest(self, pair: Pair) -> Record | None:
        """The pair's newest record, in one Query of one item; None when it has none (or only expired ones:
        the newest expires last)."""
        try:
            page = self._client.query(
                TableName=self._table_name,
                ScanIndexForward=False,
                Limit=1,
                **_key_condition(pair, None, None),
            )
        except (ClientError, BotoCoreError) as error:
            raise RegisterUnavailableError("the register could not be read") from error
        items = [item for item in page.get("Items", []) if not _expired(item, self._clock().timestamp())]
        return _record(items[0]) if items else None

    def add_x_users_billed(self, users: int) -> int:
        """Adds to today's (UTC) count of X users billed, atomically, and returns the day's total; 0 reads it.
        A counter expires a week after its day."""
        today = self._clock().astimezone(UTC).date()
        expires = datetime.combine(today, datetime.min.time(), UTC) + timedelta(days=SPEND_DAYS_KEPT)
        try:
            updated = self._client.update_item(
                TableName=self._table_name,
                Key={PARTITION_KEY: {"S": SPEND_PARTITION}, SORT_KEY: {"S": today.isoformat()}},
                UpdateExpression="ADD #count :users SET #expires = if_not_exists(#expires, :expires)",
                ExpressionAttributeNames={"#count": SPEND_COUNT, "#expires": EXPIRY},
                ExpressionAttributeValues={
                    ":users": {"N": str(users)},
                    ":expires": {"N": str(int(expires.timestamp()))},
                },
                ReturnValues="ALL_NEW",
            )
            return int(updated["Attributes"][SPEND_COUNT]["N"])
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            raise RegisterUnavailableError("the daily count of X users billed could not be updated") from error

    def check(self) -> None:
        """Proves the table answers, with the one permission the register function has: a one-item Query
        of a partition no pair can have (a pair key always holds `#`)."""
        try:
            self._client.query(
                TableName=self._table_name,
                KeyConditionExpression="#pair = :pair",
                ExpressionAttributeNames=_KEY_NAMES,
                ExpressionAttributeValues={":pair": {"S": HEALTH_PARTITION}},
                Limit=1,
            )
        except (ClientError, BotoCoreError) as error:
            raise RegisterUnavailableError("the register's table cannot be reached") from error

    def records(
        self,
        pair: Pair,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
    ) -> Iterator[tuple[str, Record]]:
        """The pair's records oldest first, each with its position (its sort key), read a query page at a
        time as the caller consumes them: after `after`, registered from `since` to `until` inclusive.

        Records past their retention are left out: DynamoDB's TTL removes them lazily, so they may still be
        read for a while."""
        now = self._clock().timestamp()
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "ScanIndexForward": True,
            **_key_condition(pair, since, until),
        }
        if page_size is not None:
            query["Limit"] = page_size
        if after is not None:
            query["ExclusiveStartKey"] = {PARTITION_KEY: {"S": pair.key}, SORT_KEY: {"S": after}}
        while True:
            try:
                page = self._client.query(**query)
            except (ClientError, BotoCoreError) as error:
                raise RegisterUnavailableError("the register could not be read") from error
            for item in page.get("Items", []):
                if not _expired(item, now):
                    yield item[SORT_KEY]["S"], _record(item)
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return
            query["ExclusiveStartKey"] = last_key


def _key_condition(pair: Pair, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """The query's key condition for a time range; what the caller sent travels only as bound values."""
    names = {"#pair": PARTITION_KEY}
    values: dict[str, Any] = {":pair": {"S": pair.key}}
    bounds = []
    if since is not None:
        values[":since"] = {"S": _sort_key_time(since)}
        bounds.append("#at >= :since")
    if until is not None:
        values[":until"] = {"S": _sort_key_time(until) + "Z#~"}
        bounds.append("#at <= :until")
    if len(bounds) == 2:
        bounds = ["#at BETWEEN :since AND :until"]
    if bounds:
        names["#at"] = SORT_KEY
    condition = " AND ".join(["#pair = :pair", *bounds])
    return {"KeyConditionExpression": condition, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def _sort_key_time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}"


def _expired(item: dict[str, Any], now: float) -> bool:
    expiry = item.get(EXPIRY, {}).get("N")
    return expiry is not None and float(expiry) <= now


def _record(item: dict[str, Any]) -> Record:
    try:
        stamp = item[SORT_KEY]["S"].split("#", 1)[0]
        registered_at = datetime.fromisoformat(stamp)
        connected = bool(item["connected"]["BOOL"])
        organisations = tuple(entry["S"] for entry in item.get("organisations", {}).get("L", []))
    except (KeyError, TypeError, ValueError) as error:
        raise RegisterUnavailableError("the register holds a record it cannot read") from error
    return Record(registered_at, Verdict(connected=connected, organisations=organisations if connected else ()))
