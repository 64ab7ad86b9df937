"""The session both clients use: deadlines, retries of what is safe to retry, and nothing else."""

import pytest
import requests
import responses

from connected import upstream
from connected.deadline import Deadline, deadline_of
from connected.telemetry import UpstreamCall
from connected.upstream import MAX_ATTEMPTS, TimeoutSession, endpoint_of, seconds_until

URL = "https://api.github.com/users/alice/orgs"


def timeout_sent(http: responses.RequestsMock) -> tuple[float, float]:
    """responses keeps the keyword arguments of the adapter's send(), timeout among them."""
    return http.calls[0].request.req_kwargs["timeout"]  # type: ignore[attr-defined]


@pytest.fixture
def pauses() -> list[float]:
    return []


@pytest.fixture
def session(pauses: list[float]) -> TimeoutSession:
    return TimeoutSession((3.0, 8.0), pool_size=1, sleep=pauses.append, jitter=lambda: 0.5)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_get_meeting_a_passing_gateway_error_is_tried_again(
    http: responses.RequestsMock, session: TimeoutSession, pauses: list[float], status: int
) -> None:
    http.get(URL, status=status)
    http.get(URL, json=[])

    assert session.get(URL).status_code == 200
    assert len(http.calls) == 2
    assert len(pauses) == 1


def test_a_refused_connection_is_tried_again(http: responses.RequestsMock, session: TimeoutSession) -> None:
    http.get(URL, body=requests.ConnectionError("refused"))
    http.get(URL, json=[])

    assert session.get(URL).status_code == 200


def test_attempts_stop_at_three_with_growing_pauses(
    http: responses.RequestsMock, session: TimeoutSession, pauses: list[float]
) -> None:
    http.get(URL, status=503)

    assert session.get(URL).status_code == 503
    assert len(http.calls) == MAX_ATTEMPTS
    assert pauses == sorted(pauses)
    assert len(pauses) == MAX_ATTEMPTS - 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
def test_other_answers_are_not_retried(http: responses.RequestsMock, session: TimeoutSession, status: int) -> None:
    http.get(URL, status=status)

    assert session.get(URL).status_code == status
    assert len(http.calls) == 1


def test_a_read_timeout_is_not_retried(http: responses.RequestsMock, session: TimeoutSession) -> None:
    http.get(URL, body=requests.ReadTimeout("slow"))

    with pytest.raises(requests.ReadTimeout):
        session.get(URL)
    assert len(http.calls) == 1


def test_a_post_is_never_retried(http: responses.RequestsMock, session: TimeoutSession) -> None:
    http.post(URL, status=503)

    assert session.post(URL).status_code == 503
    assert len(http.calls) == 1


def test_without_a_deadline_the_configured_timeouts_apply(
    http: responses.RequestsMock, session: TimeoutSession
) -> None:
    http.get(URL, json=[])

    session.get(URL)

    assert timeout_sent(http) == (3.0, 8.0)


def test_a_near_deadline_shortens_the_timeouts(http: responses.RequestsMock, session: TimeoutSession) -> None:
    http.get(URL, json=[])

    with deadline_of(Deadline.after(1.0)):
        session.get(URL)

    connect, read = timeout_sent(http)
    assert 0.9 < connect <= 1.0
    assert 0.9 < read <= 1.0


def test_a_passed_deadline_makes_no_call(http: responses.RequestsMock, session: TimeoutSession) -> None:
    with deadline_of(Deadline.after(-1)), pytest.raises(requests.Timeout, match="deadline"):
        session.get(URL)

    assert len(http.calls) == 0


def test_no_retry_is_started_that_the_deadline_cannot_hold(
    http: responses.RequestsMock, session: TimeoutSession, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "BACKOFF_BASE_SECONDS", 1.0)
    http.get(URL, status=503)

    with deadline_of(Deadline.after(0.08)):
        assert session.get(URL).status_code == 503

    assert len(http.calls) == 1
    assert pauses == []


@pytest.mark.parametrize(
    ("reset", "now", "seconds"), [("1000", 900.0, 100), ("1000", 999.5, 1), ("1000", 2000.0, 1), (None, 0.0, 60)]
)
def test_retry_after_counts_to_the_reset_and_never_below_one(reset: str | None, now: float, seconds: int) -> None:
    assert seconds_until(reset, now=now) == seconds


def test_an_unreadable_reset_waits_a_minute() -> None:
    assert seconds_until("soon") == 60


def test_every_attempt_is_reported_with_its_endpoint_and_status(http: responses.RequestsMock) -> None:
    calls: list[UpstreamCall] = []
    session = TimeoutSession((3.0, 8.0), pool_size=1, sleep=lambda _: None, upstream="github", observe=calls.append)
    http.get(URL, status=503)
    http.get(URL, body=requests.ConnectionError("refused"))
    http.get(URL, json=[])

    session.get(URL)

    assert [(call.upstream, call.endpoint, call.status) for call in calls] == [
        ("github", "/users/*/orgs", 503),
        ("github", "/users/*/orgs", None),
        ("github", "/users/*/orgs", 200),
    ]
    assert all(call.milliseconds >= 0 for call in calls)


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://api.twitter.com/2/users/by?usernames=a,b", "/2/users/by"),
        ("https://api.twitter.com/2/users/12345/following?max_results=1000", "/2/users/*/following"),
        ("https://github.example.com/api/v3/users/alice/orgs", "/api/v3/users/*/orgs"),
        ("https://api.github.com/user/61721/orgs?per_page=100&page=2", "/user/*/orgs"),
        ("https://api.github.com/users/alice", "/users/*"),
    ],
)
def test_endpoints_hide_who_was_asked_about(url: str, endpoint: str) -> None:
    assert endpoint_of(url) == endpoint
