"""The DynamoDB of a local run: the user's own server when AWS_ENDPOINT_URL_DYNAMODB is set, otherwise
dynalite (npm), whose tables survive a restart, otherwise, without Node.js 20+, moto's in-memory server.

dynalite runs in its own session, so a Ctrl-C in the terminal reaches only the Python process, which stops
the API before the database. It is started through local/dynalite.js, which exits when its stdin ends: if
the Python process dies without cleaning up, even from SIGKILL, the database server does not linger.
"""

import contextlib
import fcntl
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local.template import PROJECT_ROOT, create_register_table, table_definition

LOCAL_TABLE_NAME = "connected-register"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
MINIMUM_NODE_MAJOR = 20
DYNALITE_LAUNCHER = PROJECT_ROOT / "local" / "dynalite.js"
DYNALITE_PACKAGE = PROJECT_ROOT / "node_modules" / "dynalite" / "package.json"
DATA_LOCK_FILE = "make-run.lock"
ENDPOINT_FILE = "dynamodb-endpoint"
"""Where a running `make run` says which DynamoDB it serves, for the operator commands of `LOCAL=1`."""
DYNALITE_FOLDER = "dynalite"
LISTEN_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 3.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
DUMMY_CREDENTIAL = "local"
DUMMY_REGION = "us-east-1"


class LocalDynamoDBError(Exception):
    """The local DynamoDB could not be started or used; the message says what to do about it."""


class DynaliteUnavailableError(Exception):
    """dynalite cannot run here (no Node.js 20+, or `npm ci` not run); the message says why."""


def _nothing_to_stop() -> None:
    return None


@dataclass
class LocalDynamoDB:
    endpoint: str
    description: str
    storage: str
    warning: str | None = None
    stop: Callable[[], None] = field(default=_nothing_to_stop, repr=False)


def start_local_dynamodb(data_dir: Path, environ: MutableMapping[str, str]) -> LocalDynamoDB:
    """Starts (or, when the user set AWS_ENDPOINT_URL_DYNAMODB, adopts) the DynamoDB server and points
    boto3 at it through `environ`, which every client of this process, the handlers' included, reads."""
    user_endpoint = environ.get(ENDPOINT_VARIABLE, "").strip()
    if user_endpoint:
        provide_dummy_identity(environ, keep_user_profile=True)
        return LocalDynamoDB(
            endpoint=user_endpoint,
            description=f"your server at {user_endpoint} (AWS_ENDPOINT_URL_DYNAMODB)",
            storage="as your server keeps it",
        )
    provide_dummy_identity(environ, keep_user_profile=False)
    bypass_proxies_for_loopback(environ)
    try:
        node = dynalite_node()
    except DynaliteUnavailableError as reason:
        database = start_moto(str(reason))
    else:
        database = start_dynalite(node, data_dir)
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
    try:
        database = start_dynalite(dynalite_node(), data_dir)
    except DynaliteUnavailableError as reason:
        raise LocalDynamoDBError(f"no local register to work on: {reason}") from None
    try:
        ensure_register_table(database.endpoint)
        yield database.endpoint
    finally:
        database.stop()


def _listening(endpoint: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(endpoint)
    try:
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=1.0):
            return True
    except OSError:
        return False


