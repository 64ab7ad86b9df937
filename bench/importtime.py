"""What a cold start imports beyond its baseline, from `python -X importtime`'s report: the outermost modules
the baseline did not load, each with what importing it cost beyond the baseline's own imports (its time and
that of the modules it alone brought in; a module the baseline loads too costs both the same).

`-X importtime` writes a line per module once its import ends, indented by nesting depth, so a module's
imports come before it, one level deeper. Imports made on two threads at once share one depth counter and
may nest wrongly: the figures are a guide to what to trim, not a measurement; the table's medians are.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

LINE_PREFIX = "import time:"
HEADER_NAME = "imported package"


@dataclass(frozen=True, slots=True)
class ImportedModule:
    name: str
    self_us: int
    cumulative_us: int
    imports: list["ImportedModule"] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]


def import_tree(report: str) -> list[ImportedModule]:
    """The modules imported at top level, in import order, each with the modules its import imported."""
    pending: list[tuple[int, ImportedModule]] = []
    for line in report.splitlines():
        if not line.startswith(LINE_PREFIX):
            continue
        self_us, cumulative_us, indented_name = line.removeprefix(LINE_PREFIX).split("|", 2)
        name = indented_name.lstrip()
        if name == HEADER_NAME:
            continue
        depth = (len(indented_name) - len(name) - 1) // 2
        module = ImportedModule(name, int(self_us), int(cumulative_us))
        while pending and pending[-1][0] > depth:
            module.imports.insert(0, pending.pop()[1])
        pending.append((depth, module))
    return [module for _depth, module in pending]


@dataclass(frozen=True, slots=True)
class Beyond:
    """A module the baseline did not load, and what importing it cost beyond the baseline's imports: its own
    time and that of every module under it the baseline did not load either."""

    module: ImportedModule
    beyond_us: int

    @property
    def name(self) -> str:
        return self.module.name

    @property
    def milliseconds(self) -> float:
        return self.beyond_us / 1000


def imported_beyond(
    tree: Iterable[ImportedModule], already_loaded: Collection[str], ignored: Callable[[str], bool]
) -> list[Beyond]:
    """The outermost modules of `tree` not in `already_loaded`, the costliest first; `ignored` modules (the
    benchmark's own, its fakes) are left out with everything they imported."""

    def cost_beyond(module: ImportedModule) -> int:
        if ignored(module.name):
            return 0
        own = 0 if module.name in already_loaded else module.self_us
        return own + sum(cost_beyond(imported) for imported in module.imports)

    beyond: list[Beyond] = []
    stack = list(tree)
    while stack:
        module = stack.pop()
        if ignored(module.name):
            continue
        if module.name in already_loaded:
            stack.extend(module.imports)
        else:
            beyond.append(Beyond(module, cost_beyond(module)))
    return sorted(beyond, key=lambda found: found.beyond_us, reverse=True)


def milliseconds_by_package(found: Iterable[Beyond]) -> dict[str, float]:
    """Import time beyond the baseline per top-level package, largest first."""
    totals: dict[str, float] = {}
    for beyond in found:
        package = beyond.module.package
        totals[package] = totals.get(package, 0.0) + beyond.milliseconds
    return dict(sorted(totals.items(), key=lambda item: item[1], reverse=True))
