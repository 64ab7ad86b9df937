"""What operators and API readers get: the OpenAPI document, the docs page, the health check, register
pages with Link headers, JSON logs with the request id, and EMF metrics."""

import io
import json
import re
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from openapi_spec_validator import validate

from connected import docs
from connected.errors import ERRORS, XCreditsDepletedError
from local.template import PROJECT_ROOT
from local.upstreams import Fault, x_list_unreadable
from tests.conftest import TABLE_NAME
from tests.support.faults import FakeUpstreams, reply, x_credits_depleted, x_usage_capped
from tests.support.handlers import Invoke, load_function

DOCUMENT = json.loads((PROJECT_ROOT / "openapi.json").read_text(encoding="utf-8"))


def test_openapi_json_serves_the_committed_openapi_3_1_document(register: Invoke) -> None:
    answer = register("/openapi.json")

    assert answer.status == 200
    assert answer.body == DOCUMENT
    assert answer.body["openapi"] == "3.1.0"
    validate(answer.body)


REALTIME_PATH = "/connected/realtime/{dev1}/{dev2}"
REGISTER_PATH = "/connected/register/{dev1}/{dev2}"


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/connected/realtime/{dev1}/{dev2}", {"200", "400", "404", "422", "429", "451", "500", "502", "503", "504"}),
        ("/connected/register/{dev1}/{dev2}", {"200", "400", "451", "500", "503"}),
        ("/_health", {"200", "503"}),
    ],
)
def test_every_route_documents_each_status_with_an_example_body(path: str, statuses: set[str]) -> None:
    responses = DOCUMENT["paths"][path]["get"]["responses"]

    assert set(responses) == statuses
    for response in responses.values():
        assert response["content"]["application/json"]["examples"]


@pytest.mark.parametrize(("route", "path"), [("pair", REALTIME_PATH), ("register", REGISTER_PATH)])
def test_each_error_of_the_table_is_documented_for_its_routes_with_its_status_and_message(
    route: str, path: str
) -> None:
    responses = DOCUMENT["paths"][path]["get"]["responses"]
    documented = {
        (int(status), tuple(example["value"]["errors"]))
        for status, response in responses.items()
        if status != "200"
        for example in response["content"]["application/json"]["examples"].values()
    }

    expected = {(entry.status, entry.example.messages) for entry in ERRORS.values() if route in entry.routes}
    assert documented == expected
    assert (503, XCreditsDepletedError().messages) in documented if route == "pair" else True


def test_the_register_route_documents_its_query_parameters() -> None:
    parameters = DOCUMENT["paths"]["/connected/register/{dev1}/{dev2}"]["get"]["parameters"]

    assert [parameter["name"] for parameter in parameters] == ["dev1", "dev2", "limit", "cursor", "since", "until"]


