"""The typed-reading dialog (key v) and the staff-initials question of an acknowledgement.

The dialog reads the natural form (`142/88 76 37.2`) or one field per vital, and the time it was
taken; it checks them (monitor.core.manual_entry) and hands them to `submit(values, at, staff,
confirmed)`, which records them through the session (and may refuse, or ask for a confirmation:
a device reading of the same vital at about the same time). Every refusal is shown in the dialog,
which keeps what was typed; Escape cancels and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from monitor.core.manual_entry import parse_initials, parse_reading, reading_time
from monitor.session import ActionError
from monitor.session.typed import NeedsConfirmation
from monitor.ui.screens.base import SafeModal
from monitor.ui.screens.dialogs import _badge
from monitor.ui.shown import plain

FIELDS: tuple[tuple[str, str], ...] = (
    ("sbp", "SBP mmHg"),
    ("dbp", "DBP mmHg"),
    ("hr", "HR bpm"),
    ("temp", "Temp °C"),
    ("spo2", "SpO2 %"),
)


class ReadingScreen(SafeModal[str | None]):
    """Returns the sentence of what was recorded, or None (cancelled)."""

    DEFAULT_CSS = """
    ReadingScreen .dialog { width: 80; max-width: 100%; }
    ReadingScreen #error, ReadingScreen #confirm { width: 100%; height: auto; }
    ReadingScreen .fields { height: auto; width: 100%; }
    ReadingScreen .field { width: 1fr; height: auto; }
    ReadingScreen .when { width: 1fr; height: auto; }
    ReadingScreen .who { width: 16; height: auto; margin: 0 0 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        mode: str,
        now: float,
        now_text: str,
        absolute: bool | None,
        tz,
        submit: Callable[[dict[str, float], float | None, str, bool], str],
        staff_mode: str = "off",
    ):
        super().__init__()
        self.mode, self.now, self.now_text, self.absolute, self.tz = mode, now, now_text, absolute, tz
        self.submit = submit
        self.staff_mode = staff_mode
        self.confirming: tuple | None = None  # what waits for a second Enter

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield _badge(self.mode)
            yield Label("Typed reading", classes="dialog-title")
            yield Label("Values, e.g. 142/88 76 37.2 (BP mmHg, HR bpm, °C; 97% for SpO2):")
            yield Input("", placeholder="142/88 76 37.2", id="natural")
            yield Label("or one field each (any subset):")
            with Horizontal(classes="fields"):
                for key, label in FIELDS:
                    with Vertical(classes="field"):
                        yield Label(label)
                        yield Input("", id=f"f-{key}")
            with Horizontal(classes="fields"):
                with Vertical(classes="when"):
                    yield Label(f"Taken at (empty = now, {self.now_text}):")
                    yield Input("", placeholder="HH:MM or 10m ago", id="when")
                who = Vertical(classes="who")
                who.display = self.staff_mode != "off"
                with who:
                    yield Label("Initials" + (" (required):" if self.staff_mode == "required" else ":"))
                    yield Input("", id="staff")
            yield Label("", id="error", classes="dialog-error")
            confirm = Label("", id="confirm", classes="dialog-confirm")
            confirm.display = False
            yield confirm
            yield Label(
                "Enter to record · Tab to the next field · Esc to cancel", id="reading-help", classes="dialog-help"
            )

    def on_mount(self) -> None:
        # Wider than the other dialogs (five fields in a row); the app's stylesheet wins over
        # DEFAULT_CSS, so the width is set here.
        self.query_one(".dialog").styles.width = 80
        self.query_one("#natural", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.confirming is not None:  # the question was about other values
            self.confirming = None
            self.query_one("#confirm", Label).display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#error", Label)
        try:
            fields = {key: self.query_one(f"#f-{key}", Input).value for key, _ in FIELDS}
            values = parse_reading(self.query_one("#natural", Input).value, fields)
            at = reading_time(self.query_one("#when", Input).value, self.now, self.absolute, self.tz)
            staff = parse_initials(self.query_one("#staff", Input).value, self.staff_mode)
        except ValueError as exc:
            error.update(plain(exc))
            return
        stamp = None if at >= self.now - 1 else at
        key = (tuple(sorted(values.items())), stamp, staff)
        confirmed = self.confirming == key
        try:
            text = self.submit(values, stamp, staff, confirmed)
        except NeedsConfirmation as exc:
            error.update("")
            self.confirming = key
            confirm = self.query_one("#confirm", Label)
            confirm.update(plain(str(exc)[:1].upper() + str(exc)[1:]))
            confirm.display = True
            return
        except ActionError as exc:
            error.update(plain(exc))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InitialsScreen(SafeModal[str | None]):
    """The staff member's initials for an acknowledgement or a dose (empty allowed unless the
    protocol requires them). Returns the initials ("" for none) or None (cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, mode: str, what: str, staff_mode: str):
        super().__init__()
        self.mode, self.what, self.staff_mode = mode, what, staff_mode

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield _badge(self.mode)
            yield Label(self.what, classes="dialog-title")
            need = "required" if self.staff_mode == "required" else "Enter alone: none"
            yield Label(f"Your initials ({need}):")
            yield Input("", placeholder="AB", id="staff")
            yield Label("", id="error", classes="dialog-error")
            yield Label("Enter to record · Esc to cancel", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#staff", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(parse_initials(event.value, self.staff_mode))
        except ValueError as exc:
            self.query_one("#error", Label).update(plain(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)
