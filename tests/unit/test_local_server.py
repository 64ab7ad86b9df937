"""The local API in process: its routes are template.yaml's, a request becomes the event API Gateway would
send, a handler's answer becomes the HTTP answer API Gateway would give, the console gets a line per request
while what the handlers print goes to the log file, and the demo world's banner examples are the documented
ones."""

import base64
import http.client
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.demo import DEMO_WORLD_PATH, UNKNOWN_HANDLE, demo_examples
from local.dynamodb import LOCAL_TABLE_NAME, bypass_proxies_for_loopback
from local.server import (
    Endpoint,
    LocalApiServer,
    handler_environment,
    handler_output,
    load_endpoints,
    match_route,
    run_settings,
)
from local.template import PROJECT_ROOT, http_routes, load_template, template_for_parameters
from local.world import World

REALTIME = "/connected/realtime/{dev1}/{dev2}"


class RecordingHandler:
    """Records what it is handed and prints a log line, as a Powertools handler does on stdout."""

    def __init__(self, answer: Any = None, failure: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.answer = answer if answer is not None else {"statusCode": 200, "body": "{}"}
        self.failure = failure

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        print(json.dumps({"level": "INFO", "message": "handled", "correlation_id": "r-1"}))
        if self.failure is not None:
            raise self.failure
        return self.answer


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def console() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def base_url(handler: RecordingHandler, console: io.StringIO) -> Iterator[str]:
    endpoints = [Endpoint("GET", REALTIME, "RealtimeFunction", handler, timeout_seconds=20)]
    server = LocalApiServer(("127.0.0.1", 0), endpoints, console)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=5)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_local_routes_are_the_templates_each_bound_to_its_functions_handler() -> None:
    endpoints = load_endpoints()

    assert {(endpoint.method, endpoint.path, endpoint.function) for endpoint in endpoints} == {
        (route.method, route.path, route.function) for route in http_routes()
    }
    for endpoint in endpoints:
        assert endpoint.handler.__name__ == "lambda_handler"
        assert endpoint.handler.__module__ == f"local_run_{endpoint.function}_app"
        own = load_template()["Resources"][endpoint.function]["Properties"].get("Timeout")
        assert endpoint.timeout_seconds == (own or load_template()["Globals"]["Function"]["Timeout"])


def test_the_local_api_asks_no_credentials_of_the_routes_a_deployed_one_guards(
    base_url: str, handler: RecordingHandler
) -> None:
    deployed = template_for_parameters({"AuthMode": "iam"})["Resources"]
    assert deployed["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert "Auth" not in deployed["RealtimeFunction"]["Properties"]["Events"]["Realtime"]["Properties"]

    status, _headers, _body = call(base_url + "/connected/realtime/ada/grace")

    assert status == 200
    assert len(handler.events) == 1
    assert "authorization" not in handler.events[0]["headers"]


def test_a_route_matches_the_raw_path_and_decodes_its_parameters_as_api_gateway_does() -> None:
    endpoints = [Endpoint("GET", REALTIME, "RealtimeFunction", RecordingHandler())]

    match = match_route(endpoints, "GET", "/connected/realtime/al%20ice/b%C3%B8b")

    assert match is not None
    endpoint, path_parameters = match
    assert endpoint.route_key == "GET /connected/realtime/{dev1}/{dev2}"
    assert path_parameters == {"dev1": "al ice", "dev2": "bøb"}
    for method, path in [
        ("POST", "/connected/realtime/a/b"),
        ("HEAD", "/connected/realtime/a/b"),
        ("GET", "/connected/realtime/a"),
        ("GET", "/connected/realtime/a/b/"),
        ("GET", "/connected/realtime//b"),
        ("GET", "/connected/realtime/a/b/c"),
        ("GET", "/connected/realtimeXa/b"),
    ]:
        assert match_route(endpoints, method, path) is None, (method, path)


def test_an_unknown_route_gets_api_gateways_not_found(base_url: str, handler: RecordingHandler) -> None:
    for method, path in [("GET", "/"), ("GET", "/connected/register/a/b"), ("POST", "/connected/realtime/a/b")]:
        status, headers, body = call(base_url + path, method)

        assert (status, body) == (404, b'{"message":"Not Found"}')
        assert headers["content-type"] == "application/json"
    assert handler.events == []


def test_a_request_becomes_an_http_api_event(base_url: str, handler: RecordingHandler) -> None:
    status, headers, _body = call(
        base_url + "/connected/realtime/Al%69ce/bob?verbose=1&verbose=2", headers={"X-Trace": "t"}
    )

    [event] = handler.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /connected/realtime/{dev1}/{dev2}"
    assert event["rawPath"] == "/connected/realtime/Al%69ce/bob"
    assert event["pathParameters"] == {"dev1": "Alice", "dev2": "bob"}
    assert event["rawQueryString"] == "verbose=1&verbose=2"
    assert event["queryStringParameters"] == {"verbose": "1,2"}
    assert event["headers"]["x-trace"] == "t"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert (status, headers["apigw-requestid"]) == (200, event["requestContext"]["requestId"])
    [context] = handler.contexts
    assert context.function_name == "RealtimeFunction"
    assert 0 < context.get_remaining_time_in_millis() <= 20_000


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        ({"statusCode": 201, "body": '{"a":1}', "headers": {"content-type": "application/json"}}, 201, b'{"a":1}'),
        (
            {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True},
            200,
            b"\x00\x01",
        ),
        ({"statusCode": 204, "body": ""}, 204, b""),
    ],
)
def test_a_handlers_answer_becomes_the_http_answer(
    base_url: str, handler: RecordingHandler, answer: dict[str, Any], status: int, body: bytes
) -> None:
    handler.answer = answer

    assert call(base_url + "/connected/realtime/a/b")[::2] == (status, body)


