"""The measurement schedule at the bedside: what is due next ("BP due in 4 min"), and a low
technical alarm for a reading overdue by its grace period, cleared once it is taken (or once it is
missed and the next timepoint is not overdue yet).

The judgement is monitor.core.schedule's, over the session's store; the alarm goes through the
one engine as a recorded technical control, so `vitals-monitor alarms` over the recording and a
replay show it as live did. A replay records nothing and raises nothing here: its alarms come from
the recording.
"""

from __future__ import annotations

import math

from monitor.core.protocol import Protocol
from monitor.core.schedule import DUE, MISSED, OVERDUE, PENDING, UPCOMING, StreamReadings, Timepoint, stream_timepoints
from monitor.core.schedule_inputs import stream_readings
from monitor.core.timetext import hours_minutes

REFRESH_S = 1.0  # the stream arrays are rebuilt at most this often (real seconds) while readings stream in
STREAM_NAMES = {"bp": "BP", "hr": "HR", "temp": "Temp", "spo2": "SpO2", "rr": "RR"}


def alarm_name(stream: str) -> str:
    return f"schedule.{stream}"


def tp_text(tp: Timepoint) -> str:
    """ "+1h15", "before the dose", "before the supplement", "repeat after a reading over a limit"."""
    if tp.kind == "baseline":
        return "the pre-dose baseline"
    if tp.kind == "supplement":
        return "the reading before the supplement"
    if tp.kind == "repeat":
        return "the repeat after a reading over a limit"
    return f"the {tp.label} reading"


class ScheduleWatch:
    """`session`: the monitor.session.Session it watches."""

    def __init__(self, session, protocol: Protocol):
        self._s = session
        self.protocol = protocol
        self._arrays: dict[str, StreamReadings] = {}
        self._key: tuple | None = None
        self._built_at = -math.inf
        self._overdue: dict[str, tuple[str, float | None]] = {}  # stream -> the timepoint its alarm is about

    @property
    def active(self) -> bool:
        return bool(self.protocol.schedule.streams)

    def _readings(self) -> dict[str, StreamReadings]:
        s = self._s
        key = (s.data_version, len(s.typed.records), id(s.store))
        now_m = s.clock.monotonic()
        if key != self._key and (now_m - self._built_at >= REFRESH_S or key[1:] != (self._key or (0,))[1:]):
            typed = s.typed.times
            rows = len(s.store) - (s.intake.held is not None)
            self._arrays = {
                ss.stream: stream_readings(s.store, ss.vitals, s.th, typed, rows)
                for ss in self.protocol.schedule.streams
            }
            self._key, self._built_at = key, now_m
        return self._arrays

    def points(self, now: float | None = None, ended: bool = False) -> dict[str, list[Timepoint]]:
        s = self._s
        now = s.event_now() if now is None else now
        if now is None or not self.active:
            return {}
        initial = s.actions.initial_dose()
        supp = next((d for d in s.doses if d.dose == "supplemental"), None)
        window = (s.th.supplement.window_start_s, s.th.supplement.window_end_s)
        arrays = self._readings()
        return {
            ss.stream: stream_timepoints(
                self.protocol.schedule,
                ss,
                arrays.get(ss.stream, StreamReadings.empty()),
                now,
                initial.t if initial else None,
                supp.t if supp else None,
                window,
                ended,
            )
            for ss in self.protocol.schedule.streams
        }

    # -- what the screen shows -------------------------------------------------------------------

    def due_text(self) -> str:
        """ "BP, HR due in 4 min · Temp due in 34 min" ("" without a schedule)."""
        now = self._s.event_now()
        points = self.points(now)
        if not points or now is None:
            return ""
        groups: dict[str, list[str]] = {}
        for stream, pts in points.items():
            nxt = _first_pending(pts)
            name = STREAM_NAMES[stream]
            if nxt is None:
                text = (
                    "baseline taken (the schedule starts with the dose)"
                    if s_dose(self._s) is None
                    else "schedule complete"
                )
            else:
                text = _due_words(nxt, now)
            groups.setdefault(text, []).append(name)
        return " · ".join(f"{', '.join(names)} {text}" for text, names in groups.items())

    # -- the overdue alarm -----------------------------------------------------------------------

    def check(self) -> None:
        s = self._s
        if not self.active or not getattr(s.feed, "records", True):
            return
        now = s.event_now()
        if now is None:
            return
        for stream, pts in self.points(now).items():
            name = alarm_name(stream)
            overdue = [p for p in pts if p.status == OVERDUE]
            up = s.technical.raised(name)
            if overdue:
                tp = overdue[0]
                msg = (
                    f"{STREAM_NAMES[stream]} reading overdue: {tp_text(tp)} was due at {s.fmt(tp.nominal)}"
                    if tp.nominal is not None
                    else f"{STREAM_NAMES[stream]} reading overdue"
                )
                if not up or self._overdue.get(stream) != (tp.kind, tp.nominal):
                    s.technical.raise_alarm(name, "low", msg)
                self._overdue[stream] = (tp.kind, tp.nominal)
            elif up:
                s.technical.clear(name, self._cleared(stream, pts))
                self._overdue.pop(stream, None)

    def _cleared(self, stream: str, pts: list[Timepoint]) -> str:
        """Why the overdue alarm ends: the reading was taken (late), or it was missed."""
        was = self._overdue.get(stream)
        tp = next((p for p in pts if was is not None and (p.kind, p.nominal) == was), None)
        name = STREAM_NAMES[stream]
        if tp is not None and tp.actual is not None:
            return f"{name} reading taken at {self._s.fmt(tp.actual)}"
        if tp is not None and tp.status == MISSED:
            return f"{tp_text(tp)} of {name} was missed (the next timepoint's window has opened)"
        return f"{name} reading no longer due"


def s_dose(session):
    return session.actions.initial_dose()


def _first_pending(points: list[Timepoint]) -> Timepoint | None:
    pending = [p for p in points if p.status in PENDING]
    if not pending:
        return None
    return min(pending, key=lambda p: (p.status != OVERDUE, p.nominal if p.nominal is not None else -math.inf))


def _due_words(tp: Timepoint, now: float) -> str:
    rep = "repeat " if tp.kind == "repeat" else ""
    if tp.nominal is None:
        return "baseline due before the dose"
    before = " (before the supplement)" if tp.kind == "supplement" else ""
    if tp.status == OVERDUE:
        return f"{rep}OVERDUE {_minutes(now - tp.nominal)}{before}"
    if tp.status == UPCOMING or (tp.status == DUE and now < tp.nominal):
        return f"{rep}due in {_minutes(tp.nominal - now)}{before}"
    return f"{rep}due now{before}"


def _minutes(seconds: float) -> str:
    m = int(math.ceil(max(seconds, 0) / 60.0))
    return f"{m} min" if m < 60 else hours_minutes(m * 60)
