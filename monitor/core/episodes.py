"""Alarm episodes: an alarm from active until cleared, which is what a clinician means by "an alarm".

One reading of the alarm log for everyone who counts or draws alarms: the `alarms` summary
(counts by priority, time in alarm), `alarms --diff` and replay (episodes matched across two logs),
and the report (counts per vital, the shaded periods of the chart).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

from monitor.core.alarm_types import AlarmEvent
from monitor.core.priority import PRIORITIES, rank_of
from monitor.core.thresholds import Thresholds

Segment = tuple[float, float, str]


@dataclass(frozen=True)
class Episode:
    alarm: str
    vital: str
    start: float
    end: float  # the clear, or the end of the recording for an alarm still on then
    priority: str  # the highest priority reached
    latched_at: float | None  # last latch: the condition had ended; the alarm was held until acknowledged
    # (start, end, "low" | "medium" | "high" | "held"): the priority in force through the episode,
    # following escalations and de-escalations in the log.
    segments: tuple[Segment, ...] = ()


def _spans(log: list[AlarmEvent], end: float | None) -> list[tuple[str, float, float, str]]:
    """(alarm, start, end, highest priority) of every episode, in the order the episodes ended
    (cleared ones in log order, then those still on at `end`)."""
    open_: dict[str, list] = {}
    out: list[tuple[str, float, float, str]] = []
    for e in log:
        if e.state == "active":
            if e.alarm not in open_:  # a latched alarm coming back is the same episode
                open_[e.alarm] = [e.t, e.priority]
        elif e.alarm in open_ and e.state == "escalated":
            if rank_of(e.priority) > rank_of(open_[e.alarm][1]):
                open_[e.alarm][1] = e.priority
        elif e.state == "cleared" and e.alarm in open_:
            t0, pr = open_.pop(e.alarm)
            out.append((e.alarm, t0, e.t, pr))
    for alarm, (t0, pr) in open_.items():
        out.append((alarm, t0, max(end, t0) if end is not None else t0, pr))  # still on at the end
    return out


class _Segments:
    """The priority in force through one episode, as (start, end, priority) stretches."""

    def __init__(self, start: float) -> None:
        self.segs: list[Segment] = []
        self.cur: str | None = None
        self.since = start

    def switch(self, t: float, new: str | None) -> None:
        if new == self.cur:
            return
        if self.cur is not None and t > self.since:
            self.segs.append((self.since, t, self.cur))
        self.cur, self.since = new, t

    def close(self, end: float) -> list[Segment]:
        if self.cur is not None and end > self.since:
            self.segs.append((self.since, end, self.cur))
        return self.segs


def episodes(log: list[AlarmEvent], end: float | None) -> list[Episode]:
    """Every episode of the log in time order (by start, then alarm name); `end` closes those still on.

    A latch counts as held until the next logged transition of that alarm: the engine logs a held
    high alarm's condition coming back ("alarming again") once it has lasted the alarm's delay, as
    it would any new alarm, so a touch of the limit shorter than the delay leaves it held here too."""
    vital_of = {e.alarm: e.vital for e in log}
    by_alarm: dict[str, list[AlarmEvent]] = defaultdict(list)
    for e in log:
        by_alarm[e.alarm].append(e)
    times = {alarm: [e.t for e in events] for alarm, events in by_alarm.items()}
    out = []
    for alarm, a, b, pr in _spans(log, end):
        events = by_alarm[alarm]
        inside = events[bisect.bisect_left(times[alarm], a) : bisect.bisect_right(times[alarm], b)]
        last = next((e.t for e in reversed(inside) if e.state == "latched"), None)
        track = _Segments(a)
        for e in inside:
            if e.state in ("active", "escalated", "de-escalated") and e.priority in PRIORITIES:
                track.switch(e.t, e.priority)
            elif e.state == "latched":
                track.switch(e.t, "held")
        segs = track.close(b)
        if not segs and pr in PRIORITIES:
            segs = [(a, b, pr)]
        out.append(Episode(alarm, vital_of.get(alarm, ""), a, b, pr, last, tuple(segs)))
    out.sort(key=lambda e: (e.start, e.alarm))
    return out


def alarm_vitals(name: str, vital: str, th: Thresholds) -> tuple[str, ...]:
    """The vitals an alarm belongs to: 'bp.stale' -> sbp, dbp, map; 'hr.upper' -> hr."""
    streams = {s.stream: tuple(s.vitals) for s in th.stale}
    if name.endswith(".stale") and vital in streams:
        return streams[vital]
    return (vital,) if vital else ()


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, cur_a, cur_b = 0.0, 0.0, None
    for a, b in sorted(intervals):
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    return total + (cur_b - cur_a if cur_b is not None else 0.0)


def time_in_alarm(log: list[AlarmEvent], end: float | None) -> dict[str, float]:
    """Per vital: seconds during which any of its limit alarms was on (overlaps counted once).
    Vitals come in the order their first episode ended, so that equal times keep a stable order."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for alarm, a, b, _ in _spans(log, end):
        vital, kind = alarm.split(".", 1)
        if kind in ("upper", "lower"):
            spans[vital].append((a, b))
    return {v: _union_length(iv) for v, iv in spans.items()}
