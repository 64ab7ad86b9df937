"""A day of traffic against X's and GitHub's quotas: what 1,000 answers ask of each, and how many answers every
15 minutes the quotas allow, with and without `max_age`. Counted, not timed: the real clients and the connection
check answer a made-up but realistic day (repeat pairs, popular handles, pairs without a common organisation,
unknown handles) from the HTTP-level fakes and an in-memory DynamoDB (moto), on a simulated clock.

Also: a team of 10 of one organisation against its 45 pairs answered one by one, in X users read.
"""

import os
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations, count
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

ANSWERS_PER_DAY = 1000
MAX_AGE = timedelta(hours=6)
DAY = datetime(2026, 11, 2, tzinfo=UTC)
TABLE = "quota-bench"
_tables = count()
WINDOW_QUOTAS = {
    "x lookups": 300,
    "x following": 300,
    "x followers": 300,
    "github (200/404)": 5000 // 4,
}
"""Requests allowed per 15 minutes: X per app for /2/users/by and for each follow list; GitHub 5,000 an hour
with a token, 304s not counted."""
PRICE_PER_X_USER = 0.01


@dataclass(frozen=True, slots=True)
class Asked:
    at: datetime
    dev1: str
    dev2: str


@dataclass(frozen=True, slots=True)
class DayCount:
    """What a day of answers asked of the upstreams, per 1,000 answers."""

    label: str
    answers: int
    from_register: int
    requests: Counter[str]
    x_users_read: int
    x_users_looked_up: int

    def per_thousand(self, count: float) -> float:
        return count * 1000 / self.answers

    def answers_per_window(self) -> float:
        """The answers every 15 minutes before the first quota is spent."""
        return min(
            quota * self.answers / self.requests[name] for name, quota in WINDOW_QUOTAS.items() if self.requests[name]
        )

    def row(self) -> list[str]:
        dollars = self.per_thousand(self.x_users_read + self.x_users_looked_up) * PRICE_PER_X_USER
        return [
            self.label,
            f"{self.per_thousand(self.from_register):.0f}",
            f"{self.per_thousand(self.requests['x lookups']):.0f}",
            f"{self.per_thousand(self.requests['x following'] + self.requests['x followers']):.0f}",
            f"{self.per_thousand(self.x_users_read):,.0f} (${dollars:,.0f})",
            f"{self.per_thousand(self.requests['github (200/404)']):.0f}"
            f" + {self.per_thousand(self.requests['github 304']):.0f}",
            f"{self.answers_per_window():.0f}",
        ]


COLUMNS = [
    "per 1,000 answers",
    "from register",
    "X lookups",
    "X list requests",
    "X users read (billed, with lookups)",
    "GitHub requests + 304s",
    "answers per 15 min",
]


def demo_day(seed: int = 7, developers: int = 300) -> tuple[World, list[Asked]]:
    """A world with a few popular developers many follow, organisations of all sizes, and a day of requests:
    a third repeats a pair asked earlier, most name popular handles, some pairs share no organisation, one in
    ten names a handle nobody has."""
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
    for moment in sorted(rng.uniform(0, 86_400) for _ in range(ANSWERS_PER_DAY)):
        roll = rng.random()
        if asked and roll < 0.33:
            earlier = rng.choice(asked[-200:])
            pair = (earlier.dev1, earlier.dev2)
        elif roll < 0.43:
            pair = (rng.choice(handles), f"ghost{rng.randint(0, 99):02}")
        elif roll < 0.60:
            pair = tuple(rng.sample(handles, 2))  # type: ignore[assignment]
        else:
            pair = tuple(rng.choices(handles, popularity, k=2))  # type: ignore[assignment]
        if pair[0] == pair[1]:
            continue
        asked.append(Asked(DAY + timedelta(seconds=moment), *pair))
    return world, asked


