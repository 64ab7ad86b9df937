"""Reads template.yaml, so that the local run and the tests use the deployed definitions (table schema,
routes, function environments) instead of copies that could drift."""

import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
REGISTER_TABLE = "RegisterTable"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation's short tags (`!Ref X`, `!GetAtt A.B`) as their long forms."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _short_tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        # _CloudFormationLoader is a SafeLoader: it builds plain data only.
        template: dict[str, Any] = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506  # nosec B506
    return template


def table_definition(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The register table's CreateTable arguments (all but its name), straight from the template."""
    properties = (template or load_template())["Resources"][REGISTER_TABLE]["Properties"]
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"],
        "BillingMode": properties["BillingMode"],
    }


def create_register_table(client: Any, table_name: str) -> None:
    """Creates the register table as the template defines it and waits until it is active."""
    client.create_table(TableName=table_name, **table_definition())
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})


@dataclass(frozen=True, slots=True)
class HttpRoute:
    method: str
    path: str
    function: str
    code_uri: Path
    handler: str


def http_routes(template: dict[str, Any] | None = None) -> list[HttpRoute]:
    """Every HttpApi event of every function: the routes API Gateway will serve."""
    template = template or load_template()
    routes: list[HttpRoute] = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        for event in properties.get("Events", {}).values():
            if event.get("Type") != "HttpApi":
                continue
            routes.append(
                HttpRoute(
                    method=event["Properties"]["Method"].upper(),
                    path=event["Properties"]["Path"],
                    function=logical_id,
                    code_uri=PROJECT_ROOT / properties["CodeUri"],
                    handler=properties["Handler"],
                )
            )
    return routes


def import_file_module(module_name: str, path: Path) -> ModuleType:
    """Imports a source file under a module name of its own, once per process: every function's handler
    module is called app, and the local run, the tests and the OpenAPI build load several in one process."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def function_environment(
    function: str, references: dict[str, str], template: dict[str, Any] | None = None
) -> dict[str, str]:
    """A function's environment variables (globals, then its own), with `!Ref`s replaced from `references`
    (template parameters default to their `Default`). A reference with no local value is left out, and so
    is an empty value: a slot for `sam local`'s env.json, filled here from the caller's own environment."""
    template = template or load_template()
    variables: dict[str, Any] = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    variables.update(own)
    parameters = template.get("Parameters", {})
    resolved: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            target = value["Ref"]
            if target in references:
                resolved[name] = references[target]
            elif target in parameters and "Default" in parameters[target]:
                resolved[name] = str(parameters[target]["Default"])
        elif isinstance(value, str | int | float) and str(value) != "":
            resolved[name] = str(value)
    return resolved
