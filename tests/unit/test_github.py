"""The GitHub client against GitHub faked at the HTTP layer."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connected.errors import UpstreamError, UpstreamRateLimitedError, UpstreamTimeoutError
from connected.github import GitHubClient
from connected.telemetry import UpstreamCall
from connected.upstream import TimeoutSession
from tests.support.faults import FakeUpstreams, github_secondary_rate_limit, off_spec, raise_error, reply


@pytest.fixture
def github() -> GitHubClient:
    return GitHubClient(TimeoutSession((1.0, 1.0), pool_size=2), "https://api.github.com", token="gh-token")


def test_organisations_are_read_across_every_page(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    names = [f"org-{n:03}" for n in range(250)]
    upstreams.developer("alice", organisations=names)

    assert github.organisations("alice") == names
    assert upstreams.count("github_orgs") == 3


def test_an_unknown_user_is_none(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    assert github.organisations("nobody") is None


def test_next_pages_are_followed_as_github_links_them_by_numeric_id(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.developer("alice", organisations=[f"org-{n:03}" for n in range(150)])

    github.organisations("alice")

    second_page = urlsplit(str(upstreams.requests["github_orgs"][1].url))
    assert re.fullmatch(r"/user/\d+/orgs", second_page.path)
    assert parse_qs(second_page.query)["page"] == ["2"]


def test_an_organisations_login_is_no_user_and_costs_one_account_lookup(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.developer("github", organisations=[], is_organisation=True)

    assert github.organisations("github") is None
    assert (upstreams.count("github_orgs"), upstreams.count("github_users")) == (1, 1)


def test_a_user_in_no_organisation_is_told_from_an_organisation_by_one_lookup(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.developer("loner", organisations=[])

    assert github.organisations("loner") == []
    assert upstreams.count("github_users") == 1


def test_a_member_of_an_organisation_needs_no_account_lookup(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.developer("alice", organisations=["Acme"])

    github.organisations("alice")

    assert upstreams.count("github_users") == 0


def test_the_account_lookup_is_conditional_too(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.developer("loner", organisations=[])
    github.organisations("loner")

    assert github.organisations("loner") == []

    (_, again) = upstreams.requests["github_users"]
    assert again.headers["If-None-Match"].startswith('"')


def test_requests_carry_the_api_version_the_token_and_a_full_page_size(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.developer("alice", organisations=["Acme"])

    github.organisations("alice")

    sent = upstreams.requests["github_orgs"][0]
    assert sent.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent.headers["Accept"] == "application/vnd.github+json"
    assert sent.headers["Authorization"] == "Bearer gh-token"
    assert "per_page=100" in str(sent.url)


def test_without_a_token_no_authorization_is_sent(upstreams: FakeUpstreams) -> None:
    upstreams.developer("alice", organisations=["Acme"])
    client = GitHubClient(TimeoutSession((1.0, 1.0), pool_size=1), "https://api.github.com")

    client.organisations("alice")

    assert "Authorization" not in upstreams.requests["github_orgs"][0].headers


def test_a_second_read_is_conditional_and_a_304_reuses_the_body(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.developer("alice", organisations=[f"org-{n}" for n in range(150)])
    first = github.organisations("alice")

    second = github.organisations("alice")

    assert second == first
    sent_back = [sent.headers["If-None-Match"] for sent in upstreams.requests["github_orgs"][2:]]
    assert len(sent_back) == 2
    assert all(etag.startswith('W/"') for etag in sent_back)
    assert upstreams.count("github_orgs") == 4


def test_a_reusable_answer_is_asked_again_and_its_304_is_reported_as_one(http: responses.RequestsMock) -> None:
    # Given GitHub says, as it does, that its answer may be reused for a minute
    etag = 'W/"acme"'

    def github(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        headers = {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
        if request.headers.get("If-None-Match") == etag:
            return 304, headers, ""
        return 200, headers, '[{"login": "Acme"}]'

    http.add_callback(responses.GET, "https://api.github.com/users/alice/orgs", callback=github)
    calls: list[UpstreamCall] = []
    session = TimeoutSession((1.0, 1.0), pool_size=1, upstream="github", observe=calls.append)
    client = GitHubClient(session, "https://api.github.com", token="gh-token")

    # When the same developer is asked for twice within that minute
    first, second = client.organisations("alice"), client.organisations("alice")

    # Then GitHub is asked both times, the second conditionally, and the upstream call says 304
    # (an HTTP cache such as CacheControl would answer the second from memory and report a 200)
    assert first == second == ["Acme"]
    assert [call.status for call in calls] == [200, 304]


def test_a_changed_list_replaces_the_remembered_one(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    alice = upstreams.developer("alice", organisations=["Acme"])
    github.organisations("alice")
    alice.organisations = ["Acme", "Beta"]

    assert github.organisations("alice") == ["Acme", "Beta"]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_an_upstream_error(upstreams: FakeUpstreams, github: GitHubClient, status: int) -> None:
    upstreams.fail_every_time("github_orgs", reply(status))

    with pytest.raises(UpstreamError, match=f"github failed: answered {status}"):
        github.organisations("alice")


def test_a_refused_token_is_an_upstream_error(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.fail_every_time("github_orgs", reply(401, {"message": "Bad credentials"}))

    with pytest.raises(UpstreamError, match="token was refused"):
        github.organisations("alice")


def test_an_exhausted_rate_limit_waits_until_the_reset(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    reset = int(time.time()) + 120
    upstreams.fail_every_time(
        "github_orgs", reply(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    )

    with pytest.raises(UpstreamRateLimitedError) as limited:
        github.organisations("alice")

    assert 118 <= limited.value.retry_after_seconds <= 121


def test_a_secondary_rate_limit_uses_retry_after(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.fail_every_time("github_orgs", reply(429, headers={"retry-after": "30"}))

    with pytest.raises(UpstreamRateLimitedError) as limited:
        github.organisations("alice")

    assert limited.value.retry_after_seconds == 30


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_without_retry_after_waits_a_minute_and_is_not_retried(
    upstreams: FakeUpstreams, github: GitHubClient, status: int
) -> None:
    # Given GitHub refuses with a secondary rate limit while requests are left in the hour, and no retry-after
    upstreams.fail_every_time("github_orgs", github_secondary_rate_limit(status))

    # When organisations are asked for
    with pytest.raises(UpstreamRateLimitedError) as limited:
        github.organisations("alice")

    # Then the wait is GitHub's floor of one minute, said as a secondary limit, after one request only
    assert limited.value.retry_after_seconds == 60
    assert limited.value.messages == ("github secondary rate limit reached: retry in 60 seconds",)
    assert upstreams.count("github_orgs") == 1


def test_a_secondary_rate_limit_with_retry_after_waits_that_long(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.fail_every_time("github_orgs", github_secondary_rate_limit(headers={"retry-after": "5"}))

    with pytest.raises(UpstreamRateLimitedError) as limited:
        github.organisations("alice")

    assert limited.value.retry_after_seconds == 5


def test_a_secondary_rate_limit_with_no_request_left_waits_for_the_reset(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    reset = int(time.time()) + 300
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    upstreams.fail_every_time("github_orgs", github_secondary_rate_limit(headers=headers))

    with pytest.raises(UpstreamRateLimitedError) as limited:
        github.organisations("alice")

    assert 298 <= limited.value.retry_after_seconds <= 301


def test_a_forbidden_answer_that_is_no_rate_limit_is_an_upstream_error(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.fail_every_time("github_orgs", reply(403, headers={"x-ratelimit-remaining": "10"}))

    with pytest.raises(UpstreamError):
        github.organisations("alice")


def test_a_timeout_is_an_upstream_timeout(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.fail_every_time("github_orgs", raise_error(requests.ReadTimeout("slow")))

    with pytest.raises(UpstreamTimeoutError):
        github.organisations("alice")


def test_a_refused_connection_is_an_upstream_error(upstreams: FakeUpstreams, github: GitHubClient) -> None:
    upstreams.fail_every_time("github_orgs", raise_error(requests.ConnectionError("refused")))

    with pytest.raises(UpstreamError, match="connection failed"):
        github.organisations("alice")


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"login": "not-a-list"}', '[{"name": "no login"}]'])
def test_an_unreadable_answer_is_an_upstream_error(upstreams: FakeUpstreams, github: GitHubClient, body: str) -> None:
    upstreams.fail_every_time("github_orgs", off_spec(reply(200, body)))

    with pytest.raises(UpstreamError):
        github.organisations("alice")


def test_a_page_failing_mid_pagination_is_an_upstream_error_not_an_unknown_user(
    upstreams: FakeUpstreams, github: GitHubClient
) -> None:
    upstreams.developer("alice", organisations=[f"org-{n}" for n in range(150)])
    upstreams.fail("github_orgs", reply(404), after=1)

    with pytest.raises(UpstreamError):
        github.organisations("alice")


def test_the_login_is_percent_encoded_into_the_url(http: responses.RequestsMock, github: GitHubClient) -> None:
    http.get("https://api.github.com/users/a%2F..%2Fb/orgs?per_page=100", json=[])
    http.get("https://api.github.com/users/a%2F..%2Fb", json={"login": "a/../b", "type": "User"})

    assert github.organisations("a/../b") == []
