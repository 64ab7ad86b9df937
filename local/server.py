"""`make run`: the HTTP API of template.yaml on http://127.0.0.1:3000, every request handed as API Gateway
would (an HTTP API payload 2.0 event) to the real `lambda_handler` of its function, in this process.

The routes, the function environments and the table schema are read from template.yaml, so the local API
cannot drift from the deployed one. It serves what template.yaml routes (GET, path parameters of one segment),
not every feature of API Gateway. The handlers run against a local DynamoDB (local/dynamodb.py) and, without
X credentials, the offline demo world (local/demo.py).

The console shows the banner and one line per request. What the handlers print, as in Lambda (Powertools'
JSON log lines and EMF metrics, on stdout), goes to api.log in the data folder, or to the console with
VERBOSE=1.
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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import unquote

from local.demo import DEMO_TOKEN, DEMO_WORLD_PATH, Example, demo_examples, load_demo_world, serving
from local.dynamodb import (
    LOCAL_TABLE_NAME,
    LocalDynamoDB,
    LocalDynamoDBError,
    ensure_register_table,
    publish_endpoint,
    shown_path,
    start_local_dynamodb,
)
from local.events import LambdaContext, http_api_event
from local.template import (
    PROJECT_ROOT,
    REGISTER_TABLE,
    function_environment,
    http_routes,
    import_file_module,
    load_template,
)

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
PORT_VARIABLE = "PORT"
DATA_DIR_VARIABLE = "LOCAL_DATA_DIR"
DEFAULT_DATA_DIR = PROJECT_ROOT / ".local"
VERBOSE_VARIABLE = "VERBOSE"
HANDLER_LOG_NAME = "api.log"
DEPLOYED_CREDENTIALS_VARIABLE = "CREDENTIALS_SECRET_ARN"
X_CREDENTIAL_VARIABLE = "TWITTER_BEARER_TOKEN"
GITHUB_CREDENTIAL_VARIABLE = "GITHUB_TOKEN"
NOT_FOUND_BODY = b'{"message":"Not Found"}'
INTERNAL_ERROR_BODY = b'{"message":"Internal Server Error"}'
JSON_CONTENT_TYPE = "application/json"

LambdaHandler = Callable[[dict[str, Any], Any], Any]


class LocalRunError(Exception):
    """The local run cannot start; the message says what to do about it."""


class StopRequested(BaseException):
    """Raised from the SIGINT and SIGTERM handlers. A BaseException, so that socketserver, which reports
    and swallows an Exception raised while it handles a request, lets it through."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A route of template.yaml bound to its function's handler."""

    method: str
    path: str
    function: str
    handler: LambdaHandler
    timeout_seconds: float = 20.0

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class RouteMatch:
    endpoint: Endpoint
    path_parameters: dict[str, str]


def path_pattern(route_path: str) -> re.Pattern[str]:
    """An HTTP API route path as a regex over the raw path, each `{name}` taking one non-empty segment."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route_path)))


class RouteTable:
    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self._routes = [(endpoint, path_pattern(endpoint.path)) for endpoint in endpoints]

    @property
    def endpoints(self) -> list[Endpoint]:
        return [endpoint for endpoint, _pattern in self._routes]

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        for endpoint, pattern in self._routes:
            found = pattern.fullmatch(raw_path)
            if endpoint.method == method and found is not None:
                return RouteMatch(endpoint, {name: unquote(value) for name, value in found.groupdict().items()})
        return None


def load_endpoints(template: dict[str, Any] | None = None) -> list[Endpoint]:
    """Every HttpApi route of the template, each bound to its function's handler (loaded once per function)."""
    template = template or load_template()
    handlers: dict[str, LambdaHandler] = {}
    endpoints: list[Endpoint] = []
    for route in http_routes(template):
        if route.function not in handlers:
            handlers[route.function] = load_handler(route.function, route.code_uri, route.handler)
        endpoints.append(
            Endpoint(
                method=route.method,
                path=route.path,
                function=route.function,
                handler=handlers[route.function],
                timeout_seconds=_function_timeout(template, route.function),
            )
        )
    return endpoints


