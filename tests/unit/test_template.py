"""template.yaml holds what the contract promises: routes, who may call each in every AuthMode, runtime,
least privilege, a table that keeps every record."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from connected import settings as settings_module
from connected.register import EXPIRY, HANDLE_ATTRIBUTES, HANDLE_INDEXES
from connected.settings import Settings
from connected.telemetry import X_USERS_READ
from local.template import PROJECT_ROOT, function_environment, http_routes, load_template, template_for_parameters
from scripts.auth_mode_templates import AUTH_MODES, write_auth_mode_templates

RESOURCES: dict[str, Any] = load_template()["Resources"]
GLOBALS: dict[str, Any] = load_template()["Globals"]["Function"]
OPEN_ROUTES = {"/_health", "/openapi.json", "/docs", "/docs/{asset}"}
ANSWERS_ROUTES = {"/connected/realtime/{dev1}/{dev2}", "/connected/team/{handles}"}
REGISTER_ROUTES = {"/connected/register/{dev1}/{dev2}", "/connected/usage"}
COGNITO_RESOURCES = {"UserPool", "UserPoolResourceServer", "UserPoolDomain"}


def what_each_route_asks(mode: str) -> dict[str, tuple[str, tuple[str, ...]] | None]:
    """Per route of a stack deployed with AuthMode=`mode`, as SAM reads the template: the authorizer and scopes
    a caller must satisfy (the event's Auth, else the API's DefaultAuthorizer), or None for an open route."""
    template = template_for_parameters({"AuthMode": mode})
    default = template["Resources"]["HttpApi"]["Properties"]["Auth"].get("DefaultAuthorizer")
    asked: dict[str, tuple[str, tuple[str, ...]] | None] = {}
    for resource in template["Resources"].values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            auth = event["Properties"].get("Auth", {})
            authorizer = auth.get("Authorizer", default)
            scopes = tuple(auth.get("AuthorizationScopes", ()))
            asked[event["Properties"]["Path"]] = None if authorizer in (None, "NONE") else (authorizer, scopes)
    return asked


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
        ("GET", "/connected/usage", "RegisterFunction"),
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


def test_deployed_with_the_defaults_every_route_but_the_open_ones_needs_iam() -> None:
    parameter = load_template()["Parameters"]["AuthMode"]

    asked = what_each_route_asks(parameter["Default"])

    assert (parameter["Default"], parameter["AllowedValues"]) == ("iam", ["iam", "cognito", "none"])
    assert asked == {
        path: None if path in OPEN_ROUTES else ("AWS_IAM", ()) for path in {route.path for route in http_routes()}
    }
    assert load_template()["Resources"]["HttpApi"]["Properties"]["Auth"]["EnableIamAuthorizer"] is True


def test_with_cognito_each_route_needs_a_pool_token_with_its_own_scope() -> None:
    asked = what_each_route_asks("cognito")

    assert {path for path, need in asked.items() if need is None} == OPEN_ROUTES
    assert {path: need for path, need in asked.items() if need is not None} == {
        **dict.fromkeys(ANSWERS_ROUTES, ("CognitoAuthorizer", ("connected/answers",))),
        **dict.fromkeys(REGISTER_ROUTES, ("CognitoAuthorizer", ("connected/register",))),
    }


def test_with_none_no_route_asks_who_calls() -> None:
    auth = template_for_parameters({"AuthMode": "none"})["Resources"]["HttpApi"]["Properties"]["Auth"]

    assert set(what_each_route_asks("none").values()) == {None}
    assert auth == {"EnableIamAuthorizer": True}


@pytest.mark.parametrize("mode", AUTH_MODES)
def test_health_openapi_and_docs_stay_open_in_every_mode(mode: str) -> None:
    asked = what_each_route_asks(mode)

    assert all(asked[path] is None for path in OPEN_ROUTES)
    assert set(asked) == {route.path for route in http_routes()}


def test_the_jwt_authorizer_trusts_tokens_of_the_stacks_pool_for_the_listed_callers_only() -> None:
    auth = template_for_parameters({"AuthMode": "cognito"})["Resources"]["HttpApi"]["Properties"]["Auth"]
    audience = load_template()["Parameters"]["CognitoCallerClientIds"]

    assert auth["DefaultAuthorizer"] == "CognitoAuthorizer"
    assert auth["Authorizers"] == {
        "CognitoAuthorizer": {
            "IdentitySource": "$request.header.Authorization",
            "JwtConfiguration": {
                "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
                "audience": {"Ref": "CognitoCallerClientIds"},
            },
        }
    }
    assert (audience["Type"], audience["Default"]) == ("CommaDelimitedList", "none")


def test_cognito_mode_brings_a_user_pool_with_a_scope_for_each_kind_of_route_and_a_token_endpoint() -> None:
    cognito = template_for_parameters({"AuthMode": "cognito"})
    server = cognito["Resources"]["UserPoolResourceServer"]["Properties"]
    scopes = {f"{server['Identifier']}/{scope['ScopeName']}" for scope in server["Scopes"]}
    routes_scopes = {scope for need in what_each_route_asks("cognito").values() if need for scope in need[1]}

    assert scopes == routes_scopes == {"connected/answers", "connected/register"}
    assert cognito["Resources"]["UserPool"]["Properties"]["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert cognito["Resources"]["UserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    assert cognito["Outputs"]["UserPoolId"]["Value"] == {"Ref": "UserPool"}


def test_the_token_url_is_the_pool_domains_token_endpoint() -> None:
    domain, domain_variables = RESOURCES["UserPoolDomain"]["Properties"]["Domain"]["Fn::Sub"]
    token_url, token_url_variables = load_template()["Outputs"]["TokenUrl"]["Value"]["Fn::Sub"]

    assert token_url == f"https://{domain}.auth.${{AWS::Region}}.amazoncognito.com/oauth2/token"
    assert token_url_variables == domain_variables


@pytest.mark.parametrize("mode", ["iam", "none"])
def test_other_modes_create_no_user_pool_and_name_no_token_endpoint(mode: str) -> None:
    template = template_for_parameters({"AuthMode": mode})

    assert COGNITO_RESOURCES.isdisjoint(template["Resources"])
    assert {"TokenUrl", "UserPoolId"}.isdisjoint(template["Outputs"])


def test_the_user_pools_domain_is_a_prefix_unique_to_the_stack() -> None:
    domain = RESOURCES["UserPoolDomain"]["Properties"]["Domain"]

    assert domain == {
        "Fn::Sub": [
            "connected-${StackUuid}",
            {"StackUuid": {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}},
        ]
    }


def test_what_the_given_parameters_do_not_decide_is_left_for_the_deployment() -> None:
    resolved = template_for_parameters({"AuthMode": "iam"})
    undecided = template_for_parameters({"LogLevel": "DEBUG"})

    assert resolved["Resources"]["AlarmEmailSubscription"]["Condition"] == "AlarmEmailGiven"
    assert set(resolved["Conditions"]) == {"AlarmEmailGiven"}
    assert undecided["Resources"]["HttpApi"] == RESOURCES["HttpApi"]
    assert undecided["Resources"]["UserPool"] == RESOURCES["UserPool"]


def test_auth_is_decided_before_the_sam_transform_reads_it() -> None:
    assert load_template()["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


def test_every_environment_deploys_with_iam_said_outright_and_leaves_the_callers_list_to_make_caller() -> None:
    config = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    environments = [name for name, table in config.items() if isinstance(table, dict) and "deploy" in table]

    assert environments == ["default", "prod"]
    for name in environments:
        overrides = config[name]["deploy"]["parameters"]["parameter_overrides"].split()
        assert "AuthMode=iam" in overrides
        assert not any(override.startswith("CognitoCallerClientIds=") for override in overrides)


def test_each_caller_has_a_daily_budget_both_functions_read() -> None:
    parameter = load_template()["Parameters"]["MaxXUsersReadPerCallerPerDay"]

    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 10000, 0)
    for function in ("RealtimeFunction", "RegisterFunction"):
        assert function_environment(function, {})["MAX_X_USERS_READ_PER_CALLER_PER_DAY"] == "10000"


def test_each_limit_on_x_users_has_the_names_the_settings_table_gives_it() -> None:
    rows = [line.strip("| ").split(" | ") for line in settings_module.__doc__.splitlines() if line.startswith("| Max")]

    assert len(rows) == 3
    for parameter, variable, setting in rows:
        assert parameter in load_template()["Parameters"]
        marked = function_environment("RealtimeFunction", {parameter: "7"})
        assert marked[variable] == "7"
        assert getattr(Settings.from_env({"TABLE_NAME": "t", variable: "7"}), setting) == 7


def test_each_auth_modes_template_is_written_for_the_linters(tmp_path: Path) -> None:
    written = write_auth_mode_templates(tmp_path)

    assert [path.name for path in written] == ["iam.yaml", "cognito.yaml", "none.yaml"]
    for path, mode in zip(written, AUTH_MODES, strict=True):
        template = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert template == template_for_parameters({"AuthMode": mode})
        assert template["Parameters"]["AuthMode"]["Default"] == mode


def test_the_api_is_throttled_and_its_access_logged() -> None:
    properties = RESOURCES["HttpApi"]["Properties"]

    assert properties["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }
    access_log = properties["AccessLogSettings"]["Format"]
    assert "$context.requestId" in access_log
    assert '"principal":"$context.identity.userArn"' in access_log
    assert '"client":"$context.authorizer.claims.client_id"' in access_log


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
