"""Where the docs page test gets its browser: CHROMIUM_PATH and CHROMEDRIVER_PATH, then a browser installed on
PATH or in its macOS place, then Selenium Manager, which is let online only when its host answers at once.
Selenium Manager is a fake here (SE_MANAGER_PATH), and its "host" a local socket: nothing leaves the machine."""

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from local import browser as browser_module
from local.browser import BROWSER_COMMANDS, Browser, BrowserUnavailableError, find_browser


def executable(folder: Path, name: str, text: str = "#!/bin/sh\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


class FakeSeleniumManager:
    """A selenium-manager that records its arguments and answers `result` as the real one does (JSON). Shell
    builtins only: the PATH it is given holds no other command."""

    def __init__(self, folder: Path, result: dict[str, object], exit_code: int = 0) -> None:
        self.arguments_file = folder / "selenium-manager-arguments"
        answer = json.dumps({"logs": [], "result": result})
        self.path = executable(
            folder,
            "selenium-manager",
            f"#!/bin/sh\necho \"$@\" > '{self.arguments_file}'\nprintf '%s\\n' '{answer}'\nexit {exit_code}\n",
        )

    @property
    def arguments(self) -> list[str]:
        return self.arguments_file.read_text().split()


@pytest.fixture(autouse=True)
def no_macos_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Mac running these tests keeps its own Chrome out of them."""
    monkeypatch.setattr(browser_module, "MACOS_BROWSERS", ())


@pytest.fixture
def answering_host() -> Iterator[str]:
    class Answer(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_host() -> Iterator[str]:
    """Takes connections and never answers, as a host behind a firewall that drops packets seems to."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"


def test_chromium_path_and_chromedriver_path_come_before_what_is_installed(tmp_path: Path) -> None:
    named_browser = executable(tmp_path / "named", "chrome")
    named_driver = executable(tmp_path / "named", "chromedriver")
    on_path = tmp_path / "bin"
    executable(on_path, "chromium")
    executable(on_path, "chromedriver")

    found = find_browser(
        {"PATH": str(on_path), "CHROMIUM_PATH": str(named_browser), "CHROMEDRIVER_PATH": str(named_driver)}
    )

    assert found == Browser(named_browser, named_driver)


def test_a_variable_that_names_no_file_fails_with_one_line_naming_it(tmp_path: Path) -> None:
    on_path = tmp_path / "bin"
    executable(on_path, "chromium")
    executable(on_path, "chromedriver")

    with pytest.raises(BrowserUnavailableError) as failure:
        find_browser({"PATH": str(on_path), "CHROMIUM_PATH": str(tmp_path / "missing")})

    assert "CHROMIUM_PATH" in str(failure.value)
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("command", BROWSER_COMMANDS)
def test_a_browser_and_chromedriver_on_path_are_found(tmp_path: Path, command: str) -> None:
    on_path = tmp_path / "bin"
    installed = executable(on_path, command)
    driver = executable(on_path, "chromedriver")

    assert find_browser({"PATH": str(on_path)}) == Browser(installed, driver)


def test_a_browser_in_its_macos_place_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    application = executable(tmp_path / "Google Chrome.app" / "Contents" / "MacOS", "Google Chrome")
    monkeypatch.setattr(browser_module, "MACOS_BROWSERS", (tmp_path / "Chromium.app" / "Chromium", application))
    driver = executable(tmp_path / "bin", "chromedriver")

    assert find_browser({"PATH": str(tmp_path / "bin")}) == Browser(application, driver)


def test_a_browser_without_its_driver_gets_one_from_selenium_manager_offline_unless_fetching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = executable(tmp_path / "bin", "chromium")
    cached_driver = executable(tmp_path / "cache", "chromedriver")
    manager = FakeSeleniumManager(tmp_path, {"code": 0, "driver_path": str(cached_driver)})
    monkeypatch.setenv("SE_MANAGER_PATH", str(manager.path))

    found = find_browser({"PATH": str(tmp_path / "bin")})

    assert found == Browser(installed, cached_driver)
    assert manager.arguments[manager.arguments.index("--browser-path") + 1] == str(installed)
    assert "--offline" in manager.arguments
    assert "--avoid-browser-download" in manager.arguments


def test_selenium_manager_fetches_a_browser_when_its_host_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answering_host: str
) -> None:
    monkeypatch.setattr(browser_module, "SELENIUM_MANAGER_HOST", answering_host)
    fetched_browser = executable(tmp_path / "cache", "chrome")
    fetched_driver = executable(tmp_path / "cache", "chromedriver")
    result = {"code": 0, "browser_path": str(fetched_browser), "driver_path": str(fetched_driver)}
    manager = FakeSeleniumManager(tmp_path, result)
    monkeypatch.setenv("SE_MANAGER_PATH", str(manager.path))

    found = find_browser({"PATH": str(tmp_path / "empty")}, fetch=True)

    assert found == Browser(fetched_browser, fetched_driver)
    assert "--offline" not in manager.arguments
    assert "--timeout" in manager.arguments
    assert "--browser-path" not in manager.arguments


def test_a_host_that_never_answers_keeps_selenium_manager_offline_and_the_failure_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_host: str
) -> None:
    monkeypatch.setattr(browser_module, "SELENIUM_MANAGER_HOST", silent_host)
    monkeypatch.setattr(browser_module, "PROBE_SECONDS", 0.3)
    manager = FakeSeleniumManager(tmp_path, {"code": 65, "message": "offline mode"}, exit_code=65)
    monkeypatch.setenv("SE_MANAGER_PATH", str(manager.path))

    with pytest.raises(BrowserUnavailableError) as failure:
        find_browser({"PATH": str(tmp_path / "empty")}, fetch=True)

    assert "--offline" in manager.arguments
    message = str(failure.value)
    assert "\n" not in message
    assert f"{silent_host} did not answer within 0.3 s" in message
    assert "apt-get install chromium chromium-driver" in message
    assert "CHROMIUM_PATH and CHROMEDRIVER_PATH" in message


def test_what_selenium_manager_says_when_it_finds_nothing_offline_is_told_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = FakeSeleniumManager(tmp_path, {"code": 65, "message": "no chromedriver in the cache"}, exit_code=65)
    monkeypatch.setenv("SE_MANAGER_PATH", str(manager.path))

    with pytest.raises(BrowserUnavailableError) as failure:
        find_browser({"PATH": str(tmp_path / "empty")})

    assert "--offline" in manager.arguments
    message = str(failure.value)
    assert "\n" not in message
    assert "no chromedriver in the cache" in message
    assert "CHROMIUM_PATH and CHROMEDRIVER_PATH" in message
