"""Extracts, from X's and GitHub's own OpenAPI documents, the response schemas of the few operations this product
calls into tests/contracts/x.json and github.json, self-contained, which the fakes' answers are checked against
(tests/support/contracts.py). Run by hand when a vendor's description changes (docs/true-to-x-and-github.md); each
spec may be the vendor's whole document or a subset of it (same layout; --x-note / --github-note say how it was made).
"""

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

OUTPUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "contracts"
# OpenAPI 3.0 Schema Objects are an extended subset of JSON Schema Wright draft 00 (the draft-04/05 family); once
# `nullable` is rewritten into the type, what is kept below means the same under draft 04.
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-04/schema#"
SUBSCHEMA_KEYWORDS = frozenset(["items", "additionalProperties", "not", "oneOf", "anyOf", "allOf"])
KEPT_KEYWORDS = SUBSCHEMA_KEYWORDS | set(
    "type required properties enum pattern format minimum maximum exclusiveMinimum exclusiveMaximum minLength "  # noqa: SIM905
    "maxLength minItems maxItems uniqueItems".split()
)
JSON_MEDIA_TYPES = ("application/json", "application/problem+json")


class Vendor(NamedTuple):
    paths: tuple[str, ...]  # of the operations this product calls, all GET
    pruned: frozenset[str]  # the properties of their 200 answers left unresolved, as {"type": "object"}
    fallbacks: dict[str, str]  # JSON pointers to answers for statuses an operation lists neither itself nor as default


VENDORS = {
    "x": Vendor(("/2/users/by", "/2/users/{id}/following", "/2/users/{id}/followers"), frozenset({"includes"}), {}),
    "github": Vendor(
        ("/users/{username}/orgs", "/users/{username}"),
        frozenset(),
        {
            "403": "#/components/responses/forbidden",
            "404": "#/components/responses/not_found",
            "429": "#/paths/~1advisories/get/responses/429",  # no shared component answers 429; GET /advisories' does
        },
    ),
}


class ExtractionError(Exception):
    pass


