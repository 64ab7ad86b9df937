"""The local API (`python -m local`) as the tests start it: a failed start fails the test, every run is
killed when the test ends, and a test can check that no process of its run outlived it."""

import contextlib
import http.client
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.process import LocalApiStartError, LocalRun, start_local_api


@contextlib.contextmanager
def local_runs() -> Iterator[list[LocalRun]]:
    """Every run a test starts; any still running at the end is killed, so a failure leaves nothing behind."""
    started: list[LocalRun] = []
    try:
        yield started
    finally:
        for run in started:
            run.kill()


def start(runs: list[LocalRun], data_dir: Path, **variables: str) -> LocalRun:
    """`python -m local` on a free port, without X or GitHub tokens (so the demo world is live)."""
    try:
        run = start_local_api(data_dir, data_dir.parent / f"run-{len(runs)}", **variables)
    except LocalApiStartError as error:
        pytest.fail(str(error))
    runs.append(run)
    return run


def get(run: LocalRun, path: str, method: str = "GET") -> tuple[int, bytes]:
    """A request straight to the local API, whatever proxy the environment names."""
    connection = http.client.HTTPConnection(urlsplit(run.base_url).netloc, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(run: LocalRun, path: str) -> tuple[int, Any]:
    status, body = get(run, path)
    return status, json.loads(body)


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


def assert_nothing_left(marker: Path, within_seconds: float = 0.0) -> None:
    """Fails if a process whose command line names `marker` is still alive, after killing it so that it
    cannot outlive the test suite either."""
    deadline = time.monotonic() + within_seconds
    while (left := processes_mentioning(str(marker))) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == {}, f"processes outlived the test: {left}"
