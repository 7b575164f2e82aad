"""Keys pressed in bursts on every modal of the bedside app (help, dose, supplemental, note, quit).

A held arrow key or a fast double press delivers several keys at once. The app hands each key to
the screen on top when it reads the key, so two or more may already wait on a modal when the
first one closes it. Closing it again must be ignored: a second dismiss used to pop the monitor's
own screen off the stack (`ScreenStackError: Can't pop screen`), and the app exited.

`Pilot.press` waits for the app to go idle after every key, which hides the bug; `burst` posts all
the keys before the app handles the first, as the terminal driver does with a burst of input.
No real timers run and the clock is a `ManualClock`, as in tests/test_ui_app.py.
"""

from __future__ import annotations

import asyncio
import random
import string
from datetime import UTC

import pytest
from textual import events
from textual.containers import VerticalScroll
from textual.screen import Screen

from monitor.core.thresholds_loader import load_thresholds
from monitor.session import ManualClock
from monitor.sources.simulated import SimulatedFeed, SimulatorFeed
from monitor.ui.app import make_app
from monitor.ui.screens import DoseScreen, HelpScreen, NoteScreen, QuitScreen, SafeModal
from tests.support.screen import screen_text

pytestmark = pytest.mark.slow  # Pilot tests run the real Textual app: seconds each

T0 = 1_795_856_400.0  # 2026-11-28T09:00:00Z
TH = load_thresholds()
SEED = 20261128

CHARS = {"question_mark": "?", "space": " "}
SCROLL_KEYS = ["up", "down", "pageup", "pagedown", "home", "end"]
# Every key the bursts use. No "y": on the quit screen it ends the session, which is an exit on
# purpose (test_y_burst_on_quit_ends_the_session_once covers it).
RANDOM_KEYS = [
    *SCROLL_KEYS,
    "escape",
    "enter",
    "q",
    "question_mark",
    "tab",
    "backspace",
    "space",
    *(c for c in string.ascii_lowercase if c != "y"),
    *string.digits,
]

BURSTS = {
    "held-down": ["down"] * 5,
    "escape-x3": ["escape"] * 3,
    "q-q": ["q", "q"],
    "question-mark-x3": ["question_mark"] * 3,
    "enter-x3": ["enter"] * 3,
    "escape-enter-escape": ["escape", "enter", "escape"],
    "letters": list("xkzjq"),
    "scroll-then-close": ["pagedown", "end", "home", "escape", "escape"],
}


# -- helpers -------------------------------------------------------------------------------------


def build():
    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = SimulatorFeed(SimulatedFeed("typical", seed=1, speed=60, start=T0))
    app = make_app(feed, TH, folder=None, clock=clock, tz=UTC, timers=False, user="nurse")
    watch_errors(app)
    return app, clock


def watch_errors(app) -> None:
    """Keep every error that reaches the app in `app.errors_seen`. An error Textual's handler gets
    ends the app; the app's own last-resort handler (`report_error`, where it has one) keeps it
    running but raises a technical alarm: either way a burst of keys must cause none."""
    app.errors_seen = []
    for name in ("_handle_exception", "report_error"):
        inner = getattr(app, name, None)
        if inner is None:
            continue

        def spy(*args, _inner=inner):
            error = next((a for a in args if isinstance(a, BaseException)), args)
            if not any(error is seen for seen in app.errors_seen):  # (both handlers may see it)
                app.errors_seen.append(error)
            return _inner(*args)

        setattr(app, name, spy)


def run(app, clock, script, size=(80, 24)) -> None:
    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            clock.advance(1.0)  # one simulated minute: readings, and no dose yet
            app.step()
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


async def burst(pilot, *keys: str) -> None:
    """All the keys queued at once (a held key, a double press), then wait for the app to settle."""
    app = pilot.app
    for key in keys:
        char = CHARS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()
    await pilot.pause()


def assert_running(app) -> None:
    assert not app.errors_seen, f"errors: {app.errors_seen!r}"
    assert app.is_running and app.return_code is None, f"the app stopped (return code {app.return_code})"
    assert not app.ended


