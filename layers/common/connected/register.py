"""The register: every answer, one DynamoDB item, partitioned by pair and sorted by write time; and the
objection list, the handles never to be looked up again.

The only module that touches boto3. The sort key is the write time to the microsecond plus a random
suffix, written with a condition, so two answers for the same pair never overwrite each other, even when
written in the same microsecond by two containers. Each record also holds its two handles, each the key of
an index, so that every record naming a developer is found without a Scan (`RegisterAdmin.erase`).
"""

import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from connected.errors import BudgetRefused, RegisterUnavailableError
from connected.handles import Pair
from connected.models import Record, Verdict

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from connected.spending import DayLimits

PARTITION_KEY = "pair"
SORT_KEY = "recorded_at"
EXPIRY = "expires_at"
HEALTH_PARTITION = "_health"
SPEND_PARTITION = "_x_users_billed"
"""The day counts of X users billed: one item per UTC day (its sort key) holding the service's count and each
caller's, so that one conditional update reserves on both; a pair key always holds `#`, this one cannot.

The item grows by the caller's name and a number for each caller of the day, and DynamoDB caps an item at 400 KB:
some thousands of callers a day (docs/honest-limits.md)."""
SPEND_COUNT = "x_users_billed"
CALLER_PREFIX = "caller "
SPEND_DAYS_KEPT = 8
HANDLE_ATTRIBUTES = ("first_handle", "second_handle")
HANDLE_INDEXES = ("by-first-handle", "by-second-handle")
"""The indexes of template.yaml whose keys are `HANDLE_ATTRIBUTES`: a record's two handles, lower-cased."""
OBJECTIONS_PARTITION = "_objections"
"""The objection list: one item per lower-cased handle (its sort key) with the day it was added, nothing else."""
OBJECTED_ON = "objected_on"
INDEX_MARK = {PARTITION_KEY: {"S": "_handle_index"}, SORT_KEY: {"S": "complete"}}
"""Written once every record of the table is known to carry its handles (`RegisterAdmin.backfill_index`)."""
WRITE_ATTEMPTS = 3
BATCH_ATTEMPTS = 6
BATCH_BACKOFF_SECONDS = 0.05
BATCH_GET_KEYS = 100
BATCH_WRITE_ITEMS = 25
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
                HANDLE_ATTRIBUTES[0]: {"S": pair.first},
                HANDLE_ATTRIBUTES[1]: {"S": pair.second},
                "connected": {"BOOL": verdict.connected},
            }
            if verdict.connected:
                item["organisations"] = {"L": [{"S": name} for name in verdict.organisations]}
            if self._retention is not None:
                item[EXPIRY] = {"N": str(int((written_at + self._retention).timestamp()))}
            try:
                written = _put_new(self._client, self._table_name, item)
            except (ClientError, BotoCoreError) as error:
                raise RegisterUnavailableError(
                    "the register could not record the answer; nothing was stored"
                ) from error
            if written:
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

    def objected(self, handles: Iterable[str]) -> frozenset[str]:
        """Which of `handles` (lower-cased) are on the objection list, in one BatchGetItem; raises
        `RegisterUnavailableError` when the list cannot be read, for an objection must not be ignored."""
        wanted = sorted({handle.lower() for handle in handles})
        keys = [_objection_key(handle) for handle in wanted]
        found: set[str] = set()
        for chunk in _chunks(keys, BATCH_GET_KEYS):
            request = {
                self._table_name: {
                    "Keys": chunk,
                    "ProjectionExpression": "#at",
                    "ExpressionAttributeNames": {"#at": SORT_KEY},
                }
            }
            try:
                items = _batch_get(self._client, self._table_name, request)
            except (ClientError, BotoCoreError, UnprocessedError) as error:
                raise RegisterUnavailableError("the objection list could not be read; nothing was looked up") from error
            found.update(item[SORT_KEY]["S"] for item in items)
        return frozenset(found)

    def reserve_x_users(self, day: date, caller: str | None, users: int, limits: "DayLimits") -> int | None:
        """Adds `users` to the day's counts of the service and of the caller in one conditional update of the
        day's item, or to neither: DynamoDB's conditions cannot add, so each count is compared with its limit
        less the reservation. Raises `BudgetRefused`, the caller's first; returns the caller's count after
        (None without a caller).

        A failed condition is told apart by reading both counts. When neither is past its room any more (other
        answers gave back meanwhile), the update is tried again; a reservation whose condition failed at every
        attempt is refused by the budget that was nearest its limit, which could not cover it each time."""
        if caller is not None and limits.per_caller and users > limits.per_caller:
            raise BudgetRefused(by_caller=True)
        if limits.service and users > limits.service:
            raise BudgetRefused(by_caller=False)
        rooms = {_caller_attribute(caller): limits.per_caller} if caller is not None else {}
        rooms[SPEND_COUNT] = limits.service
        limited = {attribute: limit - users for attribute, limit in rooms.items() if limit}
        tightest = SPEND_COUNT
        for _attempt in range(WRITE_ATTEMPTS):
            try:
                return self._add_to_day(day, caller, users, limited)
            except ClientError:
                counts = self._day_counts(day, limited)
            over = [attribute for attribute, room in limited.items() if counts.get(attribute, 0) > room]
            if over:
                raise BudgetRefused(by_caller=over[0] != SPEND_COUNT)
            tightest = min(limited, key=lambda attribute: limited[attribute] - counts.get(attribute, 0))
        raise BudgetRefused(by_caller=tightest != SPEND_COUNT)

    def give_back_x_users(self, day: date, caller: str | None, users: int) -> int | None:
        """Takes `users` off the day's counts of the service and of the caller; the caller's count after, or
        None without one."""
        return self._add_to_day(day, caller, -users, {})

    def x_users_billed(self, day: date, caller: str | None = None) -> int:
        """The day's count of X users billed, of the caller or, without one, of the service."""
        attribute = SPEND_COUNT if caller is None else _caller_attribute(caller)
        return self._day_counts(day, [attribute]).get(attribute, 0)

    def callers_of_day(self, day: date) -> list[tuple[str, int]]:
        """Every caller with X users billed on `day`, most first: who spent the day."""
        counts = [
            (name.removeprefix(CALLER_PREFIX), int(value["N"]))
            for name, value in self._day_item(day).items()
            if name.startswith(CALLER_PREFIX)
        ]
        return sorted(counts, key=lambda count: (-count[1], count[0]))

    def _add_to_day(self, day: date, caller: str | None, users: int, limited: dict[str, int]) -> int | None:
        """One UpdateItem adding `users` to the day's counts, each count of `limited` only while it is at most
        its room; the item expires a week after its day. A failed condition is left to the caller, as DynamoDB's
        error; any other failure is a `RegisterUnavailableError`."""
        expires = datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=SPEND_DAYS_KEPT)
        names = {"#service": SPEND_COUNT, "#expires": EXPIRY}
        if caller is not None:
            names["#caller"] = _caller_attribute(caller)
        placeholder = {attribute: name for name, attribute in names.items()}
        added = ", ".join(f"{name} :users" for name in names if name != "#expires")
        update: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": _day_key(day),
            "UpdateExpression": f"ADD {added} SET #expires = if_not_exists(#expires, :expires)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":users": {"N": str(users)},
                ":expires": {"N": str(int(expires.timestamp()))},
                **{f":room{index}": {"N": str(room)} for index, room in enumerate(limited.values())},
            },
            "ReturnValues": "UPDATED_NEW",
        }
        if limited:
            update["ConditionExpression"] = " AND ".join(
                f"(attribute_not_exists({placeholder[attribute]}) OR {placeholder[attribute]} <= :room{index})"
                for index, attribute in enumerate(limited)
            )
        try:
            updated = self._client.update_item(**update)["Attributes"]
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and limited and _condition_failed(error):
                raise
            raise RegisterUnavailableError("the day's count of X users billed could not be updated") from error
        return int(updated[names["#caller"]]["N"]) if caller is not None else None

    def _day_counts(self, day: date, attributes: Iterable[str]) -> dict[str, int]:
        """Some of the day's counts, read consistently; a count never added to is absent."""
        names = {f"#count{index}": attribute for index, attribute in enumerate(attributes)}
        item = self._day_item(
            day, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names, ConsistentRead=True
        )
        return {attribute: int(item[attribute]["N"]) for attribute in names.values() if attribute in item}

    def _day_item(self, day: date, **read: Any) -> dict[str, Any]:
        """The day's item, by a Query of its key: the functions may Query the table, and nothing else reads."""
        names = {"#pair": PARTITION_KEY, "#at": SORT_KEY} | read.pop("ExpressionAttributeNames", {})
        key = _day_key(day)
        try:
            page = self._client.query(
                TableName=self._table_name,
                KeyConditionExpression="#pair = :pair AND #at = :at",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":pair": key[PARTITION_KEY], ":at": key[SORT_KEY]},
                **read,
            )
        except (ClientError, BotoCoreError) as error:
            raise RegisterUnavailableError("the day's count of X users billed could not be read") from error
        items = page.get("Items", [])
        return items[0] if items else {}

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
        for item in _pages(self._read_page, query):
            if not _expired(item, now):
                yield item[SORT_KEY]["S"], _record(item)

    def _read_page(self, **query: Any) -> Any:
        try:
            return self._client.query(**query)
        except (ClientError, BotoCoreError) as error:
            raise RegisterUnavailableError("the register could not be read") from error


