"""A session's state rebuilt from what was recorded: for `live --resume` and for a replay's seek.

The alarm state comes from the alarm engine's batch run over the readings and the recorded
controls (the same run `vitals-monitor alarms` makes), which leaves the engine as if every reading
had been fed live; doses, notes and the event log come from the recorded events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, Control
from monitor.core.dosing import Dose, Note
from monitor.core.readings import VitalStore
from monitor.core.thresholds import Thresholds
from monitor.recording.events import CONTROL_KINDS, event_control
from monitor.session.log import MAX_ENTRIES, LogEntry, action_entry


@dataclass
class RestoredState:
    engine: AlarmEngine
    doses: list[Dose]
    notes: list[Note]
    log: list[LogEntry]
    repeat: AlarmEvent | None


def restore_state(
    th: Thresholds,
    store: VitalStore,
    events: list[dict],
    alarm_log: list[AlarmEvent] | None,
    end: float | None,
    fmt: Callable[[float], str],
    engine: AlarmEngine | None = None,
) -> RestoredState:
    """events: decoded recorded events (monitor.recording.events); alarm_log: the transitions to
    show in the log (None: the engine's own); engine: one that has run already over the store
    and the events' controls (a replay's seek, from a checkpoint), else it is run here."""
    if engine is None:
        engine = AlarmEngine(th)
        engine.run(store, event_controls(events), end=end)
    doses = [Dose(e["given_at"], e["dose"], e["amount_mg"]) for e in events if e["kind"] == "dose"]
    notes = [Note(e["t"], e["text"]) for e in events if e["kind"] == "note"]
    shown = engine.log if alarm_log is None else alarm_log
    entries = [x for e in events if e["kind"] != "alarm" if (x := action_entry(e, fmt)) is not None]
    entries += [LogEntry(a.t, "alarm", a.priority, a.message, a.state) for a in shown]
    entries.sort(key=lambda x: x.t if x.t is not None else float("-inf"))
    repeat = next((a for a in reversed(engine.log) if a.alarm == "bp.repeat"), None)
    return RestoredState(engine, doses, notes, entries[-MAX_ENTRIES:], repeat)


def event_controls(events: list[dict]) -> list[Control]:
    """The controls to the alarm engine among decoded recorded events, in their order."""
    return [c for e in events if e["kind"] in CONTROL_KINDS if (c := event_control(e)) is not None]
