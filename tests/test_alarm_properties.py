"""Properties of the alarm engine over open-ended inputs."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import Control
from monitor.core.readings import Reading
from tests.conftest import examples
from tests.engine_helpers import rules, store_of

NAN = math.nan


# Built once, not at every draw: Hypothesis validates and labels a strategy the first time it
# draws from it, which cost more than the whole alarm engine when these were rebuilt per reading.
# The draws are the same, so the examples are too.
N_READINGS = st.integers(1, 120)
STEP = st.sampled_from([0.0, 1.0, 1.0, 1.0, 2.0, 7.0, 15.0, 200.0])
HR = st.one_of(st.just(NAN), st.floats(0, 300, allow_nan=False).map(round))
CUFF_ONE_IN_SIX = st.integers(0, 5)
SBP = st.integers(0, 260)
DBP = st.integers(20, 130)
SPO2 = st.one_of(st.just(NAN), st.integers(80, 100).map(float))
N_CONTROLS = st.integers(0, 6)
KIND = st.sampled_from(["ack", "ack", "pause", "dose"])
PAUSE_S = st.sampled_from([30.0, 120.0, 600.0])


@st.composite
def sessions(draw):
    """Readings with irregular gaps, partial rows, artifacts, plus doses, acks and pauses."""
    n = draw(N_READINGS)
    t = 0.0
    readings = []
    for _ in range(n):
        t += draw(STEP)
        hr = draw(HR)
        if draw(CUFF_ONE_IN_SIX) == 0:
            sbp = float(draw(SBP))
            dbp = float(draw(DBP))
        else:
            sbp = dbp = NAN
        spo2 = draw(SPO2)
        readings.append(Reading(t, hr=hr, sbp=sbp, dbp=dbp, spo2=spo2))
    controls = []
    for _ in range(draw(N_CONTROLS)):
        # Whole seconds too: actions landing exactly on a reading or a deadline are the edge cases.
        ct = draw(st.one_of(st.floats(0, t + 5, allow_nan=False), st.integers(0, int(t) + 5).map(float)))
        kind = draw(KIND)
        data = {"dose": "initial"} if kind == "dose" else {}
        if kind == "pause":
            data = {"seconds": draw(PAUSE_S)}
        controls.append(Control(ct, kind, data))
    controls.sort(key=lambda c: c.t)
    return readings, controls


def feed_live(readings, controls, engine=None):
    """Readings one at a time, each action applied before the first reading after it."""
    e = engine or AlarmEngine(rules())
    ci = 0
    for r in readings:
        while ci < len(controls) and controls[ci].t < r.t:
            e.apply(controls[ci])
            ci += 1
        e.feed(r)
    for c in controls[ci:]:
        e.apply(c)
    return e.log


def as_tuples(log):
    return [(e.t, e.alarm, e.state, e.priority, e.value, e.limit, e.message) for e in log]


# The two long properties run in the background from the start of the run, on the core the other
# tests leave idle (tests/support/head_start.py); the same function, so the same examples.
@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions())
@pytest.mark.slow
@pytest.mark.head_start
def test_one_at_a_time_and_batch_give_the_same_alarm_log(session):
    readings, controls = session
    live = feed_live(readings, controls)
    batch = AlarmEngine(rules()).run(store_of(readings), controls)
    assert as_tuples(batch) == as_tuples(live)


@settings(max_examples=examples(200), deadline=None)
@given(
    value=st.integers(111, 250),
    held=st.integers(10, 120),
    before=st.integers(0, 30),
)
def test_value_beyond_limit_for_at_least_the_delay_is_active(value, held, before):
    e = AlarmEngine(rules())
    t = 0
    for _ in range(before):
        e.feed(Reading(t, hr=80))
        t += 1
    for _ in range(held + 1):
        e.feed(Reading(t, hr=value))
        t += 1
    st_ = {s.alarm: s for s in e.status()}
    assert st_["hr.upper"].state == "active"
    assert st_["hr.upper"].priority == ("high" if value >= 130 else "medium")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), sessions())
@pytest.mark.slow
@pytest.mark.head_start
def test_a_batch_run_then_live_readings_equals_all_live(first, second):
    """Resume: the recording is run in batch, then the feed carries on one reading at a time."""
    r1, c1 = first
    offset = (r1[-1].t + 1) if r1 else 0.0
    r2 = [Reading(r.t + offset, hr=r.hr, sbp=r.sbp, dbp=r.dbp, spo2=r.spo2) for r in second[0]]
    c_in = [c for c in c1 if r1 and c.t <= r1[-1].t]
    live = AlarmEngine(rules())
    feed_live(r1, c_in, live)
    resumed = AlarmEngine(rules())
    resumed.run(store_of(r1), c_in)
    for r in r2:
        live.feed(r)
        resumed.feed(r)
    assert as_tuples(resumed.log) == as_tuples(live.log)
    assert [s.alarm for s in resumed.status()] == [s.alarm for s in live.status()]
    assert resumed.last_si == live.last_si  # the shock index the screen shows
