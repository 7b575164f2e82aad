"""Issue 11 on the bedside screen: reminders ring the bell; the supplement header never reads
"open" when the vitals forbid the dose; a supplement against the protocol asks to be confirmed,
saying why; vitals without alarm limits and baseline rules that are off stay in view.

Pilot tests with no real timers and a `ManualClock`, as in tests/test_ui_app.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from monitor.core.dosing import Dose, supplement_status
from monitor.core.readings import Reading
from monitor.core.thresholds import SupplementRules
from monitor.ui.bell import BellPattern
from monitor.ui.screens import DoseScreen
from monitor.ui.widgets import Notices
from tests.support.ui import T0, TH, banner_main, build, events, run, screen_text, seconds

pytestmark = pytest.mark.slow  # Pilot tests run the real Textual app: seconds each

RULES = SupplementRules(5400, 9000, {"sbp": 160, "hr": 110})


def log_texts(app) -> list[str]:
    return [e.text for e in app.session.log]


def notices_text(app) -> str:
    return str(app.query_one(Notices).render())


# -- 1. reminders sound --------------------------------------------------------------------------


def test_a_reminder_rings_one_bell_when_nothing_else_sounds():
    b = BellPattern()
    assert b.step(0.0, 0, reminders=1)  # every alarm acknowledged: rank 0, the reminder still rings
    assert not b.step(0.25, 0)  # once
    assert b.rung == 1


async def _acknowledged_medium_hr(pilot, app, feed, clock, bells):
    await seconds(pilot, feed, clock, T0, 5, hr=70)
    await seconds(pilot, feed, clock, T0 + 5, 15, hr=120)  # medium HR alarm after the 10 s delay
    assert banner_main(app).has_class("-medium") and bells
    await pilot.press("a")
    await pilot.pause()
    assert app.session.audible_rank() == 0  # acknowledged: silent


def test_the_reminder_of_an_acknowledged_alarm_rings_the_bell_and_shows_in_the_log():
    bells = []
    app, feed, clock = build(bells=bells)

    async def script(pilot):
        await _acknowledged_medium_hr(pilot, app, feed, clock, bells)
        n = len(bells)
        await seconds(pilot, feed, clock, T0 + 20, 170, hr=120)
        assert len(bells) == n  # before the reminder: silent
        await seconds(pilot, feed, clock, T0 + 190, 20, hr=120)  # the reminder falls due 3 min after the ack
        assert [e.state for e in app.session.engine.log].count("reminder") == 1
        assert len(bells) == n + 1  # one bell
        assert "[reminder] HR high 120" in screen_text(app)  # and the event log says it

    run(app, script)


def test_a_reminder_does_not_ring_while_the_audio_is_paused():
    bells = []
    app, feed, clock = build(bells=bells)

    async def script(pilot):
        await _acknowledged_medium_hr(pilot, app, feed, clock, bells)
        n = len(bells)
        await seconds(pilot, feed, clock, T0 + 20, 130, hr=120)
        await pilot.press("p")  # paused for 2 min, over the reminder at +3 min
        await pilot.pause()
        await seconds(pilot, feed, clock, T0 + 150, 60, hr=120)
        assert app.session.paused_remaining() > 0
        assert [e.state for e in app.session.engine.log].count("reminder") == 1
        assert len(bells) == n  # the reminder is in the log, but the bell stays silent
        assert "[reminder] HR high 120" in screen_text(app)
        await seconds(pilot, feed, clock, T0 + 210, 180, hr=120)  # the pause is over: the next one rings
        assert app.session.paused_remaining() == 0
        assert [e.state for e in app.session.engine.log].count("reminder") == 2
        assert len(bells) == n + 1

    run(app, script)


# -- 2. the supplement header ------------------------------------------------------------------


def test_supplement_status_never_reads_open_when_the_vitals_forbid_the_dose():
    doses = [Dose(0.0, "initial", 120)]
    ok = supplement_status(doses, 6000, RULES, {"sbp": 150, "hr": 90})
    assert ok.state == "open-ok" and ok.text == "supplement window open: vitals allow it"
    hold = supplement_status(doses, 6000, RULES, {"sbp": 184, "hr": 90})
    assert hold.state == "open-hold" and hold.text == "supplement window: NOT ready: SBP 184 >= 160"
    at = supplement_status(doses, 6000, RULES, {"sbp": 160, "hr": 90})  # strictly below: 160 holds it
    assert at.state == "open-hold" and at.text == "supplement window: NOT ready: SBP 160 >= 160"
    none = supplement_status(doses, 6000, RULES, {"sbp": None, "hr": 90})
    assert none.state == "open-hold" and none.text == "supplement window: NOT ready: no current SBP"
    both = supplement_status(doses, 6000, RULES, {"sbp": 170, "hr": None})
    assert both.text == "supplement window: NOT ready: SBP 170 >= 160; no current HR"
    for latest in ({"sbp": 184}, {"sbp": None}, {"sbp": 160}):
        assert " open" not in supplement_status(doses, 6000, RULES, latest).text


def test_the_header_says_not_ready_when_the_vitals_forbid_the_supplement():
    app, feed, clock = build()

    def header():
        return screen_text(app).splitlines()[1]

    async def script(pilot):
        feed.push(Reading(T0, hr=70, sbp=120, dbp=80))
        await seconds(pilot, feed, clock, T0 + 1, 5, hr=70)
        app.session.give_dose("initial", 120)
        t1 = T0 + 6 + 5400
        feed.push(Reading(t1, hr=70, sbp=150, dbp=90))
        await seconds(pilot, feed, clock, t1 + 1, 3, hr=72)
        assert "Supplement window open: vitals allow it" in header()
        feed.push(Reading(t1 + 3.5, hr=72, sbp=184, dbp=90))
        await seconds(pilot, feed, clock, t1 + 4, 3, hr=72)
        assert "Supplement window: NOT ready: SBP 184 >= 160" in header()
        assert "open" not in header()

    run(app, script, size=(120, 30))


# -- 3. a supplement against the protocol asks to be confirmed --------------------------------


async def _initial_dose(pilot, app, feed, clock):
    feed.push(Reading(T0, hr=70, sbp=120, dbp=80))
    await seconds(pilot, feed, clock, T0 + 1, 10, hr=70)
    await pilot.press("d", "1", "2", "0", "enter")
    await pilot.pause()
    assert [d.dose for d in app.session.doses] == ["initial"]


def _confirm_text(app) -> str:
    return str(app.screen.query_one("#confirm").render())


def test_a_supplement_before_its_window_asks_to_confirm_and_esc_records_nothing(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        await seconds(pilot, feed, clock, T0 + 11, 5, hr=70)
        await pilot.press("s")
        assert isinstance(app.screen, DoseScreen)
        await pilot.press("ctrl+a", "ctrl+k", "6", "0", "enter")  # (the half-dose is filled in)
        await pilot.pause()
        assert isinstance(app.screen, DoseScreen) and app.screen.confirming  # asked, not recorded
        assert app.session.doses[-1].dose == "initial"
        text = screen_text(app)
        assert "Supplement window opens in 1h29m." in text and "Record the supplemental dose anyway?" in text
        assert "y / Enter to confirm" in text and "Esc to cancel" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DoseScreen)
        assert [d.dose for d in app.session.doses] == ["initial"]

    run(app, script)
    assert [e.get("dose") for e in events(tmp_path / "sess") if e["kind"] == "dose"] == ["initial"]


def test_a_confirmed_supplement_before_its_window_is_recorded_with_the_reason(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        await seconds(pilot, feed, clock, T0 + 11, 5, hr=70)
        await pilot.press("s", "enter")
        await pilot.pause()
        assert app.screen.confirming and "opens in 1h29m" in _confirm_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, DoseScreen)
        assert [(d.dose, d.amount_mg) for d in app.session.doses] == [("initial", 120), ("supplemental", 60)]
        assert any(t.endswith("; confirmed although supplement window opens in 1h29m") for t in log_texts(app))

    run(app, script)
    dose = [e for e in events(tmp_path / "sess") if e["kind"] == "dose"][-1]
    assert dose["dose"] == "supplemental" and dose["amount_mg"] == 60
    assert dose["reason"] == "supplement window opens in 1h29m"


def test_enter_confirms_a_supplement_while_the_vitals_forbid_it(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        t1 = T0 + 11 + 5400
        feed.push(Reading(t1, hr=72, sbp=160, dbp=90))  # at the limit: the rule is strictly below
        await seconds(pilot, feed, clock, t1 + 1, 3, hr=72)
        await pilot.press("s", "enter")
        await pilot.pause()
        assert app.screen.confirming
        assert "Supplement window: NOT ready: SBP 160 >= 160." in _confirm_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert [d.dose for d in app.session.doses] == ["initial", "supplemental"]

    run(app, script)
    dose = [e for e in events(tmp_path / "sess") if e["kind"] == "dose"][-1]
    assert dose["reason"] == "supplement window: NOT ready: SBP 160 >= 160"


def test_a_supplement_after_its_window_closed_asks_to_confirm(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        t2 = T0 + 11 + 9000 + 600
        feed.push(Reading(t2, hr=72, sbp=130, dbp=80))
        await seconds(pilot, feed, clock, t2 + 1, 3, hr=72)
        await pilot.press("s", "enter")
        await pilot.pause()
        assert app.screen.confirming and "Supplement window closed 10 min ago." in _confirm_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert [d.dose for d in app.session.doses] == ["initial"]

    run(app, script)


def test_a_supplement_inside_its_window_with_vitals_ok_needs_no_confirmation(tmp_path):
    app, feed, clock = build(tmp_path)

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        t1 = T0 + 11 + 5400
        feed.push(Reading(t1, hr=72, sbp=150, dbp=90))
        await seconds(pilot, feed, clock, t1 + 1, 3, hr=72)
        assert app.session.supplement_concern() is None
        await pilot.press("s", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, DoseScreen)  # recorded at once
        assert [d.dose for d in app.session.doses] == ["initial", "supplemental"]
        assert not any("confirmed although" in t for t in log_texts(app))

    run(app, script)
    dose = [e for e in events(tmp_path / "sess") if e["kind"] == "dose"][-1]
    assert dose["dose"] == "supplemental" and "reason" not in dose


def test_a_burst_of_enters_does_not_confirm_a_supplement_against_the_protocol():
    app, feed, clock = build()

    async def script(pilot):
        await _initial_dose(pilot, app, feed, clock)
        await pilot.press("s")
        await pilot.press("enter", "enter", "enter")  # (Pilot waits after each: the 2nd meets the question)
        await pilot.pause()
        # The 2nd Enter confirms only once the question is on screen; what Enter typed into the
        # locked fields sends is ignored.
        assert [d.dose for d in app.session.doses] == ["initial", "supplemental"]
        dose_log = [t for t in log_texts(app) if t.startswith("supplemental dose")]
        assert len(dose_log) == 1 and "confirmed although supplement window opens in" in dose_log[0]

    run(app, script)


# -- 4. standing notices ---------------------------------------------------------------------


def test_vitals_without_alarm_limits_are_shown_for_the_whole_session():
    th = dataclasses.replace(TH, vitals={k: v for k, v in TH.vitals.items() if k != "dbp"}, without_limits=("dbp",))
    app, feed, clock = build(thresholds=th)

    async def script(pilot):
        assert "NO ALARM LIMITS: DBP" in screen_text(app)  # from the start, before any reading
        await seconds(pilot, feed, clock, T0, 5, hr=70)
        await seconds(pilot, feed, clock, T0 + 5, 15, hr=120)  # alarms come and go: it stays
        clock.advance(3600)
        app.step()
        await pilot.pause()
        text = screen_text(app)
        assert "NO ALARM LIMITS: DBP" in text
        assert "NO ALARM LIMITS: DBP" in notices_text(app)
        assert app.query_one(Notices).region.height == 1

    run(app, script)


def test_no_notice_when_every_vital_has_limits_and_baselines():
    app, feed, clock = build()

    async def script(pilot):
        feed.push(Reading(T0, hr=70, sbp=120, dbp=80))
        await seconds(pilot, feed, clock, T0 + 1, 10, hr=70)
        app.session.give_dose("initial", 120)
        await seconds(pilot, feed, clock, T0 + 11, 3, hr=70)
        assert not app.query_one(Notices).display or app.query_one(Notices).region.height == 0
        text = screen_text(app)
        assert "NO ALARM LIMITS" not in text and "Baseline rules OFF" not in text

    run(app, script)


def test_baseline_rules_off_are_shown_for_the_whole_session():
    app, feed, clock = build()

    async def script(pilot):
        await seconds(pilot, feed, clock, T0, 10, hr=70)  # HR, but no cuff BP before the dose
        await pilot.press("d", "1", "2", "0", "enter")
        await pilot.pause()
        assert any(t == "no pre-dose sbp readings: baseline rules for sbp are off" for t in log_texts(app))
        assert "Baseline rules OFF for SBP (no pre-dose readings)" in screen_text(app)
        # Long after, the log line has scrolled away: the notice has not.
        for k in range(30):
            app.session.add_note(f"note {k}")
        await seconds(pilot, feed, clock, T0 + 10, 5, hr=70, sbp=130, dbp=80)
        text = screen_text(app)
        assert "no pre-dose sbp readings" not in text
        assert "Baseline rules OFF for SBP (no pre-dose readings)" in text
        assert "HR" not in notices_text(app)  # HR had its pre-dose readings

    run(app, script)
