"""Pilot tests of the bedside app: every key, the banner's priorities and flashing, stale dashes,
the supplemental-dose window, technical alarms, the bell, resume after an abrupt end.

No real timers run (`timers=False`) and the clock is a `ManualClock`: each test moves time and
calls `app.step()` itself, so every screen is deterministic.
"""

from __future__ import annotations

import pytest

from monitor.core.readings import Reading
from monitor.core.thresholds_loader import thresholds_from_dict
from monitor.recording import load_session
from monitor.session import ManualClock
from monitor.sources.feed import FeedStatus
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from monitor.ui.app import make_app
from monitor.ui.screens import DoseScreen, HelpScreen, NoteScreen, QuitScreen
from monitor.ui.widgets import TrendChart
from tests.support.ui import T0, UTC, ListFeed, banner_main, build, bulk, events, run, screen_text, seconds, tile

pytestmark = pytest.mark.slow  # Pilot tests run the real Textual app: seconds each

# -- keys ----------------------------------------------------------------------------------------


def test_d_asks_the_amount_and_records_the_initial_dose_at_now(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 10, hr=70)
        await pilot.press("d")
        assert isinstance(app.screen, DoseScreen)
        await pilot.press("1", "2", "0", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, DoseScreen)
        assert [(d.dose, d.amount_mg) for d in app.session.doses] == [("initial", 120)]
        assert "Dose 120 mg 09:00" in screen_text(app)

    run(app, script)
    dose = next(e for e in events(tmp_path / "sess") if e["kind"] == "dose")
    assert dose["t"] == "2026-11-28T09:00:10+00:00" and dose["amount_mg"] == 120 and "given_at" not in dose


def test_the_dose_dialog_checks_what_is_typed_and_takes_an_earlier_time(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await bulk(pilot, feed, clock, T0, 600, hr=70)
        await pilot.press("d")
        await pilot.press("a", "b", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DoseScreen)
        assert "not an amount" in str(app.screen.query_one("#error").render())
        await pilot.press("backspace", "backspace", "1", "2", "0", "tab", *"09:05", "enter")
        await pilot.pause()
        assert app.session.doses[0].t == T0 + 300

    run(app, script)
    dose = next(e for e in events(tmp_path / "sess") if e["kind"] == "dose")
    assert dose["given_at"].startswith("2026-11-28T09:05:00")


def test_escape_cancels_a_dose_and_s_needs_the_initial_dose_first(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 5, hr=70)
        await pilot.press("s")
        assert not isinstance(app.screen, DoseScreen)  # refused with a message, no dialog
        await pilot.press("d", "escape")
        await pilot.pause()
        assert app.session.doses == []
        await pilot.press("d", "8", "0", "enter")
        await pilot.pause()
        await pilot.press("s")
        assert isinstance(app.screen, DoseScreen)
        assert app.screen.query_one("#amount").value == "40"  # half the initial dose
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.confirming  # before its window: asked again, saying why
        await pilot.press("y")
        await pilot.pause()
        assert [d.dose for d in app.session.doses] == ["initial", "supplemental"]

    run(app, script)
    kinds = [e.get("dose") for e in events(tmp_path / "sess") if e["kind"] == "dose"]
    assert kinds == ["initial", "supplemental"]


def test_n_records_a_note_with_its_time(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 5, hr=70)
        await pilot.press("n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"nausea", "enter")
        await pilot.pause()
        app.step(force=True)
        await pilot.pause()
        assert "note: nausea" in screen_text(app)

    run(app, script)
    note = next(e for e in events(tmp_path / "sess") if e["kind"] == "note")
    assert note["text"] == "nausea" and note["t"] == "2026-11-28T09:00:05+00:00"


def test_a_acknowledges_and_p_pauses_the_audio_with_a_countdown(tmp_path):
    bells = []
    app, feed, clock = build(tmp_path, bells=bells)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 5, hr=70)
        await seconds(pilot, feed, clock, T0 + 5, 15, hr=120)  # medium HR alarm after the 10 s delay
        assert banner_main(app).has_class("-medium")
        assert bells  # it sounded
        await pilot.press("p")
        text = screen_text(app)
        assert "AUDIO PAUSED 2:00" in text
        n = len(bells)
        await seconds(pilot, feed, clock, T0 + 20, 30, hr=120)
        assert len(bells) == n  # silent while paused
        assert "AUDIO PAUSED 1:30" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        st = [a for a in app.session.alarms() if a.alarm == "hr.upper"][0]
        assert st.state == "acknowledged"
        assert "acknowledged" in screen_text(app)

    run(app, script)
    kinds = [e["kind"] for e in events(tmp_path / "sess")]
    assert "ack" in kinds and "pause" in kinds
    pause = next(e for e in events(tmp_path / "sess") if e["kind"] == "pause")
    assert pause["seconds"] == 120


def test_w_cycles_the_trend_window():
    app, feed, clock = build()

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 5, hr=70)
        chart = app.query_one("#chart-hr", TrendChart)
        titles = []
        for _ in range(3):
            titles.append(str(chart.border_title))
            await pilot.press("w")
        titles.append(str(chart.border_title))
        assert [t.split(" · ")[-1] for t in titles] == ["15 min", "1 h", "session", "15 min"]

    run(app, script)