def test_the_docs_page_loads_swagger_ui_from_the_api_itself(register: Invoke) -> None:
    page = register("/docs", raw=True)
    script = register("/docs/swagger-ui-bundle.js", raw=True)
    style = register("/docs/swagger-ui.css", raw=True)

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'src="docs/swagger-ui-bundle.js"' in page.body
    assert 'url: "openapi.json"' in page.body
    assert remote_references(page.body) == []
    assert (script.status, script.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    assert "SwaggerUIBundle" in script.body
    assert (style.status, style.headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert script.headers["cache-control"] == "public, max-age=86400"


def remote_references(html: str) -> list[str]:
    """Every URL a page refers to (src, href, url: "...") that is not relative to the page itself."""
    references = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", html, flags=re.IGNORECASE)
    return [reference for reference in references if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", reference, re.I)]


def test_the_remote_reference_check_sees_a_cdn() -> None:
    cdn = '<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"><script src="//cdn.x/y.js">'

    assert remote_references(cdn) == ["https://unpkg.com/swagger-ui-dist@5/swagger-ui.css", "//cdn.x/y.js"]


def test_an_unknown_docs_asset_is_a_404_and_is_not_remembered(register: Invoke) -> None:
    register("/docs/swagger-ui.css", raw=True)
    for number in range(50):
        assert register(f"/docs/asset-{number}.js").status == 404
    answer = register("/docs/../../app.py")

    assert answer.status == 404
    assert docs.read_asset.cache_info().currsize <= len(docs.ASSET_TYPES)


def test_health_is_ok_when_the_table_answers(register: Invoke) -> None:
    assert (register("/_health").status, register("/_health").body) == (200, {"status": "ok"})


def test_health_is_503_when_the_table_does_not(register: Invoke, dynamodb: Any) -> None:
    dynamodb.delete_table(TableName=TABLE_NAME)

    answer = register("/_health")

    assert (answer.status, answer.body) == (503, {"errors": ["the register's table cannot be reached"]})


def test_register_pages_follow_their_link_headers(upstreams: FakeUpstreams, realtime: Invoke, register: Invoke) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])
    for _ in range(5):
        realtime("/connected/realtime/alice/bob")

    pages = [register("/connected/register/alice/bob?limit=2")]
    while "link" in pages[-1].headers:
        target = pages[-1].headers["link"].split(">")[0].lstrip("<")
        pages.append(register(target))

    assert [len(page.body) for page in pages] == [2, 2, 1]
    assert pages[0].headers["link"].startswith("</connected/register/alice/bob?limit=2&cursor=")
    assert pages[0].headers["link"].endswith('>; rel="next"')
    assert [record for page in pages for record in page.body] == register("/connected/register/alice/bob").body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a whole number from 1 to 1000"),
        ("since=yesterday", "since must be an ISO 8601 time"),
        ("cursor=forged.cursor", "the cursor is not one this API gave out"),
    ],
)
def test_bad_register_parameters_are_a_400(register: Invoke, query: str, message: str) -> None:
    answer = register(f"/connected/register/alice/bob?{query}")

    assert answer.status == 400
    assert answer.body["errors"][0].startswith(message)


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The realtime function's JSON log lines, as CloudWatch would receive them."""
    stream = io.StringIO()
    monkeypatch.setattr(load_function("realtime").logger.registered_handler, "stream", stream)
    return stream


def emitted_metrics(output: str) -> list[dict[str, Any]]:
    """Every EMF document printed: one per metric set, with its dimensions and values."""
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]
    found = []
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
                values = document[metric["Name"]]
                value = values[0] if isinstance(values, list) and len(values) == 1 else values
                found.append({"name": metric["Name"], "value": value, **dimensions})
    return found


