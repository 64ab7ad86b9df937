"""The vendors' own descriptions, as extracted into tests/contracts/, hold the answers the test fakes produce."""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.contracts import ContractViolation, check_answer

USERS_BY = "GET /2/users/by"
FOLLOWING = "GET /2/users/{id}/following"
FOLLOWERS = "GET /2/users/{id}/followers"
ORGS = "GET /users/{username}/orgs"
USER = "GET /users/{username}"

# X's documented example user (x-api/users/lookup/introduction.mdx), as /2/users/by lists it, with `protected`,
# which this product asks for.
DOCUMENTED_USERS = {
    "data": [
        {
            "id": "2244994945",
            "name": "X Developers",
            "username": "XDevelopers",
            "created_at": "2013-12-14T04:35:55.000Z",
            "description": "The voice of the X developer community",
            "verified": True,
            "protected": False,
            "public_metrics": {
                "followers_count": 583423,
                "following_count": 2048,
                "post_count": 14052,
                "listed_count": 1672,
            },
        }
    ]
}
UNKNOWN_USER = {
    "value": "x",
    "detail": "Could not find user with usernames: [x].",
    "title": "Not Found Error",
    "resource_type": "user",
    "parameter": "usernames",
    "resource_id": "x",
    "type": "https://api.twitter.com/2/problems/resource-not-found",
}
NOT_AUTHORIZED_PAGE = {
    "errors": [
        {
            "title": "Authorization Error",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            "section": "data",
            "detail": "Sorry, you are not authorized to see the user with id: [123].",
            "resource_type": "user",
            "resource_id": "123",
            "value": "123",
            "parameter": "id",
        }
    ]
}
ORG = {
    "login": "github",
    "id": 1,
    "node_id": "MDEyOk9yZ2FuaXphdGlvbjE=",
    "url": "https://api.github.com/orgs/github",
    "repos_url": "https://api.github.com/orgs/github/repos",
    "events_url": "https://api.github.com/orgs/github/events",
    "hooks_url": "https://api.github.com/orgs/github/hooks",
    "issues_url": "https://api.github.com/orgs/github/issues",
    "members_url": "https://api.github.com/orgs/github/members{/member}",
    "public_members_url": "https://api.github.com/orgs/github/public_members{/member}",
    "avatar_url": "https://github.com/images/error/octocat_happy.gif",
    "description": "A great organization",
}
GITHUB_ACCOUNT = {
    "login": "github",
    "id": 9919,
    "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
    "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4",
    "gravatar_id": "",
    "url": "https://api.github.com/users/github",
    "html_url": "https://github.com/github",
    "followers_url": "https://api.github.com/users/github/followers",
    "following_url": "https://api.github.com/users/github/following{/other_user}",
    "gists_url": "https://api.github.com/users/github/gists{/gist_id}",
    "starred_url": "https://api.github.com/users/github/starred{/owner}{/repo}",
    "subscriptions_url": "https://api.github.com/users/github/subscriptions",
    "organizations_url": "https://api.github.com/users/github/orgs",
    "repos_url": "https://api.github.com/users/github/repos",
    "events_url": "https://api.github.com/users/github/events{/privacy}",
    "received_events_url": "https://api.github.com/users/github/received_events",
    "type": "Organization",
    "user_view_type": "public",
    "site_admin": False,
    "name": "GitHub",
    "company": None,
    "blog": "https://github.com/about",
    "location": "San Francisco, CA",
    "email": None,
    "hireable": None,
    "bio": "How people build software.",
    "twitter_username": None,
    "public_repos": 529,
    "public_gists": 0,
    "followers": 64000,
    "following": 0,
    "created_at": "2008-05-11T04:37:31Z",
    "updated_at": "2024-09-26T16:39:41Z",
}


def _with(body: Any, change: Callable[[Any], object]) -> Any:
    changed = copy.deepcopy(body)
    change(changed)
    return changed


def test_given_x_documented_user_when_checked_then_it_holds() -> None:
    check_answer("x", USERS_BY, 200, DOCUMENTED_USERS)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda body: body["data"][0]["public_metrics"].pop("followers_count"), id="no-followers-count"),
        pytest.param(lambda body: body["data"][0].__setitem__("id", 2244994945), id="integer-id"),
        pytest.param(lambda body: body["data"][0].pop("protected"), id="no-protected"),
        pytest.param(lambda body: body["data"][0]["public_metrics"].pop("post_count"), id="no-post-count"),
    ],
)
def test_given_x_user_lacking_or_mistyping_a_read_field_when_checked_then_it_is_refused(
    change: Callable[[Any], object],
) -> None:
    with pytest.raises(ContractViolation):
        check_answer("x", USERS_BY, 200, _with(DOCUMENTED_USERS, change))


def test_given_x_unknown_user_error_as_documented_when_checked_then_it_holds() -> None:
    check_answer("x", USERS_BY, 200, {"errors": [UNKNOWN_USER]})


def test_given_x_unknown_user_error_without_value_when_checked_then_it_holds() -> None:
    check_answer("x", USERS_BY, 200, {"errors": [_with(UNKNOWN_USER, lambda error: error.pop("value"))]})


