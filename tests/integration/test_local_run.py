"""`make run` end to end: `python -m local` as a subprocess against a real dynalite, called over HTTP in the
offline demo world, restarted to show that the register survives, and stopped (SIGINT, SIGTERM, SIGKILL)
to show that no process outlives it."""

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.dynamodb import DynaliteUnavailableError, dynalite_node
from local.template import PROJECT_ROOT

pytestmark = pytest.mark.server

STARTUP_SECONDS = 20.0
STOP_SECONDS = 10.0
BANNER_END = "Ctrl-C stops the API and the database."
LEFT_OUT_VARIABLES = ("TWITTER_BEARER_TOKEN", "GITHUB_TOKEN", "TABLE_NAME", "CREDENTIALS_SECRET_ARN", "PORT")
CONNECTED = {"connected": True, "organisations": ["pioneers"]}


@dataclass
class LocalRun:
    process: "subprocess.Popen[bytes]"
    output: Path
    errors: Path
    base_url: str
    banner: str

    def get(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        """A request straight to the local API, whatever proxy the environment names."""
        connection = http.client.HTTPConnection(urlsplit(self.base_url).netloc, timeout=10)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get_json(self, path: str) -> tuple[int, Any]:
        status, body = self.get(path)
        return status, json.loads(body)

    def stop(self, signum: signal.Signals) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=STOP_SECONDS)

    def logs(self) -> str:
        return f"stdout:\n{self.output.read_text()}\nstderr:\n{self.errors.read_text()}"


@pytest.fixture
def dynalite() -> None:
    """CI must run these tests, so a missing dynalite fails them rather than skipping them."""
    try:
        dynalite_node()
    except DynaliteUnavailableError as reason:
        pytest.fail(f"{reason}: the local run's tests need Node.js 20+ and dynalite; `make test` runs `npm ci`")


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[list[LocalRun]]:
    """Every run a test starts; any still running at the end is killed, so a failure leaves nothing behind."""
    started: list[LocalRun] = []
    yield started
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()


def start(runs: list[LocalRun], data_dir: Path, **variables: str) -> LocalRun:
    """`python -m local` on a free port, without X or GitHub tokens (so the demo world is live)."""
    environment = {name: value for name, value in os.environ.items() if name not in LEFT_OUT_VARIABLES}
    environment.update(PORT="0", LOCAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **variables)
    logs = data_dir.parent / f"run-{len(runs)}"
    logs.mkdir(parents=True, exist_ok=True)
    output, errors = logs / "stdout.txt", logs / "stderr.txt"
    with output.open("wb") as stdout, errors.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=PROJECT_ROOT, env=environment, stdout=stdout, stderr=stderr
        )
    run = LocalRun(process, output, errors, base_url="", banner="")
    runs.append(run)
    deadline = time.monotonic() + STARTUP_SECONDS
    while BANNER_END not in output.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the local run did not start (exit code {process.poll()})\n{run.logs()}")
        time.sleep(0.02)
    run.banner = output.read_text().split(BANNER_END)[0]
    address = re.search(r"^  API +(http://127\.0\.0\.1:\d+)$", run.banner, re.MULTILINE)
    assert address is not None, run.banner
    run.base_url = address[1]
    return run


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


def processes_mentioning(marker: str) -> dict[int, str]:
    """Live processes whose command line contains `marker` (a test's own data folder), by pid."""
    if not Path("/proc").is_dir():
        found = subprocess.run(["pgrep", "-fl", marker], capture_output=True, text=True, check=False)  # noqa: S603, S607
        return {int(line.split()[0]): line for line in found.stdout.splitlines()}
    processes: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in command:
                processes[int(entry.name)] = command
    return processes


def assert_nothing_left(data_dir: Path, within_seconds: float = 0.0) -> None:
    """Fails if a process of this test's run is still alive, after killing it so that it cannot outlive
    the test suite either."""
    deadline = time.monotonic() + within_seconds
    while (left := processes_mentioning(str(data_dir))) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == {}, f"processes outlived the local run: {left}"


def without_stamp(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "registered_at"}


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
        answer = first.get(path)
        if status is not None:
            assert answer == (status, (body or "").encode()), path

    assert first.get_json("/connected/realtime/ada/grace") == (200, CONNECTED)
    assert first.get_json("/connected/realtime/ada/alan") == (200, {"connected": False})
    assert first.get_json("/connected/realtime/ada/nobody") == (
        404,
        {"errors": ["nobody is no a valid user in github", "nobody is no a valid user in twitter"]},
    )
    assert first.get_json("/connected/realtime/GRACE/Ada") == (200, CONNECTED)

    status, register = first.get_json("/connected/register/ada/grace")
    assert status == 200
    assert [without_stamp(record) for record in register] == [CONNECTED, CONNECTED, CONNECTED]
    stamps = [record["registered_at"] for record in register]
    assert stamps == sorted(stamps)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp) for stamp in stamps)
    assert first.get_json("/connected/register/Grace/ADA") == (200, register)
    assert first.get_json("/connected/register/%61da/grace") == (200, register)
    status, not_connected = first.get_json("/connected/register/alan/ada")
    assert (status, [record["connected"] for record in not_connected]) == (200, [False, False])

    assert first.get("/connected/nowhere") == (404, b'{"message":"Not Found"}')
    assert first.get("/connected/realtime/ada/grace", method="POST") == (404, b'{"message":"Not Found"}')
    assert re.search(r"^GET /connected/realtime/GRACE/Ada 200 \d+ ms$", first.errors.read_text(), re.MULTILINE)

    assert first.stop(signal.SIGINT) == 0
    assert_nothing_left(data_dir)

    second = start(runs, data_dir)
    assert second.get_json("/connected/register/ada/grace") == (200, register)
    assert second.stop(signal.SIGTERM) == 0
    assert_nothing_left(data_dir)


def test_dynalite_does_not_outlive_a_killed_run(dynalite: None, runs: list[LocalRun], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run = start(runs, data_dir)
    assert processes_mentioning(str(data_dir)), "dynalite should run with the data folder in its command line"

    run.process.kill()
    run.process.wait(timeout=STOP_SECONDS)

    assert_nothing_left(data_dir, within_seconds=5.0)


def test_without_node_the_run_falls_back_to_moto_and_warns_that_data_is_lost(
    runs: list[LocalRun], tmp_path: Path
) -> None:
    no_tools = tmp_path / "empty-path"
    no_tools.mkdir()
    run = start(runs, tmp_path / "data", PATH=str(no_tools))

    assert "moto at http://127.0.0.1:" in run.banner
    assert "NOT survive a restart" in run.errors.read_text()
    assert run.get_json("/connected/realtime/ada/grace") == (200, CONNECTED)
    assert run.get_json("/connected/register/ada/grace")[1][0]["connected"] is True
    assert run.stop(signal.SIGTERM) == 0
