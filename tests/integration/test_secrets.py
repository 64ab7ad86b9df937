"""Tokens never leave the process: not in a log line at any level, not in an answer, not in the repository."""

import logging
import re
import subprocess
from collections.abc import Iterator

import pytest

from local.template import PROJECT_ROOT
from tests.support.faults import FakeUpstreams, reply
from tests.support.handlers import Invoke, load_function

BEARER = "x-bearer-token-for-tests"
GITHUB = "github-token-for-tests"


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    logger = load_function("realtime").logger
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        yield
    logger.setLevel(level)


@pytest.mark.usefixtures("everything_logged")
@pytest.mark.parametrize("fault", [None, "github", "x"])
def test_tokens_appear_in_no_log_line_and_no_answer(
    upstreams: FakeUpstreams,
    realtime: Invoke,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    fault: str | None,
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    if fault == "github":
        upstreams.fail_every_time("github_orgs", reply(401))
    if fault == "x":
        upstreams.fail_every_time("x_users", reply(401))

    answer = realtime("/connected/realtime/alice/bob")

    assert upstreams.requests["x_users"][0].headers["Authorization"] == f"Bearer {BEARER}"
    output = capfd.readouterr()
    logged = output.out + output.err + "\n".join(str(vars(record)) for record in caplog.records)
    assert "'msg': 'answered'" in logged or "'msg': 'request refused'" in logged
    for token in (BEARER, GITHUB):
        assert token not in logged
        assert token not in str(answer.body)
        assert token not in str(answer.headers)


TOKEN_SHAPES = {
    "GitHub token": r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})",
    "X bearer token": r"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}",
    "AWS access key": r"\b(AKIA|ASIA)[A-Z0-9]{16}\b",
    "AWS secret key": r"aws_secret_access_key\s*=\s*[A-Za-z0-9/+]{40}",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
}


def test_no_tracked_file_holds_a_token() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as every developer runs it
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    found = []
    for name in filter(None, tracked):
        path = PROJECT_ROOT / name.decode()
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name.decode()}: {kind}" for kind, shape in TOKEN_SHAPES.items() if re.search(shape, text)]

    assert found == []


@pytest.mark.parametrize(
    ("kind", "sample"),
    [
        ("GitHub token", "ghp_" + "a1B2" * 9),
        ("X bearer token", "AAAAAAAAAAAAAAAAAAAAA" + "Zx9%2B" * 8),
        ("AWS access key", "AKIA" + "ABCDEFGH23456789"),
    ],
)
def test_the_scan_recognises_each_token_shape(kind: str, sample: str) -> None:
    assert re.search(TOKEN_SHAPES[kind], f"token = {sample}\n")
