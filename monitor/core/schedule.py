"""Where a session stands against its measurement schedule: each protocol timepoint, the reading
that fulfilled it (on time or late), or whether it is upcoming, due, overdue or missed.

Pure: it takes the stream's reading times (and which of them were over a limit, and which may
start a repeat), the dose times and the event time `now`, so the bedside, a headless run, a
replay, the report and the exports all judge a session the same way.

Timepoints of one stream:
- baseline: one reading at most `baseline_window` before the initial dose (before the dose is
  keyed in: due, or taken by a reading in the last `baseline_window`);
- scheduled: at each offset of the phases after the dose; fulfilled on time by the reading nearest
  the timepoint within `tolerance`, late by the first reading after that and before the next
  timepoint's window opens, missed when none came by then;
- before the supplement: one reading from the supplement window's opening (less the tolerance)
  until the supplemental dose is given (or the window closes); it may share its reading with a
  scheduled timepoint;
- repeat: `repeat` after a reading over a limit, fulfilled by the next reading (on time within
  the tolerance), and again after that one while it is over a limit.
Overdue: not taken `grace` after its time (the bedside raises a low technical alarm for it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.core.protocol import Schedule, StreamSchedule

ON_TIME, LATE, MISSED = "on time", "late", "missed"
UPCOMING, DUE, OVERDUE = "upcoming", "due", "overdue"
TAKEN = (ON_TIME, LATE)
PENDING = (UPCOMING, DUE, OVERDUE)


@dataclass(frozen=True)
class Timepoint:
    stream: str
    kind: str  # "baseline" | "scheduled" | "supplement" | "repeat"
    label: str  # "PRE-DOSE", "+0h15", "PRE-SUPPLEMENT", "REPEAT"
    number: float  # orders the timepoints of a session (VSTPTNUM): 0 baseline, then by offset
    nominal: float | None  # event time it is due at; None: the baseline before the dose is known
    offset_s: float | None  # from the initial dose
    status: str
    actual: float | None = None  # time of the reading that fulfilled it
    index: int | None = None  # that reading's index in the stream's arrays
    after: float | None = None  # a repeat: the time of the reading over a limit that asked for it


@dataclass(frozen=True)
class StreamReadings:
    """One stream's readings: times in order, which were over a limit, which may ask for a repeat
    (a typed reading, or one of an intermittent vital: not every sample of a continuous stream)."""

    t: np.ndarray
    over: np.ndarray
    repeatable: np.ndarray

    @staticmethod
    def empty() -> StreamReadings:
        return StreamReadings(np.empty(0), np.zeros(0, bool), np.zeros(0, bool))


def offset_label(offset_s: float) -> str:
    m = int(round(offset_s / 60.0))
    return f"+{m // 60}h{m % 60:02d}"


def _pending(now: float, opens: float, nominal: float, grace: float) -> str:
    if now < opens:
        return UPCOMING
    return DUE if now <= nominal + grace else OVERDUE


def stream_timepoints(
    schedule: Schedule,
    ss: StreamSchedule,
    r: StreamReadings,
    now: float,
    dose_t: float | None,
    supplement_t: float | None = None,
    supplement_window: tuple[float, float] | None = None,
    ended: bool = False,
) -> list[Timepoint]:
    """The stream's timepoints in time order with their status at `now`. `ended`: the session is
    over, so a timepoint still pending is missed."""
    t = r.t
    tol, grace = schedule.tolerance_s, schedule.grace_s
    out: list[Timepoint] = []

    def finish(status: str) -> str:
        return MISSED if ended and status in PENDING else status

    # -- baseline ------------------------------------------------------------------------------
    if ss.baseline:
        if dose_t is None:
            lo = int(np.searchsorted(t, now - schedule.baseline_window_s, "left"))
            hi = int(np.searchsorted(t, now, "right"))
            if hi > lo:
                out.append(
                    Timepoint(ss.stream, "baseline", "PRE-DOSE", 0, None, None, ON_TIME, float(t[hi - 1]), hi - 1)
                )
            else:
                out.append(Timepoint(ss.stream, "baseline", "PRE-DOSE", 0, None, None, finish(DUE)))
        else:
            lo = int(np.searchsorted(t, dose_t - schedule.baseline_window_s, "left"))
            hi = int(np.searchsorted(t, dose_t, "right"))
            if hi > lo:
                out.append(
                    Timepoint(ss.stream, "baseline", "PRE-DOSE", 0, dose_t, 0.0, ON_TIME, float(t[hi - 1]), hi - 1)
                )
            else:
                out.append(Timepoint(ss.stream, "baseline", "PRE-DOSE", 0, dose_t, 0.0, MISSED))
    if dose_t is None:
        out.extend(_repeats(schedule, ss, r, now, None, ended))
        return out

    # -- scheduled -----------------------------------------------------------------------------
    offsets = ss.nominal_offsets()
    last_used = -math.inf
    for k, off in enumerate(offsets):
        nominal = dose_t + off
        opens, closes = nominal - tol, nominal + tol
        gap = (offsets[k + 1] - off) if k + 1 < len(offsets) else (off - offsets[k - 1] if k else off)
        late_until = nominal + gap - tol
        lo = int(np.searchsorted(t, max(opens, last_used), "right" if last_used >= opens else "left"))
        hi = int(np.searchsorted(t, closes, "right"))
        label = offset_label(off)
        if hi > lo:
            j = int(np.searchsorted(t, nominal, "left"))
            cands = [i for i in (j - 1, j) if lo <= i < hi]
            i = min(cands, key=lambda i: abs(t[i] - nominal)) if cands else lo
            last_used = float(t[i])
            out.append(Timepoint(ss.stream, "scheduled", label, off, nominal, off, ON_TIME, last_used, i))
            continue
        if now <= closes:
            out.append(
                Timepoint(
                    ss.stream, "scheduled", label, off, nominal, off, finish(_pending(now, opens, nominal, grace))
                )
            )
            continue
        lo2 = int(np.searchsorted(t, max(closes, last_used), "right"))
        hi2 = int(np.searchsorted(t, late_until, "left"))
        if hi2 > lo2:
            last_used = float(t[lo2])
            out.append(Timepoint(ss.stream, "scheduled", label, off, nominal, off, LATE, last_used, lo2))
        elif now < late_until:
            status = finish(_pending(now, opens, nominal, grace))  # overdue only once the grace is past
            out.append(Timepoint(ss.stream, "scheduled", label, off, nominal, off, status))
        else:
            out.append(Timepoint(ss.stream, "scheduled", label, off, nominal, off, MISSED))

    # -- before the supplement -----------------------------------------------------------------
    if ss.before_supplement and supplement_window is not None:
        start_s, end_s = supplement_window
        nominal = dose_t + start_s
        closes = supplement_t if supplement_t is not None else dose_t + end_s
        opens = min(nominal, closes) - tol
        lo = int(np.searchsorted(t, opens, "left"))
        hi = int(np.searchsorted(t, closes, "right"))
        num = start_s - 0.5  # just before the scheduled timepoint at the window's opening
        if hi > lo:
            tp = Timepoint(
                ss.stream, "supplement", "PRE-SUPPLEMENT", num, nominal, start_s, ON_TIME, float(t[hi - 1]), hi - 1
            )
        elif supplement_t is not None or now > closes:
            tp = Timepoint(ss.stream, "supplement", "PRE-SUPPLEMENT", num, nominal, start_s, MISSED)
        else:
            status = finish(_pending(now, opens, nominal, grace))
            tp = Timepoint(ss.stream, "supplement", "PRE-SUPPLEMENT", num, nominal, start_s, status)
        out.append(tp)

    out.extend(_repeats(schedule, ss, r, now, dose_t, ended))
    out.sort(key=lambda p: (p.nominal if p.nominal is not None else -math.inf, p.number))
    return out


def _repeats(
    schedule: Schedule, ss: StreamSchedule, r: StreamReadings, now: float, dose_t: float | None, ended: bool
) -> list[Timepoint]:
    if not ss.repeat_over_limit or not len(r.t):
        return []
    tol, grace, every = schedule.tolerance_s, schedule.grace_s, schedule.repeat_s
    out: list[Timepoint] = []
    due: float | None = None
    src = -math.inf
    for i in np.flatnonzero(r.repeatable):
        ti = float(r.t[i])
        if due is not None and ti > src:
            status = ON_TIME if ti <= due + tol else LATE
            out.append(_repeat_tp(ss.stream, due, dose_t, status, src, ti, int(i)))
            due = None
        if r.over[i]:
            due, src = ti + every, ti
    if due is not None:
        status = _pending(now, due - tol, due, grace)
        out.append(_repeat_tp(ss.stream, due, dose_t, MISSED if ended else status, src))
    return out


def _repeat_tp(
    stream: str, due: float, dose_t: float | None, status: str, after: float, actual=None, index=None
) -> Timepoint:
    off = due - dose_t if dose_t is not None else None
    return Timepoint(
        stream, "repeat", "REPEAT", off if off is not None else -1.0, due, off, status, actual, index, after
    )


def next_due(points: list[Timepoint]) -> Timepoint | None:
    """The first timepoint still to be taken: the most urgent of those pending (overdue first)."""
    pending = [p for p in points if p.status in PENDING]
    if not pending:
        return None
    return min(pending, key=lambda p: p.nominal if p.nominal is not None else -math.inf)


@dataclass(frozen=True)
class Compliance:
    on_time: int
    late: int
    missed: int
    pending: int

    @property
    def due_so_far(self) -> int:
        return self.on_time + self.late + self.missed

    def text(self) -> str:
        total = self.due_so_far
        pct = f" ({100.0 * self.on_time / total:.0f} % on time)" if total else ""
        more = f"; {self.pending} still to come" if self.pending else ""
        return f"{self.on_time} of {total} timepoints taken on time, {self.late} late, {self.missed} missed{pct}{more}"


def compliance(points: list[Timepoint]) -> Compliance:
    return Compliance(
        sum(p.status == ON_TIME for p in points),
        sum(p.status == LATE for p in points),
        sum(p.status == MISSED for p in points),
        sum(p.status in PENDING for p in points),
    )
