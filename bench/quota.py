"""A day of traffic against X's and GitHub's quotas: what 1,000 answers ask of each and how many answers every
15 minutes the quotas allow, with and without `max_age`; and a team of 10 against its 45 pairs, in X users read.
Counted, not timed: the real clients and connection check, the HTTP-level fakes and moto, on a simulated clock."""

import os
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from itertools import combinations, count
from typing import NamedTuple
from unittest import mock

import boto3
import responses
from moto import mock_aws

from bench.report import text_table
from connected.connection import ConnectionService
from connected.credentials import Credentials
from connected.errors import ConnectedError
from connected.factory import real_upstreams
from connected.register import DynamoDBRegister
from connected.settings import Settings
from local.template import create_register_table
from local.upstreams import FakeUpstreams
from local.world import Developer, World

DAY = datetime(2026, 11, 2, tzinfo=UTC)
MAX_AGE = timedelta(hours=6)
# Requests allowed per 15 minutes: X's per app for each endpoint; GitHub's 5,000 an hour with a token, 304s free.
WINDOW_QUOTAS = {"x lookups": 300, "x following": 300, "x followers": 300, "github (200/404)": 5000 // 4}
X_ENDPOINTS = {"x lookups": "x_users", "x following": "x_following", "x followers": "x_followers"}
PRICE_PER_X_USER = 0.01
Offline = tuple[ConnectionService, FakeUpstreams]
_tables = count()  # a table of its own for each service: moto may outlive a `mock_aws()`


class Asked(NamedTuple):
    at: datetime
    dev1: str
    dev2: str


class DayCount(NamedTuple):
    label: str
    answers: int
    from_register: int
    requests: Counter[str]
    x_users_read: int
    x_users_looked_up: int

    def answers_per_window(self) -> float:
        """The answers every 15 minutes before the first quota is spent."""
        made = self.requests
        return min(quota * self.answers / made[name] for name, quota in WINDOW_QUOTAS.items() if made[name])

    def row(self) -> dict[str, str]:
        def scaled(number: float) -> float:
            return number * 1000 / self.answers

        made, dollars = self.requests, scaled(self.x_users_read + self.x_users_looked_up) * PRICE_PER_X_USER
        return {
            "per 1,000 answers": self.label,
            "from register": f"{scaled(self.from_register):.0f}",
            "X lookups": f"{scaled(made['x lookups']):.0f}",
            "X list requests": f"{scaled(made['x following'] + made['x followers']):.0f}",
            "X users read (billed, with lookups)": f"{scaled(self.x_users_read):,.0f} (${dollars:,.0f})",
            "GitHub requests + 304s": f"{scaled(made['github (200/404)']):.0f} + {scaled(made['github 304']):.0f}",
            "answers per 15 min": f"{self.answers_per_window():.0f}",
        }


def demo_day(seed: int = 7, developers: int = 300) -> tuple[World, list[Asked]]:
    """A world with a few popular developers, organisations of all sizes, and a day of requests: a third repeat a
    pair asked earlier, most name popular handles, some pairs share no organisation, one in ten names nobody."""
    rng = random.Random(seed)  # noqa: S311  (a made-up day, the same on every run; nothing secret)
    handles = [f"dev{number:03}" for number in range(developers)]
    popularity = [1 / (rank + 1) ** 0.9 for rank in range(developers)]
    organisations = [f"org{number:02}" for number in range(40)]
    organisation_weights = [1 / (rank + 1) for rank in range(len(organisations))]
    world = World()
    for rank, handle in enumerate(handles):
        member_of = set(rng.choices(organisations, organisation_weights, k=rng.randint(0, 3)))
        follows = set(rng.choices(handles, popularity, k=rng.randint(3, 25))) - {handle}
        world.add(
            Developer(
                handle,
                organisations=sorted(member_of),
                follows=sorted(follows),
                protected=rng.random() < 0.04,
                other_following=min(4000, int(rng.lognormvariate(5.3, 1.0))),
                other_followers=min(20_000, int(30_000 * popularity[rank]) + int(rng.lognormvariate(5, 1.2))),
            )
        )
    asked: list[Asked] = []
    pair: tuple[str, ...]
    for moment in sorted(rng.uniform(0, 86_400) for _ in range(1000)):
        roll = rng.random()
        if asked and roll < 0.33:
            pair = rng.choice(asked[-200:])[1:]
        elif roll < 0.43:
            pair = (rng.choice(handles), f"ghost{rng.randint(0, 99):02}")
        elif roll < 0.60:
            pair = tuple(rng.sample(handles, 2))
        else:
            pair = tuple(rng.choices(handles, popularity, k=2))
        if pair[0] != pair[1]:
            asked.append(Asked(DAY + timedelta(seconds=moment), *pair))
    return world, asked


@contextmanager
def _offline_service(world: World, now: list[datetime], max_read: int | None = None) -> Iterator[Offline]:
    """The connection check with the real clients, GitHub and X from `world` and the register in moto, the
    environment restored afterwards; `max_read`, the most X users an answer reads, as deployed unless given."""
    dummy = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1"}
    with (
        mock.patch.dict(os.environ, dummy),
        mock_aws(),
        responses.RequestsMock(assert_all_requests_are_fired=False) as http,
        ThreadPoolExecutor(max_workers=20) as executor,
    ):
        for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
            os.environ.pop(variable, None)  # whatever DynamoDB server the environment names
        client, settings = boto3.client("dynamodb"), Settings(table_name=f"quota-bench-{next(_tables)}")
        create_register_table(client, settings.table_name)
        clients = real_upstreams(settings, Credentials("bench", "bench"))
        register = DynamoDBRegister(client, settings.table_name, clock=lambda: now[0])
        max_read = settings.max_x_users_read if max_read is None else max_read
        yield ConnectionService(clients, register, executor, max_read, clock=lambda: now[0]), FakeUpstreams(http, world)


def count_day(label: str, world: World, asked: list[Asked], max_age: timedelta | None) -> DayCount:
    now = [DAY]
    remembered = 0
    with _offline_service(world, now) as (service, upstreams):
        for request in asked:
            now[0] = request.at
            with suppress(ConnectedError):
                remembered += service.answer(request.dev1, request.dev2, max_age=max_age).from_register
        counted = Counter({name: upstreams.count(endpoint) for name, endpoint in X_ENDPOINTS.items()})
        for (endpoint, status), answered in upstreams.statuses.items():
            if endpoint.startswith("github"):  # GitHub's rate limit does not count 304 Not Modified
                counted["github 304" if status == 304 else "github (200/404)"] += answered
        return DayCount(label, len(asked), remembered, counted, upstreams.x_users_returned, upstreams.x_users_looked_up)


def quota_report() -> str:
    """The day counted always fresh and with `max_age`; X users read by one team answer and by its 45 pair answers
    (no read budget, so that both decide every pair)."""
    world, asked = demo_day()
    counts = [count_day("a day, always fresh", world, asked, None)]
    counts.append(count_day(f"a day, max_age={int(MAX_AGE.total_seconds())}", world, asked, MAX_AGE))
    team = [f"member{number}" for number in range(10)]
    world = World()
    for handle in team:
        follows = [other for other in team if other != handle]
        world.add(Developer(handle, ["pioneers"], follows=follows, other_following=1500, other_followers=1500))
    read: list[int] = []
    for ask_as_team in (True, False):
        with _offline_service(world, [DAY], max_read=0) as (service, upstreams):
            upstreams.list_named_accounts_last()
            if ask_as_team:
                service.team(team)
            else:
                for first, second in combinations(team, 2):
                    service.answer(first, second)
            read.append(upstreams.x_users_returned)
    rows = [count.row() for count in counts]
    return (
        f"{text_table(list(rows[0]), [list(row.values()) for row in rows])}\n"
        f"team of 10 (one organisation, all following each other, 1,500 more each): {read[0]:,} X users read, "
        f"against {read[1]:,} for its 45 pairs one by one ({read[1] / read[0]:.1f}x)"
    )