def load_handler(function: str, code_uri: Path, handler: str) -> LambdaHandler:
    """Imports a function's handler from its CodeUri under a module name of its own: every function's
    module is called app, and both live in this one process."""
    module_path, _, attribute = handler.rpartition(".")
    module_name = f"local_run_{function}_{module_path.replace('.', '_')}"
    path = code_uri / f"{module_path.replace('.', '/')}.py"
    try:
        module = import_file_module(module_name, path)
    except ImportError as error:
        raise LocalRunError(f"cannot load the handler module {path}") from error
    loaded: LambdaHandler = getattr(module, attribute)
    return loaded


def _function_timeout(template: dict[str, Any], function: str) -> float:
    own = template["Resources"][function]["Properties"].get("Timeout")
    return float(own or template.get("Globals", {}).get("Function", {}).get("Timeout") or 20)


def handler_environment(template: dict[str, Any] | None = None) -> dict[str, str]:
    """The variables of every function's environment in template.yaml, the register table being the local
    one. The functions share this process, hence one environment: they must agree on every variable they
    both have. The credentials secret is never part of it: a local run must not read the deployed tokens."""
    template = template or load_template()
    environment: dict[str, str] = {}
    for function in dict.fromkeys(route.function for route in http_routes(template)):
        for name, value in function_environment(function, {REGISTER_TABLE: LOCAL_TABLE_NAME}, template).items():
            if environment.setdefault(name, value) != value:
                raise LocalRunError(
                    f"the functions of template.yaml disagree on {name}, which a local run cannot serve in one process"
                )
    environment.pop(DEPLOYED_CREDENTIALS_VARIABLE, None)
    return environment


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


NOT_FOUND = HttpReply(404, {"content-type": JSON_CONTENT_TYPE}, NOT_FOUND_BODY)
INTERNAL_ERROR = HttpReply(500, {"content-type": JSON_CONTENT_TYPE}, INTERNAL_ERROR_BODY)


def reply_from_lambda(result: dict[str, Any]) -> HttpReply:
    """A handler's response (payload format 2.0) as API Gateway's HTTP answer. Powertools' resolver always
    gives a statusCode, and a base64 body when it compresses (the /docs assets)."""
    body = result.get("body") or ""
    raw_body = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return HttpReply(int(result["statusCode"]), dict(result.get("headers") or {}), raw_body)


def request_event(match: RouteMatch, target: str, headers: dict[str, str], source_ip: str) -> dict[str, Any]:
    """The payload 2.0 event of a request: rawPath as received, pathParameters percent-decoded."""
    raw_path, _, raw_query = target.partition("?")
    return http_api_event(
        match.endpoint.method,
        raw_path,
        raw_query,
        headers={"x-forwarded-for": source_ip, "x-forwarded-proto": "http", **headers},
        route_key=match.endpoint.route_key,
        path_parameters=match.path_parameters,
        source_ip=source_ip,
    )


class LocalApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], routes: RouteTable, console: TextIO) -> None:
        self.routes = routes
        self.console = console
        self._log_lock = threading.Lock()
        self._function_locks = {endpoint.function: threading.Lock() for endpoint in routes.endpoints}
        super().__init__(address, LocalApiRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def invoke(self, match: RouteMatch, event: dict[str, Any]) -> Any:
        """One invocation at a time per function, as one Lambda execution environment takes them: the
        handlers keep per-request state at module level (Powertools' resolver and logger keys)."""
        endpoint = match.endpoint
        with self._function_locks[endpoint.function]:
            context = LambdaContext(function_name=endpoint.function, timeout_seconds=endpoint.timeout_seconds)
            return endpoint.handler(event, context)

    def log_line(self, line: str) -> None:
        with self._log_lock:
            self.console.write(line + "\n")
            self.console.flush()


class LocalApiRequestHandler(BaseHTTPRequestHandler):
    server: LocalApiServer
    protocol_version = "HTTP/1.1"
    server_version = "connected-developers-local"

    def do_GET(self) -> None:
        """Every method comes here: one that no route has gets API Gateway's 404, as an unknown path does."""
        started = time.perf_counter()
        self.rfile.read(int(self.headers.get("content-length") or 0))
        match = self.server.routes.match(self.command, self.path.partition("?")[0])
        request_id = ""
        if match is None:
            reply = NOT_FOUND
        else:
            headers = {name.lower(): value for name, value in self.headers.items()}
            event = request_event(match, self.path, headers, self.client_address[0])
            request_id = event["requestContext"]["requestId"]
            try:
                reply = reply_from_lambda(self.server.invoke(match, event))
            except Exception:  # noqa: BLE001 - Lambda reports a crashed handler as a 500; the server lives on
                traceback.print_exc()
                reply = INTERNAL_ERROR
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.server.log_line(f"{self.command} {self.path} {reply.status} {elapsed_ms:.0f} ms")
        self._send(reply, request_id)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def _send(self, reply: HttpReply, request_id: str) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(reply.body)))
        if request_id:
            self.send_header("apigw-requestid", request_id)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Every request is logged once, by `do_GET`, with its duration."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    port: int
    data_dir: Path
    verbose: bool = False

    @classmethod
    def from_env(cls, environ: MutableMapping[str, str]) -> "RunSettings":
        raw_port = environ.get(PORT_VARIABLE, "").strip() or str(DEFAULT_PORT)
        if not raw_port.isdigit() or int(raw_port) > 65535:
            raise LocalRunError(f"PORT must be a TCP port number, not {raw_port!r}")
        data_dir = Path(environ.get(DATA_DIR_VARIABLE, "").strip() or DEFAULT_DATA_DIR)
        verbose = environ.get(VERBOSE_VARIABLE, "").strip() not in ("", "0")
        return cls(port=int(raw_port), data_dir=data_dir, verbose=verbose)

    @property
    def handler_log(self) -> Path | None:
        """Where what the handlers print goes; None keeps it on the console."""
        return None if self.verbose else self.data_dir / HANDLER_LOG_NAME


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


@dataclass(frozen=True, slots=True)
class UpstreamWorld:
    """Where GitHub and X answers come from, as the banner tells it, with the requests it suggests."""

    description: list[str]
    examples_heading: str
    examples: list[Example]


def configure_upstreams(environ: MutableMapping[str, str], cleanup: ExitStack) -> UpstreamWorld:
    """Real GitHub and X with an X token; without one, the offline demo world served at the HTTP layer until
    `cleanup` ends it, with the demo's tokens. The tokens stay in the environment, where the handlers'
    settings read them."""
    if environ.get(X_CREDENTIAL_VARIABLE, "").strip():
        github_token = environ.get(GITHUB_CREDENTIAL_VARIABLE, "").strip()
        github = "GITHUB_TOKEN set" if github_token else "no GITHUB_TOKEN: 60 GitHub requests an hour"
        return UpstreamWorld(
            description=[f"the real services ({X_CREDENTIAL_VARIABLE} set, {github})"],
            examples_heading="Try it, with two real handles in place of DEV1 and DEV2:",
            examples=[
                Example("are they connected? (recorded in the register)", "/connected/realtime/DEV1/DEV2", None, None),
                Example("every answer given for the pair, oldest first", "/connected/register/DEV1/DEV2", None, None),
            ],
        )

    world = load_demo_world()
    examples = demo_examples(world)
    description = [f"offline demo world from {shown_path(DEMO_WORLD_PATH)} (no {X_CREDENTIAL_VARIABLE} set)"]
    if environ.get(GITHUB_CREDENTIAL_VARIABLE, "").strip():
        description.append(f"GITHUB_TOKEN alone is not used: set {X_CREDENTIAL_VARIABLE} too for the real services")
    description.append(f"developers: {', '.join(developer.handle for developer in world.developers.values())}")
    cleanup.enter_context(serving(world))
    environ.update({X_CREDENTIAL_VARIABLE: DEMO_TOKEN, GITHUB_CREDENTIAL_VARIABLE: DEMO_TOKEN})
    return UpstreamWorld(description=description, examples_heading="Try it:", examples=examples)