def main_screen_is_back(app) -> bool:
    return len(app.screen_stack) == 1 and not isinstance(app.screen, SafeModal)


async def back_to_main(pilot) -> None:
    """Escape closes every modal: press it (one at a time) until the monitor's screen is back."""
    for _ in range(6):
        if main_screen_is_back(pilot.app):
            break
        await pilot.press("escape")
        await pilot.pause()
    assert_running(pilot.app)
    assert main_screen_is_back(pilot.app), f"still on {pilot.app.screen!r}"


async def open_modal(pilot, name: str) -> type[Screen]:
    if name == "supplemental":
        await pilot.press("d", "1", "2", "0", "enter")  # the initial dose first
        await pilot.pause()
        assert main_screen_is_back(pilot.app)
    key, screen = MODALS[name]
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, screen), f"{key} opened {pilot.app.screen!r}"
    return screen


MODALS = {
    "help": ("question_mark", HelpScreen),
    "dose": ("d", DoseScreen),
    "supplemental": ("s", DoseScreen),
    "note": ("n", NoteScreen),
    "quit": ("q", QuitScreen),
}


# -- every modal, every burst --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("modal", MODALS)
def test_a_burst_of_keys_on_a_modal_never_stops_the_app(modal):
    app, clock = build()

    async def script(pilot):
        # The help (where the burst used to end the monitor) gets every burst; the other dialogs
        # the ones that close them or are typed into them.
        bursts = (
            BURSTS if modal == "help" else {k: BURSTS[k] for k in ("held-down", "escape-x3", "enter-x3", "letters")}
        )
        for name, keys in bursts.items():
            if modal == "supplemental" and any(d.dose == "supplemental" for d in app.session.doses):
                break  # Enter recorded it (its amount is filled in): no second supplemental dose
            if modal == "supplemental" and app.session.doses:
                await pilot.press("s")  # the initial dose is recorded already
                await pilot.pause()
                screen = DoseScreen
            else:
                screen = await open_modal(pilot, modal)
            assert isinstance(app.screen, screen), f"{name}: {app.screen!r}"
            await burst(pilot, *keys)
            assert_running(app)
            if keys[0] == "escape":  # Esc closes every modal; the Escs after it reach the monitor, harmless
                assert main_screen_is_back(app), name
            if keys == BURSTS["held-down"]:  # arrows never close a modal (on help they scroll)
                assert isinstance(app.screen, screen), name
            await back_to_main(pilot)

    run(app, clock, script)


@pytest.mark.slow
def test_the_same_keys_pressed_one_by_one_never_stop_the_app():
    """Pilot.press waits for the app after each key: the keys after the first close land on the
    monitor (q asks to end the session, ? opens the help again, ...), all of it harmless."""
    app, clock = build()

    async def script(pilot):
        for modal in ("help",):  # (the bursts cover every modal; this is the slow path)
            await back_to_main(pilot)
            await open_modal(pilot, modal)
            for keys in BURSTS.values():
                await pilot.press(*keys)
                await pilot.pause()
                assert_running(app)
        await back_to_main(pilot)

    run(app, clock, script)


def test_a_held_arrow_on_help_scrolls_and_never_closes_it():
    app, clock = build()

    async def script(pilot):
        await open_modal(pilot, "help")
        scroll = app.screen.query_one(VerticalScroll)
        await burst(pilot, *["down"] * 30)
        assert isinstance(app.screen, HelpScreen) and len(app.screen_stack) == 2
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        await burst(pilot, *["up"] * 30)
        assert isinstance(app.screen, HelpScreen) and scroll.scroll_y == 0
        await burst(pilot, "escape", "escape", "escape")
        assert_running(app)
        assert main_screen_is_back(app)

    run(app, clock, script)


@pytest.mark.parametrize("key", ["escape", "q", "question_mark", "enter", "x"])
def test_help_closes_on_escape_q_question_mark_and_enter(key):
    app, clock = build()

    async def script(pilot):
        await open_modal(pilot, "help")
        await pilot.press(key)
        await pilot.pause()
        assert_running(app)
        assert main_screen_is_back(app)  # q closes the help; it does not ask to end the session

    run(app, clock, script)


