"""Session recording and loading, and the supplemental-dose window."""

import json
import math
import stat

import numpy as np

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.dosing import Dose, supplement_status
from monitor.core.readings import Reading
from monitor.core.thresholds import SupplementRules
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionRecorder, load_session

T0 = 1_764_320_400.0  # 2025-11-28 09:00 UTC


def record_session(folder, n=1200):
    th = load_thresholds()
    rec = SessionRecorder(folder, label="P-007 session 2", source="test", thresholds=th, start=T0)
    engine = AlarmEngine(th, on_event=rec.alarm)
    rng = np.random.default_rng(3)
    for i in range(n):
        t = T0 + i
        if i == 600:
            # Actions are stamped with the engine's event time: after the newest reading.
            rec.event(engine.t, "dose", dose="initial", amount_mg=120)
            engine.dose(engine.t, "initial")
        hr = 75 + (50 if 700 < i < 800 else 0) + float(rng.integers(-2, 3))
        r = Reading(
            t,
            hr=hr,
            sbp=170.0 if i % 300 == 0 and i > 600 else math.nan,
            dbp=90.0 if i % 300 == 0 and i > 600 else math.nan,
        )
        rec.reading(r)
        engine.feed(r)
        if i == 720:
            rec.event(engine.t, "ack", who="therapist A")
            engine.acknowledge(engine.t, "therapist A")
    rec.event(engine.t, "note", text="patient calm")
    rec.close()
    return engine


def test_files_are_owner_only_and_loadable(tmp_path):
    folder = tmp_path / "s1"
    record_session(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("readings.csv", "events.jsonl", "session.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    s = load_session(folder)
    assert len(s.store) == 1200 and s.time_kind == "absolute"
    assert s.label == "P-007 session 2" and not s.simulated
    assert [d.dose for d in s.doses()] == ["initial"] and s.doses()[0].amount_mg == 120
    assert s.notes_logged()[0].text == "patient calm"
    assert s.store.t[0] == T0


def test_alarms_recomputed_from_the_recording_equal_the_live_log(tmp_path):
    folder = tmp_path / "s2"
    live = record_session(folder)
    s = load_session(folder)
    assert s.recorded_alarms() == live.log
    again = AlarmEngine(s.stored_thresholds()).run(s.store, s.controls())
    assert again == live.log


def test_lines_are_flushed_as_written(tmp_path):
    rec = SessionRecorder(tmp_path / "s3", start=T0)
    rec.reading(Reading(T0, hr=80))
    rec.event(T0, "note", text="x")
    assert (tmp_path / "s3" / "readings.csv").read_text().count("\n") == 2
    assert json.loads((tmp_path / "s3" / "events.jsonl").read_text())["text"] == "x"
    rec.close()


def test_resume_appends_and_drops_a_line_cut_by_a_crash(tmp_path):
    folder = tmp_path / "s4"
    rec = SessionRecorder(folder, label="a", start=T0)
    rec.reading(Reading(T0, hr=80))
    rec.close()
    with open(folder / "readings.csv", "a") as f:
        f.write("2025-11-28T09:00:01+00:00,8")  # the crash: half a line
    with open(folder / "events.jsonl", "a") as f:
        f.write('{"t": "2025-11-28T09:00:01+00:00", "kind": "no')
    rec = SessionRecorder(folder, label="ignored on resume")
    assert rec.resumed and rec.meta["label"] == "a"
    rec.reading(Reading(T0 + 2, hr=81))
    rec.event(T0 + 2, "note", text="after restart")
    rec.close()
    s = load_session(folder)
    assert list(s.store.column("hr")) == [80, 81]  # the half line never became HR 8
    assert not s.rejected  # the cut line was removed on resume (the feed delivers it again whole)
    assert (folder / "readings.csv").read_text().count("\n") == 3  # header and two whole rows
    assert [n.text for n in s.notes_logged()] == ["after restart"]
    assert any("events.jsonl line 1 skipped" in n for n in s.notes)


def test_plain_device_csv_loads_as_a_session(tmp_path):
    from tests.conftest import DATA

    s = load_session(DATA / "challenge2012_137018.csv")
    assert len(s.store) > 0 and s.events == [] and s.time_kind == "relative"
    assert s.artifacts["sbp"] >= 4


RULES = SupplementRules(5400, 9000, {"sbp": 160, "hr": 110})


def test_supplement_window_states():
    doses = [Dose(0.0, "initial", 120)]
    assert supplement_status([], 0, RULES, {}).state == "no-dose"
    w = supplement_status(doses, 4680, RULES, {"sbp": 150, "hr": 90})
    assert w.state == "waiting" and w.text.endswith("opens in 12 min")
    assert (
        supplement_status(doses, 6000, RULES, {"sbp": 150, "hr": 90}).text == "supplement window open: vitals allow it"
    )
    hold = supplement_status(doses, 6000, RULES, {"sbp": 168, "hr": 90})
    assert hold.state == "open-hold" and hold.text == "supplement window: NOT ready: SBP 168 >= 160"
    assert supplement_status(doses, 6000, RULES, {"sbp": None, "hr": 90}).state == "open-hold"
    assert supplement_status(doses, 9600, RULES, {}).state == "closed"
    given = doses + [Dose(6000.0, "supplemental", 60)]
    assert supplement_status(given, 7000, RULES, {}).state == "given"


def test_a_feed_silent_at_the_end_is_alarmed_in_the_recomputed_log_too(tmp_path):
    th = load_thresholds()
    rec = SessionRecorder(tmp_path / "s5", thresholds=th, start=T0)
    live = AlarmEngine(th, on_event=rec.alarm)
    for i in range(30):
        r = Reading(T0 + i, hr=80)
        rec.reading(r)
        live.feed(r)
    live.tick(T0 + 60)  # the live clock ran on while the feed was silent
    rec.event(T0 + 60, "stop")
    rec.close()
    s = load_session(tmp_path / "s5")
    again = AlarmEngine(th).run(s.store, s.controls(), end=s.end_time())
    assert any(e.alarm == "hr.stale" for e in again) and again == live.log


def test_backdated_dose_keeps_when_it_was_given(tmp_path):
    rec = SessionRecorder(tmp_path / "s6", start=T0)
    rec.reading(Reading(T0, hr=80))
    rec.event(T0 + 600, "dose", dose="initial", amount_mg=120, given_at="2025-11-28T09:05:00+00:00")
    rec.close()
    d = load_session(tmp_path / "s6").doses()[0]
    assert d.t == T0 + 300
    assert load_session(tmp_path / "s6").controls()[0].t == T0 + 600
