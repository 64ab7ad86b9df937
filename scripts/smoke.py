"""Black-box smoke test of a running API over HTTP: `make smoke URL=https://...` after every deploy, and against
`make run` inside `make test`. It costs nothing and needs no credentials in the stack: its realtime request names
two handles no service allows, refused before the API loads its tokens or calls GitHub or X.

It calls the API as the stack's AuthMode wants (--auth, else told by what is at hand):
  iam      SigV4-signed with your AWS credentials (auto: a deployed API and AWS credentials found)
  cognito  a bearer access token: TOKEN, else one fetched from TOKEN_URL (else the stack's TokenUrl output; STACK,
           else samconfig.toml's stack for ENV) with CLIENT_ID and CLIENT_SECRET of a caller of both scopes
           (auto: TOKEN or CLIENT_ID set)
  none     no credentials (auto: a local API, such as `make run`, or nothing else at hand)
/_health, /openapi.json and /docs are asked without credentials; with iam or cognito, every other route must also
refuse a request without any (API Gateway's 401 or 403). Exit status: 0 when every check passed, 1 otherwise.
"""

import argparse
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stacks import StackError, stack_output

TIMEOUT_SECONDS = 10.0
IMPOSSIBLE = ("no.such.dev", "nor.this.one")
"""Handles no service allows (a dot is neither a GitHub login's nor an X username's character)."""
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
REALTIME = f"/connected/realtime/{IMPOSSIBLE[0]}/{IMPOSSIBLE[1]}"
REGISTER = "/connected/register/smoke-test-a/smoke-test-b"
PROTECTED_PATHS = (REALTIME, f"/connected/team/{IMPOSSIBLE[0]},{IMPOSSIBLE[1]}", REGISTER, "/connected/usage")
"""A request to each of the routes behind the authorizer; none costs anything should it get through."""
GATEWAY_REFUSALS = {401: "Unauthorized", 403: "Forbidden"}
"""API Gateway's own answers to a request its authorizer refuses (no handler answers {"message": ...}): no token
(JWT) or no signature (IAM)."""


class SmokeCheckError(Exception):
    """A check saw something other than what the contract promises; the message says what."""


class Access(NamedTuple):
    """The `caller` session for the routes behind the authorizer; `anyone` for the open ones and the refusals."""

    mode: str
    caller: requests.Session
    anyone: requests.Session


def expect(condition: bool, failure: str) -> None:
    if not condition:
        raise SmokeCheckError(failure)


def get(session: requests.Session, base_url: str, path: str, status: int = 200, text: bool = False) -> Any:
    """The JSON body (or with `text`, the text) of the answer to GET `path`, which must have `status`."""
    response = session.get(f"{base_url}{path}", timeout=TIMEOUT_SECONDS)
    said = f"{path} answered {response.status_code}"
    expect(response.status_code == status, f"{said}, not {status}: {response.text[:200]}")
    try:
        return response.text if text else response.json()
    except ValueError as error:
        raise SmokeCheckError(f"{said}, not JSON: {response.text[:200]}") from error


def health(session: requests.Session, base_url: str) -> None:
    expect(get(session, base_url, "/_health") == {"status": "ok"}, "/_health is not ok")


def openapi(session: requests.Session, base_url: str) -> None:
    document = get(session, base_url, "/openapi.json")
    expect(document.get("openapi", "").startswith("3.1"), "/openapi.json is no OpenAPI 3.1 document")
    routes = {"/connected/realtime/{dev1}/{dev2}", "/connected/register/{dev1}/{dev2}"}
    expect(routes <= set(document.get("paths", {})), f"/openapi.json lacks {sorted(routes)}")


def docs(session: requests.Session, base_url: str) -> None:
    expect("swagger-ui" in get(session, base_url, "/docs", text=True), "/docs is not the Swagger UI page")
    get(session, base_url, "/docs/swagger-ui-bundle.js", text=True)


def register_read(session: requests.Session, base_url: str) -> None:
    records = get(session, base_url, f"{REGISTER}?limit=1")
    expect(isinstance(records, list), "the register did not answer a JSON array")


def realtime_unknown(session: requests.Session, base_url: str) -> None:
    body = get(session, base_url, REALTIME, 404)
    expected = [
        f"{handle} is no a valid user in {service}" for handle in IMPOSSIBLE for service in ("github", "twitter")
    ]
    expect(body == {"errors": expected}, f"the realtime 404 was {body}")


def bad_max_age(session: requests.Session, base_url: str) -> None:
    body = get(session, base_url, f"{REALTIME}?max_age=soon", 400)
    expect(bool(body.get("errors")) and "max_age" in body["errors"][0], f"the 400 was {body}")


def refused_without_credentials(session: requests.Session, base_url: str) -> None:
    for path in PROTECTED_PATHS:
        response = session.get(f"{base_url}{path}", timeout=TIMEOUT_SECONDS)
        try:
            message = response.json().get("message")
        except (ValueError, AttributeError):
            message = None
        expect(
            message == GATEWAY_REFUSALS.get(response.status_code, "no refusal"),
            f"{path} answered {response.status_code} to a request without credentials, not API Gateway's 401 or "
            f"403: {response.text[:200]}",
        )


