"""What each topic carries (JSON, UTF-8), built from a session's state on the session's own
thread. docs/central.md lists every field.

Times: `t` is a measurement's time as the session has it (ISO 8601 UTC, or seconds since the
start for a file with relative times); `age_s` its age in the session's event time when sent,
which the central station keeps counting from when the message arrived, so a clock that differs
between two machines never makes an old value look new. `sent` (the bedside's wall clock) is
there for measuring delivery, not for judging age.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from monitor.core.alarm_types import AlarmEvent, AlarmStatus
from monitor.core.downsample import minmax_downsample
from monitor.core.priority import severity_of
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import ALL_SPECS, VITALS
from monitor.recording import format_time

FORMAT = 1  # the payloads' version: a central station refuses a newer one by name
TREND_SPAN_S = 3600.0
TREND_BUCKETS = 60  # about a point a minute each way (min and max), every extreme kept
TREND_VITALS = ("hr", "sbp", "dbp", "spo2", "temp", "rr")


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def _num(x: float | None, digits: int = 1) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def stale_limits(th: Thresholds) -> dict[str, float]:
    """Each vital's stale limit in seconds (the longest rule that names it)."""
    out: dict[str, float] = {}
    for rule in th.stale:
        for v in rule.vitals:
            out[v] = max(out.get(v, 0.0), float(rule.after_s))
    return out


def expiry_s(th: Thresholds) -> int:
    """The vitals message's MQTT v5 expiry: past the longest stale limit no value in it may be
    shown, so the broker drops it rather than hand it to a central station that starts later."""
    limits = stale_limits(th).values()
    return max(1, math.ceil(max(limits, default=300.0)))


def status(session, *, state: str, wall: float, keepalive_s: int, reason: str = "") -> dict:
    out: dict[str, Any] = {
        "format": FORMAT,
        "state": state,
        "label": session.label,
        "simulated": bool(session.feed.simulated),
        "mode": session.feed.mode,
        "started": format_time(session.started_wall, True),
        "sent": round(wall, 3),
        "keepalive_s": keepalive_s,
    }
    if reason:
        out["reason"] = reason
    return out


def will(label: str, simulated: bool) -> dict:
    """The last will: what the broker says for a bedside that vanished without a word."""
    return {
        "format": FORMAT,
        "state": "offline",
        "label": label,
        "simulated": simulated,
        "reason": "connection lost: the bedside stopped, crashed or lost its network",
    }


def vitals(session, *, wall: float, every_s: float, expiry: int) -> dict:
    """Each measured vital's newest plausible value, its time and age; `value` is null while the
    session calls its stream stale (the bedside shows dashes then too)."""
    now = session.event_now()
    store = session.store
    limits = stale_limits(session.th)
    stale = session.stale_vitals()
    values: dict[str, dict] = {}
    for v in VITALS:
        last = store.last_valid(v)
        if last is None:
            continue
        t, value = last
        entry: dict[str, Any] = {
            "value": None if v in stale else _num(value, ALL_SPECS[v].decimals),
            "t": format_time(t, bool(session.absolute)),
            "age_s": _num(max(0.0, (now if now is not None else t) - t)),
        }
        if v in limits:
            entry["stale_after_s"] = limits[v]
        if v in stale:
            entry["stale"] = True
        values[v] = entry
    return {
        "format": FORMAT,
        "simulated": bool(session.feed.simulated),
        "sent": round(wall, 3),
        "now": format_time(now, bool(session.absolute)) if now is not None else None,
        "every_s": every_s,
        "expiry_s": expiry,
        "values": values,
    }


def alarm_entry(s: AlarmStatus, now: float | None, absolute: bool) -> dict:
    since = s.since if math.isfinite(s.since) else None
    return {
        "alarm": s.alarm,
        "vital": s.vital,
        "priority": s.priority,
        "state": s.state,
        "message": s.message,
        "since": format_time(since, absolute) if since is not None else None,
        "age_s": _num(now - since) if since is not None and now is not None else None,
    }


def highest(statuses: list[AlarmStatus]) -> str | None:
    """The most severe priority among the alarms that are on (pending ones are not yet)."""
    on = [s for s in statuses if s.state != "pending"]
    if not on:
        return None
    return max(on, key=lambda s: severity_of(s.priority)).priority


def alarms(session, statuses: list[AlarmStatus], *, wall: float) -> dict:
    now = session.event_now()
    absolute = bool(session.absolute)
    return {
        "format": FORMAT,
        "type": "list",
        "sent": round(wall, 3),
        "highest": highest(statuses),
        "audio_paused_s": _num(session.paused_remaining()),
        "alarms": [alarm_entry(s, now, absolute) for s in statuses],
    }


def transition(session, e: AlarmEvent, *, wall: float) -> dict:
    """One alarm transition as it happened (not retained: the list is the state)."""
    return {
        "format": FORMAT,
        "type": "transition",
        "sent": round(wall, 3),
        "t": format_time(e.t, bool(session.absolute)),
        "alarm": e.alarm,
        "vital": e.vital,
        "priority": e.priority,
        "state": e.state,
        "value": _num(e.value, 2),
        "message": e.message,
    }


def trend(session, *, wall: float) -> dict:
    """The last hour of each vital, min/max downsampled, as [seconds before now, value] pairs."""
    now = session.event_now()
    out: dict[str, list] = {}
    store = session.store
    if now is not None and len(store):
        i, j = store.index_range(now - TREND_SPAN_S, now)
        t = store.t[i:j]
        for v in TREND_VITALS:
            if not store.holds(v):
                continue
            col = store.column(v)[i:j]
            col = np.where(store.artifacts(v)[i:j], np.nan, col)
            tt, vv = minmax_downsample(t, col, TREND_BUCKETS)
            if len(tt):
                digits = ALL_SPECS[v].decimals
                out[v] = [[round(now - a, 1), round(float(b), digits)] for a, b in zip(tt, vv, strict=True)]
    return {"format": FORMAT, "sent": round(wall, 3), "span_s": TREND_SPAN_S, "vitals": out}
