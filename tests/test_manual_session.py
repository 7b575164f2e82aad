"""Issue 15: typed readings through the one session path, the schedule's due / overdue / fulfilled
states and its low technical alarm, stale rules that follow the schedule, a device and a typed
reading at the same time, metadata and initials in the recording, discharge readiness."""

from __future__ import annotations

import json
import math

import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.protocol_loader import load_protocol, protocol_from_dict
from monitor.core.readings import Reading
from monitor.core.schedule import LATE, MISSED, ON_TIME, OVERDUE, UPCOMING
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.session import ActionError, ManualClock, Session
from monitor.session.typed import NeedsConfirmation
from monitor.sources.feed import FeedUpdate
from monitor.sources.manual import ManualFeed
from tests.feeds import HandFeed


class ListFeed(HandFeed):
    """A device feed that delivers its rows at the first poll."""

    def __init__(self, rows):
        self.rows = [Reading(t, **v) for t, v in rows]

    def poll(self, now):
        rows, self.rows = self.rows, []
        return FeedUpdate(rows)


# A test protocol with short intervals: BP and HR every 10 min to 1 h, then every 20 min to 2 h.
SHORT = {
    "session": {"staff_initials": "optional"},
    "schedule": {
        "tolerance": "2m",
        "grace": "3m",
        "repeat": "5m",
        "bp": {"phases": [{"until": "1h", "every": "10m"}, {"until": "2h", "every": "20m"}], "before_supplement": True},
        "hr": {"phases": [{"until": "1h", "every": "10m"}, {"until": "2h", "every": "20m"}]},
    },
    "discharge": {"hold": "20m", "earliest": "0s", "margins": {"sbp": 20, "hr": 20}},
}


@pytest.fixture(scope="module")
def th():
    return load_thresholds()


def manual(tmp_path, th, protocol=None, **kw):
    clock = ManualClock()
    s = Session(
        ManualFeed(wall=clock.wall),
        th,
        folder=tmp_path / "s",
        clock=clock,
        protocol=protocol or protocol_from_dict(SHORT),
        **kw,
    )
    s.start()
    s.poll()
    return s, clock


def wait(s, clock, seconds, step=30.0):
    while seconds > 0:
        dt = min(step, seconds)
        clock.now_mono += dt
        clock.now_wall += dt
        seconds -= dt
        s.poll()


def schedule_alarms(s):
    return {a.alarm: a for a in s.alarms() if a.alarm.startswith("schedule.")}


def test_typed_reading_goes_through_store_engine_and_recorder(tmp_path, th):
    s, clock = manual(tmp_path, th, info={"participant": "P-001", "session_number": 2, "site": "Site A"})
    text = s.enter_reading({"sbp": 172, "dbp": 96, "hr": 76}, staff="AB")
    assert "BP 172/96, HR 76" in text and "by AB" in text
    assert s.store.last_valid("sbp")[1] == 172  # the store
    assert any(a.alarm == "sbp.upper" for a in s.alarms())  # the engine
    wait(s, clock, 60)
    s.stop()
    rs = load_session(tmp_path / "s")  # the recorder
    assert rs.format_version == 3
    typed = [e for e in rs.events if e["kind"] == "reading"]
    assert typed[0]["source"] == "manual" and typed[0]["values"] == {"hr": 76.0, "sbp": 172.0, "dbp": 96.0}
    assert typed[0]["staff"] == "AB"
    assert list(rs.typed_times()) == [rs.store.t[0]]
    meta = json.loads((tmp_path / "s" / "session.json").read_text())
    assert meta["participant"] == "P-001" and meta["session_number"] == 2 and meta["site"] == "Site A"
    assert meta["manual"] is True and meta["protocol"]["schedule"]["tolerance_s"] == 120
    # One path: the engine over the recording gives the live log, the overdue alarms included.
    assert AlarmEngine(rs.stored_thresholds()).run(rs.store, rs.controls(), end=rs.end_time()) == rs.recorded_alarms()


def test_a_typed_time_within_the_hour(tmp_path, th):
    s, clock = manual(tmp_path, th)
    wait(s, clock, 1800)
    taken = clock.now_wall - 600
    assert "(taken at" in s.enter_reading({"temp": 37.4}, at=taken)
    assert s.store.last_valid("temp") == (taken, 37.4)
    with pytest.raises(ActionError, match="more than an hour ago"):
        s.enter_reading({"temp": 37.0}, at=clock.now_wall - 3700)
    with pytest.raises(ActionError, match="comes before the newest reading"):
        s.enter_reading({"temp": 37.0}, at=taken - 60)
    with pytest.raises(ActionError, match="in the future"):
        s.enter_reading({"temp": 37.0}, at=clock.now_wall + 120)
    with pytest.raises(ActionError, match="SBP 80 must be above DBP 90"):
        s.enter_reading({"sbp": 80, "dbp": 90})


