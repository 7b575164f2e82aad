"""The live session behind the screen (no Textual): event time, ingest, actions, recording,
technical alarms, resume; plus the small pure helpers (bell pattern, time input, canvas)."""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np
import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.dosing import parse_amount
from monitor.core.readings import Reading
from monitor.core.timetext import age_text, parse_time_input
from monitor.recording import SessionError, SessionRecorder, load_session
from monitor.session import ActionError, ManualClock, Session
from monitor.sources.feed import FeedStatus
from monitor.sources.follow import FileFeed
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from monitor.ui.bell import BellPattern
from monitor.ui.canvas import BrailleCanvas
from tests.support.ui import T0, TH, ListFeed, events


def hr_run(start: float, seconds: int, hr: float = 72.0) -> list[Reading]:
    return [Reading(start + k, hr=hr) for k in range(seconds)]


def make_session(tmp_path=None, feed=None, **kw):
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = feed or ListFeed()
    s = Session(
        feed,
        kw.pop("thresholds", TH),
        folder=None if tmp_path is None else tmp_path / "sess",
        clock=clock,
        user="nurse",
        **kw,
    )
    s.tz = UTC
    s.start()
    return s, feed, clock


def feed_seconds(s, feed, clock, start, seconds, **vals):
    """One reading per real second, as a 1 Hz bridge would write them."""
    for k in range(seconds):
        feed.push(Reading(start + k, **vals))
        s.poll()
        clock.advance(1.0)


# -- event time --------------------------------------------------------------------------------


def test_event_time_follows_the_newest_reading_plus_real_time():
    s, feed, clock = make_session()
    assert s.event_now() is None  # no reading yet: no clock
    feed.push(*hr_run(T0, 5))
    s.poll()
    assert s.event_now() == T0 + 4
    clock.advance(3.0)
    assert s.event_now() == T0 + 4  # taken at the last poll (the engine's last tick)
    s.poll()
    assert s.event_now() == T0 + 7  # the last reading plus three real seconds
    with pytest.raises(ActionError):
        make_session()[0].add_note("too early")


def test_a_followed_file_ticks_behind_by_its_lag_so_late_lines_stay_in_order(tmp_path):
    path = tmp_path / "bed.csv"
    path.write_text("time,hr\n" + "".join(f"{T0 + k:.0f},70\n" for k in range(3)))
    s, feed, clock = make_session(feed=FileFeed(path))
    s.poll()
    assert s.lag_s == FileFeed.lag_s == 5.0
    clock.advance(5.5)  # the next line is 4.5 s late
    s.poll()
    assert s.event_now() == pytest.approx(T0 + 2 + 0.5, rel=0, abs=1e-6)  # 5.5 s after the newest, minus the 5 s lag
    with open(path, "a") as f:
        f.write(f"{T0 + 3:.0f},71\n")
    s.poll()
    clock.advance(1.0)  # the newest line waits a second for a second line with its time stamp
    s.poll()
    assert s.store.t[-1] == T0 + 3  # kept at its own time, not moved


def test_stale_stream_after_ten_silent_seconds_and_current_values_hidden():
    s, feed, clock = make_session()
    feed_seconds(s, feed, clock, T0, 5, hr=80)
    assert s.current("hr") == (T0 + 4, 80.0)
    clock.advance(11)
    s.poll()
    assert "hr" in s.stale_vitals()
    assert s.current("hr") is None  # never the last value as current
    assert any(a.alarm == "hr.stale" and a.priority == "technical" for a in s.alarms())


# -- actions and the record ----------------------------------------------------------------------