def test_question_mark_shows_help_and_any_key_closes_it():
    sim = SimulatorFeed(SimulatedFeed("typical", seed=1, speed=60, start=T0))
    app, feed, clock = build(feed=sim)

    async def script(pilot):
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "SIMULATED" in text and "pause the audio for 2m" in text
        await pilot.press("x")
        assert not isinstance(app.screen, HelpScreen)

    run(app, script)


def test_q_asks_before_ending_the_session(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 3, hr=70)
        await pilot.press("q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, QuitScreen) and app.is_running
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("y")
        await pilot.pause()

    run(app, script)
    assert app.ended
    assert events(tmp_path / "sess")[-1]["kind"] == "stop"


def test_simulated_is_written_on_every_screen():
    sim = SimulatorFeed(SimulatedFeed("typical", seed=1, speed=60, start=T0))
    app, feed, clock = build(feed=sim)

    async def script(pilot):
        clock.advance(40)
        app.step()
        await pilot.pause()
        assert screen_text(app).startswith(" SIMULATED ")
        for key, screen in (("s", DoseScreen), ("n", NoteScreen), ("q", QuitScreen)):  # (d: the scenario gave it)
            await pilot.press(key)
            assert isinstance(app.screen, screen)
            assert "SIMULATED" in str(app.screen.query_one(".badge").render())
            await pilot.press("escape")

    run(app, script)


# -- the banner ----------------------------------------------------------------------------------


def test_banner_shows_the_highest_priority_in_words_markers_and_colour():
    th = thresholds_from_dict(
        {
            "vitals": {
                "hr": {
                    "continuous": True,
                    "delay": "2s",
                    "hysteresis": 2,
                    "upper": {"low": 100, "medium": 110, "high": 130},
                },
                "sbp": {"continuous": False, "upper": {"medium": 160, "high": 180}},
            },
            "stale": {"hr": {"vitals": ["hr"], "after": "10s"}},
            "without_limits": ["dbp"],  # (HR, SBP and DBP need limits unless the file says so)
        }
    )
    app, feed, clock = build(thresholds=th)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 3, hr=70)
        assert banner_main(app).has_class("-calm")
        assert "No active alarms" in screen_text(app)
        await seconds(pilot, feed, clock, T0 + 3, 5, hr=105)
        b = banner_main(app)
        assert b.has_class("-low") and "! LOW" in screen_text(app)
        for _ in range(6):  # low is steady: never in the off phase
            clock.advance(0.25)
            app.step()
            assert not b.has_class("-off")
        feed.push(Reading(T0 + 8, hr=105, sbp=165, dbp=90))
        app.step()
        await pilot.pause()
        assert b.has_class("-medium") and "!! MEDIUM" in screen_text(app)
        phases = set()
        for _ in range(8):  # medium flashes slowly: 1 s on, 1 s off
            clock.advance(0.5)
            app.step()
            phases.add(b.has_class("-off"))
        assert phases == {True, False}
        feed.push(Reading(T0 + 13, hr=105, sbp=185, dbp=95))
        app.step()
        await pilot.pause()
        text = screen_text(app)
        assert b.has_class("-high") and "!!! HIGH" in text and "SBP high 185" in text
        assert "REPEAT CUFF BP NOW" in text  # the repeat-measurement request
        seen = []
        for _ in range(4):  # high flashes fast: every 0.25 s
            clock.advance(0.25)
            app.step()
            seen.append(b.has_class("-off"))
        assert seen in ([True, False, True, False], [False, True, False, True])

    run(app, script)


def test_technical_alarm_for_a_lost_feed_and_the_bell_follows_quiet(tmp_path):
    bells = []
    app, feed, clock = build(tmp_path, bells=bells, quiet=True)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 3, hr=70)
        feed.status.append(FeedStatus("lost", "bed.csv has vanished; waiting for it to come back"))
        app.step()
        await pilot.pause()
        text = screen_text(app)
        assert banner_main(app).has_class("-technical") and "! TECHNICAL" in text and "vanished" in text
        assert app.session.audible_rank() == 2
        assert bells == []  # --quiet: no bell, the screen still says it

    run(app, script)


# -- tiles -----------------------------------------------------------------------------------------


def test_a_stale_stream_shows_dashes_never_the_last_value():
    app, feed, clock = build()

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 5, hr=88)
        t = tile(app, "hr")
        assert "88" in str(t.render()) and not t.has_class("-stale")
        clock.advance(12)
        app.step()
        await pilot.pause()
        text = str(t.render())
        assert t.has_class("-stale") and t.has_class("-technical")
        assert text.splitlines()[0].strip().startswith("--")
        assert "no data" in text
        await seconds(pilot, feed, clock, T0 + 20, 2, hr=90)  # data again: a value again
        assert "90" in str(t.render()) and not t.has_class("-stale")

    run(app, script)


