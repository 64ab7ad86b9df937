"""Black-box smoke test of a running API over HTTP: `make smoke URL=https://...` after every deploy, and
against `make run` inside `make test`.

It costs nothing and needs no credentials in the stack: the realtime answer it asks for names two handles no
service allows, which the API refuses before it loads its tokens or calls GitHub or X. So it passes on a new
stack whose secret is still empty. Requests to a deployed API are signed with SigV4 when AWS credentials are
at hand (required when the stack was deployed with RequireIamAuth=true; harmless otherwise).

Exit status: 0 when every check passed, 1 otherwise; one line per check.
"""

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

TIMEOUT_SECONDS = 10.0
IMPOSSIBLE = ("no.such.dev", "nor.this.one")
"""Handles no service allows (a dot is neither a GitHub login's nor an X username's character)."""


class SmokeCheckError(Exception):
    """A check saw something other than what the contract promises; the message says what."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: Callable[[requests.Session, str], None]


def expect(condition: bool, failure: str) -> None:
    if not condition:
        raise SmokeCheckError(failure)


def get(session: requests.Session, base_url: str, path: str, status: int) -> requests.Response:
    response = session.get(f"{base_url}{path}", timeout=TIMEOUT_SECONDS)
    expect(
        response.status_code == status, f"{path} answered {response.status_code}, not {status}: {response.text[:200]}"
    )
    return response


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise SmokeCheckError(f"{response.url} answered no JSON: {response.text[:200]}") from error


def health(session: requests.Session, base_url: str) -> None:
    expect(json_of(get(session, base_url, "/_health", 200)) == {"status": "ok"}, "/_health is not ok")


def openapi(session: requests.Session, base_url: str) -> None:
    document = json_of(get(session, base_url, "/openapi.json", 200))
    expect(document.get("openapi", "").startswith("3.1"), "/openapi.json is no OpenAPI 3.1 document")
    routes = {"/connected/realtime/{dev1}/{dev2}", "/connected/register/{dev1}/{dev2}"}
    expect(routes <= set(document.get("paths", {})), f"/openapi.json lacks {sorted(routes)}")


def docs(session: requests.Session, base_url: str) -> None:
    page = get(session, base_url, "/docs", 200)
    expect("swagger-ui" in page.text, "/docs is not the Swagger UI page")
    get(session, base_url, "/docs/swagger-ui-bundle.js", 200)


def register_read(session: requests.Session, base_url: str) -> None:
    records = json_of(get(session, base_url, "/connected/register/smoke-test-a/smoke-test-b?limit=1", 200))
    expect(isinstance(records, list), "the register did not answer a JSON array")


def realtime_unknown(session: requests.Session, base_url: str) -> None:
    first, second = IMPOSSIBLE
    body = json_of(get(session, base_url, f"/connected/realtime/{first}/{second}", 404))
    expected = [
        f"{handle} is no a valid user in {service}" for handle in IMPOSSIBLE for service in ("github", "twitter")
    ]
    expect(body == {"errors": expected}, f"the realtime 404 was {body}")


def bad_max_age(session: requests.Session, base_url: str) -> None:
    first, second = IMPOSSIBLE
    body = json_of(get(session, base_url, f"/connected/realtime/{first}/{second}?max_age=soon", 400))
    expect(bool(body.get("errors")) and "max_age" in body["errors"][0], f"the 400 was {body}")


CHECKS = (
    Check("GET /_health is ok", health),
    Check("GET /openapi.json is the OpenAPI 3.1 document of both routes", openapi),
    Check("GET /docs serves Swagger UI and its assets", docs),
    Check("a register read is a JSON array", register_read),
    Check("a realtime answer for handles that cannot exist is a 404, with no upstream call", realtime_unknown),
    Check("a bad max_age is a 400", bad_max_age),
)


class SigV4Session(requests.Session):
    """Signs every request for API Gateway (`execute-api`) with the caller's AWS credentials."""

    def __init__(self, region: str) -> None:
        import boto3

        super().__init__()
        self.region = region
        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise SmokeCheckError("signing was asked for, but no AWS credentials were found")
        self.credentials = credentials

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(method=request.method, url=request.url, headers={"Host": urlsplit(str(request.url)).netloc})
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return super().send(request, **kwargs)


def region_of(url: str, default: str | None) -> str | None:
    """`abc123.execute-api.eu-west-1.amazonaws.com` names its region; a custom domain takes AWS_REGION's."""
    labels = (urlsplit(url).hostname or "").split(".")
    if "execute-api" in labels and labels.index("execute-api") + 1 < len(labels):
        return labels[labels.index("execute-api") + 1]
    return default


def session_for(url: str, sign: str, default_region: str | None) -> requests.Session:
    if sign == "never" or (sign == "auto" and urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")):
        return requests.Session()
    region = region_of(url, default_region)
    if region is None:
        raise SmokeCheckError("cannot sign: the URL names no region; set AWS_REGION")
    if sign == "auto":
        import boto3

        if boto3.Session().get_credentials() is None:
            return requests.Session()
    return SigV4Session(region)


def run(base_url: str, session: requests.Session, out: Any = sys.stdout) -> int:
    failures = 0
    for check in CHECKS:
        try:
            check.run(session, base_url)
        except (SmokeCheckError, requests.RequestException) as error:
            failures += 1
            print(f"FAIL  {check.name}: {error}", file=out)
        else:
            print(f"PASS  {check.name}", file=out)
    print(f"{len(CHECKS) - failures} passed, {failures} failed", file=out)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the API's base URL, such as the stack output ApiUrl")
    parser.add_argument(
        "--sign",
        choices=("auto", "always", "never"),
        default="auto",
        help="SigV4-sign requests: always, never, or (auto) when AWS credentials are at hand and the API is not local",
    )
    arguments = parser.parse_args(argv)
    base_url = arguments.url.rstrip("/")
    try:
        session = session_for(
            base_url, arguments.sign, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        )
    except SmokeCheckError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 1
    print(f"smoke test of {base_url}{' (SigV4-signed)' if isinstance(session, SigV4Session) else ''}")
    return run(base_url, session)


if __name__ == "__main__":
    sys.exit(main())
