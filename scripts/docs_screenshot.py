"""`make docs-screenshot`: starts the local API, loads its /docs page in a headless Chrome or Chromium (found,
or fetched by Selenium Manager, as for the browser test: local/browser.py), waits until Swagger UI has
rendered, saves the whole page as docs-screenshot.png (git-ignored) and stops the browser, the API and its
database.

Run: `make docs-screenshot`, or `.venv/bin/python scripts/docs_screenshot.py [--output PATH]`.
"""

import argparse
import base64
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium.webdriver.chrome.webdriver import WebDriver

from local.browser import (
    WINDOW_SIZE,
    BrowserUnavailableError,
    DocsNotRenderedError,
    find_browser,
    headless_chromium,
    open_docs,
)
from local.process import LocalApiStartError, start_local_api
from local.template import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "docs-screenshot.png"


def full_page_png(driver: WebDriver) -> bytes:
    """The whole page, not only the window: the viewport is stretched to the page's height first."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW_SIZE[0], "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the PNG")
    output: Path = parser.parse_args(argv).output
    try:
        browser = find_browser(fetch=True)
    except BrowserUnavailableError as error:
        print(f"docs-screenshot: {error}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="docs-screenshot-", ignore_cleanup_errors=True) as work:
        work_dir = Path(work)
        try:
            api = start_local_api(work_dir / "data", work_dir / "logs")
        except LocalApiStartError as error:
            print(f"docs-screenshot: {error}", file=sys.stderr)
            return 1
        try:
            with headless_chromium(work_dir / "browser", browser) as driver:
                page = open_docs(driver, api.base_url)
                output.write_bytes(full_page_png(driver))
        except DocsNotRenderedError as error:
            print(f"docs-screenshot: {error}", file=sys.stderr)
            return 1
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                api.stop()
            api.kill()
    listed = ", ".join(f"{method} {path}" for method, path in page.operations)
    print(f"{output}: {api.base_url}/docs, listing {listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
