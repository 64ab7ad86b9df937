"""Extracts, from X's and GitHub's own OpenAPI documents, the response schemas of the few operations this product
calls, into small self-contained files under tests/contracts/ that the test fakes' answers are checked against
(tests/support/contracts.py).

Run by hand when a vendor's description changes, e.g.:

    python scripts/extract_vendor_specs.py \\
        --x-spec /tmp/x-openapi.json --x-repository xdevplatform/docs --x-path openapi.json \\
        --x-commit <sha> --x-date <commit date> \\
        --github-spec /tmp/api.github.com.json --github-repository github/rest-api-description \\
        --github-path descriptions/api.github.com/api.github.com.json --github-commit <sha> --github-date <date>

A spec may also be a subset of the vendor's document (same layout, only the paths and components used); say how it
was made with --x-note / --github-note, which is recorded in the output.
"""

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = PROJECT_ROOT / "tests" / "contracts"
EXTRACTED_BY = "scripts/extract_vendor_specs.py"

# OpenAPI 3.0 Schema Objects are an extended subset of JSON Schema Wright draft 00 (the draft-04/05 family); once
# `nullable` is rewritten into the type, what is kept below means the same under draft 04.
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-04/schema#"
KEPT_KEYWORDS = frozenset(
    {
        "type",
        "required",
        "properties",
        "items",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "enum",
        "pattern",
        "format",
        "additionalProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)
JSON_MEDIA_TYPES = ("application/json", "application/problem+json")


@dataclass(frozen=True)
class Vendor:
    name: str
    operations: Mapping[str, tuple[str, str]]  # "GET /path" -> (path template, method)
    # Components not tied to one of those operations: kept under "fallbacks", for statuses an operation lists neither
    # itself nor through a `default` answer, as JSON pointers into the document.
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    # Properties left unresolved, as {"type": "object"}: (operation, status, dotted property path).
    pruned: tuple[tuple[str, str, str], ...] = ()


X = Vendor(
    name="x",
    operations={
        "GET /2/users/by": ("/2/users/by", "get"),
        "GET /2/users/{id}/following": ("/2/users/{id}/following", "get"),
        "GET /2/users/{id}/followers": ("/2/users/{id}/followers", "get"),
    },
    pruned=tuple(
        (operation, "200", "includes")
        for operation in ("GET /2/users/by", "GET /2/users/{id}/following", "GET /2/users/{id}/followers")
    ),
)
GITHUB = Vendor(
    name="github",
    operations={
        "GET /users/{username}/orgs": ("/users/{username}/orgs", "get"),
        "GET /users/{username}": ("/users/{username}", "get"),
    },
    fallbacks={
        "403": "#/components/responses/forbidden",
        "404": "#/components/responses/not_found",
        # No shared component answers 429; the description gives this one for it elsewhere (GET /advisories).
        "429": "#/paths/~1advisories/get/responses/429",
    },
)


class ExtractionError(Exception):
    pass


class Extractor:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self.stripped: set[str] = set()
        self.pruned: set[str] = set()

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ExtractionError(f"only local references are supported, not {ref!r}")
        node: Any = self._document
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise ExtractionError(f"{ref} is not in the document")
            node = node[part]
        return node

    def response_schema(
        self, response: Mapping[str, Any], pruned: frozenset[str] = frozenset()
    ) -> dict[str, Any] | None:
        """The JSON body schema of one answer, its media types' schemas joined with anyOf when they differ."""
        response = self._follow(response, ())
        content = response.get("content") or {}
        schemas: list[dict[str, Any]] = []
        for media_type in JSON_MEDIA_TYPES:
            if media_type in content and "schema" in content[media_type]:
                schema = self.schema(content[media_type]["schema"], (), pruned)
                if schema not in schemas:
                    schemas.append(schema)
        if not schemas:
            return None
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}

    def schema(self, node: Any, seen: tuple[str, ...] = (), pruned: frozenset[str] = frozenset()) -> Any:
        """`node` with its references resolved and only KEPT_KEYWORDS left; the properties named in `pruned`
        (dotted paths) become {"type": "object"}."""
        if isinstance(node, list):
            return [self.schema(item, seen, pruned) for item in node]
        if not isinstance(node, Mapping):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ExtractionError(f"{ref} refers to itself: {' -> '.join((*seen, ref))}")
            return self.schema(self.pointer(ref), (*seen, ref), pruned)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key not in KEPT_KEYWORDS:
                if key != "nullable":
                    self.stripped.add(key)
                continue
            if key == "properties":
                out[key] = {name: self._property(name, sub, seen, pruned) for name, sub in value.items()}
            elif key in ("items", "additionalProperties", "not", "oneOf", "anyOf", "allOf"):
                out[key] = self.schema(value, seen, pruned)
            else:
                out[key] = value
        return self._nullable(out) if node.get("nullable") is True else out

    def _property(self, name: str, node: Any, seen: tuple[str, ...], pruned: frozenset[str]) -> Any:
        if name in pruned:
            self.pruned.add(name)
            return {"type": "object"}
        inner = frozenset(path.removeprefix(f"{name}.") for path in pruned if path.startswith(f"{name}."))
        return self.schema(node, seen, inner)

    def _nullable(self, schema: dict[str, Any]) -> dict[str, Any]:
        if "type" not in schema:
            return {"anyOf": [schema, {"type": "null"}]}
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema

    def _follow(self, node: Mapping[str, Any], seen: tuple[str, ...]) -> Mapping[str, Any]:
        while "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ExtractionError(f"{ref} refers to itself")
            seen = (*seen, ref)
            node = self.pointer(ref)
        return node


def extract(vendor: Vendor, document: Mapping[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    extractor = Extractor(document)
    operations: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for key, (path, method) in vendor.operations.items():
        operation = extractor.pointer("#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method)
        answers: dict[str, Any] = {}
        for status, response in operation["responses"].items():
            pruned = frozenset(dotted for op, at, dotted in vendor.pruned if (op, at) == (key, str(status)))
            schema = extractor.response_schema(response, pruned)
            if schema is None:
                skipped.append(f"{key} {status}")
                continue
            answers[str(status)] = schema
        operations[key] = answers
    missing = {dotted.split(".")[-1] for _, _, dotted in vendor.pruned} - extractor.pruned
    if missing:
        raise ExtractionError(f"nothing to prune at {sorted(missing)}")
    fallbacks: dict[str, Any] = {}
    for status, pointer in vendor.fallbacks.items():
        schema = extractor.response_schema(extractor.pointer(pointer))
        if schema is None:
            raise ExtractionError(f"{pointer} has no JSON body schema")
        fallbacks[status] = schema
    return {
        "source": source,
        "extracted_by": EXTRACTED_BY,
        "json_schema_dialect": JSON_SCHEMA_DIALECT,
        "transformations": {
            "refs": "every $ref resolved inline",
            "kept_keywords": sorted(KEPT_KEYWORDS),
            "stripped_keywords": sorted(extractor.stripped),
            "nullable": "OpenAPI `nullable: true` rewritten as a 'null' type (or anyOf with it)",
            "media_types": "an answer's application/json and application/problem+json schemas, joined with anyOf "
            "when they differ",
            "pruned": [f"{key} {status}: {dotted} -> {{'type': 'object'}}" for key, status, dotted in vendor.pruned],
            "answers_without_json_body": skipped,
            "fallbacks": dict(vendor.fallbacks),
        },
        "operations": operations,
        "fallbacks": fallbacks,
    }


def _source(args: argparse.Namespace, prefix: str, document: Mapping[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = {
        "repository": getattr(args, f"{prefix}_repository"),
        "path": getattr(args, f"{prefix}_path"),
        "commit": getattr(args, f"{prefix}_commit"),
        "date": getattr(args, f"{prefix}_date"),
        "openapi": document.get("openapi"),
        "info_version": (document.get("info") or {}).get("version"),
        "retrieved": datetime.now(UTC).date().isoformat(),
    }
    note = getattr(args, f"{prefix}_note")
    if note:
        source["note"] = note
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for prefix, label in (("x", "X"), ("github", "GitHub")):
        parser.add_argument(f"--{prefix}-spec", type=Path, required=True, help=f"{label}'s OpenAPI JSON document")
        parser.add_argument(f"--{prefix}-repository", required=True, help="owner/name it comes from")
        parser.add_argument(f"--{prefix}-path", required=True, help="its path in that repository")
        parser.add_argument(f"--{prefix}-commit", required=True, help="the commit it was read at")
        parser.add_argument(f"--{prefix}-date", help="that commit's date (ISO 8601), when known")
        parser.add_argument(f"--{prefix}-note", help="how the document was obtained, when not whole from git")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="where x.json and github.json go")
    args = parser.parse_args(argv)

    args.output.mkdir(parents=True, exist_ok=True)
    for vendor, prefix in ((X, "x"), (GITHUB, "github")):
        document = json.loads(getattr(args, f"{prefix}_spec").read_text(encoding="utf-8"))
        try:
            extracted = extract(vendor, document, _source(args, prefix, document))
        except (ExtractionError, KeyError) as error:
            print(f"{vendor.name}: {error}", file=sys.stderr)
            return 1
        target = args.output / f"{vendor.name}.json"
        target.write_text(json.dumps(extracted, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
