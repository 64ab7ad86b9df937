"""Headless Chrome or Chromium, driven through its chromedriver by Selenium, for the docs page: the browser
test (tests/browser) and `make docs-screenshot` (scripts/docs_screenshot.py) load /docs through `open_docs`.

`find_browser` takes, in order: CHROMIUM_PATH and CHROMEDRIVER_PATH when set; a Chrome or Chromium on PATH
(or in its usual macOS place) with chromedriver on PATH; then what Selenium Manager, shipped with selenium,
finds or fetches into ~/.cache/selenium: a driver matching the browser, and a browser when none is installed.
Selenium Manager fetches only for `make test` (`python -m local.browser`, before pytest) and `make
docs-screenshot`; the tests reach no network, so they run it offline, where it finds what it fetched.

It is let online only when both of its hosts answer within PROBE_SECONDS, asked in daemon threads so that
even a DNS lookup that hangs costs no more: behind a closed network the search gives up in seconds, not
after Selenium Manager's own five-minute timeout. Online, the whole run is bounded by FETCH_SECONDS.

The browser is kept off the network: it resolves no host name (only 127.0.0.1 is reached), uses no proxy,
and its background services (updates, sync, first-run pages) are off, so a page that needed a CDN would not
render here. Every request the page makes is recorded from Chromium's own network log, so a test can show
that none left the local origin.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.selenium_manager import SeleniumManager
from selenium.webdriver.support.wait import WebDriverWait

from local.dynamodb import bypass_proxies_for_loopback

BROWSER_VARIABLE = "CHROMIUM_PATH"
DRIVER_VARIABLE = "CHROMEDRIVER_PATH"
SELENIUM_MANAGER_VARIABLE = "SE_MANAGER_PATH"
"""Selenium's own name for another Selenium Manager binary."""
BROWSER_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVER_COMMAND = "chromedriver"
MACOS_BROWSERS = (
    Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
)
SELENIUM_MANAGER_HOSTS = ("https://googlechromelabs.github.io/", "https://storage.googleapis.com/")
"""Where Selenium Manager reads Chrome for Testing's versions and downloads its drivers and browsers."""
PROBE_SECONDS = 3.0
FETCH_REQUEST_SECONDS = 120
FETCH_SECONDS = 300.0
OFFLINE_SECONDS = 30.0
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
RENDER_SECONDS = 10.0
QUIET_SECONDS = 0.3
OPERATION = ".swagger-ui .opblock"
NETWORK_EVENTS = frozenset({"Network.requestWillBeSent", "Network.webSocketCreated"})


class BrowserUnavailableError(Exception):
    """No browser with its driver was found; the message, one line, says how to get one."""


class DocsNotRenderedError(Exception):
    """The docs page listed no operation in time; the message has what the browser saw."""


@dataclass(frozen=True, slots=True)
class Browser:
    binary: Path
    driver: Path


@dataclass(frozen=True, slots=True)
class DocsPage:
    operations: list[tuple[str, str]]
    """(method, path) of every operation Swagger UI lists, in page order."""
    requests: list[str]
    """Every URL the browser asked for, the page's own included, from the moment it was sent to it."""


def find_browser(environ: Mapping[str, str] = os.environ, *, fetch: bool = False) -> Browser:
    """The first browser and driver of the order above; `fetch` lets Selenium Manager download them."""
    search_path = environ.get("PATH", os.defpath)
    binary = _named_file(environ, BROWSER_VARIABLE) or _installed_browser(search_path)
    driver = _named_file(environ, DRIVER_VARIABLE) or _on_path(DRIVER_COMMAND, search_path)
    if binary is not None and driver is not None:
        return Browser(binary, driver)
    return _from_selenium_manager(environ, binary, fetch)


def _named_file(environ: Mapping[str, str], variable: str) -> Path | None:
    value = environ.get(variable, "").strip()
    if not value:
        return None
    if not Path(value).is_file():
        raise BrowserUnavailableError(f"{variable} names no file ({value}): unset it, or name an installed one")
    return Path(value)


def _on_path(command: str, search_path: str) -> Path | None:
    found = shutil.which(command, path=search_path)
    return Path(found) if found else None