def test_actions_are_recorded_with_the_engine_time_and_replay_to_the_same_alarms(tmp_path):
    s, feed, clock = make_session(tmp_path)
    feed_seconds(s, feed, clock, T0, 30, hr=75)
    feed.push(Reading(T0 + 30, hr=75, sbp=170, dbp=95))  # over SBP 160: medium, repeat request
    s.poll()
    assert s.repeat_request() is not None
    d = s.give_dose("initial", 120)
    feed_seconds(s, feed, clock, T0 + 31, 30, hr=120)  # HR over 110 for 30 s
    assert any(a.alarm == "hr.upper" and a.state == "active" for a in s.alarms())
    n = s.acknowledge()
    assert n >= 1
    s.pause_audio()
    s.add_note("patient anxious")
    feed_seconds(s, feed, clock, T0 + 61, 20, hr=80)
    s.stop()
    ev = events(tmp_path / "sess")
    kinds = [e["kind"] for e in ev]
    assert kinds[0] == "start" and kinds[-1] == "stop"
    dose = next(e for e in ev if e["kind"] == "dose")
    assert dose["dose"] == "initial" and dose["amount_mg"] == 120 and dose["who"] == "nurse"
    assert {"ack", "pause", "note"} <= set(kinds)
    assert d.t == s.doses[0].t
    # The replay invariant: the recorded alarms equal a batch run over the recording.
    rs = load_session(tmp_path / "sess")
    log = AlarmEngine(rs.stored_thresholds()).run(rs.store, rs.controls())
    recorded = rs.recorded_alarms()
    assert [(round(e.t, 3), e.alarm, e.state) for e in log] == [(round(e.t, 3), e.alarm, e.state) for e in recorded]


def test_dose_rules_are_said_in_one_sentence():
    s, feed, clock = make_session()
    feed_seconds(s, feed, clock, T0, 3, hr=70)
    with pytest.raises(ActionError, match="initial dose first"):
        s.give_dose("supplemental", 60)
    s.give_dose("initial", 120)
    with pytest.raises(ActionError, match="already recorded"):
        s.give_dose("initial", 120)
    s.give_dose("supplemental", 60)
    with pytest.raises(ActionError, match="already recorded"):
        s.give_dose("supplemental", 60)
    with pytest.raises(ActionError, match="nothing to acknowledge"):
        s.acknowledge()
    with pytest.raises(ActionError):
        s.add_note("   ")


def test_a_backdated_dose_counts_from_when_it_was_given(tmp_path):
    s, feed, clock = make_session(tmp_path)
    feed_seconds(s, feed, clock, T0, 600, hr=70)
    d = s.give_dose("initial", 120, given_at=T0 + 300)
    assert d.t == T0 + 300
    e = next(e for e in events(tmp_path / "sess") if e["kind"] == "dose")
    assert e["given_at"].startswith("2026-11-28T09:05:00")
    rs = load_session(tmp_path / "sess")
    assert rs.controls()[0].t > T0 + 590  # the engine got it at the time it was pressed


def test_pause_is_the_configured_length_and_breaks_for_higher_priority():
    s, feed, clock = make_session()
    feed_seconds(s, feed, clock, T0, 20, hr=115)  # medium HR alarm
    assert s.audible_rank() == 2
    assert s.pause_audio() == TH.audio.pause_s
    assert s.audible_rank() == 0 and 0 < s.paused_remaining() <= TH.audio.pause_s
    feed_seconds(s, feed, clock, T0 + 20, 20, hr=135)  # escalates to high: breaks through
    assert s.audible_rank() == 3


# -- technical alarms ----------------------------------------------------------------------------


