"""Time beyond limits (monitor/core/beyond_limits.py), counted from the readings themselves."""

import numpy as np
import pytest

from monitor.core.beyond_limits import hold_seconds, median_interval, time_beyond_limits
from tests.engine_helpers import rules


def test_a_reading_stands_for_its_streams_stale_limit_else_three_median_intervals():
    th = rules()
    assert hold_seconds("hr", np.arange(10.0), th) == 10  # the hr stream's stale limit
    assert hold_seconds("sbp", np.arange(0.0, 3000, 300), th) == 2100  # the bp stream's
    assert hold_seconds("temp", np.arange(0.0, 7200, 1800), th) == 5400  # no stream: 3 x median
    assert hold_seconds("temp", np.array([5.0]), th) == 10  # one reading: 10 s
    assert median_interval(np.array([0.0, 1, 3, 6])) == 2


def test_time_and_readings_beyond_each_limit_and_the_baseline_rule_after_the_dose():
    th = rules()
    t = np.array([0.0, 300, 600, 900])
    v = np.array([120.0, 165, 185, 150])
    got = {
        (b.text, b.priority): (b.seconds, b.readings)
        for b in time_beyond_limits("sbp", t, v, th, 2100, baseline=120, dose_t=300)
    }
    assert got == {
        ("≥ 180", "high"): (300, 1),
        ("≥ 160", "medium"): (600, 2),
        ("≤ 90", "high"): (0, 0),
        ("≤ 100", "medium"): (0, 0),
        ("≥ baseline + 40 (= 160, after dose)", "medium"): (600, 2),
    }


def test_a_gap_counts_only_up_to_the_hold_and_the_last_reading_not_at_all():
    th = rules()
    t = np.array([0.0, 1, 2, 100, 101])
    v = np.array([120.0, 120, 120, 120, 120])
    (b,) = [b for b in time_beyond_limits("hr", t, v, th, 10, None, None) if b.text == "≥ 110"]
    assert b.seconds == pytest.approx(1 + 1 + 10 + 1) and b.readings == 5


def test_no_readings_nothing_beyond():
    assert time_beyond_limits("hr", np.zeros(0), np.zeros(0), rules(), 10, None, None) == []
