"""The register, from an operator's shell (`make forget`, `unforget`, `objections`, `spenders`, `backfill-index`):
TABLE_NAME, else the `RegisterTableName` output of the stack STACK (else samconfig.toml's for ENV, `default` unless
set), with the operator's AWS credentials; `--local`, the register of `make run` (running or not).

docs/people-in-the-register.md says what each command does. Exit status: 0 done; 1 done, but records written before
the handle index may remain (run backfill-index); 2 bad input or the table cannot be found.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_ROOT), str(PROJECT_ROOT / "layers" / "common")]

from connected.handles import can_be_handle  # noqa: E402
from connected.objections import KEPT_SECONDS  # noqa: E402
from connected.register import DynamoDBRegister, RegisterAdmin, new_dynamodb_client  # noqa: E402
from scripts.stacks import StackError, stack_output  # noqa: E402

SETTLE_SECONDS = KEPT_SECONDS + 30
"""How long answers already under way may still record a handle once it is on the objection list: what a
container may keep of the list, plus the longest answer (the functions' timeout is 20 s)."""
STATE_FOLDER = PROJECT_ROOT / ".local"


class CommandError(Exception):
    """Bad input or a table that cannot be found: the message says what to do."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="register_admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--local", action="store_true", help="the register of `make run`")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("forget", help="erase every record naming HANDLE, then never look it up").add_argument("handle")
    commands.add_parser("unforget", help="take HANDLE off the objection list (restores nothing)").add_argument("handle")
    commands.add_parser("objections", help="the objection list: each handle and the day it was added")
    spenders = commands.add_parser("spenders", help="each caller's X users billed on DAY (UTC, default today)")
    spenders.add_argument("day", nargs="?", type=date.fromisoformat)
    backfill_index = commands.add_parser("backfill-index", help="index records older than the handle index (resumable)")
    backfill_index.add_argument("--restart", action="store_true")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command in ("forget", "unforget") and not can_be_handle(arguments.handle):
            raise CommandError(f"{arguments.handle!r} is not a handle on GitHub or X")
        with _table(arguments.local) as (admin, table):
            if arguments.command == "forget":
                return forget(admin, table, arguments.handle.lower())
            if arguments.command == "unforget":
                handle = arguments.handle.lower()
                if since := admin.withdraw_objection(handle):
                    print(f"{handle} is off the objection list (on it since {since}); nothing was restored")
                else:
                    print(f"{handle} was not on the objection list")
            elif arguments.command == "objections":
                for handle, since in admin.objections():
                    print(f"{handle}\t{since}")
            elif arguments.command == "spenders":
                day = arguments.day or datetime.now(UTC).date()
                register = DynamoDBRegister(new_dynamodb_client(), table)
                for caller, users in register.callers_of_day(day):
                    print(f"{users}\t{caller}")
                print(f"{register.x_users_billed(day)}\t(the service, {day})")
            else:
                backfill(admin, table, restart=arguments.restart)
            return 0
    except (CommandError, StackError) as error:
        print(f"register_admin: {error}", file=sys.stderr)
        return 2


def forget(admin: RegisterAdmin, table: str, handle: str) -> int:
    """The objection goes on the list first, so that no answer records the handle again while its records
    are deleted; answers already under way are swept up by a second pass once they cannot be any more."""
    keep_answering = os.environ.get("KEEP_ANSWERING", "") == "1"
    newly_objected = False if keep_answering else admin.object_to(handle)
    erased = admin.erase(handle)
    print(f"{table}: {erased.pairs} pairs named {handle}; {erased.records} records deleted")
    if keep_answering:
        print(f"{handle} is not on the objection list (KEEP_ANSWERING=1): a new answer may record them again")
    elif newly_objected:
        settle = float(os.environ.get("SETTLE_SECONDS", SETTLE_SECONDS))
        print(f"{handle} is on the objection list: never looked up again; waiting {settle:.0f} s for answers under way")
        time.sleep(settle)
        print(f"second pass: {admin.erase(handle).records} records deleted")
    else:
        print(f"{handle} was already on the objection list")
    if admin.index_complete():
        return 0
    print(
        f"{table} is not marked as fully indexed: records written before the handle index are not found by it. Run "
        "`make backfill-index` once (safe on any table: it marks the table when done), then this command again.",
        file=sys.stderr,
    )
    return 1


def backfill(admin: RegisterAdmin, table: str, restart: bool) -> None:
    state, start = STATE_FOLDER / f"backfill-index-{table}.json", None
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


@contextmanager
def _table(local: bool) -> Iterator[tuple[RegisterAdmin, str]]:
    """The register admin of the chosen table; with `local`, on `make run`'s DynamoDB, started if need be."""
    if not local:
        table = os.environ.get("TABLE_NAME", "").strip() or stack_output(os.environ, "RegisterTableName", "TABLE_NAME")
        yield RegisterAdmin(new_dynamodb_client(), table), table
        return
    from local.dynamodb import LOCAL_TABLE_NAME, LocalDynamoDBError, local_run_database
    from local.server import DATA_DIR_VARIABLE, DEFAULT_DATA_DIR

    try:
        data_dir = Path(os.environ.get(DATA_DIR_VARIABLE, "").strip() or DEFAULT_DATA_DIR)
        with local_run_database(data_dir, os.environ) as endpoint:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            yield RegisterAdmin(new_dynamodb_client(), LOCAL_TABLE_NAME), LOCAL_TABLE_NAME
    except LocalDynamoDBError as error:
        raise CommandError(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
