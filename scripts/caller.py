"""The callers of a stack deployed with AuthMode=cognito, from an operator's shell with the operator's AWS
credentials (`make caller NAME=...`, `make caller-revoke CLIENT_ID=...`):

  add NAME            creates the caller NAME, a machine-to-machine app client of the stack's user pool (the
                      client credentials grant, a secret, the API's scopes or those given with --scope), and has
                      the API accept its tokens; prints its client id, its secret (shown this once) and the
                      token URL
  revoke CLIENT_ID    has the API refuse the caller's tokens, those already issued too, then deletes its client

Why each changes the stack: API Gateway's JWT authorizer accepts a token only when its aud claim, or its
client_id when it has no aud, is in the authorizer's audience, and Cognito's client-credentials access tokens
carry client_id and no aud. So the audience lists every caller's client id: the stack parameter
CognitoCallerClientIds, updated here with the template the stack was deployed with and every other parameter
as it is. The update sends that original template, never UsePreviousTemplate: AWS::LanguageExtensions writes
the values it resolves into the template CloudFormation keeps, which would keep the old audience. `make
deploy` keeps the list: sam deploy reuses the previous value of any parameter samconfig.toml does not set.
An update takes a minute or two; run one at a time.

The stack: STACK, else the stack of samconfig.toml's ENV (`default` unless set).

Exit status: 0 done; 2 bad input, or the stack is not in cognito mode or could not be updated.
"""

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stacks import StackError, describe_stack, outputs_of, stack_name

AUDIENCE_PARAMETER = "CognitoCallerClientIds"
NO_CALLER = "none"
"""The audience while there is no caller: a value no client id can be (they are 26 letters and digits)."""
TEMPLATE_BODY_LIMIT = 51_200
"""The most bytes UpdateStack takes as TemplateBody."""
CLIENT_NAME = re.compile(r"[\w\s+=,.@-]{1,128}")
ACCESS_TOKEN_MINUTES = 60


class CallerError(Exception):
    """Bad input, or a stack that cannot take the change; the message says what to do."""


@dataclass(frozen=True, slots=True)
class CallerStack:
    name: str
    user_pool_id: str
    token_url: str
    client_ids: tuple[str, ...]
    parameters: tuple[str, ...]
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewCaller:
    name: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="caller", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add")
    add.add_argument("name")
    add.add_argument("--scope", action="append", default=[], help="a scope the caller may ask for (default: all)")
    commands.add_parser("revoke").add_argument("client_id")
    arguments = parser.parse_args(argv)
    try:
        import boto3

        cloudformation, cognito = boto3.client("cloudformation"), boto3.client("cognito-idp")
        stack = read_stack(cloudformation, stack_name(environ))
        if arguments.command == "add":
            caller = add_caller(cognito, cloudformation, stack, arguments.name, arguments.scope)
            print(describe_new_caller(caller, stack.token_url))
            return 0
        revoke_caller(cognito, cloudformation, stack, arguments.client_id)
        print(f"{arguments.client_id}: its tokens are refused and its app client is deleted")
        return 0
    except (CallerError, StackError) as error:
        print(f"caller: {error}", file=sys.stderr)
        return 2


def read_stack(cloudformation: Any, name: str) -> CallerStack:
    described = describe_stack(cloudformation, name)
    outputs = outputs_of(described)
    parameters = {
        parameter["ParameterKey"]: parameter.get("ParameterValue", "") for parameter in described.get("Parameters", [])
    }
    if "UserPoolId" not in outputs or "TokenUrl" not in outputs or AUDIENCE_PARAMETER not in parameters:
        raise CallerError(f"the stack {name} was not deployed with AuthMode=cognito: it has no callers to manage")
    listed = [client_id.strip() for client_id in parameters[AUDIENCE_PARAMETER].split(",")]
    return CallerStack(
        name=name,
        user_pool_id=outputs["UserPoolId"],
        token_url=outputs["TokenUrl"],
        client_ids=tuple(client_id for client_id in listed if client_id and client_id != NO_CALLER),
        parameters=tuple(parameters),
        capabilities=tuple(described.get("Capabilities", [])),
    )


def add_caller(cognito: Any, cloudformation: Any, stack: CallerStack, name: str, scopes: Sequence[str]) -> NewCaller:
    if not CLIENT_NAME.fullmatch(name):
        raise CallerError(f"{name!r} cannot name a caller: 1 to 128 letters, digits, spaces and +=,.@-_")
    offered = pool_scopes(cognito, stack.user_pool_id)
    if unknown := sorted(set(scopes) - set(offered)):
        raise CallerError(f"the user pool has no scope {', '.join(unknown)}; it has {', '.join(offered)}")
    granted = tuple(scopes) or offered
    client = cognito.create_user_pool_client(
        UserPoolId=stack.user_pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=list(granted),
        AccessTokenValidity=ACCESS_TOKEN_MINUTES,
        TokenValidityUnits={"AccessToken": "minutes"},
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    try:
        set_audience(cloudformation, stack, [*stack.client_ids, client["ClientId"]])
    except CallerError:
        cognito.delete_user_pool_client(UserPoolId=stack.user_pool_id, ClientId=client["ClientId"])
        raise
    return NewCaller(name, client["ClientId"], client["ClientSecret"], granted)


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


def pool_scopes(cognito: Any, user_pool_id: str) -> tuple[str, ...]:
    servers = cognito.list_resource_servers(UserPoolId=user_pool_id, MaxResults=50)["ResourceServers"]
    return tuple(f"{server['Identifier']}/{scope['ScopeName']}" for server in servers for scope in server["Scopes"])


def set_audience(cloudformation: Any, stack: CallerStack, client_ids: Sequence[str]) -> None:
    """Updates the stack's CognitoCallerClientIds, every other parameter and the template as they are."""
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError

    template = cloudformation.get_template(StackName=stack.name, TemplateStage="Original")["TemplateBody"]
    body = template if isinstance(template, str) else json.dumps(template)
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        raise CallerError(f"the stack's template is over {TEMPLATE_BODY_LIMIT} bytes, too big for UpdateStack")
    parameters: list[dict[str, Any]] = [
        {"ParameterKey": key, "UsePreviousValue": True} for key in stack.parameters if key != AUDIENCE_PARAMETER
    ]
    parameters.append({"ParameterKey": AUDIENCE_PARAMETER, "ParameterValue": ",".join(client_ids) or NO_CALLER})
    try:
        cloudformation.update_stack(
            StackName=stack.name, TemplateBody=body, Parameters=parameters, Capabilities=list(stack.capabilities)
        )
        cloudformation.get_waiter("stack_update_complete").wait(
            StackName=stack.name, WaiterConfig={"Delay": 10, "MaxAttempts": 90}
        )
    except (BotoCoreError, ClientError, WaiterError) as error:
        raise CallerError(f"the stack {stack.name} could not take the new audience: {error}") from error


def describe_new_caller(caller: NewCaller, token_url: str) -> str:
    return "\n".join(
        [
            f"caller {caller.name}",
            f"  client id      {caller.client_id}",
            f"  client secret  {caller.client_secret}",
            f"  token URL      {token_url}",
            f"  scopes         {' '.join(caller.scopes)}",
            "The secret is shown this once: hand it to the caller through a secret store, never a chat or a ticket.",
            f"A token (valid {ACCESS_TOKEN_MINUTES} minutes), then a call:",
            f'  curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials {token_url}',
            '  curl -H "Authorization: Bearer $ACCESS_TOKEN" "$API_URL/connected/usage"',
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
