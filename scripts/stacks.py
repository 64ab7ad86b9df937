"""The deployed stack an operator's command works on: STACK when set, else samconfig.toml's stack for ENV
(`default` unless set), read with the operator's AWS credentials."""

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SAMCONFIG = Path(__file__).resolve().parent.parent / "samconfig.toml"


class StackError(Exception):
    """The stack cannot be named or read, or lacks what is asked of it; the message says why."""


def stack_name(environ: Mapping[str, str], samconfig: Path = SAMCONFIG) -> str:
    if environ.get("STACK", "").strip():
        return environ["STACK"].strip()
    environment = environ.get("ENV", "").strip() or "default"
    config = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    try:
        return str(config[environment]["global"]["parameters"]["stack_name"])
    except KeyError:
        raise StackError(f"samconfig.toml has no stack_name for ENV={environment}: set STACK") from None


def describe_stack(cloudformation: Any, name: str) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described: dict[str, Any] = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except (BotoCoreError, ClientError) as error:
        raise StackError(f"the stack {name} cannot be read ({error}): set STACK or ENV") from error
    return described


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def stack_output(environ: Mapping[str, str], key: str, variable: str) -> str:
    """The stack's output `key`: what the setting `variable` gives when set."""
    import boto3

    try:
        name = stack_name(environ)
        outputs = outputs_of(describe_stack(boto3.client("cloudformation"), name))
    except StackError as error:
        raise StackError(f"{error}, or {variable}") from error
    if key not in outputs:
        raise StackError(f"the stack {name} has no {key} output: set {variable}")
    return outputs[key]