def test_stale_rules_of_typed_vitals_follow_the_schedule(tmp_path, th):
    s, clock = manual(tmp_path, th)
    s.enter_reading({"sbp": 120, "dbp": 80, "hr": 70})
    wait(s, clock, 300)  # far past the 10 s HR rule of a streaming device
    assert "hr" not in s.stale_vitals() and s.current("hr") is not None
    rule = {r.stream: r.after_s for r in s.th.stale}
    assert rule["hr"] == rule["bp"] == 20 * 60 + 3 * 60  # the longest interval plus the grace
    wait(s, clock, 20 * 60)
    assert "hr" in s.stale_vitals()  # and stale once the schedule's interval and grace are past


def test_schedule_due_overdue_alarm_and_fulfilment_within_tolerance(tmp_path, th):
    s, clock = manual(tmp_path, th)
    assert "baseline due before the dose" in s.schedule.due_text()
    s.enter_reading({"sbp": 120, "dbp": 80, "hr": 70})
    s.give_dose("initial", 120)
    wait(s, clock, 6 * 60)
    assert s.schedule.due_text().startswith("BP, HR due in 4 min")
    wait(s, clock, 4 * 60 + 150)  # past the 2 min tolerance, within the 3 min grace: due, no alarm yet
    assert not schedule_alarms(s) and "BP, HR due now" in s.schedule.due_text()
    wait(s, clock, 60)  # the +10 min timepoint, then its grace: overdue
    assert "OVERDUE" in s.schedule.due_text()
    alarms = schedule_alarms(s)
    assert set(alarms) == {"schedule.bp", "schedule.hr"}
    assert alarms["schedule.bp"].priority == "low" and "the +0h10 reading was due at" in alarms["schedule.bp"].message
    wait(s, clock, 30)  # 14 min after the dose: late, outside the 2 min tolerance
    s.enter_reading({"sbp": 124, "dbp": 82, "hr": 72})
    assert not schedule_alarms(s)  # cleared by the reading
    wait(s, clock, 5 * 60)  # the +20 min timepoint: a reading 1 min after it is within tolerance
    s.enter_reading({"sbp": 122, "dbp": 80, "hr": 71})
    pts = {p.label: p for p in s.schedule.points()["bp"] if p.kind == "scheduled"}
    assert pts["+0h10"].status == LATE and pts["+0h20"].status == ON_TIME
    assert pts["+0h30"].status == UPCOMING
    base = next(p for p in s.schedule.points()["bp"] if p.kind == "baseline")
    assert base.status == ON_TIME


def test_a_missed_timepoint_clears_its_alarm_saying_so(tmp_path, th):
    s, clock = manual(tmp_path, th)
    s.give_dose("initial", 120)
    wait(s, clock, 14 * 60)
    assert "schedule.bp" in schedule_alarms(s)
    wait(s, clock, 4 * 60)  # the +20 window opens: +10 is missed, +20 is not overdue yet
    assert "schedule.bp" not in schedule_alarms(s)
    assert any("+0h10 reading of BP was missed" in e.text for e in s.log)
    statuses = [p.status for p in s.schedule.points()["bp"]]
    assert statuses[:2] == [MISSED, MISSED]  # the baseline (no reading before the dose) and +10


def test_a_reading_over_a_limit_asks_for_a_repeat(tmp_path, th):
    s, clock = manual(tmp_path, th)
    s.give_dose("initial", 120)
    wait(s, clock, 10 * 60)
    s.enter_reading({"sbp": 176, "dbp": 98, "hr": 80})
    assert "BP repeat due in 5 min" in s.schedule.due_text()
    wait(s, clock, 5 * 60 + 3 * 60 + 30)
    assert "repeat after a reading over a limit" in schedule_alarms(s)["schedule.bp"].message
    s.enter_reading({"sbp": 150, "dbp": 90})
    repeat = [p for p in s.schedule.points()["bp"] if p.kind == "repeat"]
    assert [p.status for p in repeat] == [LATE] and "schedule.bp" not in schedule_alarms(s)


