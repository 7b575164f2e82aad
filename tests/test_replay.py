"""Replay (issue 5): the virtual clock, seeking, the alarm invariant, every control under Pilot.

No real timers run (`timers=False`) and the clock is a `ManualClock`: each test moves time and calls
`app.step()` itself, as the live app's tests do.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from pathlib import Path

import pytest

from monitor.commands import main as cli
from monitor.core.alarm_types import AlarmEvent
from monitor.core.thresholds_loader import thresholds_from_dict
from monitor.recording import load_session
from monitor.recording.alarm_source import recompute, session_limits
from monitor.session import ManualClock
from monitor.session.replay import ReplayController
from monitor.sources.replay import SPEEDS, ReplaySource, parse_position, parse_speed, speed_text
from monitor.ui.replay_app import DiffScreen, GotoScreen, PositionBar, ReplayApp, make_replay_app
from monitor.ui.screens import DoseScreen, NoteScreen
from tests.support.replay_recording import T0, key, run
from tests.support.screen import screen_text

pytestmark = pytest.mark.slow  # the replay app under Pilot, over hours of recorded session

UTC = UTC
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sim_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "h.csv"
    assert (
        cli.main(["simulate", "--scenario", "hypertensive", "--seed", "7", "--duration", "3h", "--out", str(out)]) == 0
    )
    return out


def full_log(rs, th=None):
    return recompute(rs, session_limits(rs, th).thresholds)


def session(path, speed=math.inf, th=None):
    rs = load_session(path)
    clock = ManualClock(wall=T0, monotonic=1000.0)
    s = ReplayController(ReplaySource(rs, speed=speed), session_limits(rs, th).thresholds, clock=clock)
    s.session.tz = UTC
    s.session.start()
    return s, clock


def play_to_end(s, clock, limit=100_000):
    s.src.play(True)
    for _ in range(limit):
        if s.src.at_end:
            return
        s.poll()
        clock.advance(0.1)
    raise AssertionError("the replay did not reach the end")


def build(path, **kw):
    rs = load_session(path)
    th = kw.pop("thresholds", None)
    given = th is not None
    chosen = session_limits(rs, th)  # as `vitals-monitor replay` chooses them
    clock = ManualClock(wall=T0, monotonic=1000.0)
    app = make_replay_app(
        rs, chosen.thresholds, clock=clock, tz=UTC, timers=False, thresholds_given=given, notes=chosen.notes, **kw
    )
    return app, clock


# -- the virtual clock, pure --------------------------------------------------------------------


def test_speeds_and_positions_parse_as_people_write_them():
    assert parse_speed("max") == math.inf and parse_speed("30x") == 30 and parse_speed("2") == 2
    with pytest.raises(ValueError):
        parse_speed("0")
    with pytest.raises(ValueError):
        parse_speed("fast")
    assert [speed_text(s) for s in SPEEDS] == ["1x", "2x", "5x", "10x", "30x", "60x", "120x", "600x", "max"]
    start, end = T0, T0 + 8 * 3600
    assert parse_position("2h15m", start, end, True, UTC) == T0 + 8100
    assert parse_position("90m", start, end, True, UTC) == T0 + 5400
    assert parse_position("14:32", start, end, True, UTC) == T0 + 5 * 3600 + 32 * 60
    assert parse_position("end", start, end, True, UTC) == end
    assert parse_position("1:30", 0.0, 9000.0, False) == 5400  # a session timed in seconds
    with pytest.raises(ValueError, match="not within the session"):
        parse_position("20:00", start, end, True, UTC)
    with pytest.raises(ValueError, match="not a place"):
        parse_position("later", start, end, True, UTC)


def test_speed_steps_through_the_list_and_stops_at_both_ends(sim_csv):
    src = ReplaySource(load_session(sim_csv), speed=1.0)
    seen = [src.faster() for _ in range(len(SPEEDS))]
    assert seen == list(SPEEDS[1:]) + [math.inf]
    back = [src.slower() for _ in range(len(SPEEDS))]
    assert back == list(reversed(SPEEDS[:-1])) + [1.0]


def test_the_clock_moves_by_speed_and_stands_still_when_paused(sim_csv):
    s, clock = session(sim_csv, speed=60.0)
    start = s.src.start
    s.poll()  # the first poll starts the clock
    clock.advance(10.0)
    s.poll()
    assert s.src.position == pytest.approx(start + 600)
    assert s.session.store.t[-1] <= s.src.position and len(s.session.store) == s.src.rows_upto(start + 600)
    s.src.play(False)
    clock.advance(10.0)
    s.poll()
    assert s.src.position == pytest.approx(start + 600)
    s.src.play(True)
    s.poll()
    clock.advance(1.0)
    s.poll()
    assert s.src.position == pytest.approx(start + 660)


# -- alarms: recomputed, the same as the headless run, and seeking -------------------------------


def test_replay_at_max_speed_gives_the_headless_alarm_log(sim_csv):
    s, clock = session(sim_csv)
    play_to_end(s, clock)
    assert s.finished and s.src.position == s.src.end
    assert [key(e) for e in s.session.engine.log] == [key(e) for e in full_log(load_session(sim_csv))]
    assert [d.dose for d in s.session.doses] == ["initial"]
    assert any("withheld" in n.text for n in s.session.notes)  # the scenario's note, shown at its time


@pytest.mark.parametrize("hours", [0.0, 0.4, 0.75, 1.3, 2.2, 3.0])
def test_seeking_gives_the_state_a_live_viewer_had_and_playing_on_continues_it(sim_csv, hours):
    straight, c1 = session(sim_csv)
    target = min(straight.src.start + hours * 3600, straight.src.end)
    straight.src.speed = 1.0
    straight.play_to(target)  # every row up to the target, through the live path
    sought, c2 = session(sim_csv)
    play_to_end(sought, c2)  # from the far end, back
    sought.seek(target)
    assert sought.src.position == straight.src.position == pytest.approx(target)
    assert [key(e) for e in sought.session.engine.log] == [key(e) for e in straight.session.engine.log]
    assert [(a.alarm, a.state, a.priority, a.value) for a in sought.session.alarms()] == [
        (a.alarm, a.state, a.priority, a.value) for a in straight.session.alarms()
    ]
    assert len(sought.session.store) == len(straight.session.store) and sought.session.store.last_valid(
        "sbp"
    ) == straight.session.store.last_valid("sbp")
    assert sought.session.doses == straight.session.doses and sought.session.notes == straight.session.notes
    assert sought.session.paused_remaining() == straight.session.paused_remaining()
    assert (sought.session.repeat_request() is None) == (straight.session.repeat_request() is None)
    assert sought.session.engine.baseline == straight.session.engine.baseline
    # Playing on from the seek gives what playing straight through gives.
    play_to_end(sought, c2)
    assert [key(e) for e in sought.session.engine.log] == [key(e) for e in full_log(load_session(sim_csv))]


def test_other_thresholds_show_how_the_log_differs_from_the_recorded_one(recorded):
    folder = recorded
    rs = load_session(folder)
    d = json.loads(json.dumps(rs.meta["thresholds"]))
    d["vitals"]["sbp"]["upper"]["medium"] = 150
    th = thresholds_from_dict(d, source="tight.toml") if _accepts_source() else thresholds_from_dict(d)
    app, clock = build(folder, thresholds=th, speed=math.inf)

    async def script(pilot):
        assert app.replay.diffs, "tighter SBP limits must change the alarm log"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        text = str(app.screen.query_one("#diff").render())
        assert "Compared with the alarm log recorded in the session" in text
        assert "added" in text or "changed" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DiffScreen)

    run(app, script)


def _accepts_source() -> bool:
    import inspect

    return "source" in inspect.signature(thresholds_from_dict).parameters


# -- the invariant ------------------------------------------------------------------------------


def test_the_invariant_live_headless_and_replay_give_the_same_alarm_log(recorded, capsys):
    folder = recorded
    rs = load_session(folder)
    kinds = [e["kind"] for e in rs.events]
    assert {"dose", "ack", "pause", "note", "stop"} <= set(kinds)
    assert sum(1 for e in rs.events if e["kind"] == "dose") == 2
    live = rs.recorded_alarms()
    assert any(e.state == "acknowledged" for e in live) and any(e.state == "paused" for e in live)

    capsys.readouterr()
    assert cli.main(["alarms", str(folder), "--format", "jsonl"]) == 0
    headless = [AlarmEvent.from_dict(json.loads(line)) for line in capsys.readouterr().out.splitlines()]

    app, clock = build(folder, speed=math.inf)

    async def script(pilot):
        for _ in range(10_000):
            if app.replay.finished:
                break
            clock.advance(0.1)
            app.step()
        await pilot.pause()
        assert app.replay.finished

    run(app, script)
    replayed = app.replay.session.engine.log
    assert len(live) > 10
    assert [key(e) for e in live] == [key(e) for e in headless] == [key(e) for e in replayed]
    assert app.replay.reference is not None and app.replay.diffs == []  # same limits: no difference
    # Replay wrote nothing into the recording.
    assert load_session(folder).events == rs.events


# -- a plain device CSV -------------------------------------------------------------------------


def test_a_plain_device_csv_replays_end_to_end():
    path = DATA / "mimic3demo_icustay_204132.csv"
    app, clock = build(path, speed=math.inf)
    before = path.read_bytes()

    async def script(pilot):
        for _ in range(10_000):
            if app.replay.finished:
                break
            clock.advance(0.1)
            app.step()
        await pilot.pause()
        s = app.replay
        assert s.finished and len(s.session.store) == len(load_session(path).store)
        assert [key(e) for e in s.session.engine.log] == [key(e) for e in full_log(load_session(path))]
        text = screen_text(app)
        assert "REPLAY" in text and "ENDED" in text
        await pilot.press("home")
        await pilot.pause()
        assert app.replay.src.position == app.replay.src.start and not app.replay.finished

    run(app, script)
    assert path.read_bytes() == before


# -- every control ------------------------------------------------------------------------------


def test_space_plays_and_pauses(sim_csv):
    app, clock = build(sim_csv, speed=10.0)

    async def script(pilot):
        src = app.replay.src
        assert src.playing
        clock.advance(6.0)
        app.step()
        assert src.position == pytest.approx(src.start + 60)
        await pilot.press("space")
        assert not src.playing
        clock.advance(6.0)
        app.step()
        assert src.position == pytest.approx(src.start + 60)
        assert "PAUSED" in screen_text(app)
        await pilot.press("space")
        assert src.playing
        clock.advance(1.0)
        app.step()
        assert src.position == pytest.approx(src.start + 70)
        assert "PLAY" in screen_text(app)

    run(app, script)


def test_plus_and_minus_change_the_speed(sim_csv):
    app, clock = build(sim_csv, speed=1.0)

    async def script(pilot):
        src = app.replay.src
        await pilot.press("plus", "plus")
        assert src.speed == 5.0
        assert " 5x " in screen_text(app)
        await pilot.press(*["plus"] * 10)
        assert math.isinf(src.speed) and " max " in screen_text(app)
        await pilot.press("minus")
        assert src.speed == 600.0
        await pilot.press(*["minus"] * 10)
        assert src.speed == 1.0

    run(app, script)


def test_arrows_seek_one_and_ten_minutes(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False)

    async def script(pilot):
        src = app.replay.src
        start = src.start
        await pilot.press("shift+right")
        assert src.position == start + 600
        await pilot.press("right", "right")
        assert src.position == start + 720
        await pilot.press("left")
        assert src.position == start + 660
        await pilot.press("shift+left")
        assert src.position == start + 60
        await pilot.press("shift+left")  # clamped at the start
        assert src.position == start
        s = app.replay
        assert len(s.session.store) == src.rows_upto(start)

    run(app, script)


def test_home_and_end(sim_csv):
    app, clock = build(sim_csv, speed=1.0)

    async def script(pilot):
        src = app.replay.src
        await pilot.press("end")
        assert src.position == src.end and app.replay.finished and not src.playing
        assert "ENDED" in screen_text(app)
        await pilot.press("space")  # at the end: says so, stays
        assert not src.playing
        await pilot.press("home")
        assert src.position == src.start and not app.replay.finished
        assert app.replay.session.doses == []

    run(app, script)


def test_g_goes_to_a_time(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False)

    async def script(pilot):
        src = app.replay.src
        await pilot.press("g")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"soon", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GotoScreen)
        assert "not a place" in str(app.screen.query_one("#error").render())
        await pilot.press(*["backspace"] * 4, *"1h15m", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, GotoScreen)
        assert src.position == src.start + 4500
        await pilot.press("g", *"11:05", "enter")
        await pilot.pause()
        assert src.position == T0 + 2 * 3600 + 5 * 60  # the simulator starts at 09:00 UTC
        await pilot.press("g", "escape")
        await pilot.pause()
        assert src.position == T0 + 2 * 3600 + 5 * 60

    run(app, script)


def test_brackets_jump_to_the_next_and_previous_alarm(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False)

    async def script(pilot):
        s = app.replay
        onsets = [t for t, _ in s.alarm_marks]
        assert len(onsets) >= 3
        await pilot.press("right_square_bracket")
        assert s.src.position == onsets[0]
        assert any(a.state == "active" for a in s.session.alarms())  # the alarm is on screen
        await pilot.press("right_square_bracket")
        assert s.src.position == next(t for t in onsets if t > onsets[0] + 0.5)
        second = s.src.position
        await pilot.press("left_square_bracket")
        assert s.src.position == onsets[0]
        await pilot.press("left_square_bracket")  # none before: stays
        assert s.src.position == onsets[0]
        assert second > onsets[0]

    run(app, script)


def test_position_bar_shows_alarm_and_dose_marks(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False)

    async def script(pilot):
        bar = app.query_one(PositionBar)
        line = screen_text(app).splitlines()[-2]  # the bar's second line, above the footer
        assert "D" in line and "!" in line and "●" in line
        s = app.replay
        span = s.src.end - s.src.start
        width = bar.size.width - 2
        dose_col = round((s.src.actions[0].t - s.src.start) / span * (width - 1))
        assert line[1 + dose_col] == "D"
        await pilot.press("end")
        line = screen_text(app).splitlines()[-2]
        assert "━" in line and "─" not in line  # all of it played

    run(app, script)


def test_bedside_keys_do_not_change_a_replay(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False)

    async def script(pilot):
        await pilot.press("right_square_bracket")
        before = (list(app.replay.session.doses), list(app.replay.session.notes), len(app.replay.session.engine.log))
        await pilot.press("d", "s", "n", "a", "p")
        await pilot.pause()
        assert not isinstance(app.screen, (DoseScreen, NoteScreen))
        assert (
            list(app.replay.session.doses),
            list(app.replay.session.notes),
            len(app.replay.session.engine.log),
        ) == before
        assert app.replay.session.recorder is None

    run(app, script)


def test_header_has_the_replay_badge_and_the_recording_clock(sim_csv):
    app, clock = build(sim_csv, speed=1.0, playing=False, start=T0 + 3600)

    async def script(pilot):
        text = screen_text(app)
        assert text.splitlines()[0].startswith(" REPLAY ")
        assert sum(1 for e in app.replay.session.log if e.kind == "session") == 1  # started once
        assert "replay 10:00:00" in text
        assert "Dose 120 mg 09:30" in text
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    run(app, script)
    assert isinstance(app, ReplayApp)


# -- the command --------------------------------------------------------------------------------


def test_replay_command_errors_are_one_sentence(sim_csv, capsys, tmp_path):
    assert cli.main(["replay", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["replay", str(sim_csv), "--speed", "fast"]) == 2
    assert "--speed" in capsys.readouterr().err
    assert cli.main(["replay", str(sim_csv), "--start", "9h"]) == 2
    assert "outside the session" in capsys.readouterr().err
    assert cli.main(["replay", str(sim_csv), "--thresholds", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err.strip()