def _installed_browser(search_path: str) -> Path | None:
    for command in BROWSER_COMMANDS:
        if (found := _on_path(command, search_path)) is not None:
            return found
    return next((path for path in MACOS_BROWSERS if path.is_file()), None)


def _from_selenium_manager(environ: Mapping[str, str], binary: Path | None, fetch: bool) -> Browser:
    unreachable = unanswered(SELENIUM_MANAGER_HOSTS, PROBE_SECONDS) if fetch else []
    online = fetch and not unreachable
    command = [str(_selenium_manager_binary(environ)), "--browser", "chrome", "--output", "json"]
    command += ["--language-binding", "python", "--avoid-stats"]
    if binary is not None:
        command += ["--browser-path", str(binary), "--avoid-browser-download"]
    command += ["--timeout", str(FETCH_REQUEST_SECONDS)] if online else ["--offline"]
    bound = FETCH_SECONDS if online else OFFLINE_SECONDS
    try:
        # Selenium's own binary, arguments of ours, no shell.
        completed = subprocess.run(  # noqa: S603  # nosec B603
            command, capture_output=True, text=True, timeout=bound, env=dict(environ), check=False
        )
    except subprocess.TimeoutExpired:
        raise BrowserUnavailableError(
            f"no browser found, and Selenium Manager did not finish within {bound:.0f} s: {INSTALL_HINT}"
        ) from None
    result = _selenium_manager_result(completed.stdout)
    found_binary = binary or Path(result.get("browser_path") or "")
    found_driver = Path(result.get("driver_path") or "")
    if completed.returncode == 0 and found_binary.is_file() and found_driver.is_file():
        return Browser(found_binary, found_driver)
    if online:
        reason = f"Selenium Manager: {result.get('message') or completed.stderr or 'no path given'}"
    elif unreachable:
        hosts = ", ".join(urlsplit(url).netloc for url in unreachable)
        reason = f"Selenium Manager stayed offline: {hosts} did not answer within {PROBE_SECONDS:g} s"
    else:
        reason = "none installed, none fetched by Selenium Manager"
    raise BrowserUnavailableError(
        f"no Chrome or Chromium with chromedriver ({' '.join(reason.split())}): {INSTALL_HINT}"
    )


def _selenium_manager_binary(environ: Mapping[str, str]) -> Path:
    if named := environ.get(SELENIUM_MANAGER_VARIABLE, "").strip():
        return Path(named)
    try:
        return SeleniumManager._get_binary()
    except WebDriverException as error:
        raise BrowserUnavailableError(f"no Selenium Manager for this platform ({error.msg}): {INSTALL_HINT}") from None


def _selenium_manager_result(stdout: str) -> dict[str, Any]:
    try:
        result = json.loads(stdout)["result"]
    except (ValueError, KeyError, TypeError):
        return {}
    return result if isinstance(result, dict) else {}


def unanswered(urls: Sequence[str], seconds: float) -> list[str]:
    """The URLs that gave no HTTP answer (any status) within `seconds`, asked at once in daemon threads, which
    the caller leaves behind at the deadline: a DNS lookup, which no socket timeout bounds, cannot hold it up."""
    answered: set[str] = set()

    def ask(url: str) -> None:
        # Fixed https URLs of Selenium Manager's hosts (local ones in the tests).
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310  # nosec B310
        try:
            urllib.request.urlopen(request, timeout=seconds).close()  # noqa: S310  # nosec B310
        except urllib.error.HTTPError as answer:
            answer.close()
        except OSError:
            return
        answered.add(url)

    threads = [threading.Thread(target=ask, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [url for url in urls if url not in answered]


@contextmanager
def headless_chromium(work_dir: Path, browser: Browser) -> Iterator[WebDriver]:
    """A fresh headless `browser`, its profile and chromedriver's log in `work_dir`; both processes end with
    the block. Selenium reaches chromedriver on a loopback port, which NO_PROXY must name when the
    environment has a proxy, as for boto3 in local/dynamodb.py; chromedriver reaches the browser on another."""
    bypass_proxies_for_loopback(os.environ)
    profile = work_dir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser.binary)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}"):
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
