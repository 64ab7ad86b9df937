"""GET /docs in a real browser: the local API (`python -m local`) and a headless Chrome or Chromium, which must
render Swagger UI from the API's own assets, list both connected routes, and ask nothing of any other host."""

from pathlib import Path
from urllib.parse import quote

import pytest

from local.browser import (
    Browser,
    BrowserUnavailableError,
    find_browser,
    headless_chromium,
    load,
    open_docs,
    requested_urls,
)
from tests.support.local_run import assert_nothing_left, local_runs, start

pytestmark = pytest.mark.server

CONNECTED_ROUTES = [("GET", "/connected/realtime/{dev1}/{dev2}"), ("GET", "/connected/register/{dev1}/{dev2}")]
LOCAL_REQUESTS = ("/docs", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/openapi.json")
CDN_CSS = "https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"
CDN_SCRIPT = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"


@pytest.fixture(scope="module")
def browser() -> Browser:
    """CI must run these tests, so a missing browser fails them, in one line, rather than skipping them. No
    download here: `make test` lets Selenium Manager fetch a browser before pytest starts."""
    try:
        return find_browser()
    except BrowserUnavailableError as reason:
        pytest.fail(f"the docs page test needs a browser: {reason}", pytrace=False)


def test_the_docs_page_lists_both_connected_routes_from_local_assets_only(browser: Browser, tmp_path: Path) -> None:
    with local_runs() as runs:
        api = start(runs, tmp_path / "data")
        with headless_chromium(tmp_path / "browser", browser) as driver:
            page = open_docs(driver, api.base_url)
            chromedriver = driver.service.process
        assert api.stop() == 0
    assert chromedriver.poll() is not None
    assert_nothing_left(tmp_path, within_seconds=5.0)

    for route in CONNECTED_ROUTES:
        assert route in page.operations, page.operations
    origin = api.base_url
    assert {f"{origin}{path}" for path in LOCAL_REQUESTS} <= set(page.requests), page.requests
    elsewhere = [url for url in page.requests if not url.startswith((f"{origin}/", "data:"))]
    assert elsewhere == [], "the docs page asked for something beyond the local API"


def test_a_page_that_needs_a_cdn_is_caught_and_gets_nothing_from_it(browser: Browser, tmp_path: Path) -> None:
    """The check above is not blind: a CDN request is recorded, and the browser, kept off the network,
    gets no answer to it."""
    page = f'<link rel="stylesheet" href="{CDN_CSS}"><script src="{CDN_SCRIPT}"></script>'
    with headless_chromium(tmp_path / "browser", browser) as driver:
        load(driver, f"data:text/html,{quote(page)}")
        requests = requested_urls(driver)
        loaded = driver.execute_script("return typeof SwaggerUIBundle")
    assert_nothing_left(tmp_path, within_seconds=5.0)

    assert CDN_CSS in requests
    assert CDN_SCRIPT in requests
    assert loaded == "undefined"
