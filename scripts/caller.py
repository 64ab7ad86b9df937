"""The callers of a stack deployed with AuthMode=cognito (`make caller NAME=...`, `make caller-revoke CLIENT_ID=...`):
machine-to-machine app clients of its user pool, made and revoked with the operator's AWS credentials, on the stack
STACK, else samconfig.toml's for ENV (`default` unless set).

Each updates the stack parameter CognitoCallerClientIds, the JWT authorizer's audience, which must list every caller
(docs/callers-and-budgets.md says why): a minute or two; run one at a time. Exit status: 0 done; 2 bad input, or the
stack is not in cognito mode or could not be updated.
"""

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stacks import StackError, describe_stack, outputs_of, stack_name

AUDIENCE_PARAMETER = "CognitoCallerClientIds"
NO_CALLER = "none"
"""The audience while there is no caller: a value no client id can be (they are 26 letters and digits)."""
CLIENT_NAME = re.compile(r"[\w\s+=,.@-]{1,128}")
ACCESS_TOKEN_MINUTES = 60


class CallerError(Exception):
    """Bad input, or a stack that cannot take the change; the message says what to do."""


class CallerStack(NamedTuple):
    name: str
    user_pool_id: str
    token_url: str
    client_ids: tuple[str, ...]
    other_parameters: tuple[str, ...]
    capabilities: tuple[str, ...]


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="caller", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="a new caller whose tokens the API accepts: its client id and secret")
    add.add_argument("name")
    add.add_argument("--scope", action="append", default=[], help="a scope the caller may ask for (default: all)")
    revoke = commands.add_parser("revoke", help="the API refuses the caller's tokens, then its client is deleted")
    revoke.add_argument("client_id")
    arguments = parser.parse_args(argv)
    try:
        import boto3

        cloudformation, cognito = boto3.client("cloudformation"), boto3.client("cognito-idp")
        stack = read_stack(cloudformation, stack_name(environ))
        if arguments.command == "add":
            print(add_caller(cognito, cloudformation, stack, arguments.name, arguments.scope))
        else:
            revoke_caller(cognito, cloudformation, stack, arguments.client_id)
            print(f"{arguments.client_id}: its tokens are refused and its app client is deleted")
    except (CallerError, StackError) as error:
        print(f"caller: {error}", file=sys.stderr)
        return 2
    return 0


def read_stack(cloudformation: Any, name: str) -> CallerStack:
    described = describe_stack(cloudformation, name)
    outputs = outputs_of(described)
    parameters = {entry["ParameterKey"]: entry.get("ParameterValue", "") for entry in described.get("Parameters", [])}
    if "UserPoolId" not in outputs or "TokenUrl" not in outputs or AUDIENCE_PARAMETER not in parameters:
        raise CallerError(f"the stack {name} was not deployed with AuthMode=cognito: it has no callers to manage")
    listed = (client_id.strip() for client_id in parameters[AUDIENCE_PARAMETER].split(","))
    client_ids = tuple(client_id for client_id in listed if client_id not in ("", NO_CALLER))
    others = tuple(key for key in parameters if key != AUDIENCE_PARAMETER)
    capabilities = tuple(described.get("Capabilities", []))
    return CallerStack(name, outputs["UserPoolId"], outputs["TokenUrl"], client_ids, others, capabilities)


def add_caller(cognito: Any, cloudformation: Any, stack: CallerStack, name: str, scopes: Sequence[str]) -> str:
    """Creates the caller and has the API accept its tokens; says what the operator hands on, and how."""
    if not CLIENT_NAME.fullmatch(name):
        raise CallerError(f"{name!r} cannot name a caller: 1 to 128 letters, digits, spaces and +=,.@-_")
    servers = cognito.list_resource_servers(UserPoolId=stack.user_pool_id, MaxResults=50)["ResourceServers"]
    offered = [f"{server['Identifier']}/{scope['ScopeName']}" for server in servers for scope in server["Scopes"]]
    if unknown := sorted(set(scopes) - set(offered)):
        raise CallerError(f"the user pool has no scope {', '.join(unknown)}; it has {', '.join(offered)}")
    client = cognito.create_user_pool_client(
        UserPoolId=stack.user_pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=list(scopes or offered),
        AccessTokenValidity=ACCESS_TOKEN_MINUTES,
        TokenValidityUnits={"AccessToken": "minutes"},
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    try:
        set_audience(cloudformation, stack, [*stack.client_ids, client["ClientId"]])
    except CallerError:
        cognito.delete_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=client["ClientId"])
        raise
    return (
        f"caller {name}\n  client id      {client['ClientId']}\n  client secret  {client['ClientSecret']}\n"
        f"  token URL      {stack.token_url}\n  scopes         {' '.join(scopes or offered)}\n"
        "The secret is shown this once: hand it to the caller through a secret store, never a chat or a ticket.\n"
        f"A token (valid {ACCESS_TOKEN_MINUTES} minutes), then a call:\n"
        f'  curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials {stack.token_url}\n'
        '  curl -H "Authorization: Bearer $ACCESS_TOKEN" "$API_URL/connected/usage"'
    )


def revoke_caller(cognito: Any, cloudformation: Any, stack: CallerStack, client_id: str) -> None:
    """The audience first: deleting an app client leaves the tokens it already has valid until they expire."""
    from botocore.exceptions import ClientError

    if client_id in stack.client_ids:
        set_audience(cloudformation, stack, [known for known in stack.client_ids if known != client_id])
    try:
        cognito.delete_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=client_id)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise CallerError(f"the app client {client_id} could not be deleted ({error})") from error
        if client_id not in stack.client_ids:
            raise CallerError(f"{client_id} is no caller of the stack {stack.name}") from error


def set_audience(cloudformation: Any, stack: CallerStack, client_ids: Sequence[str]) -> None:
    """Updates the stack's CognitoCallerClientIds, every other parameter as it is, with the template it was deployed
    with; never UsePreviousTemplate: AWS::LanguageExtensions writes the values it resolves into the template
    CloudFormation keeps, which would keep the old audience."""
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError

    template = cloudformation.get_template(StackName=stack.name, TemplateStage="Original")["TemplateBody"]
    body = template if isinstance(template, str) else json.dumps(template)  # over 51,200 bytes, UpdateStack says so
    audience = {"ParameterKey": AUDIENCE_PARAMETER, "ParameterValue": ",".join(client_ids) or NO_CALLER}
    parameters = [*({"ParameterKey": key, "UsePreviousValue": True} for key in stack.other_parameters), audience]
    try:
        cloudformation.update_stack(
            StackName=stack.name, TemplateBody=body, Parameters=parameters, Capabilities=list(stack.capabilities)
        )
        cloudformation.get_waiter("stack_update_complete").wait(
            StackName=stack.name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
        )
    except (BotoCoreError, ClientError, WaiterError) as error:
        raise CallerError(f"the stack {stack.name} could not take the new audience: {error}") from error


if __name__ == "__main__":
    sys.exit(main())