def test_an_answer_logs_its_request_id_pair_outcome_and_each_upstream_call(
    upstreams: FakeUpstreams, realtime: Invoke, log_lines: io.StringIO
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"])
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"])

    realtime("/connected/realtime/alice/bob")

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    calls = [line for line in lines if line["message"] == "upstream call"]
    (answered,) = [line for line in lines if line["message"] == "answered"]
    assert {(call["upstream"], call["endpoint"], call["status"]) for call in calls} >= {
        ("github", "/users/*/orgs", 200),
        ("twitter", "/2/users/by", 200),
    }
    assert all(isinstance(call["milliseconds"], float) for call in calls)
    assert answered["outcome"] == "connected"
    assert (answered["dev1"], answered["dev2"]) == ("alice", "bob")
    assert answered["correlation_id"]
    assert "cold_start" in answered
    assert len({line["correlation_id"] for line in lines}) == 1


def test_a_secret_without_a_github_token_is_warned_of_once_per_container(
    upstreams: FakeUpstreams, realtime: Invoke, log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployed function whose credentials secret holds an X token and no GitHub token
    parameters.clear_caches()
    secret = {"TWITTER_BEARER_TOKEN": "x-bearer-from-the-secret"}
    arn = boto3.client("secretsmanager").create_secret(Name="credentials", SecretString=json.dumps(secret))["ARN"]
    monkeypatch.delenv("TWITTER_BEARER_TOKEN")
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("CREDENTIALS_SECRET_ARN", arn)
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Beta"])

    # When the container answers twice
    realtime("/connected/realtime/alice/bob")
    realtime("/connected/realtime/alice/bob")

    # Then one warning says GitHub's anonymous limit applies, and GitHub was asked without a token
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    warnings = [line for line in lines if "GITHUB_TOKEN" in line["message"]]
    assert [line["level"] for line in warnings] == ["WARNING"]
    assert "60 requests an hour" in warnings[0]["message"]
    assert all("Authorization" not in sent.headers for sent in upstreams.requests["github_orgs"])


def test_an_answer_emits_its_outcome_upstream_calls_and_x_users_read(
    upstreams: FakeUpstreams, realtime: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], other_followers=4)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_followers=2)
    capsys.readouterr()

    realtime("/connected/realtime/alice/bob")

    metrics = emitted_metrics(capsys.readouterr().out)
    assert {"name": "Answers", "value": 1.0, "outcome": "connected", "service": "connected-developers"} in metrics
    (users_read,) = [metric for metric in metrics if metric["name"] == "XUsersRead"]
    assert users_read["value"] == len(["alice", "bob"]) + upstreams.x_users_returned
    assert users_read["service"] == "connected-developers"
    assert {metric["upstream"] for metric in metrics if metric["name"] == "UpstreamCalls"} == {"github", "twitter"}
    assert len([metric for metric in metrics if metric["name"] == "UpstreamLatency"]) == len(
        [metric for metric in metrics if metric["name"] == "UpstreamCalls"]
    )


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (None, "unknown_user"),
        (reply(500), "upstream_error"),
        (x_credits_depleted(), "credits_depleted"),
        (x_usage_capped(), "usage_capped"),
    ],
    ids=["unknown user", "500", "402 credits depleted", "429 usage cap"],
)
def test_a_refused_answer_is_counted_by_its_outcome(
    upstreams: FakeUpstreams, realtime: Invoke, capsys: pytest.CaptureFixture[str], fault: Fault | None, outcome: str
) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    if fault:
        upstreams.developer("bob", organisations=["Acme"])
        upstreams.fail_every_time("x_users", fault)
    capsys.readouterr()

    realtime("/connected/realtime/alice/bob")

    answers = [metric for metric in emitted_metrics(capsys.readouterr().out) if metric["name"] == "Answers"]
    assert [answer["outcome"] for answer in answers] == [outcome]


def test_x_users_read_before_a_list_became_unreadable_are_counted(
    upstreams: FakeUpstreams, realtime: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given alice is protected, bob follows her, and his followers list (where alice comes last) answers one
    # page of 1,000, then only errors (he turned protected meanwhile)
    upstreams.developer("alice", organisations=["Acme"], follows=["bob"], protected=True)
    upstreams.developer("bob", organisations=["Acme"], follows=["alice"], other_followers=1500)
    upstreams.list_named_accounts_last()
    upstreams.fail("x_followers", x_list_unreadable(), after=1)
    capsys.readouterr()

    # When the answer is asked for
    answer = realtime("/connected/realtime/alice/bob")

    # Then it is undecidable, and the users X billed (both looked up, bob's following, 1,000 of his followers)
    # are counted
    assert answer.status == 422
    metrics = emitted_metrics(capsys.readouterr().out)
    assert [metric["outcome"] for metric in metrics if metric["name"] == "Answers"] == ["undecidable"]
    assert [metric["value"] for metric in metrics if metric["name"] == "XUsersRead"] == [2 + 1001.0]


def test_a_register_answer_emits_the_records_returned(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    upstreams.developer("bob", organisations=["Other"])
    realtime("/connected/realtime/alice/bob")
    realtime("/connected/realtime/alice/bob")
    capsys.readouterr()

    register("/connected/register/alice/bob")

    returned = [
        metric for metric in emitted_metrics(capsys.readouterr().out) if metric["name"] == "RegisterRecordsReturned"
    ]
    assert [metric["value"] for metric in returned] == [2.0]
