"""In-memory fakes of the ports that have no HTTP layer to fake."""

from datetime import UTC, datetime

from connected.errors import RegisterUnavailableError
from connected.handles import Pair
from connected.models import Record, Verdict


class InMemoryRegister:
    def __init__(self) -> None:
        self.records: dict[str, list[Record]] = {}
        self.broken = False

    def record(self, pair: Pair, verdict: Verdict) -> Record:
        if self.broken:
            raise RegisterUnavailableError("the register could not record the answer; nothing was stored")
        record = Record(datetime.now(UTC), verdict)
        self.records.setdefault(pair.key, []).append(record)
        return record

    def history(self, pair: Pair) -> list[Record]:
        return list(self.records.get(pair.key, []))

    @property
    def count(self) -> int:
        return sum(len(records) for records in self.records.values())
