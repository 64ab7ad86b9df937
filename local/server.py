"""`make run`: the HTTP API of template.yaml on http://127.0.0.1:3000, every request handed as API Gateway
would (an HTTP API payload 2.0 event) to the real `lambda_handler` of its function, in this process.

Routes, function environments and the table schema come from template.yaml, so the local API cannot drift from
the deployed one; it serves what template.yaml routes, not every feature of API Gateway. The handlers run
against a local DynamoDB (local/dynamodb.py) and, without X credentials, the offline demo world (local/demo.py).
The console shows the banner and a line per request; what the handlers print (JSON logs, EMF metrics) goes to
api.log in the data folder, or to the console with VERBOSE=1.
"""

import base64
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager, redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple, TextIO
from urllib.parse import unquote

from local import demo, dynamodb, template
from local.events import LambdaContext, http_api_event
from local.world import World

HOST = "127.0.0.1"
DATA_DIR_VARIABLE = "LOCAL_DATA_DIR"
DEFAULT_DATA_DIR = template.PROJECT_ROOT / ".local"
X_TOKEN, GITHUB_TOKEN = "TWITTER_BEARER_TOKEN", "GITHUB_TOKEN"
NOT_FOUND = (404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
INTERNAL_ERROR = (500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')


class LocalRunError(Exception):
    """The local run cannot start; the message says what to do about it."""


class Endpoint(NamedTuple):
    """A route of template.yaml bound to its function's handler."""

    method: str
    path: str
    function: str
    handler: Callable[[dict[str, Any], Any], Any]
    timeout_seconds: float = 20.0

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def match_route(endpoints: Iterable[Endpoint], method: str, raw_path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """A request's endpoint and path parameters: each `{name}` takes a non-empty raw path segment, percent-decoded."""
    for endpoint in endpoints:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(endpoint.path))
        if endpoint.method == method and (found := re.fullmatch(pattern, raw_path)):
            return endpoint, {name: unquote(value) for name, value in found.groupdict().items()}
    return None


def load_endpoints(cfn: dict[str, Any] | None = None) -> list[Endpoint]:
    """Every HttpApi route of the template, each bound to its function's handler, imported from its CodeUri
    under a module name of its own (every function's module is called app), with the function's timeout."""
    cfn = cfn or template.load_template()
    default_timeout = cfn.get("Globals", {}).get("Function", {}).get("Timeout") or 20
    endpoints: list[Endpoint] = []
    for route in template.http_routes(cfn):
        module, _, attribute = route.handler.rpartition(".")
        path = route.code_uri / f"{module.replace('.', '/')}.py"
        name = f"local_run_{route.function}_{module.replace('.', '_')}"
        handler = getattr(template.import_file_module(name, path), attribute)
        timeout = cfn["Resources"][route.function]["Properties"].get("Timeout") or default_timeout
        endpoints.append(Endpoint(route.method, route.path, route.function, handler, float(timeout)))
    return endpoints


def handler_environment(cfn: dict[str, Any] | None = None) -> dict[str, str]:
    """Every function's environment in template.yaml, with the local register table: one, as they share this
    process, so they must agree; never the credentials secret: a local run must not read the deployed tokens."""
    cfn = cfn or template.load_template()
    environment: dict[str, str] = {}
    for function in dict.fromkeys(route.function for route in template.http_routes(cfn)):
        references = {template.REGISTER_TABLE: dynamodb.LOCAL_TABLE_NAME}
        for name, value in template.function_environment(function, references, cfn).items():
            if environment.setdefault(name, value) != value:
                raise LocalRunError(
                    f"the functions of template.yaml disagree on {name}, which a local run cannot serve in one process"
                )
    environment.pop("CREDENTIALS_SECRET_ARN", None)
    return environment


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], endpoints: list[Endpoint], console: TextIO) -> None:
        self.endpoints = endpoints
        self.console = console
        self.log_lock = threading.Lock()
        self.function_locks = {endpoint.function: threading.Lock() for endpoint in endpoints}
        super().__init__(address, LocalApiRequestHandler)


class LocalApiRequestHandler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    server_version = "connected-developers-local"

    def do_GET(self) -> None:
        """Every method comes here: one that no route has gets API Gateway's 404, as an unknown path does."""
        started = time.perf_counter()
        self.rfile.read(int(self.headers.get("content-length") or 0))
        raw_path, _, raw_query = self.path.partition("?")
        status, headers, body = NOT_FOUND
        if match := match_route(self.server.endpoints, self.command, raw_path):
            (endpoint, parameters), source_ip = match, self.client_address[0]
            sent = {"x-forwarded-for": source_ip, "x-forwarded-proto": "http"}
            sent |= {name.lower(): value for name, value in self.headers.items()}
            event = http_api_event(self.command, raw_path, raw_query, sent, endpoint.route_key, parameters, source_ip)
            status, headers, body = self._invoke(endpoint, event)
            headers = {**headers, "apigw-requestid": event["requestContext"]["requestId"]}
        with self.server.log_lock:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.server.console.write(f"{self.command} {self.path} {status} {elapsed_ms:.0f} ms\n")
            self.server.console.flush()
        self.send_response(status)
        for name, value in {**headers, "content-length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def _invoke(self, endpoint: Endpoint, event: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """One invocation at a time per function, as in one Lambda execution environment (the handlers keep
        per-request state at module level); a crashed handler gets Lambda's 500, and the server lives on."""
        try:
            with self.server.function_locks[endpoint.function]:
                context = LambdaContext(function_name=endpoint.function, timeout_seconds=endpoint.timeout_seconds)
                result = endpoint.handler(event, context)
            body = result.get("body") or ""
            raw_body = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
            return int(result["statusCode"]), dict(result.get("headers") or {}), raw_body
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            return INTERNAL_ERROR

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Every request is logged once, by `do_GET`, with its duration."""


def run_settings(environ: MutableMapping[str, str]) -> tuple[int, Path, Path | None]:
    """The port, the data folder, and the file what the handlers print goes to (None: the console, VERBOSE=1)."""
    port = environ.get("PORT", "").strip() or "3000"
    if not port.isdigit() or int(port) > 65535:
        raise LocalRunError(f"PORT must be a TCP port number, not {port!r}")
    data_dir = Path(environ.get(DATA_DIR_VARIABLE, "").strip() or DEFAULT_DATA_DIR)
    verbose = environ.get("VERBOSE", "").strip() not in ("", "0")
    return int(port), data_dir, None if verbose else data_dir / "api.log"


@contextmanager
def handler_output(log: Path | None) -> Iterator[None]:
    """Sends what the handlers print to stdout to `log`, appended. Powertools' Logger keeps the stdout it
    finds when the first one is made, so the handler modules must be imported inside this block."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8", buffering=1) as stream, redirect_stdout(stream):
        yield


