"""`make docs-screenshot` (or `.venv/bin/python scripts/docs_screenshot.py [--output PATH]`): starts the local API,
loads its /docs page in a headless Chrome or Chromium (found, or fetched by Selenium Manager, as for the browser test:
local/browser.py), waits until Swagger UI has rendered, saves the whole page as docs-screenshot.png (git-ignored) and
stops the browser, the API and its database.
"""

import argparse
import base64
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local import browser as chromium
from local.process import LocalApiStartError, start_local_api
from local.template import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs-screenshot.png", help="the PNG's path")
    output: Path = parser.parse_args(argv).output
    with tempfile.TemporaryDirectory(prefix="docs-screenshot-", ignore_cleanup_errors=True) as work:
        try:
            browser = chromium.find_browser(fetch=True)
            api = start_local_api(Path(work) / "data", Path(work) / "logs")
            try:
                with chromium.headless_chromium(Path(work) / "browser", browser) as driver:
                    page = chromium.open_docs(driver, api.base_url)
                    # The whole page, not only the window: the viewport is stretched to the page's height first.
                    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
                    size = {"width": chromium.WINDOW_SIZE[0], "height": height, "deviceScaleFactor": 1, "mobile": False}
                    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)
                    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
                    output.write_bytes(base64.b64decode(shot["data"]))
            finally:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    api.stop()
                api.kill()
        except (chromium.BrowserUnavailableError, LocalApiStartError, chromium.DocsNotRenderedError) as error:
            print(f"docs-screenshot: {error}", file=sys.stderr)
            return 1
    print(f"{output}: {api.base_url}/docs, listing {', '.join(f'{method} {path}' for method, path in page.operations)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
