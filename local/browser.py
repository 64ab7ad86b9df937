"""Headless Chrome or Chromium, driven through its chromedriver by Selenium, for the docs page: the browser
test (tests/browser) and `make docs-screenshot` (scripts/docs_screenshot.py) load /docs through `open_docs`.

`find_browser` takes, in order: CHROMIUM_PATH and CHROMEDRIVER_PATH when set; a Chrome or Chromium on PATH
(or in its usual macOS place) with chromedriver on PATH; then what Selenium Manager, shipped with selenium,
finds in ~/.cache/selenium or, with `fetch` (`make test` before pytest, and `make docs-screenshot`), downloads
there, but only when its host answers within PROBE_SECONDS: behind a closed network it gives up in seconds.

The browser is kept off the network: it resolves no host name but 127.0.0.1, uses no proxy, and its background
services are off. Every request the page makes is read from Chromium's network log, so a test can show that
none left the local origin.
"""

import json
import os
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.selenium_manager import SeleniumManager
from selenium.webdriver.support.wait import WebDriverWait

from local.dynamodb import bypass_proxies_for_loopback

BROWSER_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_BROWSERS = (
    Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
)
SELENIUM_MANAGER_HOST = "https://googlechromelabs.github.io/"
"""Where Selenium Manager reads Chrome for Testing's versions; it goes online only when this answers in time."""
PROBE_SECONDS = 3.0
INSTALL_HINT = (
    "install Chrome or Chromium and chromedriver (Debian: apt-get install chromium chromium-driver; macOS: "
    "brew install --cask google-chrome), run `make test` once online so that Selenium Manager fetches them, "
    "or set CHROMIUM_PATH and CHROMEDRIVER_PATH"
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
WINDOW_SIZE = (1280, 1000)
RENDER_SECONDS, QUIET_SECONDS = 10.0, 0.3
OPERATION = ".swagger-ui .opblock"


class BrowserUnavailableError(Exception):
    """No browser with its driver was found; the message, one line, says how to get one."""


class DocsNotRenderedError(Exception):
    """The docs page listed no operation in time; the message has what the browser saw."""


class Browser(NamedTuple):
    binary: Path
    driver: Path


class DocsPage(NamedTuple):
    operations: list[tuple[str, str]]  # (method, path) of every operation Swagger UI lists, in page order
    requests: list[str]  # every URL the browser asked for once sent to the page, the page's own included


def find_browser(environ: Mapping[str, str] = os.environ, *, fetch: bool = False) -> Browser:
    """The first browser and driver of the order above; `fetch` lets Selenium Manager download them."""
    search_path = environ.get("PATH", os.defpath)
    installed = [shutil.which(command, path=search_path) for command in BROWSER_COMMANDS]
    installed += [str(path) for path in MACOS_BROWSERS if path.is_file()]
    binary = _named_file(environ, "CHROMIUM_PATH") or next(filter(None, installed), None)
    driver = _named_file(environ, "CHROMEDRIVER_PATH") or shutil.which("chromedriver", path=search_path)
    if binary and driver:
        return Browser(Path(binary), Path(driver))
    online = fetch and answers(SELENIUM_MANAGER_HOST, PROBE_SECONDS)
    arguments = ["--browser", "chrome", "--avoid-stats", *(["--timeout", "120"] if online else ["--offline"])]
    arguments += ["--browser-path", binary, "--avoid-browser-download"] if binary else []
    try:  # Selenium's own wrapper, which runs the Selenium Manager SE_MANAGER_PATH names, if any
        found = SeleniumManager().binary_paths(arguments)
    except WebDriverException as error:
        found = {"message": error.msg}
    browser = Browser(Path(binary or found.get("browser_path") or ""), Path(found.get("driver_path") or ""))
    if browser.binary.is_file() and browser.driver.is_file():
        return browser
    reason = f"Selenium Manager: {found.get('message') or 'none installed, none in its cache'}"
    if fetch and not online:
        reason = f"Selenium Manager stayed offline: {SELENIUM_MANAGER_HOST} did not answer within {PROBE_SECONDS:g} s"
    reason = " ".join(reason.split())
    raise BrowserUnavailableError(f"no Chrome or Chromium with chromedriver ({reason}): {INSTALL_HINT}")


def _named_file(environ: Mapping[str, str], variable: str) -> str | None:
    value = environ.get(variable, "").strip()
    if value and not Path(value).is_file():
        raise BrowserUnavailableError(f"{variable} names no file ({value}): unset it, or name an installed one")
    return value or None


def answers(url: str, seconds: float) -> bool:
    """Whether `url` gives an HTTP answer (any status) within `seconds`, asked in a daemon thread left behind at
    the deadline: a DNS lookup, which no socket timeout bounds, cannot hold the caller up."""
    answered = threading.Event()

    def ask() -> None:
        # A fixed https URL of Selenium Manager's (a local one in the tests).
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310  # nosec B310
        try:
            urllib.request.urlopen(request, timeout=seconds).close()  # noqa: S310  # nosec B310
        except urllib.error.HTTPError as answer:
            answer.close()
        except OSError:
            return
        answered.set()

    threading.Thread(target=ask, daemon=True).start()
    return answered.wait(seconds)


@contextmanager
def headless_chromium(work_dir: Path, browser: Browser) -> Iterator[WebDriver]:
    """A fresh headless `browser`, its profile and chromedriver's log in `work_dir`; both processes end with
    the block. Selenium reaches chromedriver on a loopback port, which NO_PROXY must then name."""
    bypass_proxies_for_loopback(os.environ)
    profile = work_dir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser.binary)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size={},{}".format(*WINDOW_SIZE)):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # An explicit driver path: Selenium does not run Selenium Manager again here.
    service = Service(str(browser.driver), log_output=str(work_dir / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def open_docs(driver: WebDriver, base_url: str, render_seconds: float = RENDER_SECONDS) -> DocsPage:
    """Loads `base_url`/docs, waits until Swagger UI lists the operations of the OpenAPI document and the
    page's network has gone quiet, and reads the operations listed."""
    load(driver, url := f"{base_url}/docs")
    try:
        WebDriverWait(driver, render_seconds, 0.05).until(lambda found: found.find_elements(By.CSS_SELECTOR, OPERATION))
    except TimeoutException:
        text = driver.find_element(By.TAG_NAME, "body").text
        raise DocsNotRenderedError(
            f"{url} listed no operation within {render_seconds} s; the page read:\n{text}\n"
            f"requests: {requested_urls(driver)}"
        ) from None
    requests = requested_urls(driver)
    operations = [
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path") or "",
        )
        for block in driver.find_elements(By.CSS_SELECTOR, OPERATION)
    ]
    return DocsPage(operations, requests)


def load(driver: WebDriver, url: str) -> None:
    """Sends the browser to `url` through a blank page, its network log emptied in between, so that
    `requested_urls` then tells the requests made for `url` alone."""
    driver.get("about:blank")
    driver.get_log("performance")  # type: ignore[no-untyped-call]
    driver.get(url)


def requested_urls(driver: WebDriver, quiet_seconds: float = QUIET_SECONDS) -> list[str]:
    """The URLs asked for since `load`, read from Chromium's DevTools events once none came for `quiet_seconds`
    (at most RENDER_SECONDS), so that a request made after the page rendered (a font, a favicon) is not missed."""
    urls: list[str] = []
    quiet_since = started = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds and time.monotonic() - started < RENDER_SECONDS:
        time.sleep(0.05)
        for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
            message = json.loads(entry["message"])["message"]
            if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
                params = message["params"]
                urls.append(params["request"]["url"] if "request" in params else params["url"])
                quiet_since = time.monotonic()
    return urls


def main() -> int:
    """`make test` runs this before pytest, so that Selenium Manager can fetch what the docs page test needs."""
    try:
        browser = find_browser(fetch=True)
    except BrowserUnavailableError as error:
        print(f"docs page browser: {error}", file=sys.stderr)
        return 1
    print(f"docs page browser: {browser.binary}, driver {browser.driver}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
