"""Reading a pair's register a page at a time: `limit`, an opaque cursor, and a `since`/`until` window.

The cursor names the last record returned and is signed (HMAC-SHA256) with a per-deployment key, so an
altered cursor, or one made for another pair, is refused with a 400 instead of steering a query.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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


@dataclass(frozen=True, slots=True)
class HistoryRequest:
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


@dataclass(frozen=True, slots=True)
class HistoryPage:
    records: list[Record]
    next_cursor: str | None


def next_page_link(path: str, request: HistoryRequest, cursor: str) -> str:
    """The Link header of the next page, relative to the API's root so it survives a custom domain."""
    return f'<{path}?{urlencode(request.query_for(cursor))}>; rel="next"'


class CursorSigner:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def sign(self, pair: Pair, position: str) -> str:
        payload = _b64(json.dumps({"pair": pair.key, "after": position}, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def position(self, pair: Pair, cursor: str) -> str:
        payload, _, mac = cursor.partition(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidQueryError("the cursor is not one this API gave out")
        try:
            decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError) as error:
            raise InvalidQueryError("the cursor is not one this API gave out") from error
        if (
            not isinstance(decoded, dict)
            or decoded.get("pair") != pair.key
            or not isinstance(decoded.get("after"), str)
        ):
            raise InvalidQueryError("the cursor belongs to another pair")
        return str(decoded["after"])

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:18])


def read_history(register: RegisterPages, signer: CursorSigner, pair: Pair, request: HistoryRequest) -> HistoryPage:
    """At most `limit` records (without one, up to the unpaged cap), and a cursor when more remain."""
    cap = request.limit if request.limit is not None else UNPAGED_RECORD_CAP
    after = signer.position(pair, request.cursor) if request.cursor else None
    records: list[Record] = []
    last_position = ""
    body_bytes = 2
    for position, record in register.records(pair, after, request.since, request.until, page_size=_page_size(cap)):
        record_bytes = len(json.dumps(record.to_json())) + 1
        if len(records) == cap or (records and body_bytes + record_bytes > RESPONSE_BUDGET_BYTES):
            return HistoryPage(records, signer.sign(pair, last_position))
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
