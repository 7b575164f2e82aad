"""Issue 15 at the bedside, through Pilot: the typed-reading dialog (every validation message, a
reading at a typed time, Escape cancels, a device conflict asks first), initials on an
acknowledgement, and the protocol line ("BP due in 4 min", OVERDUE, discharge)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import Input, Label

from monitor.core.manual_entry import parse_initials, parse_natural, parse_reading, reading_time
from monitor.core.protocol_loader import protocol_from_dict
from monitor.core.thresholds_loader import load_thresholds
from monitor.session import ManualClock
from monitor.sources.manual import ManualFeed
from monitor.ui.app import make_app
from monitor.ui.screens.reading import ReadingScreen
from tests.test_manual_session import SHORT

# Every message the dialog can give for what was typed, with an input that causes it.
MESSAGES = [
    ("", {}, "nothing to record: type at least one value"),
    ("abc", {}, "'abc' is not a reading: write it e.g. 142/88 76 37.2"),
    ("142/", {}, "'142/' is not a blood pressure: write systolic/diastolic"),
    ("142mmHg", {}, "'142mmhg' is a pressure without its pair"),
    ("76 80", {}, "'76 80': a number without a unit is read as HR only once"),
    ("hr 76 hr 80", {}, "HR is given twice (76 and 80)"),
    ("hr", {}, "'hr' has no value"),
    ("bp 120", {}, "'bp 120' needs both values"),
    ("hr 142/88", {}, "'hr 142/88' is a blood pressure"),
    ("t 97%", {}, "'t 97%': the unit does not fit temperature"),
    ("88/142", {}, "SBP 88 must be above DBP 142 mmHg"),
    ("120/115", {}, "120/115 mmHg has a pulse pressure below 10 mmHg"),
    ("400/90", {}, "SBP 400 mmHg is outside the plausible 40-300 mmHg"),
    ("hr 400", {}, "HR 400 bpm is outside the plausible 15-300 bpm"),
    ("98.6", {}, "temperature 98.6 °C is outside the plausible 25-45 °C (give it in °C)"),
    ("10%", {}, "SpO2 10 % is outside the plausible 20-100 %"),
    ("", {"sbp": "140"}, "SBP alone is not a blood pressure: give both"),
    ("", {"hr": "fast"}, "HR 'fast' is not a number"),
    ("76", {"hr": "80"}, "HR is given twice (76 and 80)"),
]
TIME_MESSAGES = [
    ("tomorrow", "'tomorrow' is not a time"),
    ("2h ago", "that time is more than an hour ago"),
]


def _app(tmp_path, staff="optional"):
    clock = ManualClock()
    proto = protocol_from_dict({**SHORT, "session": {"staff_initials": staff}})
    app = make_app(
        ManualFeed(wall=clock.wall),
        load_thresholds(),
        folder=tmp_path / "s",
        clock=clock,
        timers=False,
        user="nurse",
        protocol=proto,
        info={"participant": "P-001", "session_number": 1, "site": "Site A", "staff": "AB"},
    )
    return app, clock


def _set(screen, natural="", fields=None, when="", staff=""):
    screen.query_one("#natural", Input).value = natural
    for key in ("sbp", "dbp", "hr", "temp", "spo2"):
        screen.query_one(f"#f-{key}", Input).value = (fields or {}).get(key, "")
    screen.query_one("#when", Input).value = when
    screen.query_one("#staff", Input).value = staff


def _submit(screen) -> None:
    """Enter in the natural-form field, handed to the dialog as Textual hands it on."""
    field = screen.query_one("#natural", Input)
    screen.on_input_submitted(Input.Submitted(field, field.value))


def _error(screen) -> str:
    return str(screen.query_one("#error", Label).render())


@pytest.mark.slow
def test_reading_dialog_messages_typed_time_and_escape(tmp_path):
    async def run():
        app, clock = _app(tmp_path)
        async with app.run_test(size=(80, 30)) as pilot:
            s = app.session
            clock.now_mono += 1800
            clock.now_wall += 1800
            app.step(force=True)
            # Escape cancels: nothing recorded.
            await pilot.press("v")
            assert isinstance(app.screen, ReadingScreen)
            await pilot.press("1", "2", "0", "escape")
            await pilot.pause()
            assert not isinstance(app.screen, ReadingScreen) and len(s.store) == 0
            # Every validation message, each in the dialog, which stays open and keeps the text.
            await pilot.press("v")
            screen = app.screen
            for k, (natural, fields, message) in enumerate(MESSAGES):
                _set(screen, natural, fields)
                if k < 3:
                    await pilot.press("enter")  # as typed; the rest straight to the dialog's handler (fast)
                else:
                    _submit(screen)
                assert app.screen is screen and message in _error(screen), (natural, _error(screen))
                assert screen.query_one("#natural", Input).value == natural
            for when, message in TIME_MESSAGES:
                _set(screen, "37.2", when=when)
                _submit(screen)
                assert message in _error(screen), (when, _error(screen))
            _set(screen, "37.2", staff="A1")
            await pilot.press("enter")
            await pilot.pause()
            assert "'A1' is not initials" in _error(screen)
            assert len(s.store) == 0
            # A reading at a typed time, in fields, with initials.
            _set(screen, "", {"sbp": "142", "dbp": "88", "hr": "76", "temp": "37.2"}, when="10m ago", staff="cd")
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, ReadingScreen)
            assert s.store.t[-1] == clock.now_wall - 600 and s.store.last_valid("temp")[1] == 37.2
            assert s.typed.records[-1].staff == "CD"
            # The session's own refusal shows in the dialog too (before the newest reading).
            await pilot.press("v")
            _set(app.screen, "142/88 76", when="20m ago")
            await pilot.press("enter")
            await pilot.pause()
            assert "comes before the newest reading" in _error(app.screen)
            await pilot.press("escape")
            app.step(force=True)
            await pilot.pause()
            assert "HR bpm · typed" in app.query_one("#tile-hr").border_title or "typed" in str(
                app.query_one("#tile-hr").render()
            )

    asyncio.run(run())


@pytest.mark.slow
def test_protocol_line_due_overdue_and_initials_on_ack(tmp_path):
    async def run():
        app, clock = _app(tmp_path, staff="required")
        async with app.run_test(size=(80, 30)) as pilot:
            s = app.session
            s.give_dose("initial", 120, staff="AB")
            for _ in range(6):
                clock.now_mono += 60
                clock.now_wall += 60
                app.step(force=True)
            await pilot.pause()
            line = str(app.query_one("#protocol").render())
            assert "Due: BP, HR due in 4 min" in line and "P-001 · session 1 · Site A · staff AB" in line
            for _ in range(8):
                clock.now_mono += 60
                clock.now_wall += 60
                app.step(force=True)
            await pilot.pause()
            assert "OVERDUE" in str(app.query_one("#protocol").render())
            assert any(a.alarm == "schedule.bp" and a.priority == "low" for a in s.alarms())
            # Acknowledging asks for the initials the protocol requires.
            await pilot.press("a")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert "initials are required" in _error(app.screen)
            await pilot.press("x", "y", "enter")
            await pilot.pause()
            assert all(a.state != "active" for a in s.alarms() if a.alarm.startswith("schedule."))

    asyncio.run(run())


@pytest.mark.slow
def test_device_conflict_asks_in_the_dialog_before_keeping_both(tmp_path):
    from tests.test_manual_session import ListFeed

    t0 = 1_795_856_400.0
    rows = [(t0 + i, {"hr": 80.0}) for i in range(30)]

    async def run():
        clock = ManualClock(wall=t0 + 30)
        app = make_app(ListFeed(rows), load_thresholds(), clock=clock, timers=False, user="u", record=False)
        async with app.run_test(size=(80, 30)) as pilot:
            app.step(force=True)
            await pilot.press("v")
            _set(app.screen, "hr 95")
            await pilot.press("enter")
            await pilot.pause()
            confirm = str(app.screen.query_one("#confirm", Label).render())
            assert "The device measured HR 80 at" in confirm and "(typed 95)" in confirm
            await pilot.press("enter")
            await pilot.pause()
            assert not isinstance(app.screen, ReadingScreen)
            assert app.session.store.column("hr")[-1] == 95 and app.session.typed.records

    asyncio.run(run())


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="0123456789./% hrbpCtmin°,-", max_size=24))
def test_natural_form_refuses_with_a_sentence_or_reads_known_vitals(text):
    try:
        values = parse_reading(text)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert values and set(values) <= {"sbp", "dbp", "hr", "temp", "spo2", "rr"}


@given(
    st.integers(60, 250),
    st.integers(20, 140),
    st.integers(20, 250),
    st.floats(30, 44, allow_nan=False).map(lambda x: round(x, 1)),
)
def test_natural_form_reads_what_it_is_written_as(sbp, dbp, hr, temp):
    if sbp - dbp < 10:
        return
    assert parse_natural(f"{sbp}/{dbp} {hr} {temp:.1f}") == {"sbp": sbp, "dbp": dbp, "hr": hr, "temp": temp}
    assert parse_natural(f"t {temp:.1f}°C {hr}bpm bp {sbp}/{dbp}") == {"sbp": sbp, "dbp": dbp, "hr": hr, "temp": temp}


def test_times_and_initials():
    now = 1_795_856_400.0
    assert reading_time("", now, True) == now
    assert reading_time("5m ago", now, True) == now - 300
    with pytest.raises(ValueError, match="more than an hour ago"):
        reading_time("23:59", now, True)  # 09:00 now: yesterday's 23:59
    assert parse_initials("", "optional") == "" and parse_initials("ab", "off") == "AB"
    with pytest.raises(ValueError, match="required"):
        parse_initials(" ", "required")
