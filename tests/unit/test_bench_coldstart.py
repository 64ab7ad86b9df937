"""How the benchmark tells a cold start against its baseline: round by round, and what the function imports
that its baseline does not, neither the benchmark's fakes nor the handler module counted."""

import pytest

from bench.coldstart import ColdStart, beyond_baseline, round_ratios

REPORT = """\
import time: self [us] | cumulative | imported package
import time:      2000 |       2000 |     responses
import time:      1000 |       3000 |   requests
import time:      3000 |       6000 | tweepy
import time:       100 |        100 |   gc
import time:      8000 |       8100 | aws_lambda_powertools
import time:       500 |        500 |   connected.models
import time:      1500 |       2000 | connected.factory
"""


def cold_start(
    cold_ms: float, modules: set[str], loaded_by_fake: tuple[str, ...] = (), import_report: str = ""
) -> ColdStart:
    return ColdStart(
        cold_ms=cold_ms,
        import_ms=cold_ms / 2,
        faked_ms=0.0,
        status=200,
        loaded=(),
        loaded_by_fake=loaded_by_fake,
        modules=frozenset(modules),
        import_report=import_report,
    )


def test_each_round_compares_with_the_baseline_run_next_to_it() -> None:
    function = [cold_start(130, set()), cold_start(260, set())]
    baseline = [cold_start(100, set()), cold_start(200, set())]

    assert round_ratios(function, baseline) == pytest.approx([1.3, 1.3])


def test_only_what_the_function_alone_imports_is_beyond_its_baseline() -> None:
    function_modules = {"app", "gc", "tweepy", "requests", "responses", "aws_lambda_powertools", "connected"}
    function_modules |= {"connected.models", "connected.factory"}
    function = cold_start(300, function_modules, loaded_by_fake=("responses",), import_report=REPORT)
    baseline = cold_start(200, {"tweepy", "requests", "responses"}, loaded_by_fake=("responses",))

    beyond = beyond_baseline([function], [baseline], function, baseline)

    assert beyond.packages == ("aws_lambda_powertools", "connected")
    assert [(found.name, found.beyond_us) for found in beyond.modules] == [
        ("aws_lambda_powertools", 8100),
        ("connected.factory", 2000),
    ]
    assert beyond.summary() == "beyond baseline: aws_lambda_powertools 8, connected 2 ms"
