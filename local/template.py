"""Reads template.yaml, so that the local run, the tests and the scripts use the deployed definitions (table schema,
routes, function environments) instead of copies that could drift. Not with cfn-lint's decoder: importing it
imports all of cfn-lint, 6 to 7 s that `make run` and every test process would pay for `_Loader`'s ten lines."""

import copy
import importlib.util
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
REGISTER_TABLE = "RegisterTable"
NO_VALUE = {"Ref": "AWS::NoValue"}


class _Loader(yaml.SafeLoader):
    """Keeps CloudFormation's short tags (`!Ref X`, `!GetAtt A.B`) as their long forms."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref": value} if suffix == "Ref" else {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    # _Loader is a SafeLoader: it builds plain data only.
    template: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506  # nosec B506
    return template


def template_for_parameters(parameters: Mapping[str, str], template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template as a stack deployed with `parameters` has it, for what they decide: each Fn::If of Resources
    and Outputs on a decided condition becomes its branch, an AWS::NoValue goes, a resource or output on such a
    condition stays or goes; and the values become the parameters' defaults, for the linters to judge."""
    resolved = copy.deepcopy(template or load_template())
    declared = resolved.get("Parameters", {})
    for name, value in parameters.items():
        if name not in declared:
            raise KeyError(f"template.yaml has no parameter {name}")
        declared[name]["Default"] = value
    conditions = resolved.get("Conditions", {})
    truths = {name: _truth({"Condition": name}, conditions, dict(parameters)) for name in conditions}
    decided = {name: truth for name, truth in truths.items() if truth is not None}
    for section in ("Resources", "Outputs"):
        if section in resolved:
            entries = _chosen(resolved[section], decided).items()
            resolved[section] = {
                key: {name: value for name, value in entry.items() if name != "Condition" or value not in decided}
                for key, entry in entries
                if decided.get(entry.get("Condition"), True)
            }
    resolved["Conditions"] = {name: value for name, value in conditions.items() if name not in decided}
    if not resolved["Conditions"]:
        del resolved["Conditions"]
    return resolved


def _truth(expression: Any, conditions: dict[str, Any], values: dict[str, str]) -> bool | None:
    """A condition's value when the parameters decide it, else None (it waits for the deployment)."""
    if not isinstance(expression, dict) or len(expression) != 1:
        return None
    [(function, arguments)] = expression.items()
    if function == "Condition":
        return _truth(conditions[arguments], conditions, values)
    if function == "Fn::Equals":
        left, right = (_value(argument, values) for argument in arguments)
        return None if left is None or right is None else left == right
    truths = [_truth(argument, conditions, values) for argument in arguments]
    combine = {"Fn::Not": lambda: not truths[0], "Fn::And": lambda: all(truths), "Fn::Or": lambda: any(truths)}
    return None if None in truths or function not in combine else combine[function]()


def _value(argument: Any, values: dict[str, str]) -> str | None:
    if isinstance(argument, dict) and set(argument) == {"Ref"}:
        return values.get(argument["Ref"])
    return None if isinstance(argument, dict | list) else str(argument)


def _chosen(node: Any, decided: dict[str, bool]) -> Any:
    if isinstance(node, list):
        return [item for item in (_chosen(item, decided) for item in node) if item != NO_VALUE]
    if not isinstance(node, dict):
        return node
    branches = node.get("Fn::If")
    if len(node) == 1 and isinstance(branches, list) and len(branches) == 3:
        name, *chosen = (_chosen(branch, decided) for branch in branches)
        return chosen[not decided[name]] if name in decided else {"Fn::If": [name, *chosen]}
    return {key: chosen for key, value in node.items() if (chosen := _chosen(value, decided)) != NO_VALUE}


def table_definition(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The register table's CreateTable arguments (all but its name), straight from the template."""
    properties = (template or load_template())["Resources"][REGISTER_TABLE]["Properties"]
    names = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    return {name: properties[name] for name in names}


def create_register_table(client: Any, table_name: str) -> None:
    """Creates the register table as the template defines it and waits until it is active."""
    client.create_table(TableName=table_name, **table_definition())
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})


class HttpRoute(NamedTuple):
    method: str
    path: str
    function: str
    code_uri: Path
    handler: str


def http_routes(template: dict[str, Any] | None = None) -> list[HttpRoute]:
    """Every HttpApi event of every function: the routes API Gateway will serve."""
    return [
        HttpRoute(
            event["Properties"]["Method"].upper(),
            event["Properties"]["Path"],
            logical_id,
            PROJECT_ROOT / resource["Properties"]["CodeUri"],
            resource["Properties"]["Handler"],
        )
        for logical_id, resource in (template or load_template())["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event.get("Type") == "HttpApi"
    ]


def import_file_module(module_name: str, path: Path) -> ModuleType:
    """Imports a source file under a module name of its own, once per process: every function's handler
    module is called app, and the local run, the tests and the OpenAPI build load several in one process."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = sys.modules[module_name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def function_environment(
    function: str, references: dict[str, str], template: dict[str, Any] | None = None
) -> dict[str, str]:
    """A function's environment variables (globals, then its own), `!Ref`s from `references` or a parameter's
    `Default`; an empty value or an unresolved reference (a slot for `sam local`'s env.json) is left out."""
    template = template or load_template()
    environments = (template.get("Globals", {}).get("Function", {}), template["Resources"][function]["Properties"])
    variables = {k: v for found in environments for k, v in found.get("Environment", {}).get("Variables", {}).items()}
    defaults = {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}
    resolved: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value:
            if (target := value["Ref"]) in references or target in defaults:
                resolved[name] = references.get(target, defaults.get(target, ""))
        elif isinstance(value, str | int | float) and str(value) != "":
            resolved[name] = str(value)
    return resolved
