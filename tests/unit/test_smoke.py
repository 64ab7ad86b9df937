"""`make smoke` calls a deployed API as its AuthMode wants: SigV4 for iam, a bearer token fetched with a caller's
client credentials for cognito, nothing for none; and, unless the API is open, it checks that API Gateway
refuses a request without credentials to every route but the open ones."""

import base64
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import responses
from requests import PreparedRequest

from scripts import smoke

DEPLOYED = "https://abc123.execute-api.eu-west-1.amazonaws.com"
TOKEN_URL = "https://connected-1234.auth.eu-west-1.amazoncognito.com/oauth2/token"
CALLER = {"CLIENT_ID": "4v1x2client", "CLIENT_SECRET": "s3cr3t-of-the-caller", "TOKEN_URL": TOKEN_URL}
OPEN_PATHS = {"/_health", "/openapi.json", "/docs", "/docs/swagger-ui-bundle.js"}
REFUSED = {401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"}}


class FakeGateway:
    """A deployed API seen from outside: the open routes answer anyone; the others answer a request carrying
    an Authorization header and, to one without, API Gateway's own refusal."""

    def __init__(self, refusal: int = 403) -> None:
        self.refusal = refusal
        self.requests: list[PreparedRequest] = []

    def __call__(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        parts = urlsplit(str(request.url))
        if parts.path not in OPEN_PATHS and "Authorization" not in request.headers:
            return self.refusal, {}, json.dumps(REFUSED[self.refusal])
        status, body = self.answer(parts.path, parse_qs(parts.query))
        return status, {}, body if isinstance(body, str) else json.dumps(body)

    @staticmethod
    def answer(path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        first, second = smoke.IMPOSSIBLE
        if path == "/_health":
            return 200, {"status": "ok"}
        if path == "/openapi.json":
            return 200, {
                "openapi": "3.1.0",
                "paths": {"/connected/realtime/{dev1}/{dev2}": {}, "/connected/register/{dev1}/{dev2}": {}},
            }
        if path.startswith("/docs"):
            return 200, "<div id='swagger-ui'></div>"
        if path == f"/connected/realtime/{first}/{second}" and "max_age" in query:
            return 400, {"errors": ["max_age must be a number of seconds"]}
        if path == f"/connected/realtime/{first}/{second}":
            return 404, {
                "errors": [f"{h} is no a valid user in {s}" for h in smoke.IMPOSSIBLE for s in ("github", "twitter")]
            }
        return 200, []

    def asked(self, path: str) -> list[PreparedRequest]:
        return [request for request in self.requests if urlsplit(str(request.url)).path == path]


@pytest.fixture
def gateway(http: responses.RequestsMock) -> FakeGateway:
    fake = FakeGateway()
    http.add_callback(responses.GET, re.compile(rf"{re.escape(DEPLOYED)}/.*"), callback=fake)
    return fake


def test_a_cognito_caller_trades_its_client_credentials_for_a_token_and_calls_with_it(
    http: responses.RequestsMock, gateway: FakeGateway
) -> None:
    basic = base64.b64encode(f"{CALLER['CLIENT_ID']}:{CALLER['CLIENT_SECRET']}".encode()).decode()
    http.post(
        TOKEN_URL,
        json={"access_token": "eyJ.access.token", "token_type": "Bearer", "expires_in": 3600},
        match=[
            responses.matchers.header_matcher({"Authorization": f"Basic {basic}"}),
            responses.matchers.urlencoded_params_matcher({"grant_type": "client_credentials"}),
        ],
    )

    access = smoke.access_for(DEPLOYED, "auto", CALLER)
    smoke.register_read(access.caller, DEPLOYED)

    assert access.mode == "cognito"
    [read] = gateway.asked("/connected/register/smoke-test-a/smoke-test-b")
    assert read.headers["Authorization"] == "Bearer eyJ.access.token"


def test_a_token_given_is_sent_as_it_is_and_the_token_endpoint_never_asked(gateway: FakeGateway) -> None:
    access = smoke.access_for(DEPLOYED, "auto", {"TOKEN": "eyJ.given.token"})
    smoke.register_read(access.caller, DEPLOYED)

    assert access.mode == "cognito"
    assert [request.headers["Authorization"] for request in gateway.requests] == ["Bearer eyJ.given.token"]


def test_a_refused_client_secret_stops_the_smoke_test_before_any_check(
    http: responses.RequestsMock, gateway: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    http.post(TOKEN_URL, status=400, json={"error": "invalid_client"})

    status = smoke.main([DEPLOYED, "--auth", "cognito"], CALLER)

    assert status == 1
    assert 'the token endpoint answered 400: {"error": "invalid_client"}' in capsys.readouterr().err
    assert gateway.requests == []


def test_without_a_token_url_the_stacks_token_url_output_is_asked_for(http: responses.RequestsMock) -> None:
    boto3.client("cloudformation").create_stack(
        StackName="connected-test",
        TemplateBody=json.dumps(
            {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"TokenUrl": {"Value": TOKEN_URL}}}
        ),
    )
    http.post(TOKEN_URL, json={"access_token": "eyJ.from.the.stack"})

    token = smoke.bearer_token({"CLIENT_ID": "4v1x2client", "CLIENT_SECRET": "s3cr3t", "STACK": "connected-test"})

    assert token == "eyJ.from.the.stack"


def test_a_stack_without_cognito_names_no_token_url_and_the_smoke_test_says_so() -> None:
    boto3.client("cloudformation").create_stack(
        StackName="connected-test",
        TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
    )

    with pytest.raises(smoke.SmokeCheckError, match="no TokenUrl output"):
        smoke.bearer_token({"CLIENT_ID": "4v1x2client", "CLIENT_SECRET": "s3cr3t", "STACK": "connected-test"})


@pytest.mark.parametrize("refusal", [401, 403])
def test_every_guarded_route_refusing_a_request_without_credentials_passes(
    http: responses.RequestsMock, refusal: int
) -> None:
    fake = FakeGateway(refusal)
    http.add_callback(responses.GET, re.compile(rf"{re.escape(DEPLOYED)}/.*"), callback=fake)

    smoke.refused_without_credentials(smoke.access_for(DEPLOYED, "iam", {}).anyone, DEPLOYED)

    assert {urlsplit(str(request.url)).path for request in fake.requests} == {
        urlsplit(path).path for path in smoke.PROTECTED_PATHS
    }
    assert all("Authorization" not in request.headers for request in fake.requests)


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, []), (403, {"type": "about:blank", "status": 403}), (401, "not JSON")],
    ids=["answered", "refused-by-a-handler", "not-api-gateway"],
)
def test_a_guarded_route_that_api_gateway_does_not_refuse_fails_the_check(
    http: responses.RequestsMock, status: int, body: object
) -> None:
    for path in smoke.PROTECTED_PATHS:
        http.get(f"{DEPLOYED}{path}", status=403, json=REFUSED[403])
    http.replace(responses.GET, f"{DEPLOYED}/connected/usage", status=status, body=json.dumps(body))

    with pytest.raises(smoke.SmokeCheckError, match=f"/connected/usage answered {status} to a request without"):
        smoke.refused_without_credentials(smoke.access_for(DEPLOYED, "none", {}).anyone, DEPLOYED)


