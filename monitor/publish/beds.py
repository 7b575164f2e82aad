"""The central station's model of a site's beds, built from what the bedsides publish (no
Textual: the screen, monitor/ui/central_app.py, only draws it).

Every string from the broker is made printable and cut to size before it is kept: a bed's label
or an alarm's words come over the network. A message that cannot be read is named in the bed's
`problem` and changes nothing else.

Age is never taken from the message alone: a value's `age_s` when sent grows by the time since it
was sent, counted on this machine's clock from its arrival (a retained message that waited at the
broker is aged by what its MQTT v5 expiry says it waited), so a clock that is wrong on either
machine never makes an old number look current. A bed is:
- `offline` when its status says so (its clean stop, or its last will published by the broker);
- `silent` when online but nothing came for SILENT_S (a bedside that hangs, a broken link that
  the broker has not noticed yet), and then every number shows as stale;
- and each number is stale past its stream's stale limit, or when the bedside says so.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from monitor.core.priority import TECHNICAL, severity_of
from monitor.core.text import printable
from monitor.publish.address import RESERVED_BED
from monitor.publish.payloads import FORMAT
from monitor.publish.topics import split

SILENT_MIN_S = 10.0
MAX_TEXT = 200
MAX_TRANSITIONS = 100


def _text(x: Any, limit: int = MAX_TEXT) -> str:
    s = printable(x if isinstance(x, str) else "")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


@dataclass(frozen=True)
class Shown:
    """One number as the central station may show it."""

    value: float | None  # None: not to be shown (stale, or the bedside said so)
    age_s: float  # how old the measurement is now
    stale: bool
    time: str  # the measurement's time as the bedside has it


@dataclass(frozen=True)
class AlarmLine:
    alarm: str
    priority: str
    state: str
    message: str
    age_s: float | None


@dataclass
class Bed:
    bed: str
    label: str = ""
    simulated: bool = False
    state: str = "unknown"  # online | offline | unknown (nothing said yet)
    reason: str = ""  # why offline
    status_at: float | None = None
    last_at: float | None = None  # when anything last came from it
    every_s: float = 1.0
    keepalive_s: float = 10.0
    vitals: dict[str, dict] = field(default_factory=dict)
    vitals_at: float | None = None  # the central's time the vitals were sent at (arrival less wait)
    alarms: list[AlarmLine] = field(default_factory=list)
    alarms_at: float | None = None
    trend: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    trend_at: float | None = None
    transitions: deque = field(default_factory=lambda: deque(maxlen=MAX_TRANSITIONS))
    problem: str = ""

    @property
    def name(self) -> str:
        return self.label or self.bed

    def silent_limit_s(self) -> float:
        return max(SILENT_MIN_S, 3 * self.every_s, 1.5 * self.keepalive_s)

    def condition(self, now: float) -> str:
        """online | offline | silent | unknown."""
        if self.state == "offline":
            return "offline"
        if self.state == "online" and self.last_at is not None and now - self.last_at > self.silent_limit_s():
            return "silent"
        return self.state

    def silent_for(self, now: float) -> float | None:
        return None if self.last_at is None else now - self.last_at

    def shown(self, vital: str, now: float) -> Shown | None:
        """The newest value of `vital` as it may be shown now; None when never measured."""
        e = self.vitals.get(vital)
        if e is None or self.vitals_at is None:
            return None
        age = (_number(e.get("age_s")) or 0.0) + max(0.0, now - self.vitals_at)
        limit = _number(e.get("stale_after_s"))
        value = _number(e.get("value"))
        stale = (
            value is None
            or bool(e.get("stale"))
            or (limit is not None and age > limit)
            or self.condition(now) in ("offline", "silent")
        )
        return Shown(None if stale else value, age, stale, _text(e.get("t"), 40))

    def highest(self, now: float) -> str | None:
        """The most severe priority of the bed's active alarms; an offline or silent bed counts
        as a technical alarm of the central station's own."""
        on = [a.priority for a in self.alarms if a.state != "pending"]
        if self.condition(now) in ("offline", "silent"):
            on.append(TECHNICAL)
        return max(on, key=severity_of) if on else None

    def top_alarm(self) -> AlarmLine | None:
        on = [a for a in self.alarms if a.state != "pending"]
        return max(on, key=lambda a: severity_of(a.priority)) if on else None

    def unacknowledged(self) -> bool:
        return any(a.state in ("active", "latched") for a in self.alarms)