def test_given_x_unknown_user_error_naming_no_user_when_checked_then_it_is_refused() -> None:
    anonymous = _with(UNKNOWN_USER, lambda error: [error.pop(name) for name in ("value", "resource_id", "detail")])
    with pytest.raises(ContractViolation):
        check_answer("x", USERS_BY, 200, {"errors": [anonymous]})


@pytest.mark.parametrize("operation", [FOLLOWING, FOLLOWERS])
def test_given_x_follow_page_with_next_token_when_checked_then_it_holds(operation: str) -> None:
    page = {
        "data": [{"id": "6253282", "name": "X API", "username": "XAPI"}],
        "meta": {"result_count": 1, "next_token": "DFEDBNRFT3MHCZZZ"},
    }
    check_answer("x", operation, 200, page)


@pytest.mark.parametrize(
    "page",
    [
        pytest.param({"data": [{"id": "6253282"}], "meta": {"result_count": 1, "next_token": 7}}, id="integer-token"),
        pytest.param({"data": [{"id": "6253282"}]}, id="no-meta"),
        pytest.param({"data": [{"username": "XAPI"}], "meta": {"result_count": 1}}, id="no-id"),
    ],
)
def test_given_x_follow_page_breaking_what_is_read_when_checked_then_it_is_refused(page: dict[str, Any]) -> None:
    with pytest.raises(ContractViolation):
        check_answer("x", FOLLOWING, 200, page)


def test_given_x_follow_page_of_only_errors_when_checked_then_it_holds() -> None:
    check_answer("x", FOLLOWERS, 200, NOT_AUTHORIZED_PAGE)


def test_given_x_problem_without_type_when_checked_then_it_is_refused() -> None:
    with pytest.raises(ContractViolation, match="type"):
        check_answer("x", FOLLOWING, 404, {"title": "Not Found Error"})


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        pytest.param(
            402,
            {
                "title": "CreditsDepleted",
                "detail": "Your enrolled account does not have any credits to fulfill this request.",
                "type": "https://api.twitter.com/2/problems/credits",
            },
            id="credits-depleted",
        ),
        pytest.param(
            429,
            {
                "title": "UsageCapExceeded",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped",
                "period": "Monthly",
                "scope": "Product",
            },
            id="usage-capped",
        ),
    ],
)
def test_given_x_problem_its_description_lacks_when_checked_then_the_missing_schema_is_named(
    status: int, problem: dict[str, Any]
) -> None:
    with pytest.raises(ContractViolation, match="no problem schema for type"):
        check_answer("x", USERS_BY, status, problem)


def test_given_github_orgs_with_login_when_checked_then_they_hold() -> None:
    check_answer("github", ORGS, 200, [ORG])


def test_given_github_org_without_login_when_checked_then_it_is_refused() -> None:
    with pytest.raises(ContractViolation):
        check_answer("github", ORGS, 200, [_with(ORG, lambda org: org.pop("login"))])


def test_given_github_organisation_account_when_checked_then_it_holds() -> None:
    check_answer("github", USER, 200, GITHUB_ACCOUNT)


def test_given_github_account_without_type_when_checked_then_it_is_refused() -> None:
    with pytest.raises(ContractViolation):
        check_answer("github", USER, 200, _with(GITHUB_ACCOUNT, lambda account: account.pop("type")))


def test_given_github_secondary_rate_limit_when_checked_then_it_holds() -> None:
    body = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    }
    check_answer("github", ORGS, 403, body)


def test_given_github_error_without_message_when_checked_then_it_is_refused() -> None:
    with pytest.raises(ContractViolation, match="message"):
        check_answer("github", USER, 404, {"documentation_url": "https://docs.github.com/rest"})


def test_given_status_no_description_covers_when_checked_then_the_gap_is_named() -> None:
    with pytest.raises(ContractViolation, match="covers neither 302"):
        check_answer("github", ORGS, 302, {"message": "Moved"})


CREDITS_DEPLETED = {
    "title": "Payment Required",
    "detail": "Your enrolled account does not have any credits to fulfill this request.",
    "type": "https://api.x.com/2/problems/credits-depleted",
    "status": 402,
}


def test_given_a_problem_the_description_lacks_when_checked_without_a_citation_then_it_is_refused() -> None:
    with pytest.raises(ContractViolation, match="no problem schema for type"):
        check_answer("x", USERS_BY, 402, CREDITS_DEPLETED)


def test_given_a_problem_the_description_lacks_when_its_document_is_cited_then_only_what_is_read_is_held() -> None:
    check_answer("x", USERS_BY, 402, CREDITS_DEPLETED, follows="docs.x.com, Pay-per-use pricing")

    with pytest.raises(ContractViolation, match="lacks its title"):
        check_answer("x", USERS_BY, 402, {**CREDITS_DEPLETED, "title": None}, follows="docs.x.com")


def test_given_a_described_problem_when_a_citation_is_given_then_it_is_still_checked_in_full() -> None:
    incomplete = {"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found", "detail": "x"}

    with pytest.raises(ContractViolation, match="resource_type"):
        check_answer("x", USERS_BY, 200, {"errors": [incomplete]}, follows="docs.x.com")
