"""Modal screens: dose, note, quit confirmation, help. Each shows SIMULATED when the feed is.

All are `SafeModal`s (monitor/ui/screens/base.py): a burst of keys closes each of them once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.events import Key
from textual.widgets import Input, Label, Static

from monitor.core.dosing import MAX_BACKDATE_S, parse_amount
from monitor.core.timetext import parse_time_input
from monitor.ui.screens.base import SafeModal
from monitor.ui.shown import plain


def _badge(mode: str) -> Static:
    s = Static(f" {mode} ", classes=f"badge -{mode.lower()}")
    s.display = mode != "LIVE"
    return s


class DoseScreen(SafeModal[dict | None]):
    """Amount (mg) and time (defaults to now) of the initial or supplemental dose.

    `concern`, asked when Enter records the dose: why the dose goes against the protocol now (a
    supplement outside its window, or while the vitals forbid it), or None. With a reason the
    dialog asks a second time, saying why: y or Enter records the dose with that reason (the
    result's "reason"), Esc cancels it. The fields are locked meanwhile, so a burst of Enters
    typed into them cannot confirm it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Record anyway", show=False),
        Binding("enter", "confirm", "Record anyway", show=False),
    ]

    def __init__(
        self,
        kind: str,
        mode: str,
        now: float,
        now_text: str,
        absolute: bool | None,
        tz,
        default_amount: float | None = None,
        concern: Callable[[], str | None] | None = None,
    ):
        super().__init__()
        self.kind, self.mode, self.now, self.absolute, self.tz = kind, mode, now, absolute, tz
        self.now_text = now_text
        self.default_amount = default_amount
        self.concern = concern
        self.pending: dict | None = None  # the dose waiting for its confirmation

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield _badge(self.mode)
            yield Label(f"{'Initial' if self.kind == 'initial' else 'Supplemental'} dose", classes="dialog-title")
            yield Label("Amount (mg):")
            amount = "" if self.default_amount is None else f"{self.default_amount:g}"
            yield Input(amount, placeholder="e.g. 120", id="amount")
            yield Label(f"Time (empty = now, {self.now_text}; or HH:MM, '5m ago'):")
            yield Input("", placeholder=self.now_text, id="when")
            yield Label("", id="error", classes="dialog-error")
            confirm = Label("", id="confirm", classes="dialog-confirm")
            confirm.display = False
            yield confirm
            yield Label("Enter to record · Esc to cancel", id="dose-help", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    @property
    def confirming(self) -> bool:
        return self.pending is not None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.confirming:
            return  # an Enter typed before the question showed: it confirms nothing
        error = self.query_one("#error", Label)
        try:
            amount = parse_amount(self.query_one("#amount", Input).value)
            if amount is None:
                raise ValueError("give the amount in mg")
            at = parse_time_input(self.query_one("#when", Input).value, self.now, self.absolute, self.tz)
            if at > self.now + 1:
                raise ValueError("that time is in the future")
            if self.now - at > MAX_BACKDATE_S:
                raise ValueError("that time is more than 12 hours ago")
        except ValueError as exc:
            error.update(plain(exc))  # (it may quote what was typed)
            return
        result: dict = {"amount_mg": amount, "given_at": None if at >= self.now - 1 else at}
        reason = self.concern() if self.concern is not None else None
        if not reason:
            self.dismiss(result)
            return
        self._ask(result, reason)

    def _ask(self, result: dict, reason: str) -> None:
        """The second step: the dose goes against the protocol; say why and ask again."""
        self.pending = {**result, "reason": reason}
        error = self.query_one("#error", Label)
        error.update("")
        for field in self.query(Input):
            field.disabled = True  # (they give up the focus: y and Enter reach this screen)
        why = reason[:1].upper() + reason[1:]
        confirm = self.query_one("#confirm", Label)
        confirm.update(plain(f"{why}.", f"Record the {self.kind} dose anyway?"))
        confirm.display = True
        self.query_one("#dose-help", Label).update("[b]y[/b] / Enter to confirm · Esc to cancel")
        self.set_focus(None)

    def action_confirm(self) -> None:
        if self.pending is not None:
            self.dismiss(self.pending)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(SafeModal[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, mode: str, now_text: str):
        super().__init__()
        self.mode, self.now_text = mode, now_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield _badge(self.mode)
            yield Label(f"Note at {self.now_text}", classes="dialog-title")
            yield Input("", placeholder="what happened", id="text")
            yield Label("Enter to record · Esc to cancel", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitScreen(SafeModal[bool]):
    """Ending a session is deliberate: ask.

    While the disk refuses records (`unwritten()` > 0: a full disk), ending would lose what is held
    in memory: the dialog says how much and why, and offers to wait until the disk takes it (`w`,
    retried every second through `retry()`, then the session ends), to write the whole recording
    into another folder (`e`, through `elsewhere(folder)`, which returns why not or None), or to
    end anyway, losing it (`y`).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "End session"),
        Binding("n", "answer(False)", "Keep monitoring"),
        Binding("escape", "escape", "Keep monitoring"),
        Binding("q", "answer(False)", show=False),
        Binding("w", "wait", show=False),
        Binding("e", "elsewhere", show=False),
    ]
    RETRY_EVERY_S = 1.0  # while waiting for the disk

    def __init__(
        self,
        mode: str,
        folder: str,
        unwritten: Callable[[], tuple[str, str | None]] = lambda: ("", None),
        retry: Callable[[], int] = lambda: 0,
        elsewhere: Callable[[str], str | None] | None = None,
    ):
        super().__init__()
        self.mode, self.folder = mode, folder
        self.unwritten, self.retry, self.elsewhere = unwritten, retry, elsewhere
        self.held, self.why = unwritten()
        self.waiting = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield _badge(self.mode)
            yield Label("End this session?", classes="dialog-title")
            yield Label("Monitoring, alarms and recording stop.")
            if self.held:
                yield Static(  # a Static wraps: the reason names a path and must be read whole
                    plain(
                        f"{self.held} are not written yet: {self.why or 'the disk refuses them'}.",
                        "They are held in memory: ending now loses them.",
                    ),
                    id="unwritten",
                    classes="dialog-error",
                )
                yield Static("", id="status")
                yield Static(
                    "[b]w[/b] wait until written, then end\n[b]e[/b] write everything to another folder\n"
                    "[b]y[/b] end anyway (lose them)   ·   [b]n[/b] / Esc keep monitoring",
                    classes="dialog-help",
                )
            else:
                if self.folder:
                    yield Label(plain(f"The recording stays in {self.folder}"))
                yield Label("[b]y[/b] end session   ·   [b]n[/b] / Esc keep monitoring", classes="dialog-help")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_escape(self) -> None:
        field = self._folder_field()
        if field is not None:
            field.remove()  # back to the question
            self._status("")
            return
        self.dismiss(False)

    def action_wait(self) -> None:
        if not self.held or self.waiting:
            return
        self.waiting = True
        self._status(f"waiting for the disk: {self.held} left (Esc: keep monitoring)")
        self.set_interval(self.RETRY_EVERY_S, self._try_again)

    def _try_again(self) -> None:
        if not self.retry():
            self.dismiss(True)
            return
        self.held, self.why = self.unwritten()
        self._status(f"waiting for the disk: {self.held} left (Esc: keep monitoring)")

    def action_elsewhere(self) -> None:
        if not self.held or self.elsewhere is None or self._folder_field() is not None:
            return
        # Mounted only now: a field in the dialog from the start would take the keys w, e and y.
        field = Input("", placeholder="a folder on another disk", id="folder")
        self.query_one(".dialog", Vertical).mount(field, after="#status")
        field.focus()
        self._status("the whole recording is written into this folder, and the session ends")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.elsewhere is None or not event.value.strip():
            return
        why = self.elsewhere(event.value.strip())
        if why is None:
            self.dismiss(True)
        else:
            self._status(f"not written there: {why}")

    def _folder_field(self) -> Input | None:
        found = self.query("#folder")
        return found.first(Input) if found else None

    def _status(self, text: str) -> None:
        found = self.query("#status")
        if found:
            found.first(Static).update(plain(text))


HELP = """\
[b]Keys[/b]
  [b]d[/b]  initial dose: asks the amount (mg) and the time (empty = now)
  [b]s[/b]  supplemental dose (the half-dose), same questions; outside its window, or while the
     vitals forbid it, it asks again, saying why (y / Enter records it anyway, Esc cancels)
  [b]n[/b]  note, stamped with the current time
  [b]v[/b]  typed reading: 142/88 76 37.2 or one field per vital; now or a time within the hour
  [b]a[/b]  acknowledge all alarms (a latched high alarm clears once acknowledged)
  [b]p[/b]  pause the audio for {pause}; never longer than {max_pause}; a higher-priority
     alarm sounds anyway
  [b]w[/b]  trend window: 15 min → 1 h → whole session (cuff BP and temperature charts
     show at least 1 h: their readings come minutes apart)
  [b]r[/b]  write the HTML report of the session so far (report.html in the session folder)
  [b]?[/b]  this help          [b]q[/b]  end the session (asks first)

[b]Alarms[/b]  priority in words, markers and colour
  [on #c00000] !!! HIGH [/]  fast flash, bell bursts every 10 s, latches until acknowledged
  [on #ffd700][black] !! MEDIUM [/][/]  slow flash, bell every 25 s
  [on #00afaf][black] ! LOW [/][/]  steady, one bell
  [on #3050c0] ! TECHNICAL [/]  the monitor itself: no data, bad lines, feed lost, recording failed

[b]Tiles[/b]  value, trend since the previous reading (↑ ↓ →), limits in the corner.
  Dashes: no current data (a stale stream is never shown as current). A grey cuff value is
  old; its age is written under it. The BP tile reads SBP/DBP (MAP).
[b]Charts[/b]  dotted lines: limits (yellow medium, red high). D/S: doses, N: notes.
[b]Clock[/b]  actions are stamped on the feed's clock: {clock}
[b]Recording[/b]  {folder}"""

HELP_CLOSE = "Esc, q, ? or Enter closes   ·   ↑ ↓ PgUp PgDn Home End scroll"


class HelpScreen(SafeModal[None]):
    """The keys and what the screen shows. The text scrolls when the terminal is small (80x24);
    the line saying how to close it stays in view below the text."""

    # These keys scroll the text; every other key closes the help (the hint names Esc, q, ?, Enter).
    SCROLL_KEYS = ("up", "down", "pageup", "pagedown", "home", "end")

    def __init__(self, mode: str, pause: str, max_pause: str, clock: str, folder: str):
        """`folder` goes into the markup as given: escaped by the caller (monitor.ui.shown.in_markup)."""
        super().__init__()
        self.mode = mode
        self.text = HELP.format(pause=pause, max_pause=max_pause, clock=clock, folder=folder or "off")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield _badge(self.mode)
            with VerticalScroll(id="help-text", can_focus=False):
                yield Static(self.text, markup=True)
            yield Label(HELP_CLOSE, id="help-close", classes="dialog-help")

    def on_mount(self) -> None:
        self._fit_text()

    def on_resize(self) -> None:
        self._fit_text()

    def _fit_text(self) -> None:
        """The text gets the rows the screen leaves it: the dialog's border and padding, the
        badge and the close hint take the others. (CSS cannot say "screen height minus 4".)"""
        dialog = self.query_one(".dialog")
        rows = self.app.size.height - dialog.styles.gutter.height - 2
        self.query_one("#help-text", VerticalScroll).styles.max_height = max(1, rows)

    def on_key(self, event: Key) -> None:
        # Every key stops here, as before: none reaches the monitor's bindings behind the help.
        event.stop()
        if event.key not in self.SCROLL_KEYS:
            self.dismiss(None)
        elif self.can_dismiss:  # (not for keys still queued after the help was closed)
            self._scroll(event.key)

    def _scroll(self, key: str) -> None:
        """At once, not animated: each key of a held arrow moves the text one line."""
        box = self.query_one("#help-text", VerticalScroll)
        y, page = box.scroll_y, box.scrollable_content_region.height
        target = {
            "up": y - 1,
            "down": y + 1,
            "pageup": y - page,
            "pagedown": y + page,
            "home": 0,
            "end": box.max_scroll_y,
        }[key]
        box.scroll_to(y=target, animate=False, immediate=True)
