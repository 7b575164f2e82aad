"""The replay screen: the bedside app over a replay (`monitor.session.replay.ReplayController`),
with a REPLAY badge, a position bar (alarm and dose marks) and the playback keys. Built by
`make_replay_app(...)` (the CLI and the tests use the same factory).

Keys: space play/pause; + / - speed (1x 2x 5x 10x 30x 60x 120x 600x max); left / right seek 1 min,
shift+left / shift+right 10 min; g go to a time; ] / [ next / previous alarm; Home / End;
x the difference from the recorded alarm log; ? help; q quit. The bedside keys that would change
the record (dose, note, acknowledge, pause) do nothing here: the recorded ones are replayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Static

from monitor.core.alarm_diff import describe
from monitor.core.priority import severity_of
from monitor.core.text import printable
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import event_time, format_duration
from monitor.session import Clock
from monitor.session.replay import ReplayController
from monitor.sources.replay import ReplaySource, parse_position, speed_text
from monitor.ui import palette
from monitor.ui.app import MonitorApp
from monitor.ui.screens import HelpScreen, SafeModal
from monitor.ui.shown import in_markup, plain

REPLAY_TICK_S = 0.1
MAX_SPEED_REDRAW_S = 0.5  # at max speed the screen is redrawn this often; ticks between only play
LIVE_ONLY = {"dose", "note", "acknowledge", "pause", "reading"}


class PositionBar(Static):
    """Line 1: play state, speed, position / end. Line 2: the session as a bar, with marks:
    alarm onsets (! in the priority's colour), doses (D initial, S supplemental)."""

    DEFAULT_CSS = """
    PositionBar { height: 2; background: #1c1c1c; padding: 0 1; }
    """

    _last: object = None

    def show(self, s: ReplayController, tz: tzinfo | None) -> None:
        src = s.src
        width = max((self.size.width or 80) - 2, 10)
        key = (round(src.position), src.playing, src.speed, width, s.finished, len(s.session.doses))
        if key == self._last:
            return
        self._last = key
        self.update(render_position(s, width, tz))


def render_position(s: ReplayController, width: int, tz: tzinfo | None) -> Text:
    src = s.src
    absolute = s.session.absolute
    state = "ENDED" if s.finished else ("▶ PLAY" if src.playing else "❚❚ PAUSED")
    span = max(src.end - src.start, 1e-9)
    line1 = Text()
    line1.append(f" {state} ", "bold black on #5fafd7" if src.playing else "bold white on #444444")
    line1.append(f" {speed_text(src.speed)} ", "bold")
    line1.append(f" {event_time(src.position, absolute, tz)} / {event_time(src.end, absolute, tz)}")
    line1.append(f"  +{format_duration(src.position - src.start)} of {format_duration(span)}", palette.DIM)
    keys = "  spc ± ←→ g [ ] x"
    if len(line1.plain) + len(keys) <= width:
        line1.append(keys, palette.DIM)
    cells = ["─"] * width
    styles = [palette.DIM] * width
    pos = int(round((src.position - src.start) / span * (width - 1)))
    for c in range(min(pos, width)):
        cells[c], styles[c] = "━", "#5fafd7"
    ranks = [0] * width
    for t, priority in s.alarm_marks:
        c = int(round((t - src.start) / span * (width - 1)))
        if 0 <= c < width and severity_of(priority) > ranks[c]:
            ranks[c] = severity_of(priority)
            cells[c], styles[c] = "!", palette.priority_fg(priority) or "bold"
    for a in src.actions:
        if a.kind != "dose":
            continue
        c = int(round((a.t - src.start) / span * (width - 1)))
        if 0 <= c < width:
            cells[c] = "S" if a.event.get("dose") == "supplemental" else "D"
            styles[c] = "bold #ffffff on #5f5f87"
    if 0 <= pos < width:
        if cells[pos] in "!DS":
            styles[pos] = styles[pos] + " reverse"
        else:
            cells[pos], styles[pos] = "●", "bold #ffffff"
    line2 = Text()
    run_start = 0
    for c in range(1, width + 1):  # one span per run of a style: cheap to draw
        if c == width or styles[c] != styles[run_start]:
            line2.append("".join(cells[run_start:c]), styles[run_start])
            run_start = c
    return line1 + Text("\n") + line2


class GotoScreen(SafeModal[float | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: float, end: float, absolute: bool | None, tz: tzinfo | None):
        super().__init__()
        self.start, self.end, self.absolute, self.tz = start, end, absolute, tz

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(" REPLAY ", classes="badge -replay")
            yield Label("Go to", classes="dialog-title")
            yield Input("", placeholder="2h15m into the session, or 14:32", id="where")
            yield Label("", id="error", classes="dialog-error")
            example = "+1:30:00" if self.absolute is False else "14:32"
            yield Label(
                f"a time into the session (2h15m, 90m) or a clock time ({example}) · Enter to go · Esc to cancel",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        self.query_one("#where", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip().lstrip("+") if self.absolute is False else event.value
        try:
            t = parse_position(text, self.start, self.end, self.absolute, self.tz)
        except ValueError as exc:
            self.query_one("#error", Label).update(plain(exc))
            return
        self.dismiss(t)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DiffScreen(SafeModal[None]):
    """How the replay's alarm log differs from the recorded one."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("x", "close", show=False),
        Binding("q", "close", show=False),
    ]

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(" REPLAY ", classes="badge -replay")
            yield Static(plain(*self.lines), id="diff")  # (alarm messages: from the recording)
            yield Label("Esc or x to close", classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)


REPLAY_HELP = """\
[b]Replay keys[/b]
  [b]space[/b]  play / pause        [b]+ -[/b]  speed: 1x 2x 5x 10x 30x 60x 120x 600x max
  [b]← →[/b]  seek 1 min         [b]shift+← →[/b]  seek 10 min
  [b]g[/b]  go to a time (2h15m into the session, or 14:32)
  [b]] \\[[/b]  next / previous alarm      [b]Home End[/b]  start / end of the session
  [b]x[/b]  how these alarms differ from the recorded log
  [b]w[/b]  trend window      [b]?[/b]  this help      [b]q[/b]  quit

The position bar: [b]![/b] an alarm starts (its priority's colour), [b]D[/b] / [b]S[/b] doses.
Alarms are recomputed with: {limits}
The recorded doses, acknowledgements, audio pauses and notes are applied at their times,
so the screen at any moment is what the bedside saw. Nothing is written into the recording."""


class ReplayHelpScreen(HelpScreen):
    """The bedside help's screen (scrolls, closes once) with the replay's keys."""

    def __init__(self, text: str):
        SafeModal.__init__(self)
        self.mode = "REPLAY"
        self.text = text


class ReplayApp(MonitorApp):
    BINDINGS = [
        Binding("space", "toggle_play", "Play/Pause"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+"),
        Binding("minus", "slower", "Slower", key_display="-"),
        Binding("left", "seek(-60)", "-1m", show=False),
        Binding("right", "seek(60)", "+1m", show=False),
        Binding("shift+left", "seek(-600)", "-10m", show=False),
        Binding("shift+right", "seek(600)", "+10m", show=False),
        Binding("g", "goto", "Go to"),
        Binding("right_square_bracket", "next_alarm", "Next alarm", key_display="]"),
        Binding("left_square_bracket", "previous_alarm", "Prev alarm", key_display="["),
        Binding("home", "home", "Start", show=False),
        Binding("end", "end", "End", show=False),
        Binding("x", "diff", "Diff"),
    ]

    def __init__(self, replay: ReplayController, *, limits: str = "", **kw):
        kw.setdefault("tick_s", REPLAY_TICK_S)
        super().__init__(replay.session, **kw)
        self.replay = replay
        self.limits = limits or "the thresholds stored in the session"
        self.title = printable(f"vitals-monitor · REPLAY · {replay.session.label}")

    def _poll(self) -> bool:
        return self.replay.poll()

    def compose(self) -> ComposeResult:
        for w in super().compose():
            if isinstance(w, Footer):
                yield PositionBar(id="position")
            yield w

    def on_mount(self) -> None:
        # (Textual calls MonitorApp.on_mount as well: handlers run for every class in the MRO.)
        s = self.replay
        if s.reference is not None:
            counts = {k: sum(1 for d in s.diffs if d.kind == k) for k in ("added", "removed", "changed")}
            if s.diffs:
                self._say(
                    f"against {s.reference_what}: {counts['added']} added, {counts['removed']} removed, "
                    f"{counts['changed']} changed (x to see)"
                )

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return action not in LIVE_ONLY  # a replay never adds to the record

    _drawn = -1e18

    def _step(self, force: bool = False) -> None:
        """As live; at max speed a tick either plays (for at most the replay's budget) or redraws,
        never both, so a key waits for one of them at most. A forced step (after a key) only
        redraws."""
        if self.ended or not self.is_running or not self.query(PositionBar):
            return  # shutting down: the screen is gone
        s = self.replay
        now = self.session.clock.monotonic()
        if force:
            s.src.hold = True  # a key's redraw shows the state the key made; the timer plays on
        elif s.src.playing and math.isinf(s.src.speed):
            self._step_again()  # each poll plays about the replay's budget: the next follows at once
            if now - self._drawn < MAX_SPEED_REDRAW_S:
                # Only plays: the position bar moves with the redraw, as a bar drawn after every
                # poll had the screen painted (30-40 ms on a busy machine) between any two polls.
                self.ticks += 1
                s.poll()
                if s.src.playing:
                    return
                # The end of the recording: drawn at once, not half a second later.
            s.src.hold = True
            force = True
        try:
            super()._step(force)
        finally:
            s.src.hold = False
        self._drawn = now
        self.query_one(PositionBar).show(s, self.tz)

    def _after_seek(self) -> None:
        self._last_full = -1e18
        self.step(force=True)

    # -- actions -------------------------------------------------------------------------------

    def action_toggle_play(self) -> None:
        src = self.replay.src
        if not src.playing and src.at_end:
            self._say("at the end of the recording: Home or [ / ← to go back")
            return
        src.play(not src.playing)
        self.step(force=True)

    def action_faster(self) -> None:
        self.replay.src.faster()
        self.step(force=True)

    def action_slower(self) -> None:
        self.replay.src.slower()
        self.step(force=True)

    def action_seek(self, seconds: float) -> None:
        s = self.replay
        s.seek(s.src.position + float(seconds))
        self._after_seek()

    def action_home(self) -> None:
        self.replay.seek(self.replay.src.start)
        self._after_seek()

    def action_end(self) -> None:
        self.replay.seek(self.replay.src.end)
        self._after_seek()

    def action_next_alarm(self) -> None:
        t = self.replay.next_alarm()
        if t is None:
            self._say("no alarm after this point")
            return
        self.replay.seek(t)
        self._after_seek()

    def action_previous_alarm(self) -> None:
        t = self.replay.previous_alarm()
        if t is None:
            self._say("no alarm before this point")
            return
        self.replay.seek(t)
        self._after_seek()

    def action_goto(self) -> None:
        src = self.replay.src

        def done(t: float | None) -> None:
            if t is not None:
                self.replay.seek(t)
                self._after_seek()

        self.push_screen(GotoScreen(src.start, src.end, self.session.absolute, self.tz), done)

    def diff_lines(self) -> list[str]:
        s = self.replay
        if s.reference is None:
            return [
                "No recorded alarm log to compare with (a plain CSV, or a session without alarms).",
                f"The alarms shown are computed with {self.limits}.",
            ]
        fmt = lambda t: event_time(t, self.session.absolute, self.tz)
        out = [f"Compared with {s.reference_what}, {self.limits} give:"]
        out += ["  " + describe(d, fmt) for d in s.diffs]
        counts = {k: sum(1 for d in s.diffs if d.kind == k) for k in ("added", "removed", "changed")}
        out.append(
            f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed"
            if s.diffs
            else "no difference: the same alarms"
        )
        return out

    def action_diff(self) -> None:
        self.push_screen(DiffScreen(self.diff_lines()))

    def action_help(self) -> None:
        self.push_screen(ReplayHelpScreen(REPLAY_HELP.format(limits=in_markup(self.limits))))

    def action_quit_session(self) -> None:
        self.end_session()  # nothing to lose: a replay writes nothing
        self.exit(0)


def make_replay_app(
    rs,
    thresholds: Thresholds,
    *,
    speed: float = 1.0,
    start: float | None = None,
    playing: bool = True,
    limits: str = "",
    thresholds_given: bool = False,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    timers: bool = True,
    quiet: bool = True,
    bell: Callable[[], None] | None = None,
    budget_s: float | None = None,
    notes: list[str] | tuple[str, ...] = (),
) -> ReplayApp:
    """The replay app for a `RecordedSession`.

    thresholds: the limits to recompute the alarms with (the session's stored ones, or --thresholds
    with thresholds_given=True: then the app compares the result with the recorded log);
    start: the event time to begin at (None: the first reading); notes: what the choice of limits
    noticed (monitor.recording.alarm_source), shown in the event log; clock/tz/timers/bell:
    injected by tests. The bell is off by default (quiet): a replay is for reading.
    """
    from monitor.recording.alarm_source import reference_log
    from monitor.session.replay import BUDGET_S

    src = ReplaySource(rs, speed=speed, playing=playing)
    reference, what = reference_log(rs, thresholds_given)
    replay = ReplayController(
        src,
        thresholds,
        clock=clock,
        budget_s=BUDGET_S if budget_s is None else budget_s,
        reference=reference,
        reference_what=what,
        notes=notes,
    )
    if start is not None and not math.isclose(start, src.start):
        replay.seek(start)
    return ReplayApp(replay, limits=limits, quiet=quiet, tz=tz, timers=timers, bell=bell)