@pytest.mark.parametrize(("mode", "refusal"), [("iam", 403), ("cognito", 401)])
def test_the_whole_suite_passes_against_a_guarded_api_and_asks_the_open_routes_without_credentials(
    http: responses.RequestsMock, mode: str, refusal: int
) -> None:
    fake = FakeGateway(refusal)
    http.add_callback(responses.GET, re.compile(rf"{re.escape(DEPLOYED)}/.*"), callback=fake)
    out = io.StringIO()

    status = smoke.run(DEPLOYED, smoke.access_for(DEPLOYED, mode, {"TOKEN": "eyJ.token"}), out)

    assert status == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1] == f"{len(smoke.CHECKS) + 1} passed, 0 failed"
    register = fake.asked("/connected/register/smoke-test-a/smoke-test-b")
    assert all("Authorization" not in request.headers for path in OPEN_PATHS for request in fake.asked(path))
    assert sorted("Authorization" in request.headers for request in register) == [False, True]


def test_an_open_api_is_not_asked_to_refuse_anyone() -> None:
    assert smoke.REFUSAL not in smoke.checks_for("none")
    assert smoke.checks_for("iam") == smoke.checks_for("cognito") == (*smoke.CHECKS, smoke.REFUSAL)


def test_the_mode_is_told_by_what_is_at_hand_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert smoke.auth_mode_of("http://127.0.0.1:3000", "auto", {"TOKEN": "eyJ"}) == "none"
    assert smoke.auth_mode_of(DEPLOYED, "auto", {"CLIENT_ID": "4v1x2client"}) == "cognito"
    assert smoke.auth_mode_of(DEPLOYED, "auto", {}) == "iam"
    assert smoke.auth_mode_of("http://127.0.0.1:3000", "iam", {}) == "iam"
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert smoke.auth_mode_of(DEPLOYED, "auto", {}) == "none"
