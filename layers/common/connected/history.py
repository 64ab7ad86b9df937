"""Reading a pair's register a page at a time: `limit`, an opaque cursor, and a `since`/`until` window.

A cursor is a position in the pair's history: the sort key of the last record returned. The pair always
comes from the path, so an altered cursor can only move within the caller's own pair, as `since` can; one
that is no position, or lies outside `since`..`until`, is a 400. Cursors handed out signed, in the
`payload.signature` form, are still read.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlencode

from connected.errors import InvalidQueryError
from connected.handles import Pair
from connected.models import Record
from connected.ports import RegisterPages

MAX_LIMIT = 1000
UNPAGED_RECORD_CAP = 10_000
RESPONSE_BUDGET_BYTES = 5_000_000
"""Lambda answers at most 6 MB; a page stops before its JSON body would pass this."""
QUERY_PARAMETERS = frozenset({"limit", "cursor", "since", "until"})
POSITION = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#[0-9a-f]{1,32}")
"""A record's sort key: its write time to the microsecond, then a random suffix."""


QUERY_PARAMETER_DOCS: list[dict[str, object]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"At most this many records (1 to {MAX_LIMIT}); a Link header points to the next page. "
        f"Without it, every record up to {UNPAGED_RECORD_CAP:,} (then a Link header too).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The opaque cursor of a Link header's next page.",
        "schema": {"type": "string"},
    },
    {
        "name": "since",
        "in": "query",
        "required": False,
        "description": "Only records registered at or after this ISO 8601 time (UTC when no zone is given).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "until",
        "in": "query",
        "required": False,
        "description": "Only records registered at or before this ISO 8601 time.",
        "schema": {"type": "string", "format": "date-time"},
    },
]
"""The register route's query parameters as the OpenAPI document describes them (scripts/openapi.py)."""


class HistoryRequest(NamedTuple):
    limit: int | None = None
    cursor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_query(cls, parameters: Mapping[str, str] | None) -> "HistoryRequest":
        parameters = parameters or {}
        unknown = sorted(set(parameters) - QUERY_PARAMETERS)
        if unknown:
            raise InvalidQueryError(
                *(f"unknown query parameter {name}: use limit, cursor, since or until" for name in unknown)
            )
        request = cls(
            limit=_limit(parameters.get("limit")),
            cursor=parameters.get("cursor") or None,
            since=_moment("since", parameters.get("since")),
            until=_moment("until", parameters.get("until")),
        )
        if request.since and request.until and request.since > request.until:
            raise InvalidQueryError("since must not be later than until")
        return request

    def query_for(self, cursor: str) -> dict[str, str]:
        """The query string of the next page: the same window and limit, from `cursor` on."""
        query = {"limit": str(self.limit)} if self.limit is not None else {}
        query["cursor"] = cursor
        if self.since is not None:
            query["since"] = _iso(self.since)
        if self.until is not None:
            query["until"] = _iso(self.until)
        return query


class HistoryPage(NamedTuple):
    records: list[Record]
    next_cursor: str | None


def next_page_link(path: str, request: HistoryRequest, cursor: str) -> str:
    """The Link header of the next page, relative to the API's root so it survives a custom domain."""
    return f'<{path}?{urlencode(request.query_for(cursor))}>; rel="next"'


def cursor_for(position: str) -> str:
    return _b64(json.dumps({"after": position}, separators=(",", ":")).encode())


def position_of(cursor: str, request: "HistoryRequest") -> str:
    """The position a cursor names, checked to be one and to lie within the request's window."""
    payload = cursor.partition(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError) as error:
        raise InvalidQueryError("the cursor is not one this API gave out") from error
    position = decoded.get("after") if isinstance(decoded, dict) else None
    if not isinstance(position, str) or not POSITION.fullmatch(position):
        raise InvalidQueryError("the cursor is not one this API gave out")
    moment = datetime.fromisoformat(position.split("#", 1)[0])
    if (request.since and moment < request.since) or (request.until and moment > request.until):
        raise InvalidQueryError("the cursor lies outside since and until")
    return position


def read_history(register: RegisterPages, pair: Pair, request: HistoryRequest) -> HistoryPage:
    """At most `limit` records (without one, up to the unpaged cap), and a cursor when more remain."""
    cap = request.limit if request.limit is not None else UNPAGED_RECORD_CAP
    after = position_of(request.cursor, request) if request.cursor else None
    records: list[Record] = []
    last_position = ""
    body_bytes = 2
    for position, record in register.records(pair, after, request.since, request.until, page_size=_page_size(cap)):
        record_bytes = len(json.dumps(record.to_json())) + 1
        if len(records) == cap or (records and body_bytes + record_bytes > RESPONSE_BUDGET_BYTES):
            return HistoryPage(records, cursor_for(last_position))
        records.append(record)
        body_bytes += record_bytes
        last_position = position
    return HistoryPage(records, None)


def _page_size(cap: int) -> int | None:
    """One record more than asked, so that a single query tells whether another page exists."""
    return cap + 1 if cap <= MAX_LIMIT else None


def _limit(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidQueryError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _moment(name: str, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError as error:
        raise InvalidQueryError(f"{name} must be an ISO 8601 time, such as 2019-09-13T09:30:00Z") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
