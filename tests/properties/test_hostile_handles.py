"""Arbitrary text as handles: never a 5xx, never an upstream call for a handle impossible on that service,
never a record."""

from urllib.parse import parse_qs, quote, unquote, urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connected.handles import can_be_github_login, can_be_x_username
from tests.support.faults import FakeUpstreams
from tests.support.handlers import Invoke

HOSTILE = st.sampled_from(
    [
        "' OR '1'='1",
        '{"$ne": null}',
        "../../etc/passwd",
        "..%2F..%2Fetc",
        "%00",
        "a\x00b",
        "\r\nSet-Cookie: x=1",
        "#",
        "alice#bob",
        "<script>",
        "ä" * 40,
        "x" * 500,
        "😀",
        " alice",
    ]
)
HANDLES = st.one_of(HOSTILE, st.text(min_size=1, max_size=500), st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))


def github_logins_asked(upstreams: FakeUpstreams) -> list[str]:
    return [unquote(urlsplit(str(sent.url)).path.split("/")[2]) for sent in upstreams.requests["github_orgs"]]


def x_usernames_asked(upstreams: FakeUpstreams) -> list[str]:
    return [
        name
        for sent in upstreams.requests["x_users"]
        for name in parse_qs(urlsplit(str(sent.url)).query)["usernames"][0].split(",")
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dev1=HANDLES, dev2=HANDLES)
@example(dev1="alice", dev2="a/b")
@example(dev1="", dev2="bob")
def test_hostile_handles_never_break_the_api_or_reach_where_they_cannot_be_users(
    upstreams: FakeUpstreams, realtime: Invoke, register: Invoke, dev1: str, dev2: str
) -> None:
    upstreams.requests.clear()
    path = f"{quote(dev1, safe='')}/{quote(dev2, safe='')}"

    answer = realtime(f"/connected/realtime/{path}")
    history = register(f"/connected/register/{path}")

    assert answer.status < 500, answer.body
    assert history.status < 500, history.body
    assert "errors" in answer.body
    assert all(can_be_github_login(login) for login in github_logins_asked(upstreams))
    assert all(can_be_x_username(name) for name in x_usernames_asked(upstreams))
    assert history.body == [] if history.status == 200 else "errors" in history.body
