"""Reads template.yaml, so that the local run and the tests use the deployed definitions (table schema,
routes, function environments) instead of copies that could drift."""

import copy
import importlib.util
import sys
from collections.abc import Mapping
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


NO_VALUE = {"Ref": "AWS::NoValue"}


def template_for_parameters(parameters: Mapping[str, str], template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template as a stack deployed with `parameters` has it, for what these parameters decide: each Fn::If
    of Resources and Outputs on a condition they decide becomes its chosen branch (AWS::LanguageExtensions does
    so before the SAM transform), an AWS::NoValue takes its key or item away, and a resource or output on such
    a condition stays unconditionally or goes (CloudFormation does so). The given values become the
    parameters' defaults, so that a linter reading the result judges that deployment."""
    resolved = copy.deepcopy(template or load_template())
    declared = resolved.get("Parameters", {})
    for name, value in parameters.items():
        if name not in declared:
            raise KeyError(f"template.yaml has no parameter {name}")
        declared[name]["Default"] = value
    conditions = resolved.get("Conditions", {})
    decided = {
        name: truth
        for name in conditions
        if (truth := _condition_truth({"Condition": name}, conditions, dict(parameters))) is not None
    }
    for section in ("Resources", "Outputs"):
        if section not in resolved:
            continue
        entries = {}
        for key, entry in _choose_branches(resolved[section], decided).items():
            condition = entry.get("Condition")
            if condition in decided:
                if not decided[condition]:
                    continue
                del entry["Condition"]
            entries[key] = entry
        resolved[section] = entries
    resolved["Conditions"] = {name: value for name, value in conditions.items() if name not in decided}
    if not resolved["Conditions"]:
        del resolved["Conditions"]
    return resolved


def _condition_truth(expression: Any, conditions: dict[str, Any], values: dict[str, str]) -> bool | None:
    """A condition's value when the parameters decide it, else None (it waits for the deployment)."""
    if not isinstance(expression, dict) or len(expression) != 1:
        return None
    [(function, arguments)] = expression.items()
    if function == "Condition":
        return _condition_truth(conditions[arguments], conditions, values)
    if function == "Fn::Equals":
        left, right = (_parameter_value(argument, values) for argument in arguments)
        return None if left is None or right is None else left == right
    truths = [_condition_truth(argument, conditions, values) for argument in arguments]
    if None in truths:
        return None
    if function == "Fn::Not":
        return not truths[0]
    if function == "Fn::And":
        return all(truths)
    if function == "Fn::Or":
        return any(truths)
    return None


def _parameter_value(argument: Any, values: dict[str, str]) -> str | None:
    if isinstance(argument, dict) and set(argument) == {"Ref"}:
        return values.get(argument["Ref"])
    return None if isinstance(argument, dict | list) else str(argument)


def _choose_branches(node: Any, decided: dict[str, bool]) -> Any:
    if isinstance(node, dict):
        branches = node.get("Fn::If")
        if len(node) == 1 and isinstance(branches, list) and len(branches) == 3:
            name, when_true, when_false = branches
            if name in decided:
                return _choose_branches(when_true if decided[name] else when_false, decided)
            return {"Fn::If": [name, _choose_branches(when_true, decided), _choose_branches(when_false, decided)]}
        chosen = {key: _choose_branches(value, decided) for key, value in node.items()}
        return {key: value for key, value in chosen.items() if value != NO_VALUE}
    if isinstance(node, list):
        return [item for item in (_choose_branches(item, decided) for item in node) if item != NO_VALUE]
    return node


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
