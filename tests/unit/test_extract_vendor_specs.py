"""scripts/extract_vendor_specs.py on a small document of the vendors' layout: what it keeps of a response schema,
what it records of how and from where, and the documents it refuses."""

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import extract_vendor_specs

USER = {"type": "object", "title": "User", "properties": {"id": {"type": "string", "pattern": "^[0-9]+$"}}}
KEPT_OF_USER = {"type": "object", "properties": USER["properties"]}
ERROR = {"type": "object", "properties": {"message": {"type": "string"}}}
X_PATHS = ("/2/users/by", "/2/users/{id}/following", "/2/users/{id}/followers")


def answer(schema: Any, problem: Any = None) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    if problem is not None:
        content["application/problem+json"] = {"schema": problem}
    return {"description": "an answer", "content": content}


def document() -> dict[str, Any]:
    """X's three operations and GitHub's two, with the answers GitHub's fallbacks point at."""
    user = {"$ref": "#/components/schemas/User"}
    listed = answer({"type": "object", "properties": {"data": {"type": "array", "items": user}, "includes": user}})
    paths: dict[str, Any] = {path: {"get": {"responses": {"200": listed}}} for path in X_PATHS}
    orgs = {"200": answer({"type": "array", "items": user}), "304": {"description": "not modified"}}
    paths["/users/{username}/orgs"] = {"get": {"responses": orgs}}
    nullable = {"$ref": "#/components/schemas/Nullable"}
    users = {"404": {"$ref": "#/components/responses/not_found"}, "422": answer(ERROR, nullable)}
    paths["/users/{username}"] = {"get": {"responses": users}}
    paths["/advisories"] = {"get": {"responses": {"429": answer(ERROR)}}}
    schemas = {"User": USER, "Nullable": {"type": "string", "enum": ["a"], "nullable": True, "example": "a"}}
    responses = {"forbidden": answer(ERROR), "not_found": answer(ERROR)}
    components = {"schemas": schemas, "responses": responses}
    return {"openapi": "3.0.0", "info": {"version": "1"}, "paths": paths, "components": components}


def run(tmp_path: Path, spec: dict[str, Any], *extra: str) -> int:
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    given = {"spec": str(tmp_path / "spec.json"), "repository": "owner/name", "path": "spec.json", "commit": "abc123"}
    argv = [arg for vendor in ("x", "github") for name, value in given.items() for arg in (f"--{vendor}-{name}", value)]
    return extract_vendor_specs.main([*argv, *extra, "--output", str(tmp_path)])


def written(tmp_path: Path, vendor: str) -> Any:
    return json.loads((tmp_path / f"{vendor}.json").read_text(encoding="utf-8"))


def test_references_are_resolved_and_only_json_schema_keywords_are_kept(tmp_path: Path) -> None:
    assert run(tmp_path, document()) == 0

    github = written(tmp_path, "github")
    assert github["operations"]["GET /users/{username}/orgs"] == {"200": {"type": "array", "items": KEPT_OF_USER}}
    assert github["operations"]["GET /users/{username}"]["404"] == ERROR
    nullable = {"type": ["string", "null"], "enum": ["a", None]}
    assert github["operations"]["GET /users/{username}"]["422"] == {"anyOf": [ERROR, nullable]}
    assert github["fallbacks"] == {"403": ERROR, "404": ERROR, "429": ERROR}
    assert github["transformations"]["stripped_keywords"] == ["example", "title"]
    assert github["transformations"]["answers_without_json_body"] == ["GET /users/{username}/orgs 304"]


def test_x_includes_is_left_unresolved_in_every_200(tmp_path: Path) -> None:
    assert run(tmp_path, document()) == 0

    x = written(tmp_path, "x")
    assert [f"GET {path}" for path in X_PATHS] == list(x["operations"])
    for answers in x["operations"].values():
        assert answers["200"]["properties"] == {
            "data": {"type": "array", "items": KEPT_OF_USER},
            "includes": {"type": "object"},
        }
    assert len(x["transformations"]["pruned"]) == 3


def test_each_contract_records_its_source(tmp_path: Path) -> None:
    assert run(tmp_path, document(), "--github-note", "a subset", "--github-date", "2026-11-29") == 0

    github, x = written(tmp_path, "github"), written(tmp_path, "x")
    assert {key: github["source"][key] for key in ("repository", "path", "commit", "date", "openapi", "note")} == {
        "repository": "owner/name",
        "path": "spec.json",
        "commit": "abc123",
        "date": "2026-11-29",
        "openapi": "3.0.0",
        "note": "a subset",
    }
    assert x["source"]["date"] is None
    assert "note" not in x["source"]
    assert x["json_schema_dialect"] == github["json_schema_dialect"] == "http://json-schema.org/draft-04/schema#"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda spec: spec["components"]["schemas"].update(User={"$ref": "#/components/schemas/User"}), "to itself"),
        (lambda spec: spec["components"]["schemas"].update(User={"$ref": "other.json#/User"}), "only local"),
        (lambda spec: spec["components"]["responses"].pop("forbidden"), "#/components/responses/forbidden is not in"),
        (lambda spec: spec["paths"].pop("/users/{username}"), "#/paths/~1users~1{username}/get is not in"),
    ],
)
def test_a_document_it_cannot_read_whole_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, refusal: str
) -> None:
    spec = document()
    change(spec)

    assert run(tmp_path, spec) != 0

    assert refusal in capsys.readouterr().err
