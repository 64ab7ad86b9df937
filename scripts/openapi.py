"""Builds the API's OpenAPI 3.1 document from the handlers' own routes (each function's document from Powertools,
merged by its OpenAPIMerge; a route documented by both functions is an error), writes it to openapi.json, or with
--check fails when the committed one has drifted.

Run: `make openapi` (write) or `make openapi-check` (part of `make test`).
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi import OpenAPIMerge

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = PROJECT_ROOT / "openapi.json"
FUNCTIONS = ("realtime", "register")
TITLE = "connected-developers"
VERSION = "1.0.0"
DESCRIPTION = (
    "Tells whether two developers are fully connected: they follow each other on X (Twitter) and share at "
    "least one public GitHub organisation. Every answer is recorded; the register returns a pair's history."
)


def build_document() -> dict[str, Any]:
    sys.path[:0] = [str(PROJECT_ROOT / "layers" / "common"), str(PROJECT_ROOT)]
    from connected.contract import REALTIME_PARAMETERS
    from connected.history import QUERY_PARAMETER_DOCS
    from local.template import import_file_module

    merged = OpenAPIMerge(title=TITLE, version=VERSION, description=DESCRIPTION, on_conflict="error")
    for name in FUNCTIONS:
        app = import_file_module(f"{name}_app", PROJECT_ROOT / "functions" / name / "app.py").app
        merged.add_schema(json.loads(app.get_openapi_json_schema()))
    document = merged.get_openapi_schema()
    _drop_unused_schemas(document)
    register = document["paths"]["/connected/register/{dev1}/{dev2}"]["get"]
    register["parameters"] = [*register.get("parameters", []), *QUERY_PARAMETER_DOCS]
    for path in ("/connected/realtime/{dev1}/{dev2}", "/connected/team/{handles}"):
        realtime = document["paths"][path]["get"]
        realtime["parameters"] = [*realtime.get("parameters", []), *REALTIME_PARAMETERS]
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def _drop_unused_schemas(document: dict[str, Any]) -> None:
    """Powertools adds its validation error schemas whether or not a route refers to them; none does here."""
    schemas = document.get("components", {}).get("schemas", {})
    used = json.dumps(document["paths"])
    for name in [name for name in schemas if f"#/components/schemas/{name}" not in used]:
        del schemas[name]
    if not schemas:
        document.get("components", {}).pop("schemas", None)
    if not document.get("components"):
        document.pop("components", None)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when openapi.json differs from the code")
    arguments = parser.parse_args()
    text = render(build_document())
    if arguments.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print("openapi.json has drifted from the handlers: run `make openapi` and commit it", file=sys.stderr)
            return 1
        print("openapi.json matches the handlers")
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