class Board:
    """Every bed of a site that said something."""

    def __init__(self, site: str):
        self.site = site
        self.beds: dict[str, Bed] = {}
        self.messages = 0

    def take(self, topic: str, payload: bytes, at: float, expiry_left: float | None = None) -> Bed | None:
        """One message (at: its arrival on this machine's clock; expiry_left: the MQTT v5 expiry
        the broker says is left, which against the `expiry_s` it was sent with tells how long
        the broker held it). The bed it is about, or None for a topic not ours."""
        parts = split(topic)
        if parts is None:
            return None
        bed_id, kind = parts
        if bed_id.lower() == RESERVED_BED:
            return None  # the central station's own user name: whatever is there is not a bed's
        bed_id = _text(bed_id, 64)
        bed = self.beds.get(bed_id)
        if bed is None:
            bed = self.beds[bed_id] = Bed(bed_id)
        self.messages += 1
        sent_at = at
        try:
            data = json.loads(payload.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("format")
            if isinstance(version, int) and version > FORMAT:
                raise ValueError(f"format {version} is newer than this central station reads ({FORMAT})")
            expiry = _number(data.get("expiry_s"))
            if expiry is not None and expiry_left is not None:
                sent_at = at - max(0.0, expiry - expiry_left)
            getattr(self, f"_{kind}")(bed, data, sent_at)
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError) as exc:
            bed.problem = f"a {kind} message could not be read ({_text(str(exc), 80)}); the last good one is kept"
            return bed
        bed.problem = ""
        if kind != "status" or bed.state == "online":
            bed.last_at = max(bed.last_at or sent_at, sent_at)
        return bed

    def ordered(self, now: float) -> list[Bed]:
        """Beds most urgent first: by their highest alarm, unacknowledged before acknowledged,
        then by name."""
        return sorted(
            self.beds.values(),
            key=lambda b: (-severity_of(b.highest(now) or ""), not b.unacknowledged(), b.name.lower(), b.bed),
        )

    # -- one kind each --------------------------------------------------------------------------

    def _status(self, bed: Bed, d: dict, at: float) -> None:
        state = d.get("state")
        if state not in ("online", "offline"):
            raise ValueError(f"state {printable(state)!r} is neither online nor offline")
        bed.state = state
        bed.status_at = at
        bed.label = _text(d.get("label"), 60) or bed.label
        bed.simulated = bool(d.get("simulated", bed.simulated))
        bed.reason = _text(d.get("reason")) if state == "offline" else ""
        keepalive = _number(d.get("keepalive_s"))
        if keepalive:
            bed.keepalive_s = keepalive
        if state == "online":
            bed.last_at = at

    def _vitals(self, bed: Bed, d: dict, at: float) -> None:
        values = d.get("values")
        if not isinstance(values, dict):
            raise ValueError("no values")
        bed.vitals = {str(k): v for k, v in values.items() if isinstance(v, dict)}
        bed.vitals_at = at
        bed.simulated = bool(d.get("simulated", bed.simulated))
        every = _number(d.get("every_s"))
        if every:
            bed.every_s = every

    def _alarms(self, bed: Bed, d: dict, at: float) -> None:
        kind = d.get("type")
        if kind == "transition":
            bed.transitions.append(
                (
                    at,
                    AlarmLine(
                        _text(d.get("alarm"), 40),
                        _text(d.get("priority"), 20),
                        _text(d.get("state"), 20),
                        _text(d.get("message")),
                        None,
                    ),
                    _text(d.get("t"), 40),
                )
            )
            return
        if kind != "list":
            raise ValueError(f"type {printable(kind)!r} is neither list nor transition")
        items = d.get("alarms")
        if not isinstance(items, list):
            raise ValueError("no alarm list")
        bed.alarms = [
            AlarmLine(
                _text(a.get("alarm"), 40),
                _text(a.get("priority"), 20),
                _text(a.get("state"), 20),
                _text(a.get("message")),
                _number(a.get("age_s")),
            )
            for a in items
            if isinstance(a, dict)
        ]
        bed.alarms_at = at

    def _trend(self, bed: Bed, d: dict, at: float) -> None:
        vitals = d.get("vitals")
        if not isinstance(vitals, dict):
            raise ValueError("no trend")
        out: dict[str, list[tuple[float, float]]] = {}
        for v, points in vitals.items():
            if not isinstance(points, list):
                continue
            pts = []
            for p in points:
                if isinstance(p, list) and len(p) == 2:
                    ago, value = _number(p[0]), _number(p[1])
                    if ago is not None and value is not None:
                        pts.append((ago, value))
            out[_text(v, 10)] = pts
        bed.trend = out
        bed.trend_at = at
