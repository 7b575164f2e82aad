"""A recorded session through the alarm engine (monitor/core/alarm_engine.py), visiting only the
rows where something can happen.

Each visited row goes to the same row handler a live feed uses, so both produce the same log. The
rows skipped change no alarm's state, but they would have set a few things: when each stream was
last seen, the newest HR and shock index, an alarm's current value, and the bookkeeping of a
condition being confirmed or cleared (time beyond a limit so far, since when back inside). Before
each visited row, each control and at the end, the run hands the first ones to the engine as
`SkippedRows` (`AlarmEngine.adopt`) and brings the bookkeeping up to date (`_catch_up`).
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from monitor.core.alarm_state import INF, ROW_NAMES, SI_INDEX, LimitAlarm
from monitor.core.alarm_types import Control
from monitor.core.condition_rows import AlarmReadings
from monitor.core.readings import VitalStore
from monitor.core.shock_index import shock_index_hr
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import ALL_SPECS, VITALS


@dataclass(slots=True)
class SkippedRows:
    """What the rows a batch run skipped before some row would have set, had each been fed."""

    last_seen: list[tuple[int, float]]  # (stale rule, its stream's newest reading) for streams seen
    last_hr: tuple[float, float] | None  # (time, value) of the newest valid HR
    hr_recent: deque[tuple[float, float]] | None  # the HRs a shock index at the row takes its lowest from
    last_si: tuple[float, float] | None  # the newest plausible shock index
    values: list[tuple[int, float]]  # (limit alarm, its newest valid value) for alarms not normal


class Engine(Protocol):
    """What a batch run needs of the engine it drives (named here: the engine imports this module)."""

    th: Thresholds
    limit_alarms: list[LimitAlarm]

    def row(self, t: float, values: list[float]) -> None: ...

    def apply(self, c: Control) -> None: ...

    def adopt(self, rows: SkippedRows) -> None: ...

    def soonest_due(self) -> float: ...

    def due_by(self, when: float) -> None: ...


def _last_before(rows: np.ndarray, i: int) -> int:
    """The last of the sorted `rows` before row i, or -1."""
    k = int(rows.searchsorted(i)) - 1
    return int(rows[k]) if k >= 0 else -1


class BatchRun:
    """Drives the engine's row handler over the rows of a store where something can happen.

    A row is visited when it can change some alarm: a reading that turns a condition pending or
    off, the first row at or after a moment when a condition's delay adds up or its clear time
    passes (monitor/core/condition_rows.py: the readings between only move bookkeeping, which is
    brought up to date before the engine sees any row), a reminder or the end of an audio pause,
    an artifact starting or ending, the first row after a stream went silent and the row it
    resumed, and a cuff reading beyond a limit. The cost follows the number of transitions, not
    the number of readings, even when a value stays within noise of a limit for hours.
    """

    def __init__(self, engine: Engine, store: VitalStore, controls: list[Control]):
        self.e = engine
        self.controls = controls
        self.si_window, self.hr_max_age = shock_index_hr(engine.th)
        t = self.t = store.t
        n = self.n = len(t)
        self.cols = [store.column(name) for name in VITALS]
        # A vital the store never had a value of: no rows, and no arrays of n falses made for it.
        none = np.broadcast_to(False, n)
        present = [~np.isnan(c) if store.holds(name) else none for name, c in zip(VITALS, self.cols, strict=True)]
        bad = [store.artifacts(name) for name in VITALS]  # (the store flagged them as they came)
        valid = [p if p is none else p & ~b for p, b in zip(present, bad, strict=True)]
        si = self._shock_index(valid)
        si_present = ~np.isnan(si)
        si_spec = ALL_SPECS[ROW_NAMES[SI_INDEX]]
        si_bad = si_present & ((si < si_spec.low) | (si > si_spec.high))
        self.values = self.cols + [si]
        present.append(si_present)
        bad.append(si_bad)
        valid.append(si_present & ~si_bad)
        self.valid = valid
        no_rows = np.empty(0, np.int64)
        present_rows = [no_rows if p is none else np.flatnonzero(p) for p in present]
        self.valid_rows = [
            r if p is v else np.flatnonzero(v) for r, p, v in zip(present_rows, present, valid, strict=True)
        ]
        self.hr_rows = self.valid_rows[0]  # (the valid HRs, for the shock index's lowest HR)
        self.hr_times, self.hr_values = t[self.hr_rows], self.cols[0][self.hr_rows]
        # Streams: rows with any of their vitals (artifacts count: the sensor is talking).
        self.stream_rows = []
        for s in engine.th.stale:
            parts = [present_rows[ROW_NAMES.index(v)] for v in s.vitals if v in ROW_NAMES]
            parts = [rows for rows in parts if len(rows)]
            self.stream_rows.append(parts[0] if len(parts) == 1 else np.unique(np.concatenate([no_rows, *parts])))
        self.afters = [s.after_s for s in engine.th.stale]
        self.static = self._static_rows(present_rows, bad)
        self.alarm_pos = [ROW_NAMES.index(a.vital) for a in engine.limit_alarms]
        self.taken = n  # rows the engine has taken (a control sees only those before it)
        self.seen = 0  # the rows before this one, the engine has had all they set
        self.hi = n  # the row the current run stops before
        self.applied = 0  # controls applied (a run may stop part way and go on: a checkpoint)
        self.by_pos = [[k for k, p in enumerate(self.alarm_pos) if p == pos] for pos in range(len(ROW_NAMES))]

    def _shock_index(self, valid: list[np.ndarray]) -> np.ndarray:
        """The shock index per row exactly as the row handler derives it (`RecentHR.at`)."""
        t, n = self.t, self.n
        si = np.full(n, np.nan)
        sbp_rows = np.flatnonzero(valid[1])
        if not len(sbp_rows):
            return si
        hr_rows = np.flatnonzero(valid[0])
        hr_t, hr_v = t[hr_rows], self.cols[0][hr_rows]
        upto = np.searchsorted(hr_rows, sbp_rows, "right")  # valid HR rows <= the cuff row
        if self.si_window > 0:
            first = np.searchsorted(hr_t, t[sbp_rows] - self.si_window, "right")
        else:
            first = upto
        sbp = self.cols[1]
        for i, j0, j1 in zip(sbp_rows.tolist(), first.tolist(), upto.tolist(), strict=True):
            if j0 < j1:
                hv = hr_v[j0:j1].min()
            elif j1 and t[i] - hr_t[j1 - 1] <= self.hr_max_age:
                hv = hr_v[j1 - 1]
            else:
                continue
            si[i] = hv / sbp[i]
        return si

    def history(self, vital: str, t0: float, t1: float) -> np.ndarray:
        """The valid readings of `vital` in [t0, t1] the engine has taken (for a dose's baseline)."""
        i = int(np.searchsorted(self.t, t0, "left"))
        # Only the readings the engine had taken when the dose came (later rows may be older than
        # the dose: a bridge that stalled).
        j = min(int(np.searchsorted(self.t, t1, "right")), self.taken, self.hi)
        pos = ROW_NAMES.index(vital)
        return self.values[pos][i:j][self.valid[pos][i:j]]

    def readings_since(self, vital: str, t0: float) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of the valid readings of `vital` from `t0` on, up to where the run stops."""
        pos = ROW_NAMES.index(vital)
        i, j = int(np.searchsorted(self.t, t0, "left")), self.hi
        ok = self.valid[pos][i:j]
        return self.t[i:j][ok], self.values[pos][i:j][ok]

    def _static_rows(self, present_rows: list[np.ndarray], bad: list[np.ndarray]) -> list[int]:
        """Rows that matter whatever the limits: artifact changes and stream gaps."""
        parts = [np.array([0], np.int64)] if self.n else []
        for rows, b in zip(present_rows, bad, strict=True):
            if len(rows):
                fb = b[rows]
                parts.append(rows[np.flatnonzero(np.diff(fb.astype(np.int8)) != 0) + 1])
                parts.append(rows[:1])
        for k, rows in enumerate(self.stream_rows):
            if not len(rows):
                continue
            after = self.afters[k]
            ts = self.t[rows]
            gap = np.flatnonzero(np.append(ts[1:], np.inf) - ts > after)
            first = np.searchsorted(self.t, ts[gap] + after, "right")
            parts.append(first[first < self.n])
            nxt = gap + 1
            parts.append(rows[nxt[nxt < len(rows)]])
        return np.unique(np.concatenate(parts)).tolist() if parts else []

    def _level_rows(self, lo: int, hi: int) -> None:
        """Each alarm's valid readings in rows [lo, hi) with their levels (a new stretch: the
        limits may have changed at the control before it)."""
        self.readings = []
        for a, pos in zip(self.e.limit_alarms, self.alarm_pos, strict=True):
            rows = self.valid_rows[pos]
            # (sorted: a slice, so a short run over a long store costs only its own rows)
            rows = rows[np.searchsorted(rows, lo) : np.searchsorted(rows, hi)]
            self.readings.append(AlarmReadings(a, rows, self.t[rows], self.values[pos][rows]))
        # The newest reading each alarm's conditions have taken (a stretch starts in step).
        self.anchor = [-1] * len(self.readings)

    def _next_for(self, k: int, i: int, hi: int) -> int:
        """The first row after i (before hi) where alarm k can change: where a reading changes
        one of its conditions, where a deadline of one falls due (condition_rows.py), or, for a
        cuff alarm that is sounding, its next reading beyond a limit (each one is an event)."""
        a = self.e.limit_alarms[k]
        ar = self.readings[k]
        if not ar.m and not a.pend:
            return hi  # all off, and no reading of its vital here to turn one on
        anchor = self.anchor[k] if a.pend else ar.upto(i)
        first, when = ar.next_change(anchor)
        if a.delay == 0 and a.state != "normal":
            first = min(first, ar.runs("beyond", 1).first_true_after(anchor))
        best = ar.row(first) if first < ar.m else hi
        if when < INF:
            best = min(best, max(self.row_at(when, hi), i + 1))
        return min(best, hi)

    def _catch_up(self, i: int) -> None:
        """Bring every alarm whose conditions are not all off up to the readings before row i
        (those rows were skipped: they changed no condition), and tell the engine of the
        deadlines that now stand."""
        e = self.e
        for k, a in enumerate(e.limit_alarms):
            if not a.pend:
                continue
            ar = self.readings[k]
            b = ar.before(i)
            if b > self.anchor[k]:
                ar.catch_up(self.anchor[k], b)
                self.anchor[k] = b
            e.due_by(a.next_deadline()[0])

    def _skipped(self, i: int) -> SkippedRows:
        """What the skipped rows before row i would have set, and the engine has not had yet:
        last-seen times, the newest HR and shock index, and the current value of every alarm that
        is not normal; and the HRs a shock index at row i takes its lowest from."""
        t = self.t
        seen = self.seen
        end = i >= self.hi  # where the run stops: what a store of only the rows before it gives
        last_seen: list[tuple[int, float]] = []
        values: list[tuple[int, float]] = []
        last_hr = hr_recent = last_si = None
        j = _last_before(self.hr_rows, i)
        if j >= 0 and self.si_window > 0 and (end or self.valid[1].item(i)):
            # (row i's own HR is added by the row handler)
            j1 = int(np.searchsorted(self.hr_rows, j, "right"))
            j0 = int(np.searchsorted(self.hr_times, t.item(i - 1 if end else i) - self.si_window, "right"))
            hr_recent = deque(zip(self.hr_times[j0:j1].tolist(), self.hr_values[j0:j1].tolist(), strict=True))
        if i <= seen:  # no row skipped since the engine's last
            return SkippedRows(last_seen, last_hr, hr_recent, last_si, values)
        if j >= seen:
            last_hr = (t.item(j), self.cols[0].item(j))
        for k, rows in enumerate(self.stream_rows):
            if len(rows):
                j = _last_before(rows, i)
                if j >= seen:
                    last_seen.append((k, t.item(j)))
        j = _last_before(self.valid_rows[SI_INDEX], i)
        if j >= seen:
            last_si = (t.item(j), self.values[SI_INDEX].item(j))
        newest: dict[int, int] = {}
        for k, a in enumerate(self.e.limit_alarms):
            if a.state != "normal":
                pos = self.alarm_pos[k]
                j = newest.get(pos, -2)
                if j == -2:
                    j = newest[pos] = _last_before(self.valid_rows[pos], i)
                if j >= seen:
                    values.append((k, self.values[pos].item(j)))
        self.seen = i
        return SkippedRows(last_seen, last_hr, hr_recent, last_si, values)

    def on(self, engine: Engine, controls: list[Control]) -> BatchRun:
        """This store's arrays driving another engine (with the same limits) from a checkpoint:
        `controls` (in engine order) are those the engine has not applied yet."""
        run = copy.copy(self)
        run.e, run.controls, run.applied = engine, controls, 0
        return run

    def run(self, lo: int = 0, hi: int | None = None, final: bool = True) -> None:
        """Rows [lo, hi) (the engine has taken those before lo) and the controls that fall among
        them: a control is applied before the first row its `seq` or time puts after it. A run
        that is not `final` stops there to be carried on (a checkpoint), leaving a control due
        just at hi for the next run; a final one applies every control left (as after the rows)."""
        hi = self.n if hi is None else hi
        self.hi = self.taken = hi
        e, t = self.e, self.t
        self.seen = lo
        bounds: list[int] = []
        m, prev = self.applied, lo
        while m < len(self.controls):
            c = self.controls[m]
            b = max(min(c.seq, hi) if c.seq is not None else self.row_after(c.t, hi), prev)
            if b >= hi and not final:
                break
            bounds.append(b)
            prev, m = b, m + 1
        controls = self.controls[self.applied : m]
        self.applied = m
        bounds.append(hi)
        static = self.static
        alarms, alarm_pos = e.limit_alarms, self.alarm_pos
        nalarms = len(alarms)
        for seg, hi in enumerate(bounds):
            self._level_rows(lo, hi)
            nxt = [self._next_for(k, lo - 1, hi) for k in range(nalarms)]
            heap = [(r, k) for k, r in enumerate(nxt) if r < hi]
            s0, s1 = bisect_left(static, lo), bisect_left(static, hi)
            heap += [(r, -1) for r in static[s0:s1]]
            if seg or lo:
                # After a control, a stream's next reading may end a "no data" the control's tick
                # raised although the readings themselves show no gap (they came late). (After a
                # checkpoint too: a control may have come just before it.)
                for rows in self.stream_rows:
                    j = int(np.searchsorted(rows, lo, "left"))
                    if j < len(rows) and rows[j] < hi:
                        heap.append((int(rows[j]), -1))
            # Pause ends and reminders move only when they fire (or a control sets them), so the
            # next one is looked up again only once its row has been passed.
            global_row = self._global_row(lo - 1, hi)
            if global_row < hi:
                heap.append((global_row, -2))
            heapq.heapify(heap)
            done = lo - 1
            while heap:
                i, k = heapq.heappop(heap)
                if k >= 0 and nxt[k] != i:
                    continue  # superseded
                if i <= done:
                    continue
                done = i
                e.adopt(self._skipped(i))
                self._catch_up(i)
                pend = [a.pend for a in alarms]
                e.row(t.item(i), [c.item(i) for c in self.cols])
                self.seen = i + 1
                for kk, a in enumerate(alarms):
                    if self.valid[alarm_pos[kk]][i]:
                        self.anchor[kk] = self.readings[kk].upto(i)
                        if nxt[kk] > i and not (a.pend or pend[kk]):
                            continue  # all its conditions off, before and after: its next row stands
                    elif not (a.pend or pend[kk]):
                        continue
                    r = self._next_for(kk, i, hi)
                    if r != nxt[kk]:
                        nxt[kk] = r
                        if r < hi:
                            heapq.heappush(heap, (r, kk))
                if i >= global_row:
                    global_row = self._global_row(i, hi)
                    if global_row < hi:
                        heapq.heappush(heap, (global_row, -2))
            if seg < len(controls):
                e.adopt(self._skipped(hi))
                self._catch_up(hi)
                self.taken = hi
                e.apply(controls[seg])
            lo = hi
        # Leave the engine as a live feed of every row would have: ready to take the next reading.
        e.adopt(self._skipped(self.hi))
        self._catch_up(self.hi)

    def _global_row(self, i: int, hi: int) -> int:
        """The first row after i where the audio pause ends or a reminder falls due (or hi).
        Stale deadlines are static rows; a limit alarm's delay and clear time are its own."""
        due = self.e.soonest_due()
        if due == INF:
            return hi
        return min(max(self.row_at(due, hi), i + 1), hi)

    def row_at(self, when: float, hi: int) -> int:
        """The first row (before hi) at `when` or later (hi: none)."""
        return int(self.t[:hi].searchsorted(when))

    def row_after(self, when: float, hi: int) -> int:
        """The first row (before hi) after `when` (hi: none)."""
        return int(self.t[:hi].searchsorted(when, "right"))
