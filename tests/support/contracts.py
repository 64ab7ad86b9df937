"""Holds the test fakes' answers to the vendors' own descriptions of them: the response schemas extracted into
tests/contracts/ by scripts/extract_vendor_specs.py, and, on top of those, the fields this product reads, which must be
present and typed as the descriptions say even where the descriptions leave them optional."""

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from jsonschema import exceptions, validators  # type: ignore[import-untyped]

Vendor = Literal["x", "github"]

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"

# X's OpenAPI document spells problem types under api.x.com since its 2026-08-07 revision; X's answers and its own
# examples still often spell them under api.twitter.com, and the product matches only the end of a type. An answer in
# the old spelling is checked as if written in the new one.
LEGACY_X_PROBLEMS = "https://api.twitter.com/2/problems/"
X_PROBLEMS = "https://api.x.com/2/problems/"

# What this product reads, as paths into an answer: "[]" stands for each item of a list (an absent list has none).
# A trailing "?" marks a field that may be absent but must be typed as described when present.
X_USERS = (
    "data[].id",
    "data[].username",
    "data[].protected",
    "data[].public_metrics.followers_count",
    "data[].public_metrics.following_count",
    "errors[].title",
    "errors[].type",
)
X_FOLLOWS = ("data[].id", "meta.result_count", "meta.next_token?", "errors[].title", "errors[].type")
X_FOLLOW_ERRORS_ONLY = ("errors[].title", "errors[].type")
X_PROBLEM = ("title", "type", "detail?")
GITHUB_READS = {"GET /users/{username}/orgs": ("[].login",), "GET /users/{username}": ("login", "type")}
GITHUB_ERROR = ("message",)
UNKNOWN_USER_FIELDS = ("value", "resource_id", "detail")

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


class ContractViolation(AssertionError):  # noqa: N818 - the name the fakes and tests use
    pass


def check_answer(vendor: Vendor, operation: str, status: int, body: Any, follows: str | None = None) -> None:
    """Raises `ContractViolation` when `body` is not what the vendor's description says `operation` answers with
    `status`, or lacks a field the product reads.

    `follows` names the vendor's prose document an answer follows where the description is silent: X's 402
    credits-depleted and 429 usage-capped problems, and its `about:blank` problems for plain HTTP errors. Such an
    answer is held to the fields the product reads; one whose problem type the description does know is checked in
    full, citation or not."""
    key, schema, validator = _described(vendor, operation, status)
    if vendor == "x":
        body = _current_spelling(body)
        if follows is not None and _undescribed_problems(schema, body):
            _check_cited_problem(operation, status, body, follows)
            return
        _check_problem_types(operation, status, key, schema, body)
    for path in _reads(vendor, operation, status, body):
        _check_read(vendor, operation, status, schema, body, path)
    if (vendor, operation, status) == ("x", "GET /2/users/by", 200):
        _check_unknown_users(body)
    error = exceptions.best_match(validator.iter_errors(body))
    if error is not None:
        message = f"{_where(error)}: {_shortened(error.message)}"
        if error.context:
            closest = error
            while closest.context:
                closest = exceptions.best_match(closest.context)
            message += f" (closest: {_where(closest)}: {_shortened(closest.message)})"
        raise ContractViolation(f"{vendor} {operation} {status} (described as {key!r}): {message}")


@functools.cache
def _contract(vendor: Vendor) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONTRACTS / f"{vendor}.json").read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _described(vendor: Vendor, operation: str, status: int) -> tuple[str, Any, Any]:
    """Which answer of the description covers `status`, its schema, and a validator for it."""
    key, schema = _schema_for(vendor, operation, status)
    validator = validators.validator_for({"$schema": _contract(vendor)["json_schema_dialect"]})(schema)
    return key, schema, validator