Check = tuple[str, Callable[[requests.Session, str], None], bool]
"""A check's name, what it does, and whether it asks an open route (without credentials: it must answer anyone)."""
CHECKS: tuple[Check, ...] = (
    ("GET /_health is ok", health, True),
    ("GET /openapi.json is the OpenAPI 3.1 document of both routes", openapi, True),
    ("GET /docs serves Swagger UI and its assets", docs, True),
    ("a register read is a JSON array", register_read, False),
    ("a realtime answer for handles that cannot exist is a 404, with no upstream call", realtime_unknown, False),
    ("a bad max_age is a 400", bad_max_age, False),
)
REFUSAL: Check = ("every other route refuses a request without credentials", refused_without_credentials, True)


def checks_for(mode: str) -> tuple[Check, ...]:
    return CHECKS if mode == "none" else (*CHECKS, REFUSAL)


def region_of(url: str, default: str | None) -> str | None:
    """`abc123.execute-api.eu-west-1.amazonaws.com` names its region; a custom domain takes AWS_REGION's."""
    named = re.search(r"\.execute-api\.([^.]+)", urlsplit(url).hostname or "")
    return named[1] if named else default


def auth_mode_of(url: str, asked: str, environ: Mapping[str, str]) -> str:
    """The mode asked for, else the one the URL and what is at hand tell."""
    if asked != "auto":
        return asked
    if urlsplit(url).hostname in LOCAL_HOSTS:
        return "none"
    if environ.get("TOKEN") or environ.get("CLIENT_ID"):
        return "cognito"
    import boto3

    return "iam" if boto3.Session().get_credentials() is not None else "none"


def access_for(url: str, asked: str, environ: Mapping[str, str]) -> Access:
    mode, caller = auth_mode_of(url, asked, environ), requests.Session()
    if mode == "iam":
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        region = region_of(url, environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"))
        if region is None:
            raise SmokeCheckError("cannot sign: the URL names no region; set AWS_REGION")
        if (credentials := boto3.Session().get_credentials()) is None:
            raise SmokeCheckError("signing was asked for, but no AWS credentials were found")

        def signed(request: requests.PreparedRequest) -> requests.PreparedRequest:
            """Signed for API Gateway (execute-api); botocore signs the Host that requests sends."""
            aws = AWSRequest(method=request.method, url=request.url, data=request.body)
            SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(aws)
            request.headers.update(aws.headers.items())
            return request

        caller.auth = signed
    elif mode == "cognito":
        caller.headers["Authorization"] = f"Bearer {bearer_token(environ)}"
    return Access(mode, caller, requests.Session())


def bearer_token(environ: Mapping[str, str]) -> str:
    """TOKEN, else an access token for CLIENT_ID from the token endpoint (client credentials grant)."""
    if environ.get("TOKEN"):
        return environ["TOKEN"]
    client_id, secret = environ.get("CLIENT_ID", ""), environ.get("CLIENT_SECRET", "")
    expect(bool(client_id and secret), "cognito needs TOKEN, or CLIENT_ID and CLIENT_SECRET of a caller (make caller)")
    try:
        token_url = environ.get("TOKEN_URL") or stack_output(environ, "TokenUrl", "TOKEN_URL")
        grant = {"grant_type": "client_credentials"}
        response = requests.post(token_url, auth=(client_id, secret), data=grant, timeout=TIMEOUT_SECONDS)
        token = response.json().get("access_token") if response.ok else None
    except (StackError, requests.RequestException) as error:
        raise SmokeCheckError(f"no token: {error}") from error
    expect(bool(token), f"the token endpoint answered {response.status_code}: {response.text[:200]}")
    return str(token)


def run(base_url: str, access: Access, out: Any = sys.stdout) -> int:
    checks, failures = checks_for(access.mode), 0
    for name, check, open_route in checks:
        try:
            check(access.anyone if open_route else access.caller, base_url)
        except (SmokeCheckError, requests.RequestException) as error:
            failures += 1
            print(f"FAIL  {name}: {error}", file=out)
        else:
            print(f"PASS  {name}", file=out)
    print(f"{len(checks) - failures} passed, {failures} failed", file=out)
    return 1 if failures else 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the API's base URL, such as the stack output ApiUrl")
    parser.add_argument("--auth", choices=("auto", "iam", "cognito", "none"), default="auto", help="the AuthMode")
    arguments = parser.parse_args(argv)
    base_url = arguments.url.rstrip("/")
    try:
        access = access_for(base_url, arguments.auth, environ)
    except SmokeCheckError as error:
        print(f"smoke: {error}", file=sys.stderr)
        return 1
    print(f"smoke test of {base_url} (AuthMode {access.mode})")
    return run(base_url, access)


if __name__ == "__main__":
    sys.exit(main())
