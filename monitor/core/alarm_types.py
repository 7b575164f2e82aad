"""What goes in and out of the alarm engine (monitor/core/alarm_engine.py): the events of its log,
the controls it is told besides readings, and the status of one alarm for the screen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.core.priority import rank_of


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    t: float
    alarm: str  # "hr.upper", "sbp.lower", "hr.stale", "spo2.artifact", "bp.repeat", "audio", "baseline"
    vital: str
    priority: str  # low | medium | high | technical | "" (for audio and baseline notes)
    state: str  # pending cancelled active escalated de-escalated latched acknowledged reminder
    #             cleared repeat paused resumed baseline
    value: float | None
    limit: float | None
    message: str

    def to_dict(self) -> dict:
        return {
            "t": self.t,
            "alarm": self.alarm,
            "vital": self.vital,
            "priority": self.priority,
            "state": self.state,
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
        }

    @staticmethod
    def from_dict(d: dict) -> AlarmEvent:
        return AlarmEvent(
            float(d["t"]),
            d["alarm"],
            d["vital"],
            d["priority"],
            d["state"],
            d.get("value"),
            d.get("limit"),
            d.get("message", ""),
        )


@dataclass(frozen=True, slots=True)
class Control:
    """Something the engine is told at event time `t` besides readings: a user action ("dose"
    with data dose=initial|supplemental, "ack", "pause"), a technical alarm about the monitor
    itself ("technical": name, action raise|clear, priority technical|high, message), or a tick
    of the live clock that fired a deadline ("clock").

    `seq`: how many readings the engine had taken when it was applied live, so a re-run puts it
    between exactly the same readings (None: place it by time, after readings at the same time).
    """

    t: float
    kind: str
    data: dict = field(default_factory=dict)
    seq: int | None = None


def order_controls(controls: Iterable[Control]) -> list[Control]:
    """Controls in the order the engine saw them: by `seq` when every one has it, else by time;
    stable among equals."""
    out = list(controls)
    if out and all(c.seq is not None for c in out):
        return sorted(out, key=lambda c: c.seq)  # type: ignore[arg-type, return-value]
    return sorted(out, key=lambda c: c.t)


@dataclass(frozen=True)
class AlarmStatus:
    """What the screen shows for one alarm that is not normal."""

    alarm: str
    vital: str
    priority: str
    state: str  # pending, active, acknowledged, latched
    value: float | None
    limit: float | None
    since: float
    message: str

    @property
    def rank(self) -> int:
        return rank_of(self.priority)
