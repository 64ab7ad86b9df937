"""The one table `make bench` prints: a row per measured scenario, each figure next to its target."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COLUMNS = ("scenario", "ms", "ratio", "overhead ms", "calls per answer, details", "X users read", "result")
CALL_LABELS = {
    "github_orgs": "github",
    "x_users": "x lookup",
    "x_following": "x following",
    "x_followers": "x followers",
}


@dataclass(frozen=True, slots=True)
class Target:
    """A figure and the most it may be."""

    name: str
    value: float
    limit: float

    @property
    def met(self) -> bool:
        return self.value <= self.limit


@dataclass(frozen=True, slots=True)
class Row:
    scenario: str
    ms: str = ""
    ratio: str = ""
    overhead_ms: str = ""
    calls: str = ""
    x_users_read: str = ""
    targets: tuple[Target, ...] = ()
    note: str = ""

    @property
    def missed(self) -> tuple[Target, ...]:
        return tuple(target for target in self.targets if not target.met)

    @property
    def result(self) -> str:
        if self.missed:
            return "MISSED: " + ", ".join(target.name for target in self.missed)
        if self.targets:
            return "met"
        return self.note

    def cells(self) -> tuple[str, ...]:
        return (self.scenario, self.ms, self.ratio, self.overhead_ms, self.calls, self.x_users_read, self.result)


def against(value: float, limit: float, digits: int = 2) -> str:
    """A figure next to its target, e.g. `1.07 <= 1.5`."""
    return f"{value:.{digits}f} <= {limit:g}"


def calls_text(calls: Mapping[str, int]) -> str:
    """Calls per endpoint, those made only: `github 2, x lookup 1, PutItem 1`."""
    return ", ".join(f"{CALL_LABELS.get(endpoint, endpoint)} {count}" for endpoint, count in calls.items() if count)


def render(rows: Sequence[Row]) -> str:
    return text_table(COLUMNS, [row.cells() for row in rows])


def text_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, under a line of dashes."""
    table = [columns, *rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
