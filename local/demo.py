"""The offline demo world of a local run without credentials: developers from local/demo_world.json served
as GitHub and X at the HTTP layer (local/upstreams.py), so the real clients answer from it as from the real
services, and the requests the startup banner suggests, with the answers the API gives them: worked out by the
connection check itself, with the real clients, over the same world, so that the banner cannot promise an
answer the API would not give. local/ is in no CodeUri of template.yaml: the demo never reaches a deployment.
"""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import NamedTuple

import responses
from aws_lambda_powertools.event_handler import Response

from connected.connection import ConnectionService
from connected.credentials import Credentials
from connected.errors import ConnectedError
from connected.factory import real_upstreams
from connected.handles import Pair
from connected.http import error_response, json_response
from connected.models import Record, Verdict
from connected.settings import Settings
from local.upstreams import FakeUpstreams
from local.world import World

DEMO_WORLD_PATH = Path(__file__).with_name("demo_world.json")
UNKNOWN_HANDLE = "nobody"
# What the demo's fake GitHub and X are sent as tokens: it opens nothing.
DEMO_TOKEN = "offline-demo"  # noqa: S105  # nosec B105
PURPOSES = {
    True: "a connected pair",
    False: "a pair that is not connected",
    None: "the connected pair's register: every answer given, oldest first",
}


class Example(NamedTuple):
    """A request to suggest and the API's answer to it, when it is known in advance."""

    purpose: str
    path: str
    status: int | None = None
    body: str | None = None


class _Unrecorded:
    """The examples' register: their answers are not kept, the register the user is about to read stays theirs."""

    def record(self, _pair: Pair, verdict: Verdict) -> Record:
        return Record(datetime.now(UTC), verdict)

    def latest(self, _pair: Pair) -> None:
        return None


@contextmanager
def serving(world: World) -> Iterator[FakeUpstreams]:
    """GitHub and X answer from `world` at the HTTP layer while this lasts, to every client in the process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        yield FakeUpstreams(http, world)


def demo_examples(world: World) -> list[Example]:
    """A connected pair and a pair that is not (the first of each in the file's order), an unknown user
    next to the connected pair's first developer, and the connected pair's register."""
    if world.developer(UNKNOWN_HANDLE) is not None:
        raise ValueError(f"the demo world must not have a developer called {UNKNOWN_HANDLE}")
    upstreams = real_upstreams(Settings(table_name="demo"), Credentials(DEMO_TOKEN, DEMO_TOKEN))
    found: dict[bool, Example] = {}
    with serving(world), ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-examples") as executor:
        service = ConnectionService(upstreams, _Unrecorded(), executor)
        for dev1, dev2 in combinations([developer.handle for developer in world.developers.values()], 2):
            status, body = _answer(service, dev1, dev2)
            if status == 200:
                connected = json.loads(body)["connected"]
                found.setdefault(connected, Example(PURPOSES[connected], _realtime(dev1, dev2), status, body))
            if len(found) == 2:
                break
        else:
            raise ValueError("the demo world needs a connected pair and a pair that is not connected")
        dev1 = found[True].path.split("/")[3]
        unknown = Example("an unknown user", _realtime(dev1, UNKNOWN_HANDLE), *_answer(service, dev1, UNKNOWN_HANDLE))
    register = found[True].path.replace("/realtime/", "/register/", 1)
    return [found[True], found[False], unknown, Example(PURPOSES[None], register, 200)]


def _realtime(dev1: str, dev2: str) -> str:
    return f"/connected/realtime/{dev1}/{dev2}"


def _answer(service: ConnectionService, dev1: str, dev2: str) -> tuple[int, str]:
    """The status and body the realtime handler sends, built by the same functions it uses."""
    response: Response[str]
    try:
        response = json_response(service.answer(dev1, dev2).verdict.to_json())
    except ConnectedError as error:
        response = error_response(error)
    return response.status_code, str(response.body)
