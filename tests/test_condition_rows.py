"""A batch run skips the readings that only move an alarm's bookkeeping (monitor/core/condition_rows.py):
it must still give, to the last digit, the log of feeding every reading.

The sessions here keep values within noise of a limit, at fractional times (10 Hz and irregular),
so that stretches beyond a limit and back inside by the margin alternate reading by reading, with
delays and clear times of their own; the general properties are in test_alarm_properties.py."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import Control
from monitor.core.condition_rows import AlarmReadings, Runs
from monitor.core.readings import Reading
from monitor.core.thresholds import VitalRule
from tests.conftest import examples
from tests.engine_helpers import rules, store_of
from tests.test_alarm_properties import as_tuples, feed_live

NAN = math.nan

STEPS = st.sampled_from([0.1, 0.1, 0.1, 0.1, 0.3, 1.0, 1.0, 2.5, 0.0, 11.0])
NOISE = st.integers(-9, 9)
CENTRE = st.sampled_from([110.0, 112.0, 128.0, 131.0, 50.0, 47.0])
DELAY = st.sampled_from([0.5, 3.0, 10.0])
CLEAR = st.sampled_from([-1.0, 0.0, 0.7, 4.0, 15.0])
HYST = st.sampled_from([0.0, 2.0, 5.0])


@st.composite
def near_limit_sessions(draw):
    n = draw(st.integers(20, 400))
    centre = draw(CENTRE)
    # A stretch with no HR (other vitals go on): a deadline then falls due with no reading of
    # its own, perhaps after a control has split the run.
    quiet = draw(st.integers(0, n))
    quiet = range(quiet, quiet + draw(st.integers(0, 60)))
    t = 0.0
    readings = []
    for k in range(n):
        nt = t + draw(STEPS)  # (sums of tenths, as a 10 Hz device's clock gives, or rounded)
        t = max(t, round(nt, 1)) if draw(st.booleans()) else nt
        hr = NAN if k in quiet else centre + draw(NOISE)
        spo2 = float(94 + draw(st.integers(-3, 3))) if k in quiet or draw(st.integers(0, 3)) == 0 else NAN
        cuff = draw(st.integers(0, 40)) == 0
        sbp, dbp = (float(150 + draw(NOISE) * 2), 90.0) if cuff else (NAN, NAN)
        readings.append(Reading(t, hr=hr, sbp=sbp, dbp=dbp, spo2=spo2))
    controls = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["ack", "pause", "dose"]))
        data = {"dose": "initial"} if kind == "dose" else {"seconds": 30.0} if kind == "pause" else {}
        controls.append(Control(draw(st.floats(0, t + 1, allow_nan=False)), kind, data))
    controls.sort(key=lambda c: c.t)
    hr_rule = VitalRule(
        "hr", {"medium": 110, "high": 130}, {"medium": 50, "high": 40}, draw(DELAY), draw(HYST), True, draw(CLEAR)
    )
    return readings, controls, hr_rule


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_limit_sessions())
@pytest.mark.slow
@pytest.mark.head_start
def test_near_a_limit_batch_and_one_at_a_time_give_the_same_log(session):
    readings, controls, hr_rule = session
    th = rules(vitals={**rules().vitals, "hr": hr_rule})
    end = readings[-1].t + 30  # (the session's stop: the clock runs on to it)
    engine = AlarmEngine(th)
    live = feed_live(readings, controls, engine)
    engine.tick(end)
    batch = AlarmEngine(th).run(store_of(readings), controls, end=end)
    assert as_tuples(batch) == as_tuples(live)


def test_a_stress_session_is_visited_only_where_a_condition_changes():
    """HR within noise of its limit for an hour: the batch run hands the engine a few rows per
    alarm transition, not every reading that crosses the limit or the margin."""
    rng = np.random.default_rng(3)
    hr = np.round(112 + rng.normal(0, 3, 3600))
    readings = [Reading(float(i), hr=float(v)) for i, v in enumerate(hr)]
    visited = []
    engine = AlarmEngine(rules())
    row = engine.row
    engine.row = lambda t, values: (visited.append(t), row(t, values))[1]  # type: ignore[method-assign]
    log = engine.run(store_of(readings))
    assert as_tuples(log) == as_tuples(feed_live(readings, []))
    crossings = int(np.sum(np.diff((hr >= 110).astype(int)) != 0))
    assert crossings > 500
    assert len(visited) < 4 * len(log) + 10


def test_runs_and_their_edges():
    tv = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    mask = np.array([True, True, False, True, False, True])
    runs = Runs(mask, tv)
    assert (runs.starts, runs.ends) == ([0, 3, 5], [2, 4, 6])
    assert runs.t_end.tolist() == [2.0, 4.0, math.inf]
    assert runs.first_true_after(-1) == 0 and runs.first_true_after(1) == 3 and runs.first_true_after(5) == 6
    assert runs.first_false_after(-1) == 2 and runs.first_false_after(2) == 4 and runs.first_false_after(4) == 6
    assert runs.last_false_in(-1, 1) == -2 and runs.last_false_in(0, 3) == 2 and runs.last_false_in(2, 3) == -2
    assert runs.lasting(1.5) == ([0, 2], [1.5, 6.5])


def test_catching_up_adds_the_time_beyond_as_taking_each_reading_would():
    """Bookkeeping brought up to date over skipped readings equals reading-by-reading `take`."""
    rule = VitalRule("hr", {"medium": 110}, {}, 100.0, 5.0, True, 50.0)
    times = np.round(np.cumsum(np.full(40, 0.1)), 1)
    values = np.array([111, 112, 104, 111, 103, 104, 111, 112, 113, 104] * 4, float)
    one = AlarmEngine(rules(vitals={"hr": rule})).limit_alarms[0]
    lazy = AlarmEngine(rules(vitals={"hr": rule})).limit_alarms[0]
    one.take(times[0], values[0])
    lazy.take(times[0], values[0])
    for t, v in zip(times[1:], values[1:], strict=True):
        one.take(float(t), float(v))
    AlarmReadings(lazy, np.arange(40), times, values).catch_up(0, 39)
    assert (lazy.run, lazy.acc, lazy.clr) == (one.run, one.acc, one.clr)
    assert one.acc[2] > 0 and one.clr[2] != math.inf


def test_a_deadline_falls_due_in_a_stretch_with_no_reading_of_its_vital():
    """HR back inside at 16 s (clear time 10 s: due at 26 s), then no more HR; an acknowledgement
    at 17 s splits the run. A SpO2 reading at 26 s brings the clear first, the HR "no data" (due
    when more than 10 s have passed) only at the next row: the batch run must visit 26 s too."""
    readings = [Reading(float(t), hr=120.0, spo2=97.0) for t in range(16)]
    readings.append(Reading(16.0, hr=100.0, spo2=97.0))
    readings += [Reading(float(t), spo2=97.0) for t in range(17, 40)]
    controls = [Control(17.5, "ack", {})]
    live = feed_live(readings, controls)
    batch = AlarmEngine(rules()).run(store_of(readings), controls)
    assert as_tuples(batch) == as_tuples(live)
    order = [(e.alarm, e.state) for e in live if e.t == 26.0]
    assert order == [("hr.upper", "cleared"), ("hr.stale", "active")]
