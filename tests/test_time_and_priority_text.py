"""One rounding for every time the monitor writes, and one vocabulary for alarm priorities."""

import re
from datetime import UTC, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core import timetext
from monitor.core.alarm_log import clock as log_clock
from monitor.core.priority import LOOK, PRIORITIES, TECHNICAL, marker, priority_text, rank_of, severity_of, word
from tests.conftest import ROOT

T0 = 1_795_856_400.0  # 2026-11-28 09:00:00 UTC


@pytest.mark.parametrize(
    "dt, shown",
    [
        (0.5, "+0:00:01"),
        (0.49, "+0:00:00"),
        (-0.5, "+0:00:00"),
        (-0.51, "-0:00:01"),
        (59.5, "+0:01:00"),
        (3599.5, "+1:00:00"),
    ],
)
def test_half_a_second_rounds_up_on_the_screen_in_the_log_and_in_the_report(dt, shown):
    assert timetext.signed_hms(dt) == shown
    assert timetext.event_time(dt, False) == shown  # the screen, a recording timed from its start
    assert log_clock(dt, False) == shown  # the CLI's alarm log
    assert timetext.signed_hms_array(np.array([dt])) == [shown]  # the report's hover labels


@given(st.floats(min_value=-86_400 * 3, max_value=86_400 * 3, allow_nan=False))
def test_one_time_and_many_times_are_written_alike(dt):
    assert timetext.signed_hms_array(np.array([dt])) == [timetext.signed_hms(dt)]
    for tz in (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))):
        t = T0 + dt
        off = timetext.utc_offset(tz)
        assert timetext.clock_of_day_array(np.array([t]), off) == [timetext.clock_of_day(t, tz)]
        assert timetext.clock_of_day_array(np.array([t]), off, date=True) == [timetext.clock_of_day(t, tz, date=True)]


def test_a_clock_time_rounds_like_an_elapsed_one():
    # 09:00:00.6 is 0.6 s after 09:00:00: the screen must not show 09:00:00 beside "+0:00:01".
    assert timetext.clock_of_day(T0 + 0.6, UTC) == "09:00:01"
    assert timetext.event_time(T0 + 0.6, True, UTC) == "09:00:01"
    assert timetext.utc_stamp(T0 + 0.6) == "2026-11-28 09:00:01"
    assert timetext.zone_stamp(T0 + 0.4, timezone(timedelta(hours=1))) == "2026-11-28 10:00:00 UTC+01:00"


@pytest.mark.parametrize(
    "s, shown", [(0.5, "1s"), (0.4, "0s"), (-0.5, "0s"), (-1.5, "-1s"), (90, "1m30s"), (7_499.5, "2h05m")]
)
def test_durations_round_as_times_do(s, shown):
    assert timetext.format_duration(s) == shown


@pytest.mark.parametrize(
    "text, seconds",
    [("8h", 28_800), ("90m", 5_400), ("6h30m", 23_400), ("45s", 45), ("1h30m15s", 5_415), ("12.5", 12.5)],
)
def test_durations_as_people_write_them(text, seconds):
    assert timetext.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "8x", "5m5m", "h"])
def test_a_duration_that_is_not_one_is_refused_in_a_sentence(text):
    with pytest.raises(ValueError, match="is not a duration"):
        timetext.parse_duration(text)


def test_a_typed_clock_time_is_read_once_for_doses_and_for_replay_positions():
    assert timetext.parse_clock(" 14:32 ") == (14, 32, 0)
    assert timetext.parse_clock("25:00:10") == (25, 0, 10)  # 25 h into a recording timed from its start
    assert timetext.parse_clock("90m") is None
    with pytest.raises(ValueError):
        timetext.parse_clock("14:61")
    now = T0 + 3600
    assert timetext.parse_time_input("09:30", now, True, UTC) == T0 + 1800
    for bad in ("24:00", "09:60"):
        with pytest.raises(ValueError, match="not a time of day"):
            timetext.parse_time_input(bad, now, True, UTC)


def test_every_priority_has_a_word_a_marker_a_rank_and_colours():
    for p in (*PRIORITIES, TECHNICAL):
        look = LOOK[p]
        assert word(p) == look.word and marker(p) == look.marker and rank_of(p) == look.rank
        assert priority_text(p) == f"{look.marker} {p}"
        assert all(re.search(r"#[0-9a-f]{6}", c) for c in (look.screen_bg, look.screen_fg, look.screen_limit))
        assert re.fullmatch(r"#[0-9a-f]{6}", look.report)
    assert [rank_of(p) for p in PRIORITIES] == [1, 2, 3]
    assert rank_of(TECHNICAL) == rank_of("medium")  # a technical alarm sounds like a medium one
    assert sorted(LOOK, key=severity_of) == ["low", "technical", "medium", "high"]
    assert marker("") == "" and rank_of("") == 0


def test_the_stylesheet_uses_the_priority_colours_of_the_one_table():
    # CSS cannot import Python: this keeps monitor.tcss and monitor/core/priority.py the same.
    tcss = (ROOT / "monitor" / "ui" / "monitor.tcss").read_text()
    for p, look in LOOK.items():
        bg = re.search(r"on (#[0-9a-f]{6})", look.screen_bg).group(1)
        assert re.search(rf"#banner-main\.-{p} {{ background: {bg};", tcss), p