class Erasure(NamedTuple):
    pairs: int
    """Pairs naming the handle that had records."""
    records: int
    """Records deleted."""


class BackfillPage(NamedTuple):
    resume_at: dict[str, Any] | None
    """Where the next page starts; None once the table has been read to its end."""
    records_indexed: int


class UnprocessedError(Exception):
    """DynamoDB left part of a batch unprocessed through every attempt (the table is throttled)."""


class RegisterAdmin:
    """What an operator does to the register with their own credentials, never a function: erase every record
    naming a developer, keep or withdraw their objection, and index records written before the handle index."""

    def __init__(self, client: "DynamoDBClient", table_name: str, clock: Callable[[], datetime] = utc_now) -> None:
        self._client = client
        self._table_name = table_name
        self._clock = clock

    def erase(self, handle: str) -> Erasure:
        """Deletes every record of every pair naming `handle`, letter case aside, found through the two handle
        indexes (never a Scan). The indexes are eventually consistent, so what they list is read again
        first, consistently: a second run counts nothing it did not delete."""
        keys = {
            (item[PARTITION_KEY]["S"], item[SORT_KEY]["S"])
            for index, attribute in zip(HANDLE_INDEXES, HANDLE_ATTRIBUTES, strict=True)
            for item in self._query_index(index, attribute, handle.lower())
        }
        existing = self._still_there(sorted(keys))
        for chunk in _chunks(existing, BATCH_WRITE_ITEMS):
            deletes = [{"DeleteRequest": {"Key": key}} for key in chunk]
            _batch_write(self._client, {self._table_name: deletes})
        return Erasure(pairs=len({key[PARTITION_KEY]["S"] for key in existing}), records=len(existing))

    def object_to(self, handle: str) -> bool:
        """Puts `handle` on the objection list with today's date (UTC); False when it already was, and its
        first date is kept."""
        item = {**_objection_key(handle.lower()), OBJECTED_ON: {"S": self._clock().astimezone(UTC).date().isoformat()}}
        return _put_new(self._client, self._table_name, item)

    def withdraw_objection(self, handle: str) -> date | None:
        """Takes `handle` off the objection list; the day it had been added, or None when it was not on it."""
        removed = self._client.delete_item(
            TableName=self._table_name, Key=_objection_key(handle.lower()), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return date.fromisoformat(removed[OBJECTED_ON]["S"]) if removed else None

    def objections(self) -> list[tuple[str, date]]:
        """The whole objection list, each handle with the day it was added."""
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "#pair = :pair",
            "ExpressionAttributeNames": _KEY_NAMES,
            "ExpressionAttributeValues": {":pair": {"S": OBJECTIONS_PARTITION}},
        }
        return [
            (item[SORT_KEY]["S"], date.fromisoformat(item[OBJECTED_ON]["S"]))
            for item in _pages(self._client.query, query)
        ]

    def index_complete(self) -> bool:
        """True once `backfill_index` has run to its end on this table, or the table was created with the index."""
        found = self._client.get_item(TableName=self._table_name, Key=INDEX_MARK, ConsistentRead=True)
        return "Item" in found

    def mark_index_complete(self) -> None:
        self._client.put_item(
            TableName=self._table_name,
            Item={**INDEX_MARK, "marked_at": {"S": self._clock().astimezone(UTC).isoformat()}},
        )

    def backfill_index(self, start: dict[str, Any] | None = None, page_size: int = 500) -> Iterator[BackfillPage]:
        """Gives every record written before the handle index its two handles, a Scan page at a time from
        `start`; each page says where the next one starts, so an interrupted run resumes there. A record
        deleted meanwhile is not written back. Marks the index complete after the last page."""
        scan: dict[str, Any] = {
            "TableName": self._table_name,
            "Limit": page_size,
            "ProjectionExpression": "#pair, #at",
            "FilterExpression": "contains(#pair, :separator) AND attribute_not_exists(#first)",
            "ExpressionAttributeNames": {"#pair": PARTITION_KEY, "#at": SORT_KEY, "#first": HANDLE_ATTRIBUTES[0]},
            "ExpressionAttributeValues": {":separator": {"S": "#"}},
        }
        if start:
            scan["ExclusiveStartKey"] = start
        while True:
            page = self._client.scan(**scan)
            indexed = sum(self._index_record(item) for item in page.get("Items", []))
            resume_at = page.get("LastEvaluatedKey")
            if not resume_at:
                self.mark_index_complete()
            yield BackfillPage(resume_at, indexed)
            if not resume_at:
                return
            scan["ExclusiveStartKey"] = resume_at

    def _index_record(self, key: dict[str, Any]) -> bool:
        first, second = key[PARTITION_KEY]["S"].split("#", 1)
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={PARTITION_KEY: key[PARTITION_KEY], SORT_KEY: key[SORT_KEY]},
                UpdateExpression="SET #first = :first, #second = :second",
                ConditionExpression="attribute_exists(#pair)",
                ExpressionAttributeNames={
                    "#pair": PARTITION_KEY,
                    "#first": HANDLE_ATTRIBUTES[0],
                    "#second": HANDLE_ATTRIBUTES[1],
                },
                ExpressionAttributeValues={":first": {"S": first}, ":second": {"S": second}},
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def _query_index(self, index: str, attribute: str, handle: str) -> Iterator[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": index,
            "KeyConditionExpression": "#handle = :handle",
            "ExpressionAttributeNames": {"#handle": attribute},
            "ExpressionAttributeValues": {":handle": {"S": handle}},
        }
        return _pages(self._client.query, query)

    def _still_there(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in _chunks([{PARTITION_KEY: {"S": pair}, SORT_KEY: {"S": at}} for pair, at in keys], BATCH_GET_KEYS):
            request = {
                self._table_name: {
                    "Keys": chunk,
                    "ConsistentRead": True,
                    "ProjectionExpression": "#pair, #at",
                    "ExpressionAttributeNames": {"#pair": PARTITION_KEY, "#at": SORT_KEY},
                }
            }
            found.extend(_batch_get(self._client, self._table_name, request))
        return sorted(found, key=lambda key: (key[PARTITION_KEY]["S"], key[SORT_KEY]["S"]))


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _put_new(client: "DynamoDBClient", table_name: str, item: dict[str, Any]) -> bool:
    """Puts `item` unless an item with its key exists; False when one did."""
    try:
        client.put_item(
            TableName=table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(#pair)",
            ExpressionAttributeNames=_KEY_NAMES,
        )
    except ClientError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def _day_key(day: date) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": SPEND_PARTITION}, SORT_KEY: {"S": day.isoformat()}}


def _caller_attribute(caller: str) -> str:
    return CALLER_PREFIX + caller


def _objection_key(handle: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": OBJECTIONS_PARTITION}, SORT_KEY: {"S": handle}}


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pages(operation: Callable[..., Any], request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        page = operation(**request)
        yield from page.get("Items", [])
        if not page.get("LastEvaluatedKey"):
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _batch_get(client: "DynamoDBClient", table_name: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a BatchGetItem, asking again for the keys DynamoDB left unprocessed, with a backoff."""
    items: list[dict[str, Any]] = []
    for attempt in range(BATCH_ATTEMPTS):
        response = client.batch_get_item(RequestItems=request)
        items.extend(response.get("Responses", {}).get(table_name, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return items
        time.sleep(BATCH_BACKOFF_SECONDS * 2**attempt)
    raise UnprocessedError(f"DynamoDB left keys unread after {BATCH_ATTEMPTS} attempts")


def _batch_write(client: "DynamoDBClient", request: dict[str, Any]) -> None:
    """A BatchWriteItem, sending again what DynamoDB left unprocessed, with a backoff."""
    for attempt in range(BATCH_ATTEMPTS):
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        if not request:
            return
        time.sleep(BATCH_BACKOFF_SECONDS * 2**attempt)
    raise UnprocessedError(f"DynamoDB left writes undone after {BATCH_ATTEMPTS} attempts")


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
