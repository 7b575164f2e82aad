"""The Textual bedside app, built by `make_app(...)` (the CLI and the tests use the same factory).

One UI timer (every 0.25 s) drives everything: it polls the feed through the `Session`
(monitor.session: readings go to the store, the recorder and the alarm engine), rings the bell when the pattern
says so, toggles the banner's flash phase, and redraws what changed. Widgets are redrawn from the
store and the engine's state once per tick at most, never per reading; a tick with no new data
only redraws the clock once a second. Charts rebuild only when data arrived or the time axis has
moved by a column.

Nothing on the screen may take the monitor down: the timer, every key's action and every dialog's
answer run guarded, and what still escapes reaches a last-resort handler; each error becomes a
high technical alarm of the session (and a traceback in monitor.log), and monitoring goes on.

Text from a file or an option (the label, file and folder names, notes, alarm messages) reaches
the screen made printable (monitor/ui/shown.py, and the panels' `_fit`): the messages through
`_say`, the dialogs through `plain` and `in_markup`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import getpass
import time
from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer

from monitor.core.alarm_log import QUIET_STATES
from monitor.core.text import printable
from monitor.core.timetext import event_time, format_duration
from monitor.session import ActionError, Clock, Session
from monitor.ui import views
from monitor.ui.bell import BellPattern
from monitor.ui.screens import DoseScreen, HelpScreen, NoteScreen, QuitScreen
from monitor.ui.screens.reading import InitialsScreen, ReadingScreen
from monitor.ui.shown import in_markup
from monitor.ui.widgets import (
    AlarmBanner,
    AlarmList,
    EventLog,
    HeaderBar,
    Notices,
    TrendChart,
    VitalTile,
)
from monitor.ui.widgets.protocol_bar import ProtocolBar, protocol_lines

TICK_S = 0.25
SOON_S = 0.01  # between two bounded pieces of work: the loop answers keys and draws meanwhile
SOON_SHARE = 0.5  # and at least this share of the piece before it
TILE_KEYS = ("hr", "bp", "spo2", "temp", "si")
CHART_KEYS = ("hr", "bp", "temp")
FLASH_HALF_PERIOD = {"high": 0.25, "medium": 1.0, "technical": 1.0}  # 2 Hz and 0.5 Hz flashing


class MonitorApp(App):
    CSS_PATH = "monitor.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "vitals-monitor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "dose('initial')", "Dose"),
        Binding("s", "dose('supplemental')", "Suppl."),
        Binding("n", "note", "Note"),
        Binding("a", "acknowledge", "Ack"),
        Binding("p", "pause", "Pause audio"),
        Binding("w", "window", "Window"),
        Binding("v", "reading", "Reading", show=False),  # in the help and on the protocol line
        Binding("r", "report", "Report", show=False),  # in the help: the footer is full at 80 columns
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit_session", "Quit"),
        Binding("ctrl+q", "quit_session", "Quit", show=False, priority=True),
        Binding("ctrl+c", "quit_session", "Quit", show=False, priority=True),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    def __init__(
        self,
        session: Session,
        *,
        quiet: bool = False,
        tz: tzinfo | None = None,
        timers: bool = True,
        bell: Callable[[], None] | None = None,
        tick_s: float = TICK_S,
    ):
        super().__init__()
        self.session = session
        session.tz = tz
        self.quiet = quiet
        self.tz = tz
        self.timers = timers
        self.tick_s = tick_s
        self.window_index = 0
        self.bell_pattern = BellPattern()
        self._bell = bell
        self._last_full = -1e18
        self._charts_shown: dict[str, bool] = {}
        self.ended = False
        self.ticks = 0
        self._baseline_off: dict[str, str] = {}  # from the log, for an engine without baseline_off
        self._log_seen = 0  # the session's log_serial up to which the log was read for it
        self._log_read: list | None = None  # the log list that was read
        self.title = printable(f"vitals-monitor · {session.feed.mode} · {session.label}")

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        bar = ProtocolBar(id="protocol")
        bar.display = False  # until the session has a protocol line to show
        yield bar
        yield Notices(id="notices")
        yield AlarmBanner(id="banner")
        with Horizontal(id="tiles"):
            for key in TILE_KEYS:
                yield VitalTile(id=f"tile-{key}")
        with Horizontal(id="charts"):
            for key in CHART_KEYS:
                yield TrendChart(key, id=f"chart-{key}")
        with Horizontal(id="bottom"):
            yield AlarmList(id="alarms")
            yield EventLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#alarms").border_title = "Alarms"
        self.query_one("#log").border_title = "Event log"
        self.session.start()
        self._step_again()  # the first poll: straight after this first step, which only draws
        self.step(force=True)
        self._starting = False
        if self.timers:
            self.set_interval(self.tick_s, self.step)
        # What the start made (widgets, modules, a replay's recording and engine checkpoints)
        # lives as long as the app. A full garbage collection walks every such object: 60 ms
        # for a day's replay on a quiet machine, over 100 ms on a busy one, a pause that a key
        # waits out. Frozen, they are left out of every collection; what the session makes from
        # now on is collected as before.
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()

    def on_resize(self, event) -> None:
        if self.timers:
            # The next step redraws in full, in its own turn of the loop: the start sends
            # resizes of its own, and a key pressed meanwhile would wait for a redraw each.
            self._last_full = -1e18
            self._schedule_step(SOON_S)
        else:
            self.call_after_refresh(self.step, True)

    # -- the one timer -------------------------------------------------------------------------

    def step(self, force: bool = False) -> None:
        """Poll the feed, sound, flash, redraw what changed (guarded: see the module docstring)."""
        if self._soon and not force:
            return  # the timer's tick: a step comes at once anyway (_step_again)
        began = time.perf_counter()
        self.guarded("while updating the screen", self._step, force)
        if self._again:
            # After a gap counted from the end of this step, and as long as half of it: a key
            # goes through the app as several messages, each its own turn of the event loop,
            # and they all fit in the gap; with no gap, each would wait for a step.
            self._again = False
            self._schedule_step(max(SOON_S, SOON_SHARE * (time.perf_counter() - began)))

    def _schedule_step(self, gap: float) -> None:
        if self.timers and not self._soon:
            self._soon = True
            asyncio.get_running_loop().call_later(gap, self._step_soon)

    def guarded(self, where: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            self.report_error(where, exc)
            return None

    def report_error(self, where: str, exc: BaseException) -> None:
        self.session.internal_error(where, exc)
        # Telling the screen may fail too (the app shutting down); the alarm is raised already.
        with contextlib.suppress(Exception):
            self._say(f"internal error {where}: {type(exc).__name__}; the monitor carries on", error=True, timeout=6)

    def _handle_exception(self, error: Exception) -> None:
        # The last resort: Textual would exit the app on any unhandled exception.
        if isinstance(error, (KeyboardInterrupt, SystemExit)) or self.ended:
            super()._handle_exception(error)
            return
        self.report_error("in the screen", error)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            self.report_error(f"on the key for {action}", exc)
            return True

    # One override for both of Textual's overloads, so every dialog's callback runs guarded.
    def push_screen(self, screen, callback=None, wait_for_dismiss: bool = False):  # type: ignore[override]
        wrapped = None
        if callback is not None:
            inner = callback

            def wrapped(result):
                self.guarded("after a dialog", inner, result)

        # wait_for_dismiss passes through as given: a plain bool matches neither Literal overload.
        return super().push_screen(screen, wrapped, wait_for_dismiss=wait_for_dismiss)  # type: ignore[call-overload]

    def _step(self, force: bool = False) -> None:
        if self.ended:
            return
        self.ticks += 1
        s = self.session
        now_m = s.clock.monotonic()
        # While a backlog loads, the screen is drawn twice a second, not after every slice, and
        # a step either takes a piece of the backlog (a read or a slice) or redraws, never both:
        # a key waits for one of them at most.
        redraw = force or now_m - self._last_full >= (0.5 if s.loading() is not None else 1.0)
        # The first step, as the app starts (with its timers), only draws too: a file's first
        # read and slice come straight after it, and a key pressed meanwhile does not wait for
        # both. A step that only drew is followed by one that takes a piece, however slow the
        # drawing: the backlog never stalls.
        hold = redraw and not self._held and (s.loading() is not None or (self._starting and self.timers))
        self._held = hold
        changed = False if hold else self._poll()
        self._sound(now_m)
        loading = s.loading() is not None
        if loading:
            # A backlog is taken a slice a poll: the next slice comes at once, after the keys
            # that are waiting (monitor.session.backlog).
            self._step_again()
        full = redraw or (changed and not loading)
        snap = views.snapshot(s) if (full or self._flashing) else None
        if snap is not None:
            banner = views.banner_view(s, snap, self.tz)
            self._flashing = bool(banner.priority) and banner.priority in FLASH_HALF_PERIOD
            half = FLASH_HALF_PERIOD.get(banner.priority, 0)
            phase_on = True if not half else int(now_m / half) % 2 == 0
            self.query_one(AlarmBanner).show(banner, phase_on)
        if full:
            assert snap is not None  # computed whenever the screen is redrawn in full
            self._last_full = now_m
            self._redraw(snap)

    _flashing = False
    _soon = False
    _again = False  # this step asked for the next at once
    _starting = True  # until the first step, on mount
    _held = False  # the last step only drew

    def _step_again(self) -> None:
        """Ask for the next step as soon as the keys already waiting are answered, not a tick
        later: work taken a bounded piece a step (a backlog, a replay at max speed) goes on at
        full pace, and the event loop is free between two pieces. `step` schedules it, with a
        callback of the event loop, not a Textual timer: the app runs a timer's callback in its
        message loop straight after the message it is handling (a key's redraw), and a key
        pressed then would wait for both."""
        self._again = True

    def _step_soon(self) -> None:
        self._soon = False
        if self.is_running:
            self.step()

    def _poll(self) -> bool:
        return self.session.poll()

    def _redraw(self, snap: views.Snapshot) -> None:
        s = self.session
        self.query_one(HeaderBar).show(views.header_view(s, snap, self.tz))
        self.query_one(ProtocolBar).show(protocol_lines(s))
        self.query_one(Notices).show(views.notices(s, self._baseline_off_seen()))
        tiles = {v.key: v for v in views.tile_views(s, snap)}
        big = self.screen.has_class("-tall")
        for key in TILE_KEYS:
            tile = self.query_one(f"#tile-{key}", VitalTile)
            v = tiles.get(key)
            if v is None:
                if tile.display:
                    tile.display = False
                continue
            if not tile.display:
                tile.display = True
            tile.show(v, big)
        name, secs = views.WINDOWS[self.window_index]
        now_m = s.clock.monotonic()
        for key in CHART_KEYS:
            chart = self.query_one(f"#chart-{key}", TrendChart)
            if key == "temp":
                present = "temp" in snap.present
                if chart.has_class("-present") != present:
                    chart.set_class(present, "-present")
                if not present or not self.screen.has_class("-wide"):
                    continue
            title, vitals = views.CHARTS[key]
            # Cuff readings come every 5-30 min: their charts show at least an hour.
            cname, csecs = ("1 h", 3600.0) if key != "hr" and secs is not None and secs < 3600 else (name, secs)
            window = views.chart_window(s, snap, csecs)
            data_key = (tuple(s.store.last_valid(v) for v in vitals), len(s.doses), len(s.notes))
            chart.show(
                partial(views.chart_view, s, snap, key, window),
                data_key,
                cname,
                window,
                s.absolute,
                self.tz,
                1 if key == "temp" else 0,
                now_m,
                title,
            )
        alarm_list = self.query_one(AlarmList)
        alarm_list.show(views.alarm_lines(s, snap, self.tz, compact=alarm_list.size.width < 60))
        log = self.query_one(EventLog)
        height = max(log.size.height, 1)
        lines = [
            views.log_line(e, s.absolute, self.tz)
            for e in s.log[-4 * height :]
            if not (e.kind == "alarm" and e.state in QUIET_STATES)
        ]
        log.show(lines[-height:], s.log_serial)

    def _baseline_off_seen(self) -> dict[str, str]:
        """Baseline rules reported off in the log so far (read once per new entry)."""
        s = self.session
        if s.log is not self._log_read:  # a rebuilt state (resume, a replay's seek): read it anew
            self._log_read, self._baseline_off = s.log, {}
            self._log_seen = s.log_serial - len(s.log)
        new = s.log_serial - self._log_seen
        if new > 0:
            self._baseline_off.update(views.baseline_off_in_log(s.log[-min(new, len(s.log)) :]))
            self._log_seen = s.log_serial
        return self._baseline_off

    def _sound(self, now_m: float) -> None:
        s = self.session
        rank = s.audible_rank()
        onsets = s.take_onsets()
        reminders = s.take_reminders()
        # A reminder rings once even when nothing else sounds (its alarm is acknowledged, so the
        # audible rank is 0), but not while the audio is paused: a reminder never breaks through.
        heard = 0 if s.paused_remaining() > 0 else len(reminders)
        ring = self.bell_pattern.step(now_m, rank, len(onsets) if rank else 0, heard)
        if ring and not self.quiet:
            if self._bell is not None:
                self._bell()
            else:
                self.bell()

    # -- actions -------------------------------------------------------------------------------

    def _say(self, message: str, error: bool = False, timeout: float = 4) -> None:
        """Every message of the app: it may quote a path or an error (printable, never markup)."""
        self.notify(printable(message), severity="error" if error else "information", timeout=timeout, markup=False)

    def _now_text(self) -> str:
        t = self.session.event_now()
        return event_time(t, self.session.absolute, self.tz)

    def action_dose(self, kind: str) -> None:
        s = self.session
        try:
            s.check_dose(kind)
        except ActionError as exc:
            self._say(str(exc), error=True)
            return
        initial = s.initial_dose()
        default = initial.amount_mg / 2 if kind == "supplemental" and initial and initial.amount_mg else None

        def done(result: dict | None) -> None:
            if not result:
                return
            if s.protocol.staff_initials != "off" and "staff" not in result:
                self._ask_initials(
                    f"{kind.capitalize()} dose: who gave it?", lambda who: done({**result, "staff": who})
                )
                return
            reason = result.get("reason")
            try:
                d = s.give_dose(
                    kind, result["amount_mg"], result.get("given_at"), reason=reason, staff=result.get("staff", "")
                )
            except ActionError as exc:
                self._say(str(exc), error=True)
                return
            amount = f" {d.amount_mg:g} mg" if d.amount_mg is not None else ""
            why = f" (confirmed although {reason})" if reason else ""
            self._say(f"{kind} dose{amount} recorded at {event_time(d.t, s.absolute, self.tz)}{why}")
            self.step(force=True)

        # A supplement outside its window, or while the vitals forbid it, needs a confirmation
        # that says why (asked when Enter records it: the window may open while the dialog is up).
        concern = s.supplement_concern if kind == "supplemental" else None
        now = s.event_now()
        if now is None:  # check_dose refuses a dose before the first reading
            return
        self.push_screen(
            DoseScreen(kind, s.feed.mode, now, self._now_text(), s.absolute, self.tz, default, concern), done
        )

    def action_note(self) -> None:
        s = self.session
        if s.event_now() is None:
            self._say("no readings yet: the session clock starts with the first reading", error=True)
            return

        def done(text: str | None) -> None:
            if text is None:
                return
            try:
                s.add_note(text)
            except ActionError as exc:
                self._say(str(exc), error=True)
                return
            self.step(force=True)

        self.push_screen(NoteScreen(s.feed.mode, self._now_text()), done)

    def _ask_initials(self, what: str, then: Callable[[str], None]) -> None:
        """The staff member's initials (the protocol's staff_initials), then `then(initials)`."""

        def answered(who: str | None) -> None:
            if who is not None:
                then(who)

        self.push_screen(InitialsScreen(self.session.feed.mode, what, self.session.protocol.staff_initials), answered)

    def action_reading(self) -> None:
        s = self.session
        now = s.event_now()
        if now is None:
            self._say(
                "the device has sent no reading yet, so the session has no clock to stamp a typed one", error=True
            )
            return

        def done(text: str | None) -> None:
            if text:
                self._say(text)
                self.step(force=True)

        self.push_screen(
            ReadingScreen(
                s.feed.mode, now, self._now_text(), s.absolute, self.tz, s.enter_reading, s.protocol.staff_initials
            ),
            done,
        )

    def action_acknowledge(self, staff: str | None = None) -> None:
        s = self.session
        if staff is None and s.protocol.staff_initials != "off":
            if not any(a.state in ("active", "latched") for a in s.alarms()):
                self._say("nothing to acknowledge")
                return
            self._ask_initials("Acknowledge all alarms", lambda who: self.action_acknowledge(who))
            return
        try:
            n = self.session.acknowledge(staff or "")
        except ActionError as exc:
            self._say(str(exc))
            return
        self._say(f"{n} alarm{'s' if n != 1 else ''} acknowledged")
        self.step(force=True)

    def action_pause(self) -> None:
        secs = self.session.pause_audio()
        self._say(f"audio paused for {format_duration(secs)}; a higher-priority alarm sounds anyway")
        self.step(force=True)

    def action_window(self) -> None:
        self.window_index = (self.window_index + 1) % len(views.WINDOWS)
        self._say(f"trend window: {views.WINDOWS[self.window_index][0]}")
        self.step(force=True)

    def action_report(self) -> None:
        """Write the post-session report of what is recorded so far, off the UI thread."""
        folder = self.session.folder
        if folder is None or self.session.recorder is None:
            self._say("nothing is recorded in this session, so there is no report to write", error=True)
            return
        self._say("writing the report...")
        self.run_worker(lambda: self._write_report(folder), thread=True, exclusive=True, group="report")

    def _write_report(self, folder) -> None:
        try:
            from monitor.report import write_report

            path = write_report(folder)  # the session folder's report.html
        except Exception as exc:
            self.call_from_thread(self._say, f"report not written: {exc}", True)
            self.call_from_thread(self.session.write_log_line, f"report not written: {exc!r}")
            return
        self.call_from_thread(self._say, f"report written to {path}")

    def action_help(self) -> None:
        s = self.session
        a = s.th.audio
        clock = (
            "the simulated clock"
            if s.feed.clock(s.clock.monotonic()) is not None
            else "the newest reading's time plus the real time since it arrived"
        )
        self.push_screen(
            HelpScreen(
                s.feed.mode,
                format_duration(a.pause_s),
                format_duration(a.max_pause_s),
                clock,
                in_markup(s.folder) if s.folder else "",
            )
        )

    def action_quit_session(self) -> None:
        if isinstance(self.screen, QuitScreen):
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.end_session()
                self.exit(0)

        s = self.session
        self.push_screen(
            QuitScreen(s.feed.mode, str(s.folder or ""), s.unwritten, s.retry_writing, s.write_elsewhere), done
        )

    async def action_quit(self) -> None:
        self.action_quit_session()

    def end_session(self) -> None:
        if not self.ended:
            self.ended = True
            try:
                self.session.stop()
            except Exception as exc:
                self.session.write_log_line(f"the session did not stop cleanly: {exc!r}")


def make_app(
    feed,
    thresholds,
    *,
    folder: str | Path | None = None,
    label: str = "",
    quiet: bool = False,
    resume=None,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    timers: bool = True,
    bell: Callable[[], None] | None = None,
    user: str | None = None,
    record: bool = True,
    recorder_factory=None,
    fit_stale: bool = False,
    protocol=None,
    info: dict | None = None,
) -> MonitorApp:
    """The bedside app for one feed.

    feed: a `monitor.sources.feed` feed (simulator, followed file, or any object with the same
    members); thresholds: the limits in force; folder: where to record (None: no recording);
    resume: a `RecordedSession` to carry on; fit_stale: the limits are the defaults, to be fitted
    to a slow feed as `alarms` fits them (monitor.recording.alarm_source); clock/tz/timers/bell:
    injected by tests (a manual clock, a fixed zone, no real timers, a bell counter).
    """
    kw = {}
    if recorder_factory is not None:
        kw["recorder_factory"] = recorder_factory
    if user is None:
        try:
            user = getpass.getuser()
        except Exception:
            user = ""
    session = Session(
        feed,
        thresholds,
        folder=folder,
        label=label,
        clock=clock,
        resume=resume,
        user=user,
        record=record and folder is not None,
        fit_stale=fit_stale,
        protocol=protocol,
        info=info,
        **kw,
    )
    return MonitorApp(session, quiet=quiet, tz=tz, timers=timers, bell=bell)
