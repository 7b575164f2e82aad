"""What is done at the bedside: the user's doses, notes, acknowledgements and audio pauses, and the
doses and notes a source brings itself.

A user's action is checked first (`ActionError` says why it cannot be done now), then stamped at
the session's event time, recorded and applied to the alarm engine by the one path
(monitor.session.engine_path), and said in the event log. The simulator's scenario doses and notes
are recorded the same way; a replay's recorded actions are applied as they were live and written
nowhere (it records nothing).
"""

from __future__ import annotations

from collections.abc import Callable

from monitor.core.dosing import Dose, Note
from monitor.recording import format_time
from monitor.recording.events import CONTROL_KINDS, event_control
from monitor.session.engine_path import EnginePath
from monitor.session.log import LogEntry, action_entry, mg
from monitor.session.technical import TechnicalAlarms
from monitor.sources.feed import SourceEvent


class ActionError(Exception):
    """A key the session cannot act on now; str() is one sentence for the user."""


class Actions:
    """The session's doses and notes, and the actions on them and on the alarms.

    `event_now()`: the session's event time (None before the first reading); `fmt(t)`: an event
    time as the screen writes it; `note(kind, priority, text, t=...)`: a line in the event log;
    `add_entry(entry)`: a ready one; `changed()`: the screen should change; `absolute()`: whether
    times are clock times (None while unknown).
    """

    def __init__(
        self,
        path: EnginePath,
        technical: TechnicalAlarms,
        user: str,
        event_now: Callable[[], float | None],
        fmt: Callable[[float], str],
        absolute: Callable[[], bool | None],
        note: Callable[..., None],
        add_entry: Callable[[LogEntry], None],
        changed: Callable[[], None],
    ):
        self.doses: list[Dose] = []
        self.notes: list[Note] = []
        self.user = user
        self._path = path
        self._technical = technical
        self._event_now = event_now
        self._fmt = fmt
        self._absolute = absolute
        self._note = note
        self._add_entry = add_entry
        self._changed = changed

    def _action_time(self) -> float:
        t = self._event_now()
        if t is None:
            raise ActionError("no readings yet: the session clock starts with the first reading")
        return t

    # -- doses and notes -------------------------------------------------------------------------

    def initial_dose(self) -> Dose | None:
        return next((d for d in self.doses if d.dose == "initial"), None)

    def check_dose(self, kind: str) -> None:
        """Raise ActionError when a dose of this kind cannot be recorded now."""
        if kind not in ("initial", "supplemental"):
            raise ActionError(f"unknown dose kind '{kind}'")
        self._action_time()
        initial = self.initial_dose()
        if kind == "initial" and initial is not None:
            raise ActionError(
                f"the initial dose is already recorded ({mg(initial.amount_mg)}at {self._fmt(initial.t)})"
            )
        if kind == "supplemental":
            if initial is None:
                raise ActionError("record the initial dose first (key d)")
            given = next((d for d in self.doses if d.dose == "supplemental"), None)
            if given is not None:
                raise ActionError(
                    f"a supplemental dose is already recorded ({mg(given.amount_mg)}at {self._fmt(given.t)})"
                )

    def give_dose(
        self,
        kind: str,
        amount_mg: float | None,
        given_at: float | None = None,
        reason: str | None = None,
        staff: str = "",
    ) -> Dose:
        """Record a dose. `reason`: the concern the user confirmed (a supplement given outside its
        window or while the vitals forbid it), kept with the dose in the recording."""
        self.check_dose(kind)
        t = self._action_time()
        initial = self.initial_dose()
        at = t if given_at is None else min(given_at, t)
        if kind == "supplemental" and initial is not None and at < initial.t:
            raise ActionError("the supplemental dose cannot come before the initial dose")
        extra: dict = {"given_at": format_time(at, bool(self._absolute()))} if t - at >= 1 else {}
        if reason:
            extra["reason"] = reason
        if staff:
            extra["staff"] = staff
        self._path.apply(
            t, "dose", {"dose": kind, "given_at": at}, extra, dose=kind, amount_mg=amount_mg, who=self.user
        )
        dose = Dose(at, kind, amount_mg)
        self.doses.append(dose)
        when = f" (given at {self._fmt(at)})" if "given_at" in extra else ""
        why = f"; confirmed although {reason}" if reason else ""
        by = f" by {staff}" if staff else ""
        self._note("dose", "", f"{kind} dose {mg(amount_mg)}recorded{by}{when}{why}", t=t)
        self._changed()
        return dose

    def add_note(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ActionError("an empty note was not recorded")
        t = self._action_time()
        self._path.record_event(t, "note", text=text, who=self.user)
        self.notes.append(Note(t, text))
        self._note("note", "", f"note: {text}", t=t)
        self._changed()

    # -- the alarms ------------------------------------------------------------------------------

    def acknowledge(self, staff: str = "") -> int:
        """Acknowledge every active and latched alarm; returns how many."""
        engine_n = sum(1 for s in self._path.engine.status() if s.state in ("active", "latched"))
        pre_n = self._technical.preclock_active()
        if not engine_n and not pre_n:
            raise ActionError("nothing to acknowledge")
        if engine_n:
            t = self._action_time()
            self._path.apply(t, "ack", {"who": self.user}, {"staff": staff} if staff else None, who=self.user)
        self._technical.acknowledge_preclock()
        self._changed()
        return engine_n + pre_n

    def pause_audio(self, seconds: float) -> float:
        """Pause the audio for `seconds`; returns them."""
        t = self._event_now()
        if t is None:
            # Only technical alarms can sound before the first reading; silence them for now.
            self._technical.silence_preclock()
            self._note("pause", "", "audio silenced (no readings yet)")
            self._changed()
            return seconds
        self._path.apply(t, "pause", {"seconds": seconds}, seconds=seconds, who=self.user)
        self._changed()
        return seconds

    # -- from the source -------------------------------------------------------------------------

    def from_source(self, e: SourceEvent) -> None:
        """A dose or note of the simulator's scenario, recorded as the source's."""
        t = max(e.t, self._path.engine.t)
        if e.kind == "dose":
            kind = e.fields.get("dose", "initial")
            amount = e.fields.get("amount_mg")
            if any(d.dose == kind for d in self.doses):
                self._note(
                    "dose",
                    "",
                    f"the source's {kind} dose at {self._fmt(e.t)} was not applied: a {kind} dose is already recorded",
                )
                return
            self._path.apply(t, "dose", {"dose": kind}, dose=kind, amount_mg=amount, source="simulator")
            self.doses.append(Dose(t, kind, amount))
            self._note("dose", "", f"{kind} dose {mg(amount)}given (by the simulated scenario)", t=t)
        elif e.kind == "note":
            text = str(e.fields.get("text", ""))
            self._path.record_event(t, "note", text=text, source="simulator")
            self.notes.append(Note(t, text))
            self._note("note", "", f"note (simulator): {text}", t=t)

    def replayed(self, e: SourceEvent) -> None:
        """A recorded action, applied as it was live (a replay writes nothing)."""
        rec = {"t": e.t, "kind": e.kind, **e.fields}
        control = event_control(rec) if e.kind in CONTROL_KINDS else None
        if control is not None:
            self._path.engine.apply(control)
        if e.kind == "dose":
            self.doses.append(Dose(rec["given_at"], rec["dose"], rec["amount_mg"]))
        elif e.kind == "note":
            self.notes.append(Note(e.t, rec["text"]))
        entry = action_entry(rec, self._fmt)
        if entry is not None:
            self._add_entry(entry)
        self._changed()