def test_feed_lost_bad_lines_and_order_are_technical_alarms(tmp_path):
    s, feed, clock = make_session(tmp_path)
    feed_seconds(s, feed, clock, T0, 3, hr=70)
    feed.status.append(FeedStatus("lost", "bed.csv has vanished; waiting for it to come back"))
    s.poll()
    lost = next(a for a in s.alarms() if a.alarm == "feed.lost")
    assert lost.priority == "technical" and "vanished" in lost.message
    feed.status.append(FeedStatus("restored", "bed.csv is back"))
    s.poll()
    assert not any(a.alarm == "feed.lost" for a in s.alarms())
    from monitor.sources.csv.errors import RejectedLine

    feed.rejected = [RejectedLine(7, "'x' in column hr is not a number")]
    s.poll()
    bad = next(a for a in s.alarms() if a.alarm == "feed.data")
    assert "line 7" in bad.message
    clock.advance(61)
    s.poll()
    assert not any(a.alarm == "feed.data" for a in s.alarms())  # clears by itself after a minute
    feed.push(Reading(T0 - 30, hr=70))  # older than the newest reading (by less than a clock step)
    s.poll()
    assert any(a.alarm == "feed.order" for a in s.alarms())
    log = (tmp_path / "sess" / "monitor.log").read_text()
    assert "vanished" in log and "line 7 rejected" in log
    kinds = [(e["kind"], e.get("state")) for e in events(tmp_path / "sess")]
    assert ("feed", "lost") in kinds and ("feed", "rejected") in kinds


class FlakyRecorder(SessionRecorder):
    fail = False

    def _write(self, f, text):
        if FlakyRecorder.fail:
            raise SessionError(f"cannot write to '{self.folder}': No space left on device")
        super()._write(f, text)


def test_a_failing_recording_is_a_high_alarm_and_held_records_are_written_later(tmp_path):
    s, feed, clock = make_session(tmp_path, recorder_factory=FlakyRecorder)
    feed_seconds(s, feed, clock, T0, 3, hr=70)
    FlakyRecorder.fail = True
    try:
        feed_seconds(s, feed, clock, T0 + 3, 3, hr=71)
        a = next(a for a in s.alarms() if a.alarm == "record.write")
        assert a.priority == "high" and "No space left" in a.message
        assert s.audible_rank() == 3
        assert s.alarms()[0].alarm == "record.write"  # top of the banner
    finally:
        FlakyRecorder.fail = False
    clock.advance(3)
    s.poll()
    assert not any(a.alarm == "record.write" for a in s.alarms())
    s.stop()
    rs = load_session(tmp_path / "sess")
    assert len(rs.store) == 6  # nothing lost


# -- resume --------------------------------------------------------------------------------------


def test_resume_after_an_abrupt_end_restores_everything(tmp_path):
    s, feed, clock = make_session(tmp_path)
    feed_seconds(s, feed, clock, T0, 20, hr=75)
    feed.push(Reading(T0 + 20, hr=75, sbp=190, dbp=100))  # high SBP: latches
    s.poll()
    s.give_dose("initial", 120)
    s.add_note("before the crash")
    feed_seconds(s, feed, clock, T0 + 21, 20, hr=75)
    before = [(a.alarm, a.state, a.priority) for a in s.alarms()]
    n_events = len(events(tmp_path / "sess"))
    # The terminal is closed: no stop event, nothing else happens.
    rs = load_session(tmp_path / "sess")
    clock2 = ManualClock(wall=T0 + 100, monotonic=5000.0)
    feed2 = ListFeed()
    s2 = Session(feed2, rs.stored_thresholds(), folder=tmp_path / "sess", clock=clock2, resume=rs)
    s2.tz = UTC
    s2.start()
    assert len(s2.store) == len(s.store)
    assert [(d.dose, d.amount_mg) for d in s2.doses] == [("initial", 120)]
    assert [n.text for n in s2.notes] == ["before the crash"]
    assert [(a.alarm, a.state, a.priority) for a in s2.alarms()] == before
    assert s2.engine.initial_dose_t == s.engine.initial_dose_t
    # Carries on: the bridge re-sends rows it already wrote, then new ones.
    feed2.push(*hr_run(T0 + 30, 20))
    s2.poll()
    assert s2.store.t[-1] == T0 + 49 and len(s2.store) == len(s.store) + 9
    ev = events(tmp_path / "sess")
    assert ev[n_events]["kind"] == "start" and ev[n_events]["resumed"] is True
    alarms_after = [e for e in ev[n_events:] if e["kind"] == "alarm"]
    assert not any(e["alarm"] == "sbp.upper" and e["state"] == "active" for e in alarms_after)  # not re-raised


