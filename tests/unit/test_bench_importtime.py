"""The benchmark's reading of `python -X importtime`: which modules a cold start imports beyond its baseline,
and what they cost beyond the modules the baseline imports too."""

from bench.importtime import import_tree, imported_beyond, milliseconds_by_package

# What `-X importtime` writes: a module's line once its import ends, its own imports above it, one level deeper.
REPORT = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   json.decoder
import time:       200 |        300 | json
import time:      1000 |       1000 |       botocore.retries
import time:      3000 |       4000 |     boto3
import time:       500 |       4500 |   connected.register
import time:      2000 |       2000 |     yaml
import time:       100 |       2100 |   responses
import time:       700 |       9300 | connected.factory
import time:      4000 |       5000 |   aws_lambda_powertools.logging
import time:      1000 |       1000 |   asyncio
import time:      6000 |      12000 | aws_lambda_powertools
"""


def test_the_report_becomes_a_tree_of_imports() -> None:
    tree = import_tree(REPORT)

    assert [module.name for module in tree] == ["json", "connected.factory", "aws_lambda_powertools"]
    factory = tree[1]
    assert [module.name for module in factory.imports] == ["connected.register", "responses"]
    assert [module.name for module in factory.imports[0].imports] == ["boto3"]
    assert factory.imports[0].imports[0].imports[0].name == "botocore.retries"
    assert (factory.self_us, factory.cumulative_us) == (700, 9300)


def test_what_the_baseline_loads_too_costs_nothing_beyond_it() -> None:
    """boto3 is imported under connected.register here, but the baseline imports it as well; the fake's
    modules are the benchmark's, not the function's."""
    beyond = imported_beyond(
        import_tree(REPORT), {"json", "json.decoder", "boto3", "botocore.retries"}, lambda name: name == "responses"
    )

    assert [(found.name, found.beyond_us) for found in beyond] == [
        ("aws_lambda_powertools", 11000),
        ("connected.factory", 1200),
    ]
    assert milliseconds_by_package(beyond) == {"aws_lambda_powertools": 11.0, "connected": 1.2}


def test_a_module_the_baseline_loads_is_looked_into() -> None:
    loaded_by_baseline = {"json", "json.decoder", "connected.factory", "aws_lambda_powertools"}

    beyond = imported_beyond(import_tree(REPORT), loaded_by_baseline, lambda _name: False)

    assert [(found.name, found.beyond_us) for found in beyond] == [
        ("connected.register", 4500),
        ("aws_lambda_powertools.logging", 4000),
        ("responses", 2100),
        ("asyncio", 1000),
    ]