def test_cuff_bp_shows_map_its_age_and_dims_when_old():
    app, feed, clock = build()

    async def script(pilot):
        feed.push(Reading(T0, hr=70, sbp=128, dbp=82, map=97))
        await bulk(pilot, feed, clock, T0 + 1, 240, hr=70)
        t = tile(app, "bp")
        text = str(t.render())
        assert "128/82 (97)" in text and "4 min ago" in text and not t.has_class("-dim")
        await bulk(pilot, feed, clock, T0 + 241, 1000, hr=70)  # 20 min: older than half its stale limit
        assert t.has_class("-dim") and "20 min ago" in str(t.render())

    run(app, script, size=(120, 30))


def test_supplemental_window_states_in_the_header():
    app, feed, clock = build()

    def header():
        return screen_text(app).splitlines()[1]

    async def script(pilot):
        feed.push(Reading(T0, hr=70, sbp=120, dbp=80))
        await seconds(pilot, feed, clock, T0 + 1, 60, hr=70)
        assert "No dose yet" in header()
        app.session.give_dose("initial", 120)
        app.step(force=True)
        await pilot.pause()
        assert "window opens in 1h30m" in header()
        # 1.5 h later, a cuff reading within limits: open and fine.
        t1 = T0 + 61 + 5400
        feed.push(Reading(t1, hr=70, sbp=150, dbp=90))
        await seconds(pilot, feed, clock, t1 + 1, 3, hr=72)
        # No thermometer in this session yet: temperature does not hold the window.
        assert "Supplement window open: vitals allow it" in header()
        feed.push(Reading(t1 + 3.5, hr=70, temp=37.2))
        await seconds(pilot, feed, clock, t1 + 4, 1, hr=72)
        assert "Supplement window open: vitals allow it" in header()
        feed.push(Reading(t1 + 4.5, hr=72, sbp=168, dbp=90))
        await seconds(pilot, feed, clock, t1 + 5, 3, hr=72)
        assert "Supplement window: NOT ready: SBP 168 >= 160" in header()
        t2 = T0 + 61 + 9000 + 600  # past the window's end
        feed.push(Reading(t2, hr=70, sbp=130, dbp=80))
        await seconds(pilot, feed, clock, t2 + 1, 3, hr=70)
        assert "window closed 10 min ago" in header()

    run(app, script, size=(120, 30))


# -- resume --------------------------------------------------------------------------------------


def test_resume_after_an_abrupt_end_shows_the_same_state(tmp_path):
    app, feed, clock = build(tmp_path)
    shown = {}

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 20, hr=75)
        feed.push(Reading(T0 + 20, hr=75, sbp=190, dbp=100))
        app.step()
        await pilot.press("d", "1", "2", "0", "enter")
        await seconds(pilot, feed, clock, T0 + 21, 10, hr=75)
        shown["text"] = screen_text(app)
        # The terminal is closed: the app ends without the quit dialog (no stop event).

    run(app, script)
    assert events(tmp_path / "sess")[-1]["kind"] != "stop"
    rs = load_session(tmp_path / "sess")
    clock2 = ManualClock(wall=T0 + 40, monotonic=5000.0)
    app2 = make_app(
        ListFeed(),
        rs.stored_thresholds(),
        folder=tmp_path / "sess",
        clock=clock2,
        tz=UTC,
        timers=False,
        resume=rs,
        user="nurse",
    )

    async def script2(pilot):
        text = screen_text(app2)
        assert "!!! HIGH  SBP high 190" in text and "Dose 120 mg 09:00" in text
        assert "190/100" in str(tile(app2, "bp").render())
        assert app2.session.resumed

    run(app2, script2)
    starts = [e for e in events(tmp_path / "sess") if e["kind"] == "start"]
    assert [s["resumed"] for s in starts] == [False, True]


def test_r_writes_the_report_of_the_recorded_session(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0 + 1, 30, hr=72, sbp=120, dbp=80)
        await pilot.press("r")
        for _ in range(100):  # the report is written by a worker thread
            await pilot.pause(0.05)
            if (tmp_path / "sess" / "report.html").exists():
                break
        report = tmp_path / "sess" / "report.html"
        assert report.exists() and "Plotly" in report.read_text()[:2_000_000]
        assert oct(report.stat().st_mode & 0o777) == "0o600"

    run(app, script)


def test_r_without_a_recording_says_so(tmp_path):
    app, feed, clock = build(None)

    async def script(pilot):
        await seconds(pilot, feed, clock, T0 + 1, 3, hr=72)
        await pilot.press("r")
        await pilot.pause()
        assert any("no report" in str(n.message) for n in app._notifications)

    run(app, script)