def test_help_scrolls_at_80x24_and_says_how_to_close():
    app, clock = build()

    async def script(pilot):
        await open_modal(pilot, "help")
        help_screen = app.screen
        scroll = help_screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0  # the text is longer than the screen: it scrolls
        assert scroll.region.bottom <= app.size.height  # and its box fits the screen
        text = screen_text(app)
        assert "Esc" in text and "closes" in text and "PgDn" in text  # the hint, without scrolling
        assert "SIMULATED" in str(help_screen.query_one(".badge").render())
        assert "[b]d[/b]" not in text and "initial dose" in text
        for key in ["pagedown", "end"]:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
        assert scroll.scroll_y == scroll.max_scroll_y
        assert "Recording" in screen_text(app)  # the last line of the help can be reached
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0 and "Keys" in screen_text(app)
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert scroll.scroll_y == 0

    run(app, clock, script, size=(80, 24))


def test_help_does_not_scroll_when_it_fits():
    app, clock = build()

    async def script(pilot):
        await open_modal(pilot, "help")
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y == 0
        await burst(pilot, "down", "end", "pagedown", "home", "up")  # nothing to scroll: nothing happens
        assert isinstance(app.screen, HelpScreen)
        assert "Recording" in screen_text(app)
        await pilot.press("escape")
        assert main_screen_is_back(app)

    run(app, clock, script, size=(160, 48))


def test_y_burst_on_quit_ends_the_session_once():
    app, clock = build()

    async def script(pilot):
        await open_modal(pilot, "quit")
        await burst(pilot, "y", "y", "y")

    run(app, clock, script)
    assert not app.errors_seen
    assert app.ended and app.return_code == 0


@pytest.mark.slow
def test_randomized_bursts_over_every_screen_keep_the_app_running():
    """A fixed seed: the same 25 bursts every run, each on whatever screen the one before left."""
    rng = random.Random(SEED)
    app, clock = build()
    seen: set[str] = set()

    async def script(pilot):
        for _ in range(25):
            s = app.session
            if main_screen_is_back(app) and rng.random() < 0.75:  # most bursts start on a modal
                keys = ["question_mark", "n", "q"]
                if s.initial_dose() is None:
                    keys.append("d")
                elif not any(d.dose == "supplemental" for d in s.doses):
                    keys.append("s")
                await pilot.press(rng.choice(keys))
                await pilot.pause()
            seen.add(type(app.screen).__name__)
            await burst(pilot, *(rng.choice(RANDOM_KEYS) for _ in range(rng.randint(2, 8))))
            assert_running(app)
        await back_to_main(pilot)

    run(app, clock, script)
    assert {"HelpScreen", "DoseScreen", "NoteScreen", "QuitScreen"} <= seen


# -- the guard itself ----------------------------------------------------------------------------


class _Probe(SafeModal[str]):
    pass


def test_a_second_dismiss_is_ignored_and_the_callback_runs_once():
    app, clock = build()
    results = []

    async def script(pilot):
        main = app.screen
        probe = _Probe()
        app.push_screen(probe, results.append)
        await pilot.pause()
        assert app.screen is probe
        probe.dismiss("first")
        probe.dismiss("second")  # already dismissed: ignored, nothing raised
        await probe.dismiss("third")  # awaitable as Textual's own dismiss is
        await pilot.pause()
        assert app.screen is main and len(app.screen_stack) == 1
        assert_running(app)

    run(app, clock, script)
    assert results == ["first"]


def test_dismissing_a_modal_that_is_not_on_top_leaves_the_top_one_alone():
    app, clock = build()
    results = []

    async def script(pilot):
        lower, upper = _Probe(), _Probe()
        app.push_screen(lower, lambda r: results.append(("lower", r)))
        app.push_screen(upper, lambda r: results.append(("upper", r)))
        await pilot.pause()
        lower.dismiss("lower")  # beneath another modal: ignored (Textual would pop `upper`)
        await pilot.pause()
        assert app.screen is upper and len(app.screen_stack) == 3
        upper.dismiss("upper")
        await pilot.pause()
        assert app.screen is lower
        lower.dismiss("lower")
        await pilot.pause()
        assert main_screen_is_back(app)

    run(app, clock, script)
    assert results == [("upper", "upper"), ("lower", "lower")]