def test_the_reading_before_the_supplement(tmp_path, th):
    s, clock = manual(tmp_path, th)
    s.give_dose("initial", 120)
    wait(s, clock, th.supplement.window_start_s + 4 * 60)
    pre = next(p for p in s.schedule.points()["bp"] if p.kind == "supplement")
    assert pre.status == OVERDUE
    s.enter_reading({"sbp": 130, "dbp": 80, "hr": 75})
    s.give_dose("supplemental", 60)
    pre = next(p for p in s.schedule.points()["bp"] if p.kind == "supplement")
    assert pre.status == ON_TIME


def test_device_and_typed_readings_at_the_same_time(tmp_path, th):
    t0 = 1_795_856_400.0
    rows = [(t0 + i, {"hr": 80.0}) for i in range(0, 60)] + [(t0 + 60, {"hr": 80.0, "sbp": 141.0, "dbp": 87.0})]
    rows += [(t0 + 61 + i, {"hr": 81.0}) for i in range(0, 5)]
    s = Session(ListFeed(rows), th, record=False)
    s.poll()
    assert len(s.store) == len(rows)
    # The same values as the device's: the same measurement, never recorded twice.
    with pytest.raises(ActionError, match="the device recorded the same SBP 141 .*, DBP 87 .*nothing new"):
        s.enter_reading({"sbp": 141, "dbp": 87})
    # Other values: a confirmation naming the device's, then both kept, each with its source.
    with pytest.raises(NeedsConfirmation, match="the device measured SBP 141 at .* \\(typed 150\\)"):
        s.enter_reading({"sbp": 150, "dbp": 90})
    n = len(s.store)
    text = s.enter_reading({"sbp": 150, "dbp": 90, "temp": 37.0}, confirmed=True)
    assert "typed reading BP 150/90, T 37.0 °C recorded" in text
    assert len(s.store) == n + 1 and s.store.column("sbp")[-1] == 150
    assert sorted(x for x in s.store.column("sbp") if x == x) == [141, 150]
    # Typed at the time stamp of a device row: a row of its own just after it, never merged into it.
    assert s.store.t[-1] > s.store.t[-2] and s.typed.is_typed(s.store.t[-1])
    assert not s.typed.is_typed(s.store.t[-2])
    # An HR typed as the device streams the same value is not doubled either.
    with pytest.raises(ActionError, match="the device recorded the same HR 81"):
        s.enter_reading({"hr": 81})


def test_staff_initials_required(tmp_path, th):
    proto = protocol_from_dict({**SHORT, "session": {"staff_initials": "required"}})
    s, clock = manual(tmp_path, th, protocol=proto)
    with pytest.raises(ActionError, match="needs the initials"):
        s.give_dose("initial", 120)
    s.give_dose("initial", 120, staff="AB")
    s.enter_reading({"sbp": 185, "dbp": 100})
    with pytest.raises(ActionError, match="needs the initials"):
        s.acknowledge()
    assert s.acknowledge(staff="CD") >= 1
    s.stop()
    events = load_session(tmp_path / "s").events
    assert next(e for e in events if e["kind"] == "dose")["staff"] == "AB"
    assert next(e for e in events if e["kind"] == "ack")["staff"] == "CD"


def test_discharge_readiness(tmp_path, th):
    s, clock = manual(tmp_path, th)
    assert s.discharge().state == "no-dose"
    s.enter_reading({"sbp": 118, "dbp": 76, "hr": 68})
    s.give_dose("initial", 120)
    wait(s, clock, 30 * 60)
    s.enter_reading({"sbp": 150, "dbp": 90, "hr": 95})
    assert s.discharge().state == "not-ready" and "SBP 150 vs baseline 118" in s.discharge().text
    wait(s, clock, 10 * 60)
    s.enter_reading({"sbp": 130, "dbp": 80, "hr": 80})  # back within 20 of the baseline
    assert "back near baseline for 0m of 20m" in s.discharge().text
    wait(s, clock, 20 * 60)
    s.enter_reading({"sbp": 125, "dbp": 80, "hr": 78})
    assert s.discharge().state == "ready"


def test_resume_keeps_the_typed_marks_and_the_protocol(tmp_path, th):
    s, clock = manual(tmp_path, th, info={"participant": "P-9"})
    s.enter_reading({"sbp": 120, "dbp": 80})
    s.writer.flush()
    s.writer.close()
    rs = load_session(tmp_path / "s")
    again = Session(ManualFeed(wall=clock.wall), rs.stored_thresholds(), folder=tmp_path / "s", clock=clock, resume=rs)
    assert again.typed.is_typed(rs.store.t[0])
    assert again.protocol.schedule.tolerance_s == 120 and again.info == {"participant": "P-9"}
    # The resumed session keeps the stale rules it was recorded with (not fitted twice).
    assert {r.stream: r.after_s for r in again.th.stale}["hr"] == 23 * 60