class Extractor:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.stripped: set[str] = set()
        self.pruned: set[str] = set()

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> tuple[Any, tuple[str, ...]]:
        """`node`, its `$ref` followed to what it names (and on), and the references followed so far."""
        while isinstance(node, Mapping) and "$ref" in node:
            if (ref := node["$ref"]) in seen:
                raise ExtractionError(f"{ref} refers to itself: {' -> '.join((*seen, ref))}")
            if not ref.startswith("#/"):
                raise ExtractionError(f"only local references are supported, not {ref!r}")
            node, seen = self.document, (*seen, ref)
            for escaped in ref[2:].split("/"):
                part = escaped.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, Mapping) or part not in node:
                    raise ExtractionError(f"{ref} is not in the document")
                node = node[part]
        return node, seen

    def response_schema(self, response: Any, pruned: frozenset[str] = frozenset()) -> dict[str, Any] | None:
        """The JSON body schema of one answer, its media types' schemas joined with anyOf when they differ."""
        content = self.resolve(response)[0].get("content") or {}
        found = [
            self.schema(content[kind]["schema"], (), pruned)
            for kind in JSON_MEDIA_TYPES
            if "schema" in content.get(kind, {})
        ]
        schemas = [schema for index, schema in enumerate(found) if schema not in found[:index]]
        return (schemas[0] if len(schemas) == 1 else {"anyOf": schemas}) if schemas else None

    def schema(self, node: Any, seen: tuple[str, ...] = (), pruned: frozenset[str] = frozenset()) -> Any:
        """`node` with its references resolved and only KEPT_KEYWORDS left; its properties named in `pruned` become
        {"type": "object"}; `nullable: true` becomes a "null" type (or anyOf with it)."""
        node, seen = self.resolve(node, seen)
        if isinstance(node, list):
            return [self.schema(item, seen, pruned) for item in node]
        if not isinstance(node, Mapping):
            return node
        self.stripped |= node.keys() - KEPT_KEYWORDS - {"nullable"}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties":
                self.pruned |= pruned & value.keys()
                out[key] = {
                    name: {"type": "object"} if name in pruned else self.schema(sub, seen)
                    for name, sub in value.items()
                }
            elif key in KEPT_KEYWORDS:
                out[key] = self.schema(value, seen, pruned) if key in SUBSCHEMA_KEYWORDS else value
        if node.get("nullable") is not True:
            return out
        if "type" not in out:
            return {"anyOf": [out, {"type": "null"}]}
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types if "null" in types else [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out


def extract(vendor: str, document: Mapping[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    paths, pruned, fallbacks = VENDORS[vendor]
    extractor, operations, skipped = Extractor(document), dict[str, dict[str, Any]](), list[str]()
    for path in paths:
        answers = operations[f"GET {path}"] = {}
        operation = extractor.resolve({"$ref": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/get"})[0]
        for status, response in operation["responses"].items():
            schema = extractor.response_schema(response, pruned if str(status) == "200" else frozenset())
            if schema is None:
                skipped.append(f"GET {path} {status}")
            else:
                answers[str(status)] = schema
    if missing := pruned - extractor.pruned:
        raise ExtractionError(f"nothing to prune at {sorted(missing)}")
    shared = {status: extractor.response_schema({"$ref": ref}) for status, ref in fallbacks.items()}
    if without := [fallbacks[status] for status, schema in shared.items() if schema is None]:
        raise ExtractionError(f"no JSON body schema at {', '.join(without)}")
    return {
        "source": source,
        "extracted_by": "scripts/extract_vendor_specs.py",
        "json_schema_dialect": JSON_SCHEMA_DIALECT,
        "transformations": {
            "refs": "every $ref resolved inline",
            "kept_keywords": sorted(KEPT_KEYWORDS),
            "stripped_keywords": sorted(extractor.stripped),
            "nullable": "OpenAPI `nullable: true` rewritten as a 'null' type (or anyOf with it)",
            "media_types": "an answer's application/json and application/problem+json schemas, joined with anyOf "
            "when they differ",
            "pruned": [f"GET {path} 200: {name} -> {{'type': 'object'}}" for path in paths for name in sorted(pruned)],
            "answers_without_json_body": skipped,
            "fallbacks": fallbacks,
        },
        "operations": operations,
        "fallbacks": shared,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for vendor in VENDORS:
        parser.add_argument(f"--{vendor}-spec", type=Path, required=True, help=f"{vendor}'s OpenAPI JSON document")
        parser.add_argument(f"--{vendor}-repository", required=True, help="owner/name it comes from")
        parser.add_argument(f"--{vendor}-path", required=True, help="its path in that repository")
        parser.add_argument(f"--{vendor}-commit", required=True, help="the commit it was read at")
        parser.add_argument(f"--{vendor}-date", help="that commit's date (ISO 8601), when known")
        parser.add_argument(f"--{vendor}-note", help="how the document was obtained, when not whole from git")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="where x.json and github.json go")
    args = vars(parser.parse_args(argv))
    args["output"].mkdir(parents=True, exist_ok=True)
    for vendor in VENDORS:
        document = json.loads(args[f"{vendor}_spec"].read_text(encoding="utf-8"))
        source = {field: args[f"{vendor}_{field}"] for field in ("repository", "path", "commit", "date")}
        source |= {"openapi": document.get("openapi"), "info_version": (document.get("info") or {}).get("version")}
        source["retrieved"] = datetime.now(UTC).date().isoformat()
        if args[f"{vendor}_note"]:
            source["note"] = args[f"{vendor}_note"]
        try:
            extracted = extract(vendor, document, source)
        except (ExtractionError, KeyError) as error:
            print(f"{vendor}: {error}", file=sys.stderr)
            return 1
        target = args["output"] / f"{vendor}.json"
        target.write_text(json.dumps(extracted, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