def test_resume_of_a_simulated_session_continues_the_simulated_clock(tmp_path):
    clock = ManualClock(wall=T0, monotonic=100.0)
    sim = SimulatorFeed(SimulatedFeed("typical", seed=2, speed=60, start=T0))
    s = Session(sim, TH, folder=tmp_path / "sim", clock=clock)
    s.start()
    for _ in range(40):
        clock.advance(1.0)
        s.poll()
    last = s.store.t[-1]
    rs = load_session(tmp_path / "sim")
    assert rs.simulated and rs.meta["scenario"] == "typical" and rs.meta["sim_start"] == T0
    clock2 = ManualClock(wall=T0 + 500, monotonic=9000.0)
    sim2 = SimulatorFeed(SimulatedFeed("typical", seed=2, speed=60, start=rs.meta["sim_start"]), resume_after=last)
    s2 = Session(sim2, rs.stored_thresholds(), folder=tmp_path / "sim", clock=clock2, resume=rs)
    s2.start()
    assert s2.event_now() == pytest.approx(last, rel=0, abs=1.0)
    clock2.advance(1.0)
    s2.poll()
    t = s2.store.t
    assert np.all(np.diff(t) > 0) and t[-1] == pytest.approx(last + 60, rel=0, abs=1)
    assert [d.dose for d in s2.doses] == ["initial"]  # the scenario's dose is not given twice


# -- small helpers -------------------------------------------------------------------------------


def test_bell_pattern_per_priority():
    b = BellPattern()
    rings = [b.step(k * 0.25, 3) for k in range(80)]  # 20 s of high
    assert sum(rings) == 6 and rings[:4] == [True, True, True, False]  # 3 every 10 s
    b = BellPattern()
    assert sum(b.step(k * 0.25, 2) for k in range(200)) == 4  # 50 s of medium: 2 every 25 s
    b = BellPattern()
    assert sum(b.step(k * 0.25, 1, onsets=1 if k == 0 else 0) for k in range(400)) == 1  # low: once
    b = BellPattern()
    b.step(0, 2)
    assert b.step(0.25, 2) and not b.step(0.5, 2)
    assert b.step(0.75, 3)  # a higher priority starts its pattern at once
    assert not b.step(1.0, 0)  # silent (paused) means silent


def test_time_and_amount_inputs():
    now = T0 + 3600
    assert parse_time_input("", now, True, UTC) == now
    assert parse_time_input("5m ago", now, True, UTC) == now - 300
    assert parse_time_input("09:42", now, True, UTC) == T0 + 42 * 60
    assert parse_time_input("+0:10:00", 900.0, False) == 600
    with pytest.raises(ValueError):
        parse_time_input("25:00", now, True, UTC)
    with pytest.raises(ValueError):
        parse_time_input("soon", now, True, UTC)
    assert parse_amount("120 mg") == 120 and parse_amount("") is None
    for bad in ("abc", "0", "-5", "5000"):
        with pytest.raises(ValueError):
            parse_amount(bad)
    assert age_text(30) == "30 s ago" and age_text(240) == "4 min ago" and age_text(3900) == "1 h 05 min ago"


def test_braille_canvas_layers_and_lines():
    c = BrailleCanvas(4, 2)
    data = c.layer("data")
    limit = c.layer("limit")
    c.polyline(data, np.array([0, 7]), np.array([0, 7]), np.array([True]))
    c.hline(limit, 7, dotted=1)
    rows, owner = c.cells()
    assert len(rows) == 2 and all(len(r) == 4 for r in rows)
    assert owner[0, 0] == 0 and owner[1, 3] == 0  # the diagonal wins its cells
    assert owner[1, 0] == 1  # the limit line shows where there is no data
    assert all(0x2800 <= ord(ch) <= 0x28FF or ch == " " for r in rows for ch in r)
    assert math.isclose(len(c.styles), 2)
