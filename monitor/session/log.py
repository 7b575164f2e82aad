"""The session's event log as the screen shows it, and the words for recorded actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MAX_ENTRIES = 5000


@dataclass
class LogEntry:
    t: float | None  # event time (None before the first reading)
    kind: str  # alarm | dose | note | ack | pause | feed | record | session
    priority: str  # high | medium | low | technical | "" (not an alarm)
    text: str
    state: str = ""
    wall: float = 0.0


def mg(amount) -> str:
    if amount is None or isinstance(amount, bool):
        return ""
    try:
        return f"{float(amount):g} mg "
    except (TypeError, ValueError):
        return ""


def action_entry(e: dict, fmt: Callable[[float], str]) -> LogEntry | None:
    """The log line of a decoded recorded event (monitor.recording.events), as it read live;
    None for records that are not shown (alarm transitions are shown from the alarm log)."""
    kind, t = e["kind"], e["t"]
    who = f" by {e.get('staff') or e['who']}" if e.get("staff") or e.get("who") else ""
    if kind == "dose":
        src = " (by the simulated scenario)" if e.get("source") == "simulator" else who
        when = f" (given at {fmt(e['given_at'])})" if abs(e["given_at"] - t) >= 1 else ""
        why = f"; confirmed although {e['reason']}" if e.get("reason") else ""
        return LogEntry(t, "dose", "", f"{e['dose']} dose {mg(e['amount_mg'])}recorded{src}{when}{why}")
    if kind == "note":
        return LogEntry(t, "note", "", f"note: {e['text']}")
    if kind == "ack":
        return LogEntry(t, "ack", "", f"alarms acknowledged{who}")
    if kind == "pause":
        seconds = e.get("seconds")
        return LogEntry(
            t, "pause", "", f"audio paused for {seconds:g} s{who}" if seconds is not None else f"audio paused{who}"
        )
    if kind == "reading":
        from monitor.core.manual_entry import describe

        when = f" (taken at {fmt(e['taken_at'])})" if t - e["taken_at"] >= 1 else ""
        return LogEntry(t, "reading", "", f"typed reading {describe(e['values'])} recorded{when}{who}")
    if kind == "start":
        return LogEntry(t, "session", "", "session started" + (" (resumed)" if e.get("resumed") else ""))
    if kind == "stop":
        return LogEntry(t, "session", "", "session ended")
    if kind == "feed":
        return LogEntry(t, "feed", "", f"feed {e.get('state', '')}: {e.get('message', '')}")
    return None
