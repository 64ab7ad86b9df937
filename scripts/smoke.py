"""Black-box smoke test of a running API over HTTP: `make smoke URL=https://...` after every deploy, and
against `make run` inside `make test`.

It costs nothing and needs no credentials in the stack: the realtime answer it asks for names two handles no
service allows, which the API refuses before it loads its tokens or calls GitHub or X. So it passes on a new
stack whose secret is still empty.

It calls the API as the stack's AuthMode wants (--auth, else told by what is at hand):
  iam      requests SigV4-signed with your AWS credentials (auto: a deployed API and AWS credentials found)
  cognito  a bearer access token: TOKEN, else one fetched from TOKEN_URL (else the stack's TokenUrl output;
           STACK, else samconfig.toml's stack for ENV) with CLIENT_ID and CLIENT_SECRET, a caller of both scopes
           (auto: TOKEN or CLIENT_ID set)
  none     no credentials (auto: a local API, such as `make run`, or nothing else at hand)
/_health, /openapi.json and /docs are always asked without credentials; with iam or cognito, the suite also
checks that every other route refuses a request without any (API Gateway's 401 or 403).

Exit status: 0 when every check passed, 1 otherwise; one line per check.
"""

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stacks import StackError, describe_stack, outputs_of, stack_name

TIMEOUT_SECONDS = 10.0
IMPOSSIBLE = ("no.such.dev", "nor.this.one")
"""Handles no service allows (a dot is neither a GitHub login's nor an X username's character)."""
AUTH_MODES = ("iam", "cognito", "none")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PROTECTED_PATHS = (
    f"/connected/realtime/{IMPOSSIBLE[0]}/{IMPOSSIBLE[1]}",
    f"/connected/team/{IMPOSSIBLE[0]},{IMPOSSIBLE[1]}",
    "/connected/register/smoke-test-a/smoke-test-b",
    "/connected/usage",
)
"""A request to each of the routes behind the authorizer; none costs anything should it get through."""
GATEWAY_REFUSALS = {401: "Unauthorized", 403: "Forbidden"}
"""API Gateway's own answers to a request its authorizer refuses: no token (JWT) or no signature (IAM)."""


class SmokeCheckError(Exception):
    """A check saw something other than what the contract promises; the message says what."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: Callable[[requests.Session, str], None]
    open_route: bool = False
    """Asked without credentials, as an open route must answer anyone."""


@dataclass(frozen=True, slots=True)
class Access:
    """How the suite reaches the API: `caller` for the routes behind the authorizer, `anyone` for the open
    ones and for the refusals."""

    mode: str
    caller: requests.Session
    anyone: requests.Session


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


def refused_without_credentials(session: requests.Session, base_url: str) -> None:
    for path in PROTECTED_PATHS:
        response = session.get(f"{base_url}{path}", timeout=TIMEOUT_SECONDS)
        expect(
            gateway_message(response) == GATEWAY_REFUSALS.get(response.status_code, "no refusal"),
            f"{path} answered {response.status_code} to a request without credentials, not API Gateway's 401 or "
            f"403: {response.text[:200]}",
        )


def gateway_message(response: requests.Response) -> str | None:
    """The `message` of API Gateway's own JSON answers ({"message":"Forbidden"}), which no handler gives."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("message") if isinstance(body, dict) else None


CHECKS = (
    Check("GET /_health is ok", health, open_route=True),
    Check("GET /openapi.json is the OpenAPI 3.1 document of both routes", openapi, open_route=True),
    Check("GET /docs serves Swagger UI and its assets", docs, open_route=True),
    Check("a register read is a JSON array", register_read),
    Check("a realtime answer for handles that cannot exist is a 404, with no upstream call", realtime_unknown),
    Check("a bad max_age is a 400", bad_max_age),
)
REFUSAL = Check(
    "every route but the open ones refuses a request without credentials", refused_without_credentials, open_route=True
)


def checks_for(mode: str) -> tuple[Check, ...]:
    return CHECKS if mode == "none" else (*CHECKS, REFUSAL)


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


class BearerSession(requests.Session):
    """Sends every request with a caller's access token, as the JWT authorizer expects it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.headers["Authorization"] = f"Bearer {token}"


def region_of(url: str, default: str | None) -> str | None:
    """`abc123.execute-api.eu-west-1.amazonaws.com` names its region; a custom domain takes AWS_REGION's."""
    labels = (urlsplit(url).hostname or "").split(".")
    if "execute-api" in labels and labels.index("execute-api") + 1 < len(labels):
        return labels[labels.index("execute-api") + 1]
    return default


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
    mode = auth_mode_of(url, asked, environ)
    if mode == "iam":
        region = region_of(url, environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"))
        if region is None:
            raise SmokeCheckError("cannot sign: the URL names no region; set AWS_REGION")
        return Access(mode, SigV4Session(region), requests.Session())
    if mode == "cognito":
        return Access(mode, BearerSession(bearer_token(environ)), requests.Session())
    return Access(mode, requests.Session(), requests.Session())


def bearer_token(environ: Mapping[str, str]) -> str:
    """TOKEN, else an access token for CLIENT_ID from the token endpoint (client credentials grant)."""
    if environ.get("TOKEN"):
        return environ["TOKEN"]
    client_id, secret = environ.get("CLIENT_ID", ""), environ.get("CLIENT_SECRET", "")
    if not client_id or not secret:
        raise SmokeCheckError("cognito needs TOKEN, or CLIENT_ID and CLIENT_SECRET of a caller (make caller)")
    token_url = environ.get("TOKEN_URL") or token_url_of_stack(environ)
    try:
        response = requests.post(
            token_url,
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise SmokeCheckError(f"the token endpoint {token_url} cannot be reached: {error}") from error
    token = json_of(response).get("access_token") if response.ok else None
    expect(bool(token), f"the token endpoint answered {response.status_code}: {response.text[:200]}")
    return str(token)


def token_url_of_stack(environ: Mapping[str, str]) -> str:
    import boto3

    try:
        name = stack_name(environ)
        outputs = outputs_of(describe_stack(boto3.client("cloudformation"), name))
    except StackError as error:
        raise SmokeCheckError(f"{error}; or set TOKEN_URL") from error
    if "TokenUrl" not in outputs:
        raise SmokeCheckError(f"the stack {name} has no TokenUrl output (not AuthMode=cognito?): set TOKEN_URL")
    return outputs["TokenUrl"]


def run(base_url: str, access: Access, out: Any = sys.stdout) -> int:
    checks = checks_for(access.mode)
    failures = 0
    for check in checks:
        try:
            check.run(access.anyone if check.open_route else access.caller, base_url)
        except (SmokeCheckError, requests.RequestException) as error:
            failures += 1
            print(f"FAIL  {check.name}: {error}", file=out)
        else:
            print(f"PASS  {check.name}", file=out)
    print(f"{len(checks) - failures} passed, {failures} failed", file=out)
    return 1 if failures else 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the API's base URL, such as the stack output ApiUrl")
    parser.add_argument(
        "--auth",
        choices=("auto", *AUTH_MODES),
        default="auto",
        help="the stack's AuthMode; auto: cognito with TOKEN or CLIENT_ID, iam with AWS credentials, else none",
    )
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