def test_a_crashing_handler_gets_lambdas_internal_server_error(
    base_url: str, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    handler.failure = RuntimeError("boom")

    status, _headers, body = call(base_url + "/connected/realtime/a/b")

    assert (status, body) == (500, b'{"message":"Internal Server Error"}')
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_the_handlers_get_the_templates_environment_with_the_local_table_and_no_secret() -> None:
    environment = handler_environment()

    assert environment["TABLE_NAME"] == LOCAL_TABLE_NAME
    assert environment["POWERTOOLS_SERVICE_NAME"] == "connected-developers"
    assert environment["GITHUB_API_URL"] == "https://api.github.com"
    assert "CREDENTIALS_SECRET_ARN" not in environment


def test_the_console_gets_a_line_per_request_and_the_log_file_what_the_handler_prints(
    base_url: str, console: io.StringIO, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "data" / "api.log"

    with handler_output(log):
        call(base_url + "/connected/realtime/ada/grace")
        call(base_url + "/nowhere")

    assert console.getvalue().splitlines()[0].startswith("GET /connected/realtime/ada/grace 200 ")
    assert console.getvalue().splitlines()[1].startswith("GET /nowhere 404 ")
    assert '"message": "handled"' in log.read_text()
    assert '"message": "handled"' not in console.getvalue() + capsys.readouterr().out


def test_verbose_leaves_what_the_handler_prints_on_the_console(
    base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _port, _data_dir, log = run_settings({"VERBOSE": "1", "LOCAL_DATA_DIR": str(tmp_path / "data")})

    with handler_output(log):
        call(base_url + "/connected/realtime/ada/grace")

    assert '"message": "handled"' in capsys.readouterr().out
    assert not (tmp_path / "data" / "api.log").exists()
    assert run_settings({"LOCAL_DATA_DIR": str(tmp_path)}) == (3000, tmp_path, tmp_path / "api.log")
    assert run_settings({"VERBOSE": "0", "LOCAL_DATA_DIR": str(tmp_path)})[2] == tmp_path / "api.log"


def test_the_local_server_is_reached_past_any_proxy() -> None:
    environ = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "internal.example"}

    bypass_proxies_for_loopback(environ)

    assert environ["NO_PROXY"] == environ["no_proxy"] == "internal.example,127.0.0.1,localhost"


def test_the_banner_suggests_the_documented_demo_answers() -> None:
    examples = demo_examples(World.from_json(DEMO_WORLD_PATH))

    assert [(example.path, example.status, example.body and json.loads(example.body)) for example in examples] == [
        ("/connected/realtime/ada/grace", 200, {"connected": True, "organisations": ["pioneers"]}),
        ("/connected/realtime/ada/alan", 200, {"connected": False}),
        (
            f"/connected/realtime/ada/{UNKNOWN_HANDLE}",
            404,
            {
                "errors": [
                    f"{UNKNOWN_HANDLE} is no a valid user in github",
                    f"{UNKNOWN_HANDLE} is no a valid user in twitter",
                ]
            },
        ),
        ("/connected/register/ada/grace", 200, None),
    ]


def test_the_demo_world_has_every_kind_of_developer_the_api_tells_apart() -> None:
    developers = list(World.from_json(DEMO_WORLD_PATH).developers.values())

    assert len(developers) >= 12
    assert any(developer.protected for developer in developers)
    assert any(developer.suspended for developer in developers)
    assert any(developer.organisations is None for developer in developers)
    assert any(not developer.on_x for developer in developers)
    assert any(developer.other_following >= 4000 for developer in developers)


def test_the_demo_world_is_in_no_deployed_artifact() -> None:
    resources = load_template()["Resources"].values()
    shipped = [
        (PROJECT_ROOT / uri).resolve()
        for resource in resources
        for uri in [resource.get("Properties", {}).get("CodeUri"), resource.get("Properties", {}).get("ContentUri")]
        if isinstance(uri, str)
    ]

    assert shipped
    local = (PROJECT_ROOT / "local").resolve()
    assert all(not local.is_relative_to(path) and not path.is_relative_to(local) for path in shipped)
