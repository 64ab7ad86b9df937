"""The register, from an operator's shell, with the operator's AWS credentials:

  forget HANDLE      deletes every record of every pair naming HANDLE (letter case aside), found through the
                     handle indexes, never a Scan, and puts HANDLE on the objection list (unless KEEP_ANSWERING=1)
  unforget HANDLE    takes HANDLE off the objection list (the objection was withdrawn); restores nothing
  objections         lists the objection list, each handle with the day it was added
  spenders [DAY]     who spent a day's X budget: each caller's X users billed that UTC day (default today),
                     most first, then the service's total
  backfill-index     gives records written before the handle indexes their handles: a one-off Scan, a page at a
                     time, resumable (the position is kept in .local/), run once per table

The table: TABLE_NAME when set, else the `RegisterTableName` output of the stack STACK (default: the stack of
samconfig.toml's ENV, `default` unless set). AWS_ENDPOINT_URL_DYNAMODB is honoured; `--local` works on the
register of `make run` (running or not).

Exit status: 0 done; 1 done, but records written before the handle index may remain (run backfill-index);
2 bad input or the table cannot be found.
"""

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_ROOT), str(PROJECT_ROOT / "layers" / "common")]

from connected.handles import can_be_handle  # noqa: E402
from connected.objections import KEPT_SECONDS  # noqa: E402
from connected.register import DynamoDBRegister, RegisterAdmin, new_dynamodb_client  # noqa: E402
from scripts.stacks import StackError, describe_stack, outputs_of, stack_name  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

SETTLE_SECONDS = KEPT_SECONDS + 30
"""How long answers already under way may still record a handle once it is on the objection list: what a
container may keep of the list, plus the longest answer (the functions' timeout is 20 s)."""
STATE_FOLDER = PROJECT_ROOT / ".local"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
OUTPUT_OF_TABLE = "RegisterTableName"


class CommandError(Exception):
    """Bad input or a table that cannot be found: the message says what to do."""


def main(argv: list[str] | None = None) -> int:
    environ = os.environ
    parser = argparse.ArgumentParser(prog="register_admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", action="store_true", help="the register of `make run`")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("forget", "unforget"):
        commands.add_parser(name).add_argument("handle")
    commands.add_parser("objections")
    commands.add_parser("spenders").add_argument("day", nargs="?", type=date.fromisoformat)
    commands.add_parser("backfill-index").add_argument("--restart", action="store_true")
    arguments = parser.parse_args(argv)
    try:
        with _table(environ, arguments.local) as (admin, table):
            if arguments.command == "forget":
                return forget(admin, table, _handle(arguments.handle), environ)
            if arguments.command == "unforget":
                return unforget(admin, _handle(arguments.handle))
            if arguments.command == "spenders":
                return spenders(table, arguments.day or datetime.now(UTC).date())
            if arguments.command == "objections":
                for handle, since in admin.objections():
                    print(f"{handle}\t{since}")
                return 0
            return backfill(admin, table, restart=arguments.restart)
    except CommandError as error:
        print(f"register_admin: {error}", file=sys.stderr)
        return 2


def forget(admin: RegisterAdmin, table: str, handle: str, environ: "MutableMapping[str, str]") -> int:
    """The objection goes on the list first, so that no answer records the handle again while its records
    are deleted; answers already under way are swept up by a second pass once they cannot be any more."""
    keep_answering = environ.get("KEEP_ANSWERING", "") == "1"
    newly_objected = False if keep_answering else admin.object_to(handle)
    erased = admin.erase(handle)
    print(f"{table}: {erased.pairs} pairs named {handle}; {erased.records} records deleted")
    if keep_answering:
        print(f"{handle} is not on the objection list (KEEP_ANSWERING=1): a new answer may record them again")
    elif newly_objected:
        settle = float(environ.get("SETTLE_SECONDS", SETTLE_SECONDS))
        print(f"{handle} is on the objection list: never looked up again; waiting {settle:.0f} s for answers under way")
        time.sleep(settle)
        swept = admin.erase(handle)
        print(f"second pass: {swept.records} records deleted")
    else:
        print(f"{handle} was already on the objection list")
    if not admin.index_complete():
        print(
            f"{table} is not marked as fully indexed: records written before the handle index are not found by "
            "it. Run `make backfill-index` once (safe on any table: it marks the table when done), then this "
            "command again.",
            file=sys.stderr,
        )
        return 1
    return 0


def spenders(table: str, day: date) -> int:
    register = DynamoDBRegister(new_dynamodb_client(), table)
    for caller, users in register.callers_of_day(day):
        print(f"{users}\t{caller}")
    print(f"{register.x_users_billed(day)}\t(the service, {day})")
    return 0


def unforget(admin: RegisterAdmin, handle: str) -> int:
    since = admin.withdraw_objection(handle)
    if since is None:
        print(f"{handle} was not on the objection list")
    else:
        print(f"{handle} is off the objection list (on it since {since}); nothing was restored")
    return 0


def backfill(admin: RegisterAdmin, table: str, restart: bool) -> int:
    state = STATE_FOLDER / f"backfill-index-{table}.json"
    start: dict[str, Any] | None = None
    if state.is_file() and not restart:
        start = json.loads(state.read_text(encoding="utf-8"))
        print(f"resuming where the last run stopped ({state.name}; --restart to start over)")
    indexed = 0
    for number, page in enumerate(admin.backfill_index(start), start=1):
        indexed += page.records_indexed
        if page.resume_at is not None:
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps(page.resume_at), encoding="utf-8")
        print(f"page {number}: {page.records_indexed} records indexed")
    state.unlink(missing_ok=True)
    print(f"{table}: {indexed} records indexed; every record now carries its handles, and the table is marked so")
    return 0


def _handle(handle: str) -> str:
    if not can_be_handle(handle):
        raise CommandError(f"{handle!r} is not a handle on GitHub or X")
    return handle.lower()


@contextmanager
def _table(environ: "MutableMapping[str, str]", local: bool) -> "Iterator[tuple[RegisterAdmin, str]]":
    """The register admin of the chosen table; with `local`, on `make run`'s DynamoDB, started if need be."""
    if not local:
        table = environ.get("TABLE_NAME", "").strip() or _table_of_stack(environ)
        yield RegisterAdmin(new_dynamodb_client(), table), table
        return
    from local.dynamodb import LOCAL_TABLE_NAME, LocalDynamoDBError, local_run_database
    from local.server import DATA_DIR_VARIABLE, DEFAULT_DATA_DIR

    try:
        data_dir = Path(environ.get(DATA_DIR_VARIABLE, "").strip() or DEFAULT_DATA_DIR)
        with local_run_database(data_dir, environ) as endpoint:
            environ[ENDPOINT_VARIABLE] = endpoint
            yield RegisterAdmin(new_dynamodb_client(), LOCAL_TABLE_NAME), LOCAL_TABLE_NAME
    except LocalDynamoDBError as error:
        raise CommandError(str(error)) from error


def _table_of_stack(environ: "MutableMapping[str, str]") -> str:
    import boto3

    try:
        stack = stack_name(environ)
        outputs = outputs_of(describe_stack(boto3.client("cloudformation"), stack))
    except StackError as error:
        raise CommandError(f"{error}, or TABLE_NAME") from error
    if OUTPUT_OF_TABLE not in outputs:
        raise CommandError(f"the stack {stack} has no {OUTPUT_OF_TABLE} output: set TABLE_NAME")
    return outputs[OUTPUT_OF_TABLE]


if __name__ == "__main__":
    sys.exit(main())
