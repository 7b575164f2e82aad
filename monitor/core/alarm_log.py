"""The alarm log as people and programs read it: a table, CSV or JSON lines, and a summary."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from monitor.core.alarm_types import AlarmEvent
from monitor.core.episodes import episodes, time_in_alarm
from monitor.core.priority import priority_text
from monitor.core.text import printable
from monitor.core.timetext import format_duration, signed_hms, utc_stamp

# Transitions a clinician reads; "pending" and "cancelled" are the delay at work (shown with --all).
QUIET_STATES = {"pending", "cancelled"}
FIELDS = ("time", "alarm", "vital", "priority", "state", "value", "limit", "message")


def clock(t: float, absolute: bool, start: float | None = None) -> str:
    """A log time: the UTC date and time, or the time since `start` (the recording's start)."""
    if absolute:
        return utc_stamp(t)
    return signed_hms(t - (start or 0.0) if start is not None else t)


def _num(v) -> str:
    return "" if v is None else f"{v:g}"


def format_log(
    log: list[AlarmEvent], fmt: str, *, absolute: bool, start: float | None = None, everything: bool = False
) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps({**e.to_dict(), "time": clock(e.t, absolute, 0.0)}) + "\n" for e in log)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(FIELDS)
        for e in log:
            w.writerow(
                [
                    clock(e.t, absolute, 0.0),
                    e.alarm,
                    e.vital,
                    e.priority,
                    e.state,
                    _num(e.value),
                    _num(e.limit),
                    e.message,
                ]
            )
        return buf.getvalue()
    rows = [e for e in log if everything or e.state not in QUIET_STATES]
    head = f"{'time':<19}  {'priority':<13}  {'state':<12}  message"
    lines = [
        "Alarm log" + ("" if everything else " (pending/cancelled delay transitions hidden; --all shows them)"),
        head,
        "-" * len(head),
    ]
    for e in rows:
        pr = priority_text(e.priority)
        lines.append(f"{clock(e.t, absolute, start):<19}  {pr:<13}  {e.state:<12}  {e.message}")
    if not rows:
        lines.append("(no alarms)")
    return "\n".join(lines) + "\n"


def alarm_summary(log: list[AlarmEvent], session, thresholds) -> str:
    span = session.store.span()
    end = span[1] if span else None
    by_priority = Counter(ep.priority for ep in episodes(log, end))
    lines = ["", "Summary"]
    if span:
        lines.append(
            f"  readings: {len(session.store):,} over {format_duration(span[1] - span[0])}"
            f" ({'SIMULATED' if session.simulated else printable(session.meta.get('source', ''))})"
        )
    lines.append(
        "  alarms by priority: "
        + (
            ", ".join(f"{p} {by_priority[p]}" for p in ("high", "medium", "low", "technical") if by_priority[p])
            or "none"
        )
    )
    per_vital = time_in_alarm(log, end)
    if per_vital:
        lines.append(
            "  time in alarm: "
            + ", ".join(f"{v.upper()} {format_duration(s)}" for v, s in sorted(per_vital.items(), key=lambda x: -x[1]))
        )
    repeats = sum(1 for e in log if e.state == "repeat")
    if repeats:
        lines.append(f"  repeat cuff measurements requested: {repeats}")
    art = {k: v for k, v in session.artifacts.items() if v}
    lines.append(
        "  artifacts (flagged, excluded from limit alarms): "
        + (", ".join(f"{k} {v}" for k, v in art.items()) if art else "none")
    )
    lines.append(f"  rejected lines: {len(session.rejected)}")
    for r in session.rejected[:10]:
        lines.append(f"    line {r.line}: {r.reason}")
    if len(session.rejected) > 10:
        lines.append(f"    ... and {len(session.rejected) - 10} more")
    for note in session.notes:
        lines.append(f"  note: {printable(note)}")
    for e in log:
        if e.alarm == "baseline" and e.value is None:
            lines.append(f"  BASELINE RULES OFF for {e.vital.upper()}: {printable(e.message)}")
    without = getattr(thresholds, "without_limits", ())
    if without:
        lines.append(f"  NO ALARM LIMITS for: {', '.join(v.upper() for v in without)} (without_limits)")
    lines.append(f"  thresholds: {thresholds.source or 'stored in the session'}")
    return "\n".join(lines) + "\n"
