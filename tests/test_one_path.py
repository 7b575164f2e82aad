"""One session path: the cases the audit found where live and headless disagreed (issue 10).

Each test drives the live `Session` over a real followed CSV (FileFeed) on a manual clock, records
it, and compares with what `vitals-monitor alarms` gives, over the recording and, where the file is
all there is to know, over the bridge's own file.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import pytest

from monitor.commands import main as cli
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.recording.alarm_source import recompute, session_limits
from monitor.session import ManualClock, Session
from monitor.sources.follow import FileFeed
from tests.conftest import ROOT

T0 = 1_795_856_400  # 2026-11-28T09:00:00Z
HEADER = "time,hr,sbp,dbp,map,spo2,temp,rr\n"
TH = load_thresholds()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def line(t: float, hr="", sbp="", dbp="", spo2="") -> str:
    return f"{iso(t)},{hr},{sbp},{dbp},,{spo2},,\n"


def key(e):
    return (round(e.t, 6), e.alarm, e.priority, e.state, e.value, e.limit, e.message)


class Bed:
    """A bridge writing a CSV, the live session following it, on one manual clock."""

    def __init__(self, tmp_path, text: str = HEADER, **kw):
        self.path = tmp_path / "bed.csv"
        self.path.write_text(text)
        self.rec = tmp_path / "rec"
        self.clock = ManualClock(wall=T0 + 1.0, monotonic=1000.0)
        kw.setdefault("fit_stale", True)
        self.s = Session(
            FileFeed(self.path), kw.pop("thresholds", TH), folder=self.rec, clock=self.clock, user="nurse", **kw
        )
        self.s.start()

    def write(self, text: str) -> None:
        with open(self.path, "a") as f:
            f.write(text)

    def wait(self, seconds: float, step: float = 0.25) -> None:
        for _ in range(int(round(seconds / step))):
            self.clock.advance(step)
            self.s.poll()

    def stop(self):
        self.s.stop()
        return load_session(self.rec)


def headless(path):
    rs = load_session(path)
    return [key(e) for e in recompute(rs, session_limits(rs).thresholds)]


def recorded(rs):
    return [key(e) for e in rs.recorded_alarms()]


@functools.cache  # three tests follow this file
def three_hours() -> str:
    """3 h at 1 Hz with an HR episode at 1 h and a high cuff reading at 2 h."""
    out = [HEADER]
    for i in range(3 * 3600):
        hr = 135 if 3600 <= i < 3900 else 75
        # (a cuff reading 2 min into the HR episode: the shock index takes the HR of the last 10 s)
        cuff = {"sbp": 182, "dbp": 104} if i == 7200 else ({"sbp": 120, "dbp": 78} if i % 600 == 0 or i == 3720 else {})
        out.append(line(T0 + i, hr=hr, **cuff))
    return "".join(out)


@pytest.fixture(scope="module")
def three_hour_bed(tmp_path_factory):
    """The three hours followed and recorded: read, never changed, by the next two tests."""
    bed = Bed(tmp_path_factory.mktemp("three_hours"), three_hours())
    bed.wait(2)
    return bed, bed.stop()


def test_the_alarms_of_the_first_batch_are_recorded(three_hour_bed):
    bed, rs = three_hour_bed
    names = {e.alarm for e in rs.recorded_alarms()}
    assert {"hr.upper", "sbp.upper", "map.upper", "bp.repeat", "si.upper"} <= names
    assert recorded(rs) == [key(e) for e in bed.s.engine.log]
    assert recorded(rs) == headless(rs.path)
    assert recorded(rs) == headless(bed.path)  # the bridge's own file: the same alarms


def test_alarms_diff_against_its_own_recording_shows_no_difference(three_hour_bed, capsys):
    bed, _rs = three_hour_bed
    capsys.readouterr()
    assert cli.main(["alarms", str(bed.rec), "--diff"]) == 0
    out = capsys.readouterr().out
    assert "no difference" in out, out


def test_a_bursty_bridge_raises_no_false_no_data_and_agrees_with_its_file(tmp_path):
    bed = Bed(tmp_path)
    t = T0
    for burst in range(12):  # 14 lines every 14 s, for almost three minutes
        bed.write("".join(line(t + k, hr=80 + (40 if burst in (5, 6) else 0)) for k in range(14)))
        t += 14
        bed.wait(14)
    rs = bed.stop()
    assert not [e for e in rs.recorded_alarms() if e.alarm == "hr.stale"]
    assert recorded(rs) == headless(bed.path) == headless(rs.path)
    assert any(e.alarm == "hr.upper" and e.state == "active" for e in rs.recorded_alarms())


def test_a_time_stamp_split_over_two_polls_is_one_reading(tmp_path):
    bed = Bed(tmp_path)
    for i in range(30):
        bed.write(line(T0 + i, hr=75 if i < 20 else 139))
        bed.wait(1)
    # The cuff line comes first, its HR a poll later: the shock index must use this HR (the
    # lowest of the last 10 s of HR, this one included), as a whole-file read (which merges the
    # two lines) does.
    bed.write(line(T0 + 30, sbp=95, dbp=60))
    bed.wait(0.25)
    bed.write(line(T0 + 30, hr=140))
    bed.wait(1)
    for i in range(31, 60):
        bed.write(line(T0 + i, hr=140))
        bed.wait(1)
    rs = bed.stop()
    assert len(rs.store) == 60 and rs.store.column("hr")[30] == 140 and rs.store.column("sbp")[30] == 95
    assert recorded(rs) == headless(bed.path) == headless(rs.path)
    si = [e for e in rs.recorded_alarms() if e.alarm == "si.upper"]
    # HR in (T0+20, T0+30]: 139 x9 and 140: the rate held for the whole 10 s is 139
    assert si and si[0].t == T0 + 30 and si[0].value == pytest.approx(139 / 95, abs=1e-3)


def test_a_pause_then_a_break_through_gives_the_same_transitions(tmp_path):
    bed = Bed(tmp_path)
    for i in range(200):
        hr = 118 if 20 <= i < 200 else 75  # medium HR alarm
        if i >= 120:
            hr = 150  # then high: breaks through the pause
        bed.write(line(T0 + i, hr=hr))
        bed.wait(1)
        if i == 60:
            bed.s.pause_audio()
    bed.wait(200)  # silence to the end: the pause would have ended here
    rs = bed.stop()
    audio = [e.state for e in rs.recorded_alarms() if e.alarm == "audio"]
    assert audio == ["paused", "resumed"]  # broken through; no "pause ended" after that
    assert recorded(rs) == headless(rs.path)


def test_the_recorded_log_is_in_time_order_after_a_stalled_bridge(tmp_path):
    bed = Bed(tmp_path)
    for i in range(40):
        bed.write(line(T0 + i, hr=75))
        bed.wait(1)
    bed.wait(30)  # the bridge hangs: no data, alarmed live
    bed.write("".join(line(T0 + i, hr=75) for i in range(40, 70)))  # then writes what it held
    bed.wait(1)
    for i in range(70, 90):
        bed.write(line(T0 + i, hr=75))
        bed.wait(1)
    rs = bed.stop()
    times = [e.t for e in rs.recorded_alarms()]
    assert times == sorted(times)
    assert any(e.alarm == "hr.stale" and e.state == "active" for e in rs.recorded_alarms())
    assert recorded(rs) == headless(rs.path)


def test_default_stale_limits_are_fitted_to_a_slow_file_in_both_paths(tmp_path):
    text = HEADER + "".join(line(T0 + 3600 * i, hr=80, sbp=120, dbp=80) for i in range(12))
    bed = Bed(tmp_path, text)
    bed.wait(2)
    rs = bed.stop()
    assert bed.s.fitted and rs.meta.get("stale_fitted")
    stored = rs.stored_thresholds()
    assert {r.stream: r.after_s for r in stored.stale}["hr"] == 3 * 3600
    assert not [e for e in rs.recorded_alarms() if e.alarm.endswith(".stale") and e.state == "active"][:-1]
    assert recorded(rs) == headless(rs.path) == headless(bed.path)


def test_given_thresholds_are_never_loosened_silently(tmp_path, capsys):
    path = tmp_path / "hourly.csv"
    path.write_text(HEADER + "".join(line(T0 + 3600 * i, hr=80) for i in range(6)))
    given = tmp_path / "limits.toml"
    given.write_text((ROOT / "thresholds.toml").read_text())
    assert cli.main(["alarms", str(path), "--thresholds", str(given)]) == 0
    out = capsys.readouterr().out
    assert "hr.stale" in out or "HR: no data" in out or "no hr reading" in out  # judged as given
    assert "kept as given" in out  # and said
    # The live monitor with the same given limits does not fit them either.
    bed = Bed(tmp_path, path.read_text(), thresholds=load_thresholds(given), fit_stale=False)
    bed.wait(2)
    rs = bed.stop()
    assert {r.stream: r.after_s for r in rs.stored_thresholds().stale}["hr"] == 10


def test_a_restarted_bridge_doubles_nothing_and_says_a_disorder_once(tmp_path):
    bed = Bed(tmp_path)
    for i in range(30):
        bed.write(line(T0 + i, hr=75))
        bed.wait(1)
    # The bridge restarts: appends its last 15 lines again, slowly, then carries on.
    for i in range(15, 30):
        bed.write(line(T0 + i, hr=75))
        bed.wait(0.25)
    for i in range(30, 40):
        bed.write(line(T0 + i, hr=75))
        bed.wait(1)
    # And writes 15 rows out of order over 20 s: one alarm episode, said once.
    for k in range(15):
        bed.write(line(T0 + 10 + k, hr=60))
        bed.wait(1.25)
    rs = bed.stop()
    assert list(rs.store.t) == [T0 + i for i in range(40)]  # each reading once
    raw = (bed.rec / "readings.csv").read_text().splitlines()[1:]
    assert len(raw) == 40
    order = [e for e in rs.recorded_alarms() if e.alarm == "feed.order"]
    assert [e.state for e in order] == ["active"]
    log = (bed.rec / "monitor.log").read_text()
    assert log.count("older than the newest") == 1
    screen = [e.text for e in bed.s.log if "older than the newest" in e.text]
    assert len(screen) == 1


def test_a_bad_alarm_line_is_skipped_with_a_note_everywhere(tmp_path, capsys):
    bed = Bed(tmp_path, three_hours())
    bed.wait(2)
    bed.stop()
    events = bed.rec / "events.jsonl"
    lines = events.read_text().splitlines()
    bad_no = next(i for i, x in enumerate(lines, 1) if json.loads(x)["kind"] == "alarm")
    rec = json.loads(lines[bad_no - 1])
    lines[bad_no - 1] = json.dumps({"t": rec["t"], "kind": "alarm"})  # an alarm without its fields
    events.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert cli.main(["alarms", str(bed.rec), "--diff"]) == 0
    rs = load_session(bed.rec)
    assert any(f"line {bad_no} skipped" in n for n in rs.notes)
    from monitor.session.replay import ReplayController
    from monitor.sources.replay import ReplaySource

    ReplayController(ReplaySource(rs, speed=float("inf")), rs.stored_thresholds()).play_to(rs.end_time())
    resumed = Session(FileFeed(bed.path), rs.stored_thresholds(), folder=bed.rec, clock=bed.clock, resume=rs)
    resumed.start()
    resumed.stop()


def test_a_technical_alarm_during_a_pause_is_decided_by_the_engine_live_and_in_the_rerun(tmp_path):
    bed = Bed(tmp_path)
    for i in range(30):
        bed.write(line(T0 + i, hr=118 if i > 5 else 75))
        bed.wait(1)
    bed.s.pause_audio()
    bed.wait(1)
    bed.path.unlink()  # the feed is lost: a technical alarm while the audio is paused
    bed.wait(2)
    bed.write(HEADER)
    for i in range(40, 60):
        bed.write(line(T0 + i, hr=75))
        bed.wait(1)
    rs = bed.stop()
    lost = [e.state for e in rs.recorded_alarms() if e.alarm == "feed.lost"]
    assert lost[0] == "active" and "cleared" in lost
    # A technical alarm does not outrank the medium HR alarm sounding when paused: no break-through.
    audio = [e.message for e in rs.recorded_alarms() if e.alarm == "audio"]
    assert audio[0].startswith("audio paused") and not any("broken through" in m for m in audio)
    assert recorded(rs) == headless(rs.path)
