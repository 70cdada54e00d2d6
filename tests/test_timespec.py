"""--begin times and --mem sizes as sbatch spells them."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from runner.spec import SpecError
from runner.timespec import parse_begin, parse_size

NOW = datetime(2030, 6, 15, 12, 30, 45, 500_000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_local_time() -> Iterator[None]:
    """Clock times are local; pin the local zone so the cases are exact."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("now", 0),
        ("now+0", 0),
        ("now+10", 10),
        ("now+10s", 10),
        ("now+10sec", 10),
        ("now+1second", 1),
        ("now+10seconds", 10),
        ("now+10min", 600),
        ("now+10m", 600),
        ("now+1minute", 60),
        ("now+2minutes", 120),
        ("now+3h", 3 * 3600),
        ("now+1hour", 3600),
        ("now+2hours", 7200),
        ("now+1d", 86400),
        ("now+2days", 2 * 86400),
        ("now+1w", 604800),
        ("now+2weeks", 2 * 604800),
        ("NOW+10MIN", 600),
        (" now+5min ", 300),
    ],
)
def test_now_plus_a_count_of_units_is_that_long_after_now(
    text: str, seconds: int
) -> None:
    assert parse_begin(text, NOW) == NOW + timedelta(seconds=seconds)


def test_a_time_of_day_still_ahead_is_today() -> None:
    assert parse_begin("13:05", NOW) == datetime(2030, 6, 15, 13, 5, tzinfo=UTC)
    assert parse_begin("12:30:46", NOW) == datetime(2030, 6, 15, 12, 30, 46, tzinfo=UTC)


def test_a_time_of_day_already_past_is_tomorrow() -> None:
    assert parse_begin("9:00", NOW) == datetime(2030, 6, 16, 9, 0, tzinfo=UTC)
    assert parse_begin("12:30:45", NOW) == datetime(2030, 6, 16, 12, 30, 45, tzinfo=UTC)


def test_a_time_of_day_is_read_in_the_local_zone() -> None:
    os.environ["TZ"] = "Etc/GMT-2"  # two hours east of UTC, no daylight saving
    time.tzset()

    # 12:30 UTC is 14:30 local; 15:00 local is 13:00 UTC, today.
    assert parse_begin("15:00", NOW) == datetime(2030, 6, 15, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["24:00", "12:60", "12:30:60", "99:99"])
def test_an_impossible_time_of_day_is_refused(text: str) -> None:
    with pytest.raises(SpecError, match="not a time of day"):
        parse_begin(text, NOW)


def test_an_iso_date_time_without_a_zone_is_local_time() -> None:
    assert parse_begin("2031-01-02T03:04:05", NOW) == datetime(
        2031, 1, 2, 3, 4, 5, tzinfo=UTC
    )


def test_an_iso_date_time_with_a_zone_is_converted_to_utc() -> None:
    assert parse_begin("2031-01-02T03:04:05+02:00", NOW) == datetime(
        2031, 1, 2, 1, 4, 5, tzinfo=UTC
    )


def test_an_iso_date_alone_is_its_midnight() -> None:
    assert parse_begin("2031-01-02", NOW) == datetime(2031, 1, 2, tzinfo=UTC)


def test_every_begin_time_is_given_in_utc() -> None:
    assert parse_begin("now+1h", NOW).tzinfo == UTC
    assert parse_begin("13:00", NOW).tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "now+", "now+10x", "now-5min", "now+1.5h", "2031-13-01", "1pm"],
)
def test_anything_else_is_refused_naming_the_flag(text: str) -> None:
    with pytest.raises(SpecError, match="--begin"):
        parse_begin(text, NOW)


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("512", 512),
        ("512M", 512),
        ("512m", 512),
        ("512MB", 512),
        ("4G", 4096),
        ("4g", 4096),
        ("1.5G", 1536),
        ("1T", 1024 * 1024),
        ("2048K", 2),
        ("1K", 1),
        ("1025K", 2),
        ("0.5", 1),
        (" 64M ", 64),
    ],
)
def test_sizes_are_mib_with_an_optional_unit_rounded_up(text: str, mib: int) -> None:
    assert parse_size(text) == mib


@pytest.mark.parametrize("text", ["", "M", "-1G", "1X", "1 G", "1e3", "0", "0M", "0K"])
def test_a_size_that_is_not_a_positive_amount_is_refused(text: str) -> None:
    with pytest.raises(SpecError, match="--mem"):
        parse_size(text)


def test_a_refused_size_names_the_flag_it_came_from() -> None:
    with pytest.raises(SpecError, match="--mem-per-cpu"):
        parse_size("lots", flag="--mem-per-cpu")
