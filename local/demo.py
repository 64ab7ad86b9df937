"""The offline demo world of a local run without credentials: developers from local/demo_world.json served
as GitHub and X at the HTTP layer (local/upstreams.py), so the real clients answer from it exactly as they
would from the real services, and the example requests the startup banner suggests, with the answers the API
gives them.

The examples are worked out by the connection check itself, with the real clients, over the same world, so
the banner cannot promise an answer the API would not give. The demo can never reach a deployed function: it
lives in local/, which no CodeUri of template.yaml includes.
"""

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import responses
from aws_lambda_powertools.event_handler import Response

from connected.connection import ConnectionService
from connected.credentials import Credentials
from connected.errors import ConnectedError
from connected.factory import real_upstreams
from connected.http import error_response, json_response
from connected.settings import Settings
from local.upstreams import FakeUpstreams
from local.world import InMemoryRegister, World

DEMO_WORLD_PATH = Path(__file__).with_name("demo_world.json")
UNKNOWN_HANDLE = "nobody"
# What the demo's fake GitHub and X are sent as tokens: it opens nothing.
DEMO_TOKEN = "offline-demo"  # noqa: S105  # nosec B105


@dataclass(frozen=True, slots=True)
class Example:
    """A request to suggest and the API's answer to it, when it is known in advance."""

    purpose: str
    path: str
    status: int | None
    body: str | None


def load_demo_world(path: Path = DEMO_WORLD_PATH) -> World:
    return World.from_json(path)


@contextmanager
def serving(world: World) -> Iterator[FakeUpstreams]:
    """GitHub and X answer from `world` at the HTTP layer while this lasts, to every client in the process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        yield FakeUpstreams(http, world)


def demo_examples(world: World) -> list[Example]:
    """A connected pair and a pair that is not (the first of each in the file's order), an unknown user
    next to the connected pair's first developer, and the connected pair's register."""
    handles = [developer.handle for developer in world.developers.values()]
    if world.developer(UNKNOWN_HANDLE) is not None:
        raise ValueError(f"the demo world must not have a developer called {UNKNOWN_HANDLE}")
    connected: Example | None = None
    not_connected: Example | None = None
    unknown: Example | None = None
    upstreams = real_upstreams(Settings(table_name="demo"), Credentials(DEMO_TOKEN, DEMO_TOKEN))
    with serving(world), ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-examples") as executor:
        # The examples' answers go to a register of their own, not to the one the user is about to read.
        service = ConnectionService(upstreams, InMemoryRegister(), executor)
        for dev1, dev2 in combinations(handles, 2):
            status, body = _answer(service, dev1, dev2)
            if status != 200:
                continue
            if json.loads(body)["connected"] and connected is None:
                connected = Example("a connected pair", _realtime(dev1, dev2), status, body)
                unknown = Example(
                    "an unknown user", _realtime(dev1, UNKNOWN_HANDLE), *_answer(service, dev1, UNKNOWN_HANDLE)
                )
            elif not json.loads(body)["connected"] and not_connected is None:
                not_connected = Example("a pair that is not connected", _realtime(dev1, dev2), status, body)
            if connected is not None and not_connected is not None:
                break
    if connected is None or not_connected is None or unknown is None:
        raise ValueError("the demo world needs a connected pair and a pair that is not connected")
    register_path = connected.path.replace("/realtime/", "/register/", 1)
    register = Example("the connected pair's register: every answer given, oldest first", register_path, 200, None)
    return [connected, not_connected, unknown, register]


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
