"""The tables `make bench` prints: a row per measured scenario, each figure next to its target."""

from collections.abc import Sequence
from typing import NamedTuple

COLUMNS = ("scenario", "ms", "ratio", "overhead ms", "calls per answer, details", "X users read", "result")


class Target(NamedTuple):  # a figure and the most it may be
    name: str
    value: float
    limit: float


class Row(NamedTuple):
    scenario: str
    ms: str = ""
    ratio: str = ""
    overhead_ms: str = ""
    calls: str = ""
    x_users_read: str = ""
    targets: tuple[Target, ...] = ()

    @property
    def missed(self) -> list[Target]:
        return [target for target in self.targets if target.value > target.limit]

    def cells(self) -> list[str]:
        missed = ", ".join(target.name for target in self.missed)
        return [*self[:6], f"MISSED: {missed}" if missed else "met" if self.targets else ""]


def against(value: float, limit: float, digits: int = 2) -> str:
    """A figure next to its target, e.g. `1.07 <= 1.5`."""
    return f"{value:.{digits}f} <= {limit:g}"


def text_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, under a line of dashes."""
    table = [columns, *rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
