"""Freshness on the console's Overview: data is late only once a scheduled run's grace has
passed without a successful finish after that tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.airflow.console.deadlines_chart import WIDTH, segments
from core.airflow.console.freshness import freshness

NOW = datetime(2026, 12, 7, 10, 40, tzinfo=UTC)
GRACE = timedelta(minutes=30)


def test_an_hourly_stream_that_finished_after_the_last_due_tick_is_fresh() -> None:
    # 10:00 is the latest tick whose grace (until 10:30) has passed
    assert freshness("@hourly", NOW.replace(hour=10, minute=5), NOW, GRACE).state == "fresh"


def test_within_the_grace_the_previous_tick_is_the_promise() -> None:
    at_10_20 = NOW.replace(minute=20)
    assert freshness("@hourly", at_10_20.replace(hour=9, minute=10), at_10_20, GRACE).state == "fresh"


def test_a_missed_tick_is_late_by_the_time_since_its_grace_ran_out() -> None:
    result = freshness("@hourly", NOW.replace(hour=9, minute=5), NOW, GRACE)
    assert result.state == "late"
    assert result.late_by == timedelta(minutes=10)
    assert result.label == "late by 10 min"


def test_cron_expressions_never_run_and_unscheduled_streams() -> None:
    assert freshness("0 6 * * 1-5", NOW - timedelta(days=4), NOW, GRACE).state == "late"
    assert freshness("*/15 * * * *", None, NOW, GRACE).label == "never ran"
    assert freshness(None, None, NOW, GRACE).label == "on demand"
    assert freshness("@once", None, NOW, GRACE).state == "manual"
    assert freshness("every tuesday", NOW, NOW, GRACE).state == "unknown"


def test_the_deadline_bar_splits_leavers_into_the_four_outcomes() -> None:
    report = {
        "leavers": 10,
        "within_deadline": 6,
        "breaches": [{}, {}, {}],  # one removed late, two not removed and past due
        "overdue": [{}, {}],
    }
    bar = segments(report)
    assert [s.count for s in bar] == [6, 1, 2, 1]
    assert round(sum(s.width for s in bar), 6) == WIDTH
    assert bar[1].x == WIDTH * 6 / 10
