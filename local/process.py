"""`python -m local` as a child process, for the tests and `make docs-screenshot`: on a free port, with a data
folder of its own and without X or GitHub tokens (so the offline demo world answers), ready once its banner
is printed, and stopped by a signal."""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from local.template import PROJECT_ROOT

STARTUP_SECONDS = 20.0
STOP_SECONDS = 10.0
BANNER_END = "Ctrl-C stops the API and the database."
LEFT_OUT_VARIABLES = ("TWITTER_BEARER_TOKEN", "GITHUB_TOKEN", "TABLE_NAME", "CREDENTIALS_SECRET_ARN", "PORT")


class LocalApiStartError(Exception):
    """The local API did not start; the message has its output."""


@dataclass
class LocalRun:
    process: "subprocess.Popen[bytes]"
    output: Path
    errors: Path
    base_url: str = ""
    banner: str = ""

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=STOP_SECONDS)

    def kill(self) -> None:
        """Ends the process if it still runs; its database server, watching its stdin, follows it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        return f"stdout:\n{self.output.read_text()}\nstderr:\n{self.errors.read_text()}"


def start_local_api(data_dir: Path, logs_dir: Path, **variables: str) -> LocalRun:
    """Starts the local API and waits until it serves; `variables` are added to its environment. A run that
    does not start is killed before LocalApiStartError is raised."""
    environment = {name: value for name, value in os.environ.items() if name not in LEFT_OUT_VARIABLES}
    environment.update(PORT="0", LOCAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **variables)
    logs_dir.mkdir(parents=True, exist_ok=True)
    output, errors = logs_dir / "stdout.txt", logs_dir / "stderr.txt"
    with output.open("wb") as stdout, errors.open("wb") as stderr:
        # This interpreter, running this project's package, no shell.
        process = subprocess.Popen(  # nosec B603
            [sys.executable, "-m", "local"], cwd=PROJECT_ROOT, env=environment, stdout=stdout, stderr=stderr
        )
    run = LocalRun(process, output, errors)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while BANNER_END not in (printed := run.output.read_text()):
            if run.process.poll() is not None or time.monotonic() > deadline:
                raise LocalApiStartError(f"the local API did not start (exit code {run.process.poll()})\n{run.logs()}")
            time.sleep(0.02)
        run.banner = printed.split(BANNER_END)[0]
        if (address := re.search(r"^  API +(http://127\.0\.0\.1:\d+)$", run.banner, re.MULTILINE)) is None:
            raise LocalApiStartError(f"the local API's banner names no address\n{run.logs()}")
        run.base_url = address[1]
    except BaseException:
        run.kill()
        raise
    return run