def provide_dummy_identity(environ: MutableMapping[str, str], keep_user_profile: bool) -> None:
    """boto3 signs every request, so it needs credentials and a region even for a server that checks
    neither. Dummy keys are set when the environment has none, and, for a server of our own, the user's
    profile is put aside: no AWS account is needed, and a missing or expired SSO profile cannot break a
    local run. A user's own server may check credentials, so their profile is then kept."""
    if not keep_user_profile:
        environ.pop("AWS_PROFILE", None)
        environ.pop("AWS_DEFAULT_PROFILE", None)
    has_keys = bool(environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
    if not has_keys and not environ.get("AWS_PROFILE"):
        environ["AWS_ACCESS_KEY_ID"] = DUMMY_CREDENTIAL
        environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_CREDENTIAL
        environ.pop("AWS_SESSION_TOKEN", None)
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")) and not _configured_region():
        environ["AWS_DEFAULT_REGION"] = DUMMY_REGION


def bypass_proxies_for_loopback(environ: MutableMapping[str, str]) -> None:
    """Behind a corporate proxy (HTTPS_PROXY set), boto3 would send the local server's requests to the
    proxy unless NO_PROXY names the loopback address."""
    listed = (environ.get("NO_PROXY") or environ.get("no_proxy") or "").strip(", ")
    names = {name.strip() for name in listed.split(",") if name.strip()}
    missing = [name for name in LOOPBACK_NAMES if name not in names]
    if missing:
        environ["NO_PROXY"] = environ["no_proxy"] = ",".join(filter(None, [listed, *missing]))


def _configured_region() -> str | None:
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        region: str | None = botocore.session.Session().get_config_variable("region")
    except BotoCoreError:
        return None
    return region


def dynalite_node() -> str:
    """The Node.js 20+ executable that can run the installed dynalite."""
    node = shutil.which("node")
    if node is None:
        raise DynaliteUnavailableError("Node.js is not installed")
    # The node found on PATH, no shell.
    version = subprocess.run(  # noqa: S603  # nosec B603
        [node, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.strip()
    major = re.match(r"v(\d+)\.", version)
    if major is None or int(major[1]) < MINIMUM_NODE_MAJOR:
        raise DynaliteUnavailableError(f"Node.js {version or '(unknown version)'} is older than {MINIMUM_NODE_MAJOR}")
    if not DYNALITE_PACKAGE.exists():
        raise DynaliteUnavailableError("dynalite is not installed (run `npm ci`, which `make run` does)")
    return node


def start_dynalite(node: str, data_dir: Path) -> LocalDynamoDB:
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = _lock_data_folder(data_dir)
    tables_dir = data_dir / DYNALITE_FOLDER
    # Our own launcher, no shell.
    process = subprocess.Popen(  # noqa: S603  # nosec B603
        [node, str(DYNALITE_LAUNCHER), str(tables_dir)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )

    def stop() -> None:
        stop_process_group(process)
        lock.close()

    try:
        port = _read_port(process)
    except BaseException:
        stop()
        raise
    endpoint = f"http://127.0.0.1:{port}"
    return LocalDynamoDB(
        endpoint=endpoint,
        description=f"dynalite at {endpoint}",
        storage=f"kept in {shown_path(tables_dir)} across restarts",
        stop=stop,
    )


def start_moto(reason: str) -> LocalDynamoDB:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    return LocalDynamoDB(
        endpoint=endpoint,
        description=f"moto at {endpoint}",
        storage="in memory, lost when the run stops",
        warning=(
            f"{reason}, so DynamoDB is moto's in-memory server: the register will NOT survive a restart. "
            f"With Node.js {MINIMUM_NODE_MAJOR}+, `make run` installs dynalite, which keeps it."
        ),
        stop=server.stop,
    )


def ensure_register_table(endpoint: str, table_name: str = LOCAL_TABLE_NAME) -> bool:
    """Creates the register table from template.yaml's definition unless it exists, and marks it as holding
    no record without its handles; True when created. A table of an earlier version, without the
    handle indexes, is rebuilt with them."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from connected.register import RegisterAdmin

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        config=Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}),
    )
    try:
        try:
            table = client.describe_table(TableName=table_name)["Table"]
        except client.exceptions.ResourceNotFoundException:
            create_register_table(client, table_name)
            RegisterAdmin(client, table_name).mark_index_complete()
            return True
        wanted = sorted((key["AttributeName"], key["KeyType"]) for key in table_definition()["KeySchema"])
        found = sorted((key["AttributeName"], key["KeyType"]) for key in table.get("KeySchema", []))
        if found != wanted:
            raise LocalDynamoDBError(
                f"table {table_name} at {endpoint} has the key schema {found}, template.yaml says {wanted}: "
                "delete the table (`make clean` removes the local data) and run again"
            )
        if not table.get("GlobalSecondaryIndexes"):
            _rebuild_with_indexes(client, table_name)
    except (BotoCoreError, ClientError) as error:
        raise LocalDynamoDBError(f"DynamoDB at {endpoint} cannot be used: {error}") from error
    return False


def _rebuild_with_indexes(client: Any, table_name: str) -> None:
    """Moves a local table of an earlier version, which lacks the handle indexes, into one built as the
    template says: dynalite cannot add an index to a table. Local registers are small: it is read whole."""
    from connected.register import HANDLE_ATTRIBUTES, RegisterAdmin

    items = [item for page in client.get_paginator("scan").paginate(TableName=table_name) for item in page["Items"]]
    client.delete_table(TableName=table_name)
    client.get_waiter("table_not_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    create_register_table(client, table_name)
    for item in items:
        if "#" in item["pair"]["S"]:
            handles = item["pair"]["S"].split("#", 1)
            item.update(
                {attribute: {"S": handle} for attribute, handle in zip(HANDLE_ATTRIBUTES, handles, strict=True)}
            )
        client.put_item(TableName=table_name, Item=item)
    RegisterAdmin(client, table_name).mark_index_complete()


def stop_process_group(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM to the process's whole group (it leads its own session), SIGKILL if it has not exited in
    time."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def shown_path(path: Path) -> str:
    """`path` relative to the project when it is inside it, as a user would type it from there."""
    resolved = path.resolve()
    return str(resolved.relative_to(PROJECT_ROOT)) if resolved.is_relative_to(PROJECT_ROOT) else str(resolved)


def _lock_data_folder(data_dir: Path) -> IO[str]:
    """dynalite would start on a folder whose LevelDB another run holds, then fail on the first request:
    this lock, released by the kernel whenever this process ends, turns that into a clear refusal."""
    handle = (data_dir / DATA_LOCK_FILE).open("w", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise LocalDynamoDBError(
            f"another local run is using {shown_path(data_dir)}: stop it first, or set LOCAL_DATA_DIR to another folder"
        ) from None
    return handle


def _read_port(process: "subprocess.Popen[bytes]") -> int:
    """The port dynalite printed once listening."""
    stdout = process.stdout
    if stdout is None:
        raise ValueError("dynalite must be started with its stdout piped")
    deadline = time.monotonic() + LISTEN_TIMEOUT_SECONDS
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([stdout], [], [], remaining)
        if not readable:
            break
        line = stdout.readline().strip()
        if line.isdigit():
            return int(line)
        if not line:
            raise LocalDynamoDBError(
                f"dynalite stopped before listening (exit code {process.wait()}); its error is above"
            )
    raise LocalDynamoDBError(f"dynalite did not start listening within {LISTEN_TIMEOUT_SECONDS:.0f} seconds")
