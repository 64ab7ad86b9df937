"""The DynamoDB of a local run: the user's own server when AWS_ENDPOINT_URL_DYNAMODB is set, otherwise dynalite
(npm, which needs Node.js 20+: `make run` installs it), whose tables survive a restart.

dynalite runs in its own session, so a Ctrl-C in the terminal reaches only the Python process, which stops
the API before the database. It is started through local/dynalite.js, which exits when its stdin ends: if
the Python process dies without cleaning up, even from SIGKILL, the database server does not linger.
"""

import contextlib
import fcntl
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from local.template import PROJECT_ROOT, create_register_table, table_definition

LOCAL_TABLE_NAME = "connected-register"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
DYNALITE_PACKAGE = PROJECT_ROOT / "node_modules" / "dynalite" / "package.json"
ENDPOINT_FILE = "dynamodb-endpoint"
"""Where a running `make run` says which DynamoDB it serves, for the operator commands of `LOCAL=1`."""
LISTEN_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS = 10.0, 3.0
DUMMY_CREDENTIAL = "local"


class LocalDynamoDBError(Exception):
    """The local DynamoDB could not be started or used; the message says what to do about it."""


@dataclass
class LocalDynamoDB:
    endpoint: str
    description: str
    storage: str
    """What the banner says of the server and of where it keeps the tables."""
    stop: Callable[[], None] = lambda: None


def start_local_dynamodb(data_dir: Path, environ: MutableMapping[str, str]) -> LocalDynamoDB:
    """Starts (or, when the user set AWS_ENDPOINT_URL_DYNAMODB, adopts) the DynamoDB server and points
    boto3 at it through `environ`, which every client of this process, the handlers' included, reads."""
    if endpoint := environ.get(ENDPOINT_VARIABLE, "").strip():
        provide_dummy_identity(environ, keep_user_profile=True)
        return LocalDynamoDB(endpoint, f"your server at {endpoint} ({ENDPOINT_VARIABLE})", "as your server keeps it")
    provide_dummy_identity(environ, keep_user_profile=False)
    bypass_proxies_for_loopback(environ)
    database = start_dynalite(dynalite_node(), data_dir)
    environ[ENDPOINT_VARIABLE] = database.endpoint
    return database


def publish_endpoint(data_dir: Path, endpoint: str) -> Callable[[], None]:
    """Tells operator commands (`make forget LOCAL=1`) where this run's DynamoDB listens; returns the undoing."""
    published = data_dir / ENDPOINT_FILE
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(endpoint, encoding="utf-8")
    return lambda: published.unlink(missing_ok=True)


@contextlib.contextmanager
def local_run_database(data_dir: Path, environ: MutableMapping[str, str]) -> Iterator[str]:
    """The endpoint of the DynamoDB `make run` keeps its register in: the running one's, else dynalite started
    on its folder for as long as the caller needs it."""
    provide_dummy_identity(environ, keep_user_profile=False)
    bypass_proxies_for_loopback(environ)
    published = data_dir / ENDPOINT_FILE
    if published.is_file() and _listening(endpoint := published.read_text(encoding="utf-8").strip()):
        yield endpoint
        return
    database = start_dynalite(dynalite_node(), data_dir)
    try:
        ensure_register_table(database.endpoint)
        yield database.endpoint
    finally:
        database.stop()


def _listening(endpoint: str) -> bool:
    address = urlsplit(endpoint)
    with contextlib.suppress(OSError), socket.create_connection((address.hostname, address.port or 80), timeout=1):
        return True
    return False


def provide_dummy_identity(environ: MutableMapping[str, str], keep_user_profile: bool) -> None:
    """boto3 signs every request, so it needs credentials and a region even for a server that checks neither:
    dummy keys when the environment has none, and for a server of our own the user's profile put aside (no AWS
    account needed, no expired SSO profile in the way); a user's own server may check them, so it keeps them."""
    if not keep_user_profile:
        environ.pop("AWS_PROFILE", None)
        environ.pop("AWS_DEFAULT_PROFILE", None)
    has_keys = environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY")
    if not has_keys and not environ.get("AWS_PROFILE"):
        environ.update(AWS_ACCESS_KEY_ID=DUMMY_CREDENTIAL, AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIAL)
        environ.pop("AWS_SESSION_TOKEN", None)
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        import botocore.session
        from botocore.exceptions import BotoCoreError

        with contextlib.suppress(BotoCoreError):  # a broken AWS config file only costs the configured region
            if botocore.session.Session().get_config_variable("region"):
                return
        environ["AWS_DEFAULT_REGION"] = "us-east-1"


