"""`make run` end to end: `python -m local` as a subprocess against a real dynalite, called over HTTP in the
offline demo world, restarted to show that the register survives, and stopped (SIGINT, SIGTERM, SIGKILL)
to show that no process outlives it. The console shows a line per request; the handlers' JSON log lines and
EMF metrics go to api.log in the data folder, or to the console with VERBOSE=1."""

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb import LocalDynamoDBError, dynalite_node
from local.process import STOP_SECONDS, LocalApiStartError, LocalRun, start_local_api
from tests.support.local_run import assert_nothing_left, get, get_json, local_runs, processes_mentioning, start

pytestmark = pytest.mark.server

CONNECTED = {"connected": True, "organisations": ["pioneers"]}


@pytest.fixture
def dynalite() -> None:
    """CI must run these tests, so a missing dynalite fails them rather than skipping them."""
    try:
        dynalite_node()
    except LocalDynamoDBError as reason:
        pytest.fail(f"{reason}: the local run's tests need Node.js 20+ and dynalite; `make test` runs `npm ci`")


@pytest.fixture
def runs() -> Iterator[list[LocalRun]]:
    with local_runs() as started:
        yield started


def banner_examples(banner: str, base_url: str) -> list[tuple[str, int | None, str | None]]:
    """The banner's curl commands, each with the status and body it promises, when it promises one."""
    examples: list[tuple[str, int | None, str | None]] = []
    for line in banner.splitlines():
        command = re.fullmatch(rf"  curl -sw '\\n' {re.escape(base_url)}(\S+)", line)
        promise = re.fullmatch(r"  # -> (\d{3}) (.+)", line)
        if command is not None:
            examples.append((command[1], None, None))
        elif promise is not None:
            examples[-1] = (examples[-1][0], int(promise[1]), promise[2])
    return examples


def without_stamp(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "registered_at"}


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_demo_world_answers_over_http_and_the_register_survives_a_restart(
    dynalite: None, runs: list[LocalRun], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = start(runs, data_dir)

    assert "dynalite at http://127.0.0.1:" in first.banner
    assert "offline demo world" in first.banner
    examples = banner_examples(first.banner, first.base_url)
    assert [path for path, _status, _body in examples] == [
        "/connected/realtime/ada/grace",
        "/connected/realtime/ada/alan",
        "/connected/realtime/ada/nobody",
        "/connected/register/ada/grace",
    ]
    for path, status, body in examples:
        answer = get(first, path)
        if status is not None:
            assert answer == (status, (body or "").encode()), path

    assert get_json(first, "/connected/realtime/ada/grace") == (200, CONNECTED)
    assert get_json(first, "/connected/realtime/ada/alan") == (200, {"connected": False})
    assert get_json(first, "/connected/realtime/ada/nobody") == (
        404,
        {"errors": ["nobody is no a valid user in github", "nobody is no a valid user in twitter"]},
    )
    assert get_json(first, "/connected/realtime/GRACE/Ada") == (200, CONNECTED)

    status, register = get_json(first, "/connected/register/ada/grace")
    assert status == 200
    assert [without_stamp(record) for record in register] == [CONNECTED, CONNECTED, CONNECTED]
    stamps = [record["registered_at"] for record in register]
    assert stamps == sorted(stamps)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp) for stamp in stamps)
    assert get_json(first, "/connected/register/Grace/ADA") == (200, register)
    assert get_json(first, "/connected/register/%61da/grace") == (200, register)
    status, not_connected = get_json(first, "/connected/register/alan/ada")
    assert (status, [record["connected"] for record in not_connected]) == (200, [False, False])

    assert get(first, "/connected/nowhere") == (404, b'{"message":"Not Found"}')
    assert get(first, "/connected/realtime/ada/grace", method="POST") == (404, b'{"message":"Not Found"}')
    console = first.output.read_text()
    assert re.search(r"^GET /connected/realtime/GRACE/Ada 200 \d+ ms$", console, re.MULTILINE)
    assert re.search(r"^POST /connected/realtime/ada/grace 404 \d+ ms$", console, re.MULTILINE)
    assert json_lines(console) == []
    assert "api.log" in first.banner
    logged = json_lines((data_dir / "api.log").read_text())
    assert any(line.get("message") == "answered" and line.get("correlation_id") for line in logged)
    assert any("_aws" in line for line in logged), "EMF metric lines go to the log file"

    assert first.stop(signal.SIGINT) == 0
    assert_nothing_left(data_dir)

    second = start(runs, data_dir)
    assert get_json(second, "/connected/register/ada/grace") == (200, register)
    assert second.stop(signal.SIGTERM) == 0
    assert_nothing_left(data_dir)


def test_verbose_puts_the_handlers_log_lines_on_the_console(
    dynalite: None, runs: list[LocalRun], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    run = start(runs, data_dir, VERBOSE="1")

    assert get_json(run, "/connected/realtime/ada/grace") == (200, CONNECTED)
    assert run.stop(signal.SIGTERM) == 0

    console = run.output.read_text()
    assert re.search(r"^GET /connected/realtime/ada/grace 200 \d+ ms$", console, re.MULTILINE)
    assert any(line.get("message") == "answered" for line in json_lines(console))
    assert not (data_dir / "api.log").exists()


def test_dynalite_does_not_outlive_a_killed_run(dynalite: None, runs: list[LocalRun], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run = start(runs, data_dir)
    assert processes_mentioning(str(data_dir)), "dynalite should run with the data folder in its command line"

    run.process.kill()
    run.process.wait(timeout=STOP_SECONDS)

    assert_nothing_left(data_dir, within_seconds=5.0)


def test_without_node_the_run_stops_at_once_saying_what_it_needs(tmp_path: Path) -> None:
    no_tools = tmp_path / "empty-path"
    no_tools.mkdir()

    with pytest.raises(LocalApiStartError) as failure:
        start_local_api(tmp_path / "data", tmp_path / "logs", PATH=str(no_tools))

    assert "(exit code 1)" in str(failure.value)
    assert "local run: Node.js is not installed: with Node.js 20+, `make run` installs dynalite" in str(failure.value)
    assert_nothing_left(tmp_path / "data")
