"""What the benchmark runs with, the pairs it asks about and what each answer must cost, as plain data shared by
`make bench` and tests/integration/test_costs.py. A cold-start child reads it off its clock."""

import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from local.upstreams import FakeUpstreams

BENCH_TABLE = "connected-register-bench"
FUNCTION_ENVIRONMENT = {
    "TABLE_NAME": BENCH_TABLE,
    "TWITTER_BEARER_TOKEN": "bench-x-bearer-token",
    "GITHUB_TOKEN": "bench-github-token",
    "POWERTOOLS_SERVICE_NAME": "connected-developers",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
FAKED_ROUND_TRIP_SECONDS = 0.050
TARGET_SLACK_ROUND_TRIPS = 0.5
WARM_OVERHEAD_TARGET_MS = 5.0
UPSTREAM_ENDPOINTS = ("github_orgs", "x_users", "x_following", "x_followers")
DEVELOPERS: dict[str, dict[str, Any]] = {  # the fields of local.world.Developer
    "ada": {"organisations": ["Acme"]},
    "cal": {"organisations": ["Acme"], "follows": ["dee"], "other_following": 800},
    "dee": {"organisations": ["Other"], "follows": ["cal"], "other_followers": 900},
    "eve": {"organisations": ["Acme", "Beta"], "follows": ["fay"], "other_following": 400, "other_followers": 300},
    "fay": {"organisations": ["acme"], "follows": ["eve"], "other_following": 200, "other_followers": 500},
    "amy": {"organisations": ["Acme"], "follows": ["bob"], "other_following": 4999, "other_followers": 3},
    "bob": {"organisations": ["Acme"], "follows": ["amy"], "other_following": 60, "other_followers": 2},
    "gus": {"organisations": ["Acme"], "follows": ["hal"], "other_following": 30, "other_followers": 50},
    "hal": {"organisations": ["Acme"], "other_following": 5, "other_followers": 70},
}


def isolate(environ: MutableMapping[str, str]) -> None:
    """Leaves `environ` with what a deployed function sees, and none of the user's profiles, endpoints or tokens."""
    kept = {name: environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in environ}
    environ.clear()
    environ.update(kept | FUNCTION_ENVIRONMENT)


class RealtimeScenario(NamedTuple):
    name: str
    dev1: str
    dev2: str
    sequential_round_trips: int
    """The upstream round trips the answer needs one after the other."""
    x_users_read: int = 0
    lists_read: tuple[str, ...] = ()
    """The follow lists read, a page each: `handle/following` or `handle/followers`."""
    max_x_users_read: int | None = None
    """The most X users the answer may read, for the scenarios whose point is that bound."""
    status: int = 200

    @property
    def path(self) -> str:
        return f"/connected/realtime/{self.dev1}/{self.dev2}"

    @property
    def max_ratio(self) -> float:
        """Wall time allowed, in faked round trips: the stages the answer needs, plus half of one."""
        return self.sequential_round_trips + TARGET_SLACK_ROUND_TRIPS

    @property
    def calls(self) -> dict[str, int]:
        """Calls per endpoint for one answer: GitHub for each handle, one X lookup, then the lists read."""
        read = [name.partition("/")[2] for name in self.lists_read]
        return {"github_orgs": 2, "x_users": 1} | {f"x_{name}": read.count(name) for name in ("following", "followers")}

    def add_to(self, upstreams: "FakeUpstreams") -> None:
        for handle in (self.dev1, self.dev2):
            if handle in DEVELOPERS:
                upstreams.developer(handle, **DEVELOPERS[handle])


UNKNOWN_USER = RealtimeScenario("unknown user", "ada", "nobody", 1, max_x_users_read=0, status=404)
DISJOINT_ORGANISATIONS = RealtimeScenario("organisations disjoint", "cal", "dee", 1, max_x_users_read=0)
CONNECTED_ONE_PAGE = RealtimeScenario(
    "connected, one list page per direction", "eve", "fay", 3, 401 + 201, ("fay/following", "eve/following")
)
FOLLOWS_FIVE_THOUSAND = RealtimeScenario(
    "connected, A follows 5,000, B has 3 followers", "amy", "bob", 3, 3 + 4, ("bob/followers", "amy/followers"), 10
)
ONE_WAY_FOLLOW = RealtimeScenario("one-way follow: one direction read", "gus", "hal", 2, 5, ("hal/following",), 5)
REALTIME_SCENARIOS = (UNKNOWN_USER, DISJOINT_ORGANISATIONS, CONNECTED_ONE_PAGE, FOLLOWS_FIVE_THOUSAND, ONE_WAY_FOLLOW)
COLD_START_SCENARIO = DISJOINT_ORGANISATIONS
"""The first request of a cold start: one X user lookup and one PutItem, with GitHub, objections and day counters."""