def _shortened(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def _where(error: Any) -> str:
    return "".join(f"[{part!r}]" for part in error.absolute_path) or "the body"


def _schema_for(vendor: Vendor, operation: str, status: int) -> tuple[str, Any]:
    contract = _contract(vendor)
    answers = contract["operations"].get(operation)
    if answers is None:
        raise ContractViolation(
            f"{vendor}'s description has no operation {operation!r}: {sorted(contract['operations'])}"
        )
    for key in (str(status), "default"):
        if key in answers:
            return key, answers[key]
    if str(status) in contract["fallbacks"]:
        return f"shared {status}", contract["fallbacks"][str(status)]
    if vendor == "github" and status >= 400:
        # GitHub's description answers every error of its operations with basic-error (401, 410, 422, 500, 503 ...)
        return f"shared {status}", contract["fallbacks"]["404"]
    raise ContractViolation(
        f"{vendor}'s description covers neither {status} nor a default answer for {operation} (it lists "
        f"{sorted(answers)}), and has no shared answer for {status} (it has {sorted(contract['fallbacks'])})"
    )


def _current_spelling(body: Any) -> Any:
    body = copy.deepcopy(body)
    for problem in _problems(body):
        kind = problem.get("type")
        if isinstance(kind, str) and kind.startswith(LEGACY_X_PROBLEMS):
            problem["type"] = X_PROBLEMS + kind.removeprefix(LEGACY_X_PROBLEMS)
    return body


def _problems(body: Any) -> list[dict[str, Any]]:
    """X's problem objects in an answer: the body itself, and the items of its `errors`."""
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    listed = [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []
    return [body, *listed] if "type" in body else listed


def _check_problem_types(operation: str, status: int, key: str, schema: Any, body: Any) -> None:
    """Names the missing description when a problem's type is one X's document does not describe and the document has
    no generic problem to take it (its Problem is a closed oneOf of typed problems)."""
    known, generic = _problem_types(schema)
    if generic:
        return
    for problem in _problems(body):
        kind = problem.get("type")
        if isinstance(kind, str) and kind not in known:
            raise ContractViolation(
                f"x {operation} {status} (described as {key!r}): X's description has no problem schema for type "
                f"{kind!r} and no generic problem to fall back on; it describes {sorted(known)}"
            )


def _undescribed_problems(schema: Any, body: Any) -> bool:
    known, generic = _problem_types(schema)
    return not generic and any(problem.get("type") not in known for problem in _problems(body))


def _check_cited_problem(operation: str, status: int, body: Any, follows: str) -> None:
    for problem in _problems(body):
        for name in ("title", "type"):
            if not isinstance(problem.get(name), str):
                raise ContractViolation(f"x {operation} {status} (following {follows}): a problem lacks its {name}")
        if "detail" in problem and not isinstance(problem["detail"], str):
            raise ContractViolation(f"x {operation} {status} (following {follows}): a problem's detail is no string")


def _problem_types(schema: Any) -> tuple[set[str], bool]:
    known: set[str] = set()
    generic = False
    for node in _subschemas(schema):
        kind = node.get("properties", {}).get("type")
        if isinstance(kind, dict) and "title" in node.get("properties", {}):
            if "enum" in kind:
                known.update(value for value in kind["enum"] if isinstance(value, str))
            else:
                generic = True
    return known, generic


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, list):
        for item in schema:
            yield from _subschemas(item)
    elif isinstance(schema, dict):
        yield schema
        for key in ("items", "oneOf", "anyOf", "allOf"):
            yield from _subschemas(schema.get(key))
        for sub in schema.get("properties", {}).values():
            yield from _subschemas(sub)


def _reads(vendor: Vendor, operation: str, status: int, body: Any) -> tuple[str, ...]:
    if status >= 400:
        return X_PROBLEM if vendor == "x" else GITHUB_ERROR
    if vendor == "github":
        return GITHUB_READS.get(operation, ())
    if operation == "GET /2/users/by":
        return X_USERS
    errors_only = isinstance(body, dict) and "errors" in body and not {"data", "meta"} & body.keys()
    return X_FOLLOW_ERRORS_ONLY if errors_only else X_FOLLOWS


def _check_read(vendor: Vendor, operation: str, status: int, schema: Any, body: Any, path: str) -> None:
    optional = path.endswith("?")
    parts = _parts(path.removesuffix("?"))
    described = _described_types(schema, parts)
    if not described:
        raise ContractViolation(f"{vendor}'s description of {operation} {status} gives no type for {path}")
    for where, value in _values(body, parts, ""):
        if value is _MISSING:
            if not optional:
                raise ContractViolation(f"{vendor} {operation} {status}: {where or 'the body'} is missing ({path})")
        elif not any(_is(value, kind) for kind in described):
            raise ContractViolation(
                f"{vendor} {operation} {status}: {where} is {value!r}, described as {' or '.join(sorted(described))}"
            )


def _check_unknown_users(body: Any) -> None:
    for index, problem in enumerate(_problems(body)):
        kind = problem.get("type")
        named = any(isinstance(problem.get(name), str) for name in UNKNOWN_USER_FIELDS)
        if isinstance(kind, str) and kind.endswith("/resource-not-found") and not named:
            raise ContractViolation(
                f"x GET /2/users/by 200: errors[{index}] names no unknown user (none of {UNKNOWN_USER_FIELDS})"
            )


def _parts(path: str) -> list[str]:
    return [part for part in path.replace("[]", ".[].").split(".") if part]


def _described_types(schema: Any, parts: list[str]) -> set[str]:
    """The JSON types the schema allows at `parts`, through every oneOf/anyOf/allOf branch that describes it."""
    if not isinstance(schema, dict):
        return set()
    found: set[str] = set()
    if not parts:
        declared = schema.get("type")
        found.update(declared if isinstance(declared, list) else [declared] if isinstance(declared, str) else [])
    elif parts[0] == "[]":
        found |= _described_types(schema.get("items"), parts[1:])
    elif parts[0] in schema.get("properties", {}):
        found |= _described_types(schema["properties"][parts[0]], parts[1:])
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, []):
            found |= _described_types(branch, parts)
    return found


class _Missing:
    pass


_MISSING = _Missing()


def _values(node: Any, parts: list[str], where: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield where, node
    elif parts[0] == "[]":
        for index, item in enumerate(node if isinstance(node, list) else []):
            yield from _values(item, parts[1:], f"{where}[{index}]")
    elif isinstance(node, dict) and parts[0] in node:
        yield from _values(node[parts[0]], parts[1:], f"{where}.{parts[0]}".lstrip("."))
    elif parts[1:2] != ["[]"]:
        yield f"{where}.{parts[0]}".lstrip("."), _MISSING


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, JSON_TYPES.get(kind, ()))
