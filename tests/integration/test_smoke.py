"""`make smoke`: the black-box suite that follows every deploy, run here against `make run`'s API, which asks
no credentials, and its SigV4 signing for stacks that require IAM."""

import io
from pathlib import Path

import pytest
import responses

from scripts import smoke
from tests.support.local_run import local_runs, start

DEPLOYED = "https://abc123.execute-api.eu-west-1.amazonaws.com"


@pytest.mark.server
def test_the_smoke_suite_passes_against_the_local_api_which_is_open(tmp_path: Path) -> None:
    with local_runs() as runs:
        api = start(runs, tmp_path / "data")
        out = io.StringIO()

        access = smoke.access_for(api.base_url, "auto", {})
        status = smoke.run(api.base_url, access, out)

    lines = out.getvalue().splitlines()
    assert status == 0, out.getvalue()
    assert access.mode == "none"
    assert [line.split()[0] for line in lines[:-1]] == ["PASS"] * len(smoke.CHECKS)
    assert lines[-1] == f"{len(smoke.CHECKS)} passed, 0 failed"


def test_a_broken_promise_fails_the_suite_with_its_line(http: responses.RequestsMock) -> None:
    http.get(f"{DEPLOYED}/_health", status=503, json={"errors": ["the register's table cannot be reached"]})
    out = io.StringIO()

    status = smoke.run(DEPLOYED, smoke.access_for(DEPLOYED, "none", {}), out)

    assert status == 1
    assert out.getvalue().splitlines()[0].startswith("FAIL  GET /_health is ok: /_health answered 503")


def test_requests_to_a_deployed_api_are_sigv4_signed_for_its_region(http: responses.RequestsMock) -> None:
    http.get(f"{DEPLOYED}/connected/register/smoke-test-a/smoke-test-b", json=[])

    access = smoke.access_for(DEPLOYED, "auto", {})
    smoke.register_read(access.caller, DEPLOYED)

    authorization = http.calls[0].request.headers["Authorization"]
    assert access.mode == "iam"
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Security-Token" in http.calls[0].request.headers


def test_a_custom_domain_is_signed_for_aws_region_and_refused_without_one() -> None:
    assert smoke.region_of("https://api.example.com", "us-east-1") == "us-east-1"
    with pytest.raises(smoke.SmokeCheckError, match="AWS_REGION"):
        smoke.access_for("https://api.example.com", "iam", {})
