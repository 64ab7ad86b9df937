"""The pairs the benchmark asks about, and what each answer must cost, as plain data shared by `make bench`
and the tests (tests/integration/test_costs.py). A cold-start child reads it off its clock.

Each realtime scenario names its developers (the fields of `local.world.Developer`), the upstream round
trips its answer needs one after the other (its floor), the calls it makes per endpoint, the follow lists it
reads and the X users those return, and, where the issue sets one, the most X users it may read.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.upstreams import FakeUpstreams

FAKED_ROUND_TRIP_SECONDS = 0.050
TARGET_SLACK_ROUND_TRIPS = 0.5
WARM_OVERHEAD_TARGET_MS = 5.0
UPSTREAM_ENDPOINTS = ("github_orgs", "x_users", "x_following", "x_followers")


@dataclass(frozen=True, slots=True)
class RealtimeScenario:
    name: str
    dev1: str
    dev2: str
    developers: Mapping[str, Mapping[str, Any]]
    sequential_round_trips: int
    status: int
    calls: Mapping[str, int]
    x_users_read: int
    lists_read: tuple[str, ...] = field(default=())
    max_x_users_read: int | None = None

    @property
    def path(self) -> str:
        return f"/connected/realtime/{self.dev1}/{self.dev2}"

    @property
    def max_ratio(self) -> float:
        """Wall time allowed, in faked round trips: the stages the answer needs, plus half of one."""
        return self.sequential_round_trips + TARGET_SLACK_ROUND_TRIPS

    def add_to(self, upstreams: "FakeUpstreams") -> None:
        for handle, details in self.developers.items():
            upstreams.developer(handle, **details)


def calls(github_orgs: int = 2, x_users: int = 1, x_following: int = 0, x_followers: int = 0) -> dict[str, int]:
    """Calls per endpoint for one answer; by default stage 1 only: GitHub for each handle, one X lookup."""
    return {"github_orgs": github_orgs, "x_users": x_users, "x_following": x_following, "x_followers": x_followers}


UNKNOWN_USER = RealtimeScenario(
    name="unknown user",
    dev1="ada",
    dev2="nobody",
    developers={"ada": {"organisations": ["Acme"]}},
    sequential_round_trips=1,
    status=404,
    calls=calls(),
    x_users_read=0,
    max_x_users_read=0,
)
DISJOINT_ORGANISATIONS = RealtimeScenario(
    name="organisations disjoint",
    dev1="cal",
    dev2="dee",
    developers={
        "cal": {"organisations": ["Acme"], "follows": ["dee"], "other_following": 800},
        "dee": {"organisations": ["Other"], "follows": ["cal"], "other_followers": 900},
    },
    sequential_round_trips=1,
    status=200,
    calls=calls(),
    x_users_read=0,
    max_x_users_read=0,
)
CONNECTED_ONE_PAGE = RealtimeScenario(
    name="connected, one list page per direction",
    dev1="eve",
    dev2="fay",
    developers={
        "eve": {"organisations": ["Acme", "Beta"], "follows": ["fay"], "other_following": 400, "other_followers": 300},
        "fay": {"organisations": ["acme"], "follows": ["eve"], "other_following": 200, "other_followers": 500},
    },
    sequential_round_trips=3,
    status=200,
    calls=calls(x_following=2),
    x_users_read=401 + 201,
    lists_read=("fay/following", "eve/following"),
)
FOLLOWS_FIVE_THOUSAND = RealtimeScenario(
    name="connected, A follows 5,000, B has 3 followers",
    dev1="amy",
    dev2="bob",
    developers={
        "amy": {"organisations": ["Acme"], "follows": ["bob"], "other_following": 4999, "other_followers": 3},
        "bob": {"organisations": ["Acme"], "follows": ["amy"], "other_following": 60, "other_followers": 2},
    },
    sequential_round_trips=3,
    status=200,
    calls=calls(x_followers=2),
    x_users_read=3 + 4,
    lists_read=("bob/followers", "amy/followers"),
    max_x_users_read=10,
)
ONE_WAY_FOLLOW = RealtimeScenario(
    name="one-way follow: one direction read",
    dev1="gus",
    dev2="hal",
    developers={
        "gus": {"organisations": ["Acme"], "follows": ["hal"], "other_following": 30, "other_followers": 50},
        "hal": {"organisations": ["Acme"], "other_following": 5, "other_followers": 70},
    },
    sequential_round_trips=2,
    status=200,
    calls=calls(x_following=1),
    x_users_read=5,
    lists_read=("hal/following",),
    max_x_users_read=5,
)

REALTIME_SCENARIOS = (UNKNOWN_USER, DISJOINT_ORGANISATIONS, CONNECTED_ONE_PAGE, FOLLOWS_FIVE_THOUSAND, ONE_WAY_FOLLOW)
COLD_START_SCENARIO = DISJOINT_ORGANISATIONS
"""The first request of a cold start: its I/O is the realtime baseline's (one X user lookup, one PutItem), plus
what the function adds of its own (GitHub, the daily count of X users billed)."""
