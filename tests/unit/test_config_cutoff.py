"""The upload cut-off's forms (spoke.config.cutoff), with an explicit now and time zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from spoke.config.cutoff import parse_cutoff, parse_timestamp

NOW = datetime(2024, 6, 15, 12, 30, tzinfo=timezone.utc)
UTC = timezone.utc
PARIS = timezone(timedelta(hours=2))


def cutoff(text: str, *, local=UTC, date_means="end") -> datetime:  # noqa: ANN001
    return parse_cutoff(text, now=NOW, local=local, date_means=date_means)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01t12:00:00z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T12:00:00.5Z", datetime(2024, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2024-03-01T12:00:00.123456789Z", datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01T12:00-0130", datetime(2024, 3, 1, 13, 30, tzinfo=UTC)),
    ("2024-03-01 12:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
])
def test_timestamps(text: str, expected: datetime) -> None:
    assert cutoff(text) == expected


def test_a_timestamp_without_offset_is_local_time() -> None:
    assert cutoff("2024-03-01T12:00:00", local=PARIS) == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_a_date_is_the_end_of_that_day_for_exclude_newer_and_its_start_for_uploaded_prior_to() -> None:
    assert cutoff("2024-03-01") == datetime(2024, 3, 2, tzinfo=UTC)  # uv: that day's files count
    assert cutoff("2024-03-01", date_means="start") == datetime(2024, 3, 1, tzinfo=UTC)  # pip
    assert cutoff("2024-03-01", local=PARIS) == datetime(2024, 3, 1, 22, tzinfo=UTC)
    assert cutoff("2024-12-31") == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "back"), [
    ("P7D", timedelta(days=7)),
    ("p3d", timedelta(days=3)),
    ("P1W", timedelta(weeks=1)),
    ("PT24H", timedelta(hours=24)),
    ("P1DT12H30M5S", timedelta(days=1, hours=12, minutes=30, seconds=5)),
    ("7 days", timedelta(days=7)),
    ("1 day", timedelta(days=1)),
    ("24 hours", timedelta(hours=24)),
    ("1 week 2 days", timedelta(days=9)),
    ("1 week, 2 days", timedelta(days=9)),
    ("90 min", timedelta(minutes=90)),
    ("5h 30m", timedelta(hours=5, minutes=30)),
    ("30 days ago", timedelta(days=30)),
    ("  7 DAYS ", timedelta(days=7)),
])
def test_durations_count_back_from_now(text: str, back: timedelta) -> None:
    assert cutoff(text) == NOW - back


@pytest.mark.parametrize(("text", "why"), [
    ("yesterday", "is not a timestamp, a date or a duration"),
    ("", "empty"),
    ("2024-13-01", "is not a real date"),
    ("2024-02-30", "is not a real date"),
    ("2024-03-01T25:00Z", "is not a real time"),
    ("3 months", "months and years are not allowed"),
    ("1 year", "months and years are not allowed"),
    ("P1Y", "months and years are not allowed"),
    ("P1M", "months and years are not allowed"),
    ("P", "is not a timestamp, a date or a duration"),
    ("PT", "is not a timestamp, a date or a duration"),
    ("7", "is not a timestamp, a date or a duration"),
    ("7 fortnights", "is not a timestamp, a date or a duration"),
    ("days 7", "is not a timestamp, a date or a duration"),
    ("2024/03/01", "is not a timestamp, a date or a duration"),
])
def test_malformed_values_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        cutoff(text)


def test_index_upload_times_parse_as_pypi_writes_them() -> None:
    assert parse_timestamp("2024-05-01T12:00:00.000000Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_timestamp("last tuesday")
