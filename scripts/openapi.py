"""`make openapi` writes openapi.json, the API's OpenAPI 3.1 document, built from the handlers' own routes (each
function's document from Powertools, merged by its OpenAPIMerge: a route documented by both functions is an
error); `make openapi-check` (part of `make test`) fails when the committed one drifted.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from aws_lambda_powertools.event_handler.openapi import OpenAPIMerge

from connected.contract import REALTIME_PARAMETERS
from connected.history import QUERY_PARAMETER_DOCS
from local.template import PROJECT_ROOT, import_file_module

DOCUMENT = PROJECT_ROOT / "openapi.json"
FUNCTIONS = ("realtime", "register")
DESCRIPTION = (
    "Tells whether two developers are fully connected: they follow each other on X (Twitter) and share at "
    "least one public GitHub organisation. Every answer is recorded; the register returns a pair's history."
)


def build_document() -> dict[str, Any]:
    merged = OpenAPIMerge(title="connected-developers", version="1.0.0", description=DESCRIPTION, on_conflict="error")
    for name in FUNCTIONS:
        app = import_file_module(f"{name}_app", PROJECT_ROOT / "functions" / name / "app.py").app
        merged.add_schema(json.loads(app.get_openapi_json_schema()))
    document = merged.get_openapi_schema()
    # Powertools adds its validation error schemas whether or not a route refers to them; none does here.
    components = document.get("components", {})
    used, schemas = json.dumps(document["paths"]), components.get("schemas", {})
    for name in [name for name in schemas if f"#/components/schemas/{name}" not in used]:
        del schemas[name]
    if not schemas:
        components.pop("schemas", None)
    if not components:
        document.pop("components", None)
    register = document["paths"]["/connected/register/{dev1}/{dev2}"]["get"]
    register["parameters"] = [*register.get("parameters", []), *QUERY_PARAMETER_DOCS]
    for path in ("/connected/realtime/{dev1}/{dev2}", "/connected/team/{handles}"):
        realtime = document["paths"][path]["get"]
        realtime["parameters"] = [*realtime.get("parameters", []), *REALTIME_PARAMETERS]
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


if __name__ == "__main__":
    text = json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when openapi.json differs from the code")
    if parser.parse_args().check:
        if not DOCUMENT.is_file() or DOCUMENT.read_text(encoding="utf-8") != text:
            sys.exit("openapi.json has drifted from the handlers: run `make openapi` and commit it")
        print("openapi.json matches the handlers")
    else:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(PROJECT_ROOT)}")