@contextmanager
def _offline_service(
    world: World, now: list[datetime], max_x_users_read: int | None = None
) -> Iterator[tuple[ConnectionService, FakeUpstreams]]:
    """The connection check with the real clients, GitHub and X from `world`, the register in moto (whatever
    DynamoDB server the environment names), the environment restored afterwards; `max_x_users_read` as the
    service's default setting unless given."""
    dummy = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-1"}
    with (
        mock.patch.dict(os.environ, dummy),
        mock_aws(),
        responses.RequestsMock(assert_all_requests_are_fired=False) as http,
        ThreadPoolExecutor(max_workers=20) as executor,
    ):
        for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
            os.environ.pop(variable, None)
        client = boto3.client("dynamodb")
        table = f"{TABLE}-{next(_tables)}"
        create_register_table(client, table)
        upstreams = FakeUpstreams(http, world)
        clients = real_upstreams(Settings(table_name=table), Credentials("bench", "bench"))
        register = DynamoDBRegister(client, table, clock=lambda: now[0])
        if max_x_users_read is None:
            max_x_users_read = Settings(table_name=table).max_x_users_read
        service = ConnectionService(clients, register, executor, max_x_users_read, clock=lambda: now[0])
        yield service, upstreams


def count_day(label: str, world: World, asked: list[Asked], max_age: timedelta | None) -> DayCount:
    now = [DAY]
    from_register = 0
    with _offline_service(world, now) as (service, upstreams):
        for request in asked:
            now[0] = request.at
            try:
                answer = service.answer(request.dev1, request.dev2, max_age=max_age)
            except ConnectedError:
                continue
            from_register += answer.from_register
        requests = Counter(
            {
                "x lookups": upstreams.count("x_users"),
                "x following": upstreams.count("x_following"),
                "x followers": upstreams.count("x_followers"),
                "github (200/404)": github_requests(upstreams, not_modified=False),
                "github 304": github_requests(upstreams, not_modified=True),
            }
        )
        return DayCount(
            label, len(asked), from_register, requests, upstreams.x_users_returned, upstreams.x_users_looked_up
        )


def github_requests(upstreams: FakeUpstreams, not_modified: bool) -> int:
    """GitHub requests answered 304 Not Modified (`not_modified`), which its rate limit does not count, or not."""
    return sum(
        count
        for (endpoint, status), count in upstreams.statuses.items()
        if endpoint.startswith("github") and (status == 304) == not_modified
    )


def team_against_pairs() -> tuple[int, int]:
    """X users read by one team answer for 10 developers of one organisation, each following the others and
    each with 1,500 more followers and following, and by the 45 pair answers of the same world (no read budget,
    so that both decide every pair)."""
    team = [f"member{number}" for number in range(10)]
    world = World()
    for handle in team:
        world.add(
            Developer(
                handle,
                organisations=["pioneers"],
                follows=[other for other in team if other != handle],
                other_following=1500,
                other_followers=1500,
            )
        )
    read: list[int] = []
    for ask_as_team in (True, False):
        with _offline_service(world, [DAY], max_x_users_read=0) as (service, upstreams):
            upstreams.list_named_accounts_last()
            if ask_as_team:
                service.team(team)
            else:
                for first, second in combinations(team, 2):
                    service.answer(first, second)
            read.append(upstreams.x_users_returned)
    return read[0], read[1]


def quota_table(counts: list[DayCount]) -> str:
    return text_table(COLUMNS, [count.row() for count in counts])


def quota_report() -> str:
    world, asked = demo_day()
    counts = [
        count_day("a day, always fresh", world, asked, None),
        count_day(f"a day, max_age={int(MAX_AGE.total_seconds())}", world, asked, MAX_AGE),
    ]
    team, pairs = team_against_pairs()
    return (
        f"{quota_table(counts)}\n"
        f"team of 10 (one organisation, all following each other, 1,500 more each): {team:,} X users read, "
        f"against {pairs:,} for its 45 pairs one by one ({pairs / team:.1f}x)"
    )
