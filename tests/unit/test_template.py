"""template.yaml holds what the contract promises: routes, runtime, least privilege, a table that keeps
every record."""

from typing import Any

import pytest

from connected.register import EXPIRY, HANDLE_ATTRIBUTES, HANDLE_INDEXES
from connected.telemetry import X_USERS_READ
from local.template import http_routes, load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]
GLOBALS: dict[str, Any] = load_template()["Globals"]["Function"]


def statements(function: str) -> list[dict[str, Any]]:
    policies = RESOURCES[function]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["Statement"]]


def test_the_realtime_function_may_only_read_objections_put_query_and_count_on_the_table_and_read_its_secret() -> None:
    assert statements("RealtimeFunction") == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            "Resource": {"Fn::GetAtt": ["RegisterTable", "Arn"]},
        },
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": {"Ref": "CredentialsSecret"}},
    ]


def test_the_register_function_may_only_read_objections_and_query() -> None:
    assert statements("RegisterFunction") == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:BatchGetItem", "dynamodb:Query"],
            "Resource": {"Fn::GetAtt": ["RegisterTable", "Arn"]},
        },
    ]
    assert "CREDENTIALS_SECRET_ARN" not in RESOURCES["RegisterFunction"]["Properties"].get("Environment", {})


def test_the_api_serves_exactly_its_routes() -> None:
    routes = {(route.method, route.path, route.function) for route in http_routes()}

    assert routes == {
        ("GET", "/connected/realtime/{dev1}/{dev2}", "RealtimeFunction"),
        ("GET", "/connected/team/{handles}", "RealtimeFunction"),
        ("GET", "/connected/register/{dev1}/{dev2}", "RegisterFunction"),
        ("GET", "/_health", "RegisterFunction"),
        ("GET", "/openapi.json", "RegisterFunction"),
        ("GET", "/docs", "RegisterFunction"),
        ("GET", "/docs/{asset}", "RegisterFunction"),
    }


@pytest.mark.parametrize("function", ["RealtimeFunction", "RegisterFunction"])
def test_functions_are_thin_handlers_on_the_shared_layer(function: str) -> None:
    properties = RESOURCES[function]["Properties"]

    assert properties["Handler"] == "app.lambda_handler"
    assert GLOBALS["Layers"] == [{"Ref": "CommonLayer"}]
    for event in properties["Events"].values():
        assert event["Properties"]["PayloadFormatVersion"] == "2.0"
        assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}


def test_functions_run_python_3_13_on_arm64_and_give_up_before_api_gateway() -> None:
    assert GLOBALS["Runtime"] == "python3.13"
    assert GLOBALS["Architectures"] == ["arm64"]
    assert GLOBALS["Timeout"] < 30
    assert GLOBALS["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "RegisterTable"}


def test_the_layer_is_built_for_the_same_runtime() -> None:
    layer = RESOURCES["CommonLayer"]

    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Properties"]["ContentUri"] == "layers/common/"


def test_the_table_keeps_every_record_even_when_the_stack_goes() -> None:
    table = RESOURCES["RegisterTable"]
    properties = table["Properties"]

    assert table["Type"] == "AWS::DynamoDB::Table"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True,
        "RecoveryPeriodInDays": {"Ref": "RecoveryPeriodInDays"},
    }
    recovery = load_template()["Parameters"]["RecoveryPeriodInDays"]
    assert (recovery["MinValue"], recovery["MaxValue"], recovery["Default"]) == (1, 35, 35)
    assert properties["KeySchema"] == [
        {"AttributeName": "pair", "KeyType": "HASH"},
        {"AttributeName": "recorded_at", "KeyType": "RANGE"},
    ]


def test_the_table_expires_records_by_the_attribute_the_register_writes() -> None:
    properties = RESOURCES["RegisterTable"]["Properties"]

    assert properties["TimeToLiveSpecification"] == {"AttributeName": EXPIRY, "Enabled": True}
    assert load_template()["Parameters"]["RetentionDays"]["Default"] == 365


def test_every_record_can_be_found_by_either_handle_without_a_scan() -> None:
    indexes = {
        index["IndexName"]: index for index in RESOURCES["RegisterTable"]["Properties"]["GlobalSecondaryIndexes"]
    }

    assert {name: index["KeySchema"] for name, index in indexes.items()} == {
        HANDLE_INDEXES[0]: [{"AttributeName": HANDLE_ATTRIBUTES[0], "KeyType": "HASH"}],
        HANDLE_INDEXES[1]: [{"AttributeName": HANDLE_ATTRIBUTES[1], "KeyType": "HASH"}],
    }
    assert all(index["Projection"] == {"ProjectionType": "KEYS_ONLY"} for index in indexes.values())


def test_iam_authorization_of_both_routes_is_one_parameter_away() -> None:
    template = load_template()
    auth = RESOURCES["HttpApi"]["Properties"]["Auth"]

    assert template["Transform"][0] == "AWS::LanguageExtensions"
    assert template["Parameters"]["RequireIamAuth"]["Default"] == "false"
    assert template["Conditions"]["IamAuth"] == {"Fn::Equals": [{"Ref": "RequireIamAuth"}, "true"]}
    assert auth["EnableIamAuthorizer"] is True
    assert auth["DefaultAuthorizer"] == {"Fn::If": ["IamAuth", "AWS_IAM", {"Ref": "AWS::NoValue"}]}


def test_the_api_is_throttled_and_its_access_logged() -> None:
    properties = RESOURCES["HttpApi"]["Properties"]

    assert properties["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }
    assert "$context.requestId" in properties["AccessLogSettings"]["Format"]


def test_every_security_check_skipped_says_why() -> None:
    skipped = [
        entry
        for resource in RESOURCES.values()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skipped
    assert all(len(entry.get("comment", "")) > 20 for entry in skipped)


def test_the_cost_alarm_watches_the_metric_the_functions_emit() -> None:
    alarm = RESOURCES["XUsersReadAlarm"]["Properties"]
    variables = GLOBALS["Environment"]["Variables"]

    assert alarm["MetricName"] == X_USERS_READ
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    assert alarm["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["Threshold"] == {"Ref": "XUsersReadPerHourAlarmThreshold"}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_error_alarm_is_a_5xx_rate_of_the_api() -> None:
    alarm = RESOURCES["ServerErrorRateAlarm"]["Properties"]
    metrics = {metric["Id"]: metric for metric in alarm["Metrics"]}

    assert metrics["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert metrics["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert "errors / requests" in metrics["rate"]["Expression"]
    assert alarm["Threshold"] == {"Ref": "ServerErrorRateAlarmPercent"}


def test_the_secret_is_created_without_a_value() -> None:
    assert RESOURCES["CredentialsSecret"]["Properties"]["SecretString"] == "{}"
