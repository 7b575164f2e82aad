"""Regression tests for what a review of the one session path found (issue 10): seq counting,
technical alarms before the first reading, older recordings without seq, stopping after a failed
open. Each feed is scripted poll by poll, on a manual clock."""

from __future__ import annotations

import json

from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionError, SessionRecorder, load_session
from monitor.recording.alarm_source import recompute, session_limits
from monitor.session import ManualClock, Session
from monitor.session.replay import ReplayController
from monitor.sources.csv.errors import RejectedLine
from monitor.sources.feed import FeedUpdate
from monitor.sources.replay import ReplaySource
from tests.feeds import HandFeed

T0 = 1_795_856_400.0
TH = load_thresholds()
NAN = float("nan")


class ScriptFeed(HandFeed):
    """A followed file's feed, one scripted update per poll."""

    label, lag_s, splits_rows = "bed", 5.0, True  # as monitor.sources.follow.FileFeed

    def __init__(self, script):
        self.script = list(script)

    def poll(self, now):
        return self.script.pop(0) if self.script else FeedUpdate()


def key(e):
    return (round(e.t, 6), e.alarm, e.state, e.message)


def same_everywhere(s, folder):
    rs = load_session(folder)
    recorded = [key(e) for e in rs.recorded_alarms()]
    assert recorded == [key(e) for e in s.engine.log]
    assert [key(e) for e in recompute(rs, session_limits(rs).thresholds)] == recorded
    return rs


def test_a_second_line_for_a_time_stamp_after_the_wait_keeps_later_keys_in_place(tmp_path):
    script = [FeedUpdate([Reading(T0, hr=80)])] + [FeedUpdate()] * 3
    script.append(FeedUpdate([Reading(T0, spo2=97)]))  # the same stamp a second later
    for k in range(1, 20):
        vals = {"hr": 80.0, "spo2": 97.0, **({"sbp": 210.0, "dbp": 120.0} if k == 6 else {})}
        script += [FeedUpdate([Reading(T0 + k, **vals)])] + [FeedUpdate()] * 3
    feed = ScriptFeed(script)
    clock = ManualClock(wall=T0 + 1.0, monotonic=1000.0)
    s = Session(feed, TH, folder=tmp_path / "s", clock=clock, user="n")
    s.start()
    paused = False
    for _ in range(90):
        s.poll()
        if not paused and feed.script and feed.script[0].readings and feed.script[0].readings[0].t == T0 + 6:
            s.pause_audio()  # just before the cuff reading that breaks through
            paused = True
        clock.advance(0.25)
    s.stop()
    rs = same_everywhere(s, tmp_path / "s")
    assert [e.state for e in rs.recorded_alarms() if e.alarm == "audio"] == ["paused", "resumed"]


def test_a_technical_alarm_raised_before_the_first_reading_comes_before_it(tmp_path):
    script = [FeedUpdate(rejected=[RejectedLine(2, "not a time")])]
    script.append(
        FeedUpdate(
            [
                Reading(T0 + k, hr=80 if k < 3 else 170, sbp=210 if k == 1 else NAN, dbp=120 if k == 1 else NAN)
                for k in range(30)
            ]
        )
    )
    clock = ManualClock(wall=T0 + 1.0, monotonic=1000.0)
    s = Session(ScriptFeed(script), TH, folder=tmp_path / "s", clock=clock, user="n")
    s.start()
    for _ in range(20):
        s.poll()
        clock.advance(0.25)
    s.stop()
    same_everywhere(s, tmp_path / "s")
    tech = [json.loads(x) for x in (tmp_path / "s" / "events.jsonl").read_text().splitlines() if '"technical"' in x]
    assert tech[0]["name"] == "feed.data" and tech[0]["seq"] == 0


def test_an_older_recording_without_seq_replays_its_actions_by_time(tmp_path):
    folder = tmp_path / "old"
    rec = SessionRecorder(folder, label="old", source="t", thresholds=TH, start=T0)
    rec.readings([Reading(T0 + k, hr=80, sbp=210 if k == 20 else NAN, dbp=120 if k == 20 else NAN) for k in range(80)])
    rec.event(T0 + 10, "pause", seconds=120)  # written before seq existed
    rec.event(T0 + 60, "ack", who="n", seq=61)  # by this version, after a resume
    rec.close()
    rs = load_session(folder)
    th = session_limits(rs).thresholds
    headless = [key(e) for e in recompute(rs, th)]
    rc = ReplayController(ReplaySource(rs, speed=float("inf")), th, clock=ManualClock())
    rc.play_to(rc.src.end)
    assert [key(e) for e in rc.session.engine.log] == headless
    assert [e[2] for e in headless if e[1] == "audio"] == ["paused", "resumed"]


def test_stopping_soon_after_a_failed_open_still_writes_what_was_held(tmp_path):
    calls = []

    def factory(folder, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise SessionError("cannot record: disk full")
        return SessionRecorder(folder, **kw)

    clock = ManualClock(wall=T0 + 1.0, monotonic=1000.0)
    feed = ScriptFeed([FeedUpdate([Reading(T0 + k, hr=80) for k in range(5)])])
    s = Session(feed, TH, folder=tmp_path / "s", clock=clock, user="n", recorder_factory=factory)
    s.start()
    for _ in range(2):
        s.poll()
        clock.advance(0.25)
    s.add_note("patient moved")
    s.stop()  # within the retry wait of the failure
    rs = load_session(tmp_path / "s")
    assert len(rs.store) == 5 and [e["text"] for e in rs.events if e["kind"] == "note"] == ["patient moved"]
    assert rs.events[-1]["kind"] == "stop"
