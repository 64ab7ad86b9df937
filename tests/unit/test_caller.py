"""`make caller` and `make caller-revoke` on a stack deployed with AuthMode=cognito (moto): a caller is an app
client of the stack's pool that only the client credentials grant serves, and the API accepts its tokens
exactly while its client id is in the stack's CognitoCallerClientIds, the JWT authorizer's audience."""

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts import caller
from scripts.stacks import stack_name

STACK = "connected-test"
TOKEN_URL = "https://connected-1234.auth.eu-west-1.amazoncognito.com/oauth2/token"
SCOPES = ("connected/answers", "connected/register")


def deployed_stack(audience: str = "none", cognito: bool = True) -> str:
    """A stack as the cognito mode leaves it, in miniature: the pool and its scopes, the audience parameter,
    one more parameter that must keep its value, and the outputs the script reads. The audience is a String
    here: CloudFormation describes a CommaDelimitedList as its comma-separated text, moto as a Python list."""
    pool = boto3.client("cognito-idp").create_user_pool(PoolName="connected-test-callers")["UserPool"]["Id"]
    boto3.client("cognito-idp").create_resource_server(
        UserPoolId=pool,
        Identifier="connected",
        Name="connected-developers",
        Scopes=[{"ScopeName": "answers", "ScopeDescription": "a"}, {"ScopeName": "register", "ScopeDescription": "r"}],
    )
    outputs = {"UserPoolId": {"Value": {"Ref": "PoolId"}}, "TokenUrl": {"Value": TOKEN_URL}} if cognito else {}
    template = {
        "Parameters": {
            "CognitoCallerClientIds": {"Type": "String", "Default": "none"},
            "PoolId": {"Type": "String"},
            "LogLevel": {"Type": "String", "Default": "INFO"},
        },
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": outputs,
    }
    boto3.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "CognitoCallerClientIds", "ParameterValue": audience},
            {"ParameterKey": "PoolId", "ParameterValue": pool},
            {"ParameterKey": "LogLevel", "ParameterValue": "DEBUG"},
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return pool


def stack_parameters() -> dict[str, str]:
    described = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {parameter["ParameterKey"]: parameter["ParameterValue"] for parameter in described["Parameters"]}


def clients_of(pool: str) -> dict[str, dict[str, Any]]:
    cognito = boto3.client("cognito-idp")
    listed = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    return {
        entry["ClientId"]: cognito.describe_user_pool_client(UserPoolId=pool, ClientId=entry["ClientId"])[
            "UserPoolClient"
        ]
        for entry in listed
    }


def run(*argv: str) -> int:
    return caller.main(list(argv), {"STACK": STACK})


def test_a_new_caller_is_a_client_credentials_app_client_whose_tokens_the_api_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pool = deployed_stack()

    status = run("add", "acme-ci")

    [(client_id, client)] = clients_of(pool).items()
    assert status == 0
    assert client["ClientName"] == "acme-ci"
    assert client["AllowedOAuthFlows"] == ["client_credentials"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(client["AllowedOAuthScopes"]) == list(SCOPES)
    assert client["ClientSecret"]
    assert stack_parameters() == {"CognitoCallerClientIds": client_id, "PoolId": pool, "LogLevel": "DEBUG"}
    printed = capsys.readouterr().out
    assert f"client id      {client_id}" in printed
    assert f"client secret  {client['ClientSecret']}" in printed
    assert f"token URL      {TOKEN_URL}" in printed


def test_a_second_caller_joins_the_audience_and_may_be_held_to_one_scope() -> None:
    pool = deployed_stack(audience="firstcallerid")

    assert run("add", "reporting", "--scope", "connected/register") == 0

    [(client_id, client)] = clients_of(pool).items()
    assert client["AllowedOAuthScopes"] == ["connected/register"]
    assert stack_parameters()["CognitoCallerClientIds"] == f"firstcallerid,{client_id}"


def test_a_scope_the_pool_does_not_have_creates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    pool = deployed_stack()

    assert run("add", "acme-ci", "--scope", "connected/everything") == 2

    assert "the user pool has no scope connected/everything" in capsys.readouterr().err
    assert clients_of(pool) == {}
    assert stack_parameters()["CognitoCallerClientIds"] == "none"


def test_a_caller_whose_audience_the_stack_cannot_take_leaves_no_app_client_behind() -> None:
    pool = deployed_stack()
    cloudformation = boto3.client("cloudformation")

    def refuse(**_kwargs: object) -> None:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "is in UPDATE_IN_PROGRESS"}}, "UpdateStack")

    cloudformation.update_stack = refuse
    stack = caller.read_stack(cloudformation, STACK)

    with pytest.raises(caller.CallerError, match=r"could not take the new audience.*UPDATE_IN_PROGRESS"):
        caller.add_caller(boto3.client("cognito-idp"), cloudformation, stack, "acme-ci", [])

    assert clients_of(pool) == {}


def test_a_revoked_caller_leaves_the_audience_before_its_client_is_deleted(capsys: pytest.CaptureFixture[str]) -> None:
    pool = deployed_stack()
    run("add", "acme-ci")
    run("add", "reporting")
    capsys.readouterr()
    first, second = stack_parameters()["CognitoCallerClientIds"].split(",")

    assert run("revoke", first) == 0

    assert stack_parameters()["CognitoCallerClientIds"] == second
    assert set(clients_of(pool)) == {second}
    assert run("revoke", second) == 0
    assert stack_parameters() == {"CognitoCallerClientIds": "none", "PoolId": pool, "LogLevel": "DEBUG"}
    assert clients_of(pool) == {}
    assert "its tokens are refused and its app client is deleted" in capsys.readouterr().out


def test_a_client_already_deleted_still_leaves_the_audience() -> None:
    deployed_stack(audience="goneclientid,keptclientid")

    assert run("revoke", "goneclientid") == 0

    assert stack_parameters()["CognitoCallerClientIds"] == "keptclientid"


def test_revoking_an_unknown_caller_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    deployed_stack(audience="keptclientid")

    assert run("revoke", "nosuchclientid") == 2

    assert "nosuchclientid is no caller of the stack connected-test" in capsys.readouterr().err
    assert stack_parameters()["CognitoCallerClientIds"] == "keptclientid"


def test_a_stack_not_deployed_with_cognito_has_no_callers(capsys: pytest.CaptureFixture[str]) -> None:
    deployed_stack(cognito=False)

    assert run("add", "acme-ci") == 2

    assert "was not deployed with AuthMode=cognito" in capsys.readouterr().err


def test_a_name_cognito_would_refuse_is_refused_first(capsys: pytest.CaptureFixture[str]) -> None:
    pool = deployed_stack()

    assert run("add", "acme/ci") == 2

    assert "'acme/ci' cannot name a caller" in capsys.readouterr().err
    assert clients_of(pool) == {}


def test_the_stack_is_samconfigs_for_env_unless_named() -> None:
    assert stack_name({}) == "connected-developers-dev"
    assert stack_name({"ENV": "prod"}) == "connected-developers-prod"
    assert stack_name({"STACK": "mine", "ENV": "prod"}) == "mine"