def banner(
    base_url: str, routes: RouteTable, database: LocalDynamoDB, upstreams: UpstreamWorld, handler_log: Path | None
) -> str:
    indent = " " * 13
    lines = ["connected-developers, running locally", f"  API        {base_url}"]
    lines += [f"{indent}{endpoint.route_key} -> {endpoint.function}" for endpoint in routes.endpoints]
    lines.append(f"  DynamoDB   {database.description}, table {LOCAL_TABLE_NAME} {database.storage}")
    first, *more = upstreams.description
    lines.append(f"  GitHub, X  {first}")
    lines += [f"{indent}{line}" for line in more]
    if handler_log is None:
        lines.append(f"  Logs       the handlers' JSON logs and EMF metrics, below ({VERBOSE_VARIABLE}=1)")
    else:
        lines.append(f"  Logs       the handlers' JSON logs and EMF metrics in {shown_path(handler_log)}")
        lines.append(f"{indent}({VERBOSE_VARIABLE}=1 make run shows them here)")
    lines += ["", upstreams.examples_heading]
    for example in upstreams.examples:
        lines += [f"  # {example.purpose}", f"  curl -sw '\\n' {base_url}{example.path}"]
        if example.status is not None and example.body is not None:
            lines.append(f"  # -> {example.status} {example.body}")
    lines += ["", "Requests are logged below; Ctrl-C stops the API and the database."]
    return "\n".join(lines)


def run(environ: MutableMapping[str, str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serves until SIGINT or SIGTERM, then stops the API and the database server it started. `out` is the
    console: the banner and the request lines."""
    with ExitStack() as cleanup:
        _stop_on_signals(cleanup)
        settings = RunSettings.from_env(environ)
        cleanup.enter_context(handler_output(settings.handler_log))
        template = load_template()
        environ.pop(DEPLOYED_CREDENTIALS_VARIABLE, None)
        environ.update(handler_environment(template))
        upstreams = configure_upstreams(environ, cleanup)
        routes = RouteTable(load_endpoints(template))
        try:
            server = LocalApiServer((HOST, settings.port), routes, out)
        except OSError as error:
            raise LocalRunError(
                f"cannot listen on {HOST}:{settings.port} ({error.strerror}): is another local run using it? "
                "Set PORT to another port"
            ) from error
        cleanup.callback(server.server_close)
        database = start_local_dynamodb(settings.data_dir, environ)
        cleanup.callback(database.stop)
        cleanup.callback(publish_endpoint(settings.data_dir, database.endpoint))
        ensure_register_table(database.endpoint)
        if database.warning:
            print(f"WARNING: {database.warning}", file=err, flush=True)
        base_url = f"http://{HOST}:{server.port}"
        print(banner(base_url, routes, database, upstreams, settings.handler_log), file=out, flush=True)
        try:
            server.serve_forever(poll_interval=0.25)
        except StopRequested as stop:
            print(f"{stop}: stopping the API and the database", file=err, flush=True)
    return 0


def _stop_on_signals(cleanup: ExitStack) -> None:
    """SIGINT and SIGTERM end the run through `cleanup`; once cleaning up, they are ignored, so a second
    Ctrl-C cannot leave the database server behind half-stopped."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise StopRequested(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    cleanup.callback(restore)


def main() -> int:
    try:
        return run(os.environ)
    except (LocalRunError, LocalDynamoDBError) as error:
        print(f"local run: {error}", file=sys.stderr)
        return 1
    except StopRequested:
        return 0