def configure_upstreams(
    environ: MutableMapping[str, str], cleanup: ExitStack
) -> tuple[list[str], str, list[demo.Example]]:
    """Where GitHub and X answers come from, for the banner, and the requests to try: real GitHub and X with an
    X token; without one, the demo world, served until `cleanup` ends it, its tokens set for the handlers."""
    github_token = environ.get(GITHUB_TOKEN, "").strip()
    if environ.get(X_TOKEN, "").strip():
        github = "GITHUB_TOKEN set" if github_token else "no GITHUB_TOKEN: 60 GitHub requests an hour"
        examples = [
            demo.Example("are they connected? (recorded in the register)", "/connected/realtime/DEV1/DEV2"),
            demo.Example("every answer given for the pair, oldest first", "/connected/register/DEV1/DEV2"),
        ]
        heading = "Try it, with two real handles in place of DEV1 and DEV2:"
        return [f"the real services ({X_TOKEN} set, {github})"], heading, examples
    world = World.from_json(demo.DEMO_WORLD_PATH)
    examples = demo.demo_examples(world)
    lines = [f"offline demo world from {dynamodb.shown_path(demo.DEMO_WORLD_PATH)} (no {X_TOKEN} set)"]
    if github_token:
        lines.append(f"GITHUB_TOKEN alone is not used: set {X_TOKEN} too for the real services")
    lines.append(f"developers: {', '.join(developer.handle for developer in world.developers.values())}")
    cleanup.enter_context(demo.serving(world))
    environ.update({X_TOKEN: demo.DEMO_TOKEN, GITHUB_TOKEN: demo.DEMO_TOKEN})
    return lines, "Try it:", examples


def run(environ: MutableMapping[str, str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serves until SIGINT or SIGTERM, then stops the API and its database; `out` shows the banner and requests."""
    with ExitStack() as cleanup:
        port, data_dir, log = run_settings(environ)
        cleanup.enter_context(handler_output(log))
        cfn = template.load_template()
        environ.pop("CREDENTIALS_SECRET_ARN", None)
        environ.update(handler_environment(cfn))
        upstreams, heading, examples = configure_upstreams(environ, cleanup)
        endpoints = load_endpoints(cfn)
        try:
            server = LocalApiServer((HOST, port), endpoints, out)
        except OSError as error:
            raise LocalRunError(
                f"cannot listen on {HOST}:{port} ({error.strerror}): is another local run using it? "
                "Set PORT to another port"
            ) from error
        cleanup.callback(server.server_close)
        database = dynamodb.start_local_dynamodb(data_dir, environ)
        cleanup.callback(database.stop)
        cleanup.callback(dynamodb.publish_endpoint(data_dir, database.endpoint))
        dynamodb.ensure_register_table(database.endpoint)
        base_url, indent = f"http://{HOST}:{server.server_address[1]}", " " * 13
        banner = ["connected-developers, running locally", f"  API        {base_url}"]
        banner += [f"{indent}{endpoint.route_key} -> {endpoint.function}" for endpoint in endpoints]
        banner += [f"  DynamoDB   {database.description}, table {dynamodb.LOCAL_TABLE_NAME} {database.storage}"]
        banner += [f"  GitHub, X  {upstreams[0]}", *(f"{indent}{line}" for line in upstreams[1:])]
        if log is None:
            banner += ["  Logs       the handlers' JSON logs and EMF metrics, below (VERBOSE=1)"]
        else:
            banner += [f"  Logs       the handlers' JSON logs and EMF metrics in {dynamodb.shown_path(log)}"]
            banner += [f"{indent}(VERBOSE=1 make run shows them here)"]
        banner += ["", heading]
        for example in examples:
            banner += [f"  # {example.purpose}", f"  curl -sw '\\n' {base_url}{example.path}"]
            banner += [f"  # -> {example.status} {example.body}"] if example.body is not None else []
        banner += ["", "Requests are logged below; Ctrl-C stops the API and the database."]
        print("\n".join(banner), file=out, flush=True)
        try:
            server.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt as stop:
            print(f"{stop}: stopping the API and the database", file=err, flush=True)
    return 0


def _stop(signum: int, _frame: FrameType | None) -> None:
    """SIGINT or SIGTERM ends the run as a KeyboardInterrupt; both are then ignored while it cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(os.environ)
    except (LocalRunError, dynamodb.LocalDynamoDBError) as error:
        print(f"local run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
