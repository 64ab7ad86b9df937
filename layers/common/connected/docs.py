"""The API's documentation: the committed OpenAPI document and a Swagger UI page whose assets are served
by the function itself, so the page works offline and without a CDN."""

import json
from functools import cache
from pathlib import Path
from typing import Any

ASSET_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
}

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>connected-developers API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true });
  </script>
</body>
</html>
"""
"""Relative links, so that the page also works behind a custom domain's base path."""


@cache
def openapi_document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def docs_asset(directory: Path, name: str) -> tuple[str, str] | None:
    """An asset's text and content type, or None for a name that is not one of the page's assets."""
    content_type = ASSET_TYPES.get(name)
    if content_type is None:
        return None
    return read_asset(directory / name), content_type


@cache
def read_asset(path: Path) -> str:
    """Only the page's own assets are read, so the cache cannot grow with the names callers make up."""
    return path.read_text(encoding="utf-8")
