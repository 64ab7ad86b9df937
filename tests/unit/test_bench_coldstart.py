"""How the benchmark tells a cold start against its references: round by round, and, from `-X importtime`'s
report, what the function imports that its floor does not, neither the fakes nor the handler module counted."""

from collections.abc import Collection

import pytest

from bench.coldstart import ColdStart, by_package, imported_beyond, round_ratios

# What `-X importtime` writes: a module's line once its import ends, its own imports above it, one level deeper.
REPORT = """\
import time: self [us] | cumulative | imported package
import time:       200 |        200 | winreg
import time:      2000 |       2000 |     responses
import time:      1000 |       3000 |   requests
import time:      3000 |       6000 | tweepy
import time:       100 |        100 |   gc
import time:      8000 |       8100 | aws_lambda_powertools
import time:       500 |        500 |   connected.models
import time:       300 |        300 |     bench.timeline
import time:      1500 |       2300 | connected.factory
import time:       900 |       3200 | app
"""


def cold_start(
    cold_ms: float, modules: Collection[str] = (), loaded_by_fake: tuple[str, ...] = (), import_report: str = REPORT
) -> ColdStart:
    return ColdStart(
        cold_ms=cold_ms,
        import_ms=cold_ms / 2,
        status=200,
        loaded_by_fake=loaded_by_fake,
        modules=frozenset(modules),
        import_report=import_report,
    )


def test_each_round_compares_with_the_reference_run_next_to_it() -> None:
    function = [cold_start(130), cold_start(260)]
    reference = [cold_start(100), cold_start(200)]

    assert round_ratios(function, reference) == pytest.approx([1.3, 1.3])


def test_only_what_the_function_alone_imports_is_beyond_its_floor() -> None:
    """The floor loaded tweepy, requests and gc itself, and tried winreg (not found, so in no `sys.modules`);
    responses is left out for being the function's fake, not for being loaded by the floor's fake."""
    function = cold_start(300, loaded_by_fake=("responses",))
    floor_report = "import time:       150 |        150 | winreg\nimport time:      1800 |       1800 | responses\n"
    floor = cold_start(200, {"tweepy", "requests", "responses", "gc"}, ("responses",), floor_report)

    beyond = imported_beyond(function, [floor])

    assert beyond == {"aws_lambda_powertools": 8.0, "connected.factory": 1.5, "connected.models": 0.5}
    assert by_package(beyond) == {"aws_lambda_powertools": 8.0, "connected": 2.0}
