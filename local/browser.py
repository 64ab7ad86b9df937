"""Debian's headless Chromium, driven through its chromedriver by Selenium, for the docs page: the browser
test (tests/browser) and `make docs-screenshot` (scripts/docs_screenshot.py) load /docs through `open_docs`.

The browser is kept off the network: it resolves no host name (only 127.0.0.1 is reached), uses no proxy,
and its background services (updates, sync, first-run pages) are off, so a page that needed a CDN would not
render here. Every request the page makes is recorded from Chromium's own network log, so a test can show
that none left the local origin.
"""

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from local.dynamodb import bypass_proxies_for_loopback

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER_PATH") or "/usr/bin/chromedriver")
"""Debian's paths; CHROMIUM_PATH and CHROMEDRIVER_PATH name another Chromium or Chrome and its driver."""
INSTALL_HINT = (
    "apt-get install --no-install-recommends chromium chromium-driver (Debian's packages; `make test` and "
    "`make docs-screenshot` install them when missing)"
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
RENDER_SECONDS = 10.0
QUIET_SECONDS = 0.3
OPERATION = ".swagger-ui .opblock"
NETWORK_EVENTS = frozenset({"Network.requestWillBeSent", "Network.webSocketCreated"})


class BrowserUnavailableError(Exception):
    """Chromium or its chromedriver is not installed; the message says how to install them."""


class DocsNotRenderedError(Exception):
    """The docs page listed no operation in time; the message has what the browser saw."""


@dataclass(frozen=True, slots=True)
class DocsPage:
    operations: list[tuple[str, str]]
    """(method, path) of every operation Swagger UI lists, in page order."""
    requests: list[str]
    """Every URL the browser asked for, the page's own included, from the moment it was sent to it."""


def check_browser_installed() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        raise BrowserUnavailableError(f"{' and '.join(missing)} not found: {INSTALL_HINT}")


@contextmanager
def headless_chromium(work_dir: Path) -> Iterator[WebDriver]:
    """A fresh headless Chromium, its profile and chromedriver's log in `work_dir`; both processes end with
    the block. Selenium reaches chromedriver on a loopback port, which NO_PROXY must name when the
    environment has a proxy, as for boto3 in local/dynamodb.py; chromedriver reaches Chromium on another."""
    check_browser_installed()
    bypass_proxies_for_loopback(os.environ)
    profile = work_dir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # An explicit driver path: Selenium Manager, which would download a driver, is never run.
    service = Service(str(CHROMEDRIVER), log_output=str(work_dir / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def open_docs(driver: WebDriver, base_url: str, render_seconds: float = RENDER_SECONDS) -> DocsPage:
    """Loads `base_url`/docs, waits until Swagger UI lists the operations of the OpenAPI document and the
    page's network has gone quiet, and reads the operations listed."""
    url = f"{base_url}/docs"
    load(driver, url)
    try:
        WebDriverWait(driver, render_seconds, poll_frequency=0.05).until(
            lambda browser: browser.find_elements(By.CSS_SELECTOR, OPERATION)
        )
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
    return DocsPage(operations=operations, requests=requests)


def load(driver: WebDriver, url: str) -> None:
    """Sends the browser to `url` through a blank page, its network log emptied in between, so that
    `requested_urls` then tells the requests made for `url` alone."""
    driver.get("about:blank")
    _performance_log(driver)
    driver.get(url)


def requested_urls(driver: WebDriver, quiet_seconds: float = QUIET_SECONDS) -> list[str]:
    """The URLs the browser asked for since `load`, read once no new request has come for `quiet_seconds`
    (or after RENDER_SECONDS of steady requests), so that a request made after the page rendered (a font,
    an image, a favicon) is not missed."""
    urls: list[str] = []
    quiet_since = started = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds and time.monotonic() - started < RENDER_SECONDS:
        time.sleep(0.05)
        for entry in _performance_log(driver):
            message = json.loads(entry["message"])["message"]
            if message["method"] in NETWORK_EVENTS:
                params = message["params"]
                urls.append(params["request"]["url"] if "request" in params else params["url"])
                quiet_since = time.monotonic()
    return urls


def _performance_log(driver: WebDriver) -> list[dict[str, Any]]:
    """Chromium's DevTools events since the last read, each a JSON `message`."""
    entries: list[dict[str, Any]] = driver.get_log("performance")  # type: ignore[no-untyped-call]
    return entries
