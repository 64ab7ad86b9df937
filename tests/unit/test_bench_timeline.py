"""The benchmark's account of waiting: overlapping waits count once, and only within the window asked about."""

import pytest

from bench.timeline import Timeline


@pytest.mark.parametrize(
    ("intervals", "window", "waited"),
    [
        ([], (0.0, 10.0), 0.0),
        ([(1.0, 3.0), (2.0, 4.0)], (0.0, 10.0), 3.0),
        ([(1.0, 2.0), (3.0, 4.0)], (0.0, 10.0), 2.0),
        ([(1.0, 5.0), (2.0, 3.0)], (0.0, 10.0), 4.0),
        ([(0.0, 4.0), (6.0, 12.0)], (2.0, 8.0), 4.0),
        ([(0.0, 1.0), (9.0, 12.0)], (2.0, 8.0), 0.0),
    ],
)
def test_concurrent_waits_count_once_within_the_window(
    intervals: list[tuple[float, float]], window: tuple[float, float], waited: float
) -> None:
    timeline = Timeline()
    for started, ended in intervals:
        timeline.add(started, ended)

    assert timeline.waited(*window) == pytest.approx(waited)
