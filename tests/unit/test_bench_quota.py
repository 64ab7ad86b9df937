"""The quota scenario of `make bench`: a day of answers counted against X's and GitHub's quotas."""

from collections import Counter
from datetime import timedelta

from bench.quota import DAY, Asked, DayCount, count_day, demo_day
from local.world import Developer, World


def test_the_demo_day_mixes_repeats_unknown_handles_and_popular_pairs() -> None:
    _world, asked = demo_day(developers=60)

    pairs = Counter(frozenset((request.dev1, request.dev2)) for request in asked)
    assert len(asked) > 900
    assert sum(count - 1 for count in pairs.values()) > 200
    assert any(request.dev2.startswith("ghost") for request in asked)
    assert [request.at for request in asked] == sorted(request.at for request in asked)


def test_max_age_answers_repeats_from_the_register_and_spares_the_quotas() -> None:
    # Given two developers asked about four times in an hour
    world = World()
    world.add(Developer("ada", organisations=["pioneers"], follows=["grace"], other_followers=10))
    world.add(Developer("grace", organisations=["pioneers"], follows=["ada"], other_followers=10))
    asked = [Asked(DAY + timedelta(minutes=15 * n), "ada", "grace") for n in range(4)]

    # When the day is counted always fresh, and with answers up to an hour old
    fresh = count_day("fresh", world, asked, None)
    remembered = count_day("max_age", world, asked, timedelta(hours=1))

    # Then the first counts a lookup and two list reads per answer, the second only for the first answer
    assert (
        fresh.from_register,
        fresh.requests["x lookups"],
        fresh.requests["x following"] + fresh.requests["x followers"],
    ) == (0, 4, 8)
    assert (remembered.from_register, remembered.requests["x lookups"]) == (3, 1)
    assert remembered.answers_per_window() == 4 * fresh.answers_per_window()


def test_the_answers_a_window_allows_are_set_by_the_first_quota_spent() -> None:
    count = DayCount(
        "x",
        1000,
        0,
        Counter({"x lookups": 1000, "x following": 600, "x followers": 100, "github (200/404)": 2000}),
        0,
        0,
    )

    assert count.answers_per_window() == 300 * 1000 / 1000