def test_default_protocol_file_is_packaged_identically():
    from pathlib import Path

    import monitor

    root = Path(monitor.__file__).parent
    assert (root / "protocol.toml").read_text() == (root.parent / "protocol.toml").read_text()
    p = load_protocol(root / "protocol.toml")
    bp = p.schedule.stream("bp")
    offsets = bp.nominal_offsets()
    assert offsets[:2] == [900, 1800] and 4 * 3600 in offsets and offsets[-1] == 8 * 3600
    assert offsets[offsets.index(4 * 3600) + 1] == 4 * 3600 + 1800  # every 30 min after 4 h
    assert p.schedule.stream("temp").nominal_offsets()[0] == 3600 and not math.isnan(p.schedule.grace_s)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schedule": {"bp": {"phases": []}}}, "schedule.bp.phases: must list at least one phase"),
        ({"schedule": {"xx": {"phases": [{"until": "1h", "every": "10m"}]}}}, "schedule.xx: unknown stream"),
        ({"schedule": {"grace": "soon"}}, "schedule.grace: 'soon' is not a duration"),
        ({"session": {"staff_initials": "maybe"}}, "session.staff_initials: 'maybe' must be one of off, optional"),
        ({"discharge": {"margins": {"sbp": -1}}}, "discharge.margins.sbp: -1 must be a number above 0"),
        (
            {"schedule": {"bp": {"phases": [{"until": "2h", "every": "10m"}, {"until": "1h", "every": "10m"}]}}},
            "phases[2].until: must be later than the phase before",
        ),
        ({"schedule": {"tolerance": "10m", "bp": {"phases": [{"until": "1h", "every": "15m"}]}}}, "at most half"),
        ({"extra": 1}, "extra: unknown key"),
        (
            {"schedule": {"tolerance": "1m", "grace": "1m", "bp": {"phases": [{"until": "1h", "every": "2m"}]}}},
            "schedule.grace: with the tolerance must be shorter than the shortest interval",
        ),
    ],
)
def test_protocol_errors_name_the_key_and_the_reason(data, message):
    from monitor.core.thresholds_loader import ConfigError

    with pytest.raises(ConfigError) as err:
        protocol_from_dict(data, "p.toml")
    assert any(message in e and e.startswith("p.toml: ") for e in err.value.errors), err.value.errors


def test_a_replay_marks_the_typed_rows_and_keeps_the_protocol(tmp_path, th):
    from monitor.session.replay import ReplayController
    from monitor.sources.replay import ReplaySource

    s, clock = manual(tmp_path, th, info={"site": "Site C"})
    s.enter_reading({"sbp": 120, "dbp": 80, "hr": 70})
    s.give_dose("initial", 120)
    wait(s, clock, 15 * 60)  # the +10 timepoint overdue
    s.stop()
    rs = load_session(tmp_path / "s")
    rc = ReplayController(ReplaySource(rs, speed=float("inf")), rs.stored_thresholds())
    rc.play_to(rs.end_time())
    replay = rc.session
    assert replay.typed.is_typed(rs.store.t[0]) and replay.info == {"site": "Site C"}
    assert "BP, HR OVERDUE" in replay.schedule.due_text()
    # The overdue alarm comes from the recording, as live raised it; the replay raises none itself.
    assert [e.alarm for e in rc.full_log if e.alarm.startswith("schedule.")] == [
        e.alarm for e in rs.recorded_alarms() if e.alarm.startswith("schedule.")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--manual", "--simulate", "typical"], "--manual runs a session without a device"),
        (["--manual", "--session-number", "two"], "--session-number 'two' must be a whole number"),
        (["--manual", "--staff", "AB, c1"], "--staff: 'c1' is not initials"),
        (["--manual", "--protocol", "nowhere.toml"], "nowhere.toml: no such file"),
    ],
)
def test_live_manual_user_errors_are_one_sentence(args, message, tmp_path):
    from tests.support.cli import run_in_process

    r = run_in_process(["live", *args, "--no-record"], cwd=tmp_path, text=True)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_with_a_device_only_the_intermittent_streams_follow_the_schedule(th):
    from monitor.core.protocol_loader import load_protocol as load

    s = Session(ListFeed([]), th, record=False, protocol=load())
    after = {r.stream: r.after_s for r in s.th.stale}
    assert after["hr"] == 10  # the device's HR is stale after 10 s, as without a protocol
    assert after["temp"] == 65 * 60  # typed hourly temperature: the schedule's hour plus the grace
    assert after["bp"] == 35 * 60