def test_every_modal_of_the_bedside_app_is_a_safe_modal():
    for screen in (HelpScreen, DoseScreen, NoteScreen, QuitScreen):
        assert issubclass(screen, SafeModal)


@pytest.mark.slow
def test_bursts_on_the_replay_screens_never_stop_the_replay():
    from monitor.recording import load_session
    from monitor.recording.alarm_source import session_limits
    from monitor.ui.replay_app import DiffScreen, GotoScreen, ReplayHelpScreen, make_replay_app
    from tests.conftest import DATA

    rs = load_session(DATA / "mimic3demo_icustay_204132.csv")
    clock = ManualClock(wall=T0, monotonic=1000.0)
    app = make_replay_app(rs, session_limits(rs).thresholds, clock=clock, tz=UTC, timers=False, playing=False)
    watch_errors(app)

    async def script(pilot):
        for key, screen, keys in (
            ("question_mark", ReplayHelpScreen, ["down"] * 5 + ["escape"] * 3),
            ("question_mark", ReplayHelpScreen, ["question_mark"] * 3),
            ("g", GotoScreen, ["escape"] * 3),
            ("x", DiffScreen, ["x", "x", "escape", "escape"]),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen)
            await burst(pilot, *keys)
            assert_running(app)
            await back_to_main(pilot)

    run(app, clock, script)


def test_an_unexpected_error_is_a_high_technical_alarm_and_monitoring_goes_on(tmp_path, monkeypatch):
    from monitor.ui import views

    clock = ManualClock(wall=T0, monotonic=1000.0)
    feed = SimulatorFeed(SimulatedFeed("typical", seed=1, speed=60, start=T0))
    app = make_app(feed, TH, folder=tmp_path / "rec", clock=clock, tz=UTC, timers=False, user="nurse")
    real = views.tile_views
    broken = {"on": True}

    def tile_views(*args, **kw):
        if broken["on"]:
            raise RuntimeError("a bug in the tiles")
        return real(*args, **kw)

    monkeypatch.setattr(views, "tile_views", tile_views)

    async def script(pilot):
        clock.advance(1.0)
        app.step(force=True)  # the redraw fails
        await pilot.pause()
        assert app.is_running and app.return_code is None
        err = next(a for a in app.session.alarms() if a.alarm == "app.error")
        assert err.priority == "high" and "RuntimeError" in err.message
        before = len(app.session.store)
        broken["on"] = False
        for _ in range(5):
            clock.advance(1.0)
            app.step()
            await pilot.pause()
        assert len(app.session.store) > before  # still taking and recording readings
        assert "app.error" in screen_text(app) or "internal error" in screen_text(app)

        def failing_note(text):
            raise ValueError("a bug behind a key")

        monkeypatch.setattr(app.session, "add_note", failing_note)
        await pilot.press("n", "x", "enter")  # the dialog's answer fails
        await pilot.pause()
        assert app.is_running and app.return_code is None
        app.end_session()

    run(app, clock, script, size=(100, 30))
    log = (tmp_path / "rec" / "monitor.log").read_text()
    assert "a bug in the tiles" in log and "Traceback" in log and "a bug behind a key" in log
    from monitor.recording import load_session

    rs = load_session(tmp_path / "rec")
    assert any(e.alarm == "app.error" and e.priority == "high" for e in rs.recorded_alarms())


def test_ending_the_session_ends_the_app_even_when_stopping_fails(monkeypatch):
    app, clock = build()

    def broken_close():
        raise OSError("the feed will not close")

    monkeypatch.setattr(app.session.feed, "close", broken_close)

    async def script(pilot):
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    run(app, clock, script)
    assert app.ended and app.return_code == 0 and not app.is_running