def bypass_proxies_for_loopback(environ: MutableMapping[str, str]) -> None:
    """Behind a corporate proxy (HTTPS_PROXY set), boto3 and Selenium would send requests for a local server to
    the proxy unless NO_PROXY names the loopback address."""
    listed = (environ.get("NO_PROXY") or environ.get("no_proxy") or "").strip(", ")
    names = {name.strip() for name in listed.split(",")}
    if missing := [name for name in ("127.0.0.1", "localhost") if name not in names]:
        environ["NO_PROXY"] = environ["no_proxy"] = ",".join(filter(None, [listed, *missing]))


def dynalite_node() -> str:
    """The Node.js executable to run the installed dynalite with."""
    node = shutil.which("node")
    if node is None or not DYNALITE_PACKAGE.exists():
        missing = "Node.js is not installed" if node is None else "dynalite is not installed"
        raise LocalDynamoDBError(f"{missing}: with Node.js 20+, `make run` installs dynalite (`npm ci`)")
    return node


def start_dynalite(node: str, data_dir: Path) -> LocalDynamoDB:
    """dynalite on a port the system picks, its tables in `data_dir`/dynalite. The folder is locked first (the
    kernel lets go when this process ends): on a LevelDB another run holds, dynalite would fail later."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = (data_dir / "make-run.lock").open("w", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        advice = "stop it first, or set LOCAL_DATA_DIR to another folder"
        raise LocalDynamoDBError(f"another local run is using {shown_path(data_dir)}: {advice}") from None
    tables_dir = data_dir / "dynalite"
    launcher = [node, str(PROJECT_ROOT / "local" / "dynalite.js"), str(tables_dir)]
    # Our own launcher, no shell; its own session, its stdin ours.
    pipe = subprocess.PIPE
    process = subprocess.Popen(launcher, cwd=PROJECT_ROOT, stdin=pipe, stdout=pipe, start_new_session=True)  # noqa: S603  # nosec B603

    def stop() -> None:
        with process, lock:  # then its pipes and the lock are closed, once it has exited
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()

    try:
        endpoint = f"http://127.0.0.1:{_read_port(process)}"
    except BaseException:
        stop()
        raise
    return LocalDynamoDB(
        endpoint, f"dynalite at {endpoint}", f"kept in {shown_path(tables_dir)} across restarts", stop=stop
    )


def _read_port(process: "subprocess.Popen[bytes]") -> int:
    """The port dynalite prints once listening."""
    stdout = cast(IO[bytes], process.stdout)
    deadline = time.monotonic() + LISTEN_TIMEOUT_SECONDS
    while select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
        line = stdout.readline().strip()
        if line.isdigit():
            return int(line)
        if not line:
            raise LocalDynamoDBError(
                f"dynalite stopped before listening (exit code {process.wait()}); its error is above"
            )
    raise LocalDynamoDBError(f"dynalite did not start listening within {LISTEN_TIMEOUT_SECONDS:.0f} seconds")


def ensure_register_table(endpoint: str, table_name: str = LOCAL_TABLE_NAME) -> bool:
    """Creates the register table as template.yaml defines it unless it exists, marked as holding no record
    without its handles; True when created. A table of another shape is refused, with what to do."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from connected.register import RegisterAdmin

    def shape(table: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
        keys = sorted((key["AttributeName"], key["KeyType"]) for key in table.get("KeySchema", []))
        return keys, sorted(index["IndexName"] for index in table.get("GlobalSecondaryIndexes", []))

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})
    client = boto3.client("dynamodb", endpoint_url=endpoint, config=config)
    try:
        try:
            found = shape(client.describe_table(TableName=table_name)["Table"])
        except client.exceptions.ResourceNotFoundException:
            create_register_table(client, table_name)
            RegisterAdmin(client, table_name).mark_index_complete()
            return True
    except (BotoCoreError, ClientError) as error:
        raise LocalDynamoDBError(f"DynamoDB at {endpoint} cannot be used: {error}") from error
    if found != (wanted := shape(table_definition())):
        raise LocalDynamoDBError(
            f"table {table_name} at {endpoint} has the keys and indexes {found}, template.yaml says {wanted}: "
            "delete the table (`make clean` removes the local data) and run again"
        )
    return False


def shown_path(path: Path) -> str:
    """`path` relative to the project when it is inside it, as a user would type it from there."""
    resolved = path.resolve()
    return str(resolved.relative_to(PROJECT_ROOT)) if resolved.is_relative_to(PROJECT_ROOT) else str(resolved)
