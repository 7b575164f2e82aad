"""A recorded session through the alarm engine (monitor/core/alarm_engine.py), visiting only the
rows where something can happen.

Each visited row goes to the same row handler a live feed uses, so both produce the same log. The
rows skipped change no alarm's state (the handler is idempotent on a row whose levels equal the
previous row's), but they would have set a few things: when each stream was last seen, the newest
HR and shock index, an alarm's current value. Before each visited row, each control and at the
end, the run hands those to the engine as `SkippedRows` (`AlarmEngine.adopt`).
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from monitor.core.alarm_state import INF, OFF, PENDING, ROW_NAMES, SI_INDEX, LimitAlarm
from monitor.core.alarm_types import Control
from monitor.core.readings import VitalStore
from monitor.core.shock_index import shock_index_hr
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import ALL_SPECS, VITALS, artifact_flags


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
    deadlines: int

    def row(self, t: float, values: list[float]) -> None: ...

    def apply(self, c: Control) -> None: ...

    def adopt(self, rows: SkippedRows) -> None: ...

    def soonest_due(self) -> float: ...


def _prev_index(mask: np.ndarray) -> np.ndarray:
    """prev[i] = the last row < i where mask holds, or -1 (length n + 1). (32 bits where the rows
    fit: a replay keeps a dozen of these for the whole recording.)"""
    kind = np.int32 if len(mask) < 2**31 - 1 else np.int64
    idx = np.where(mask, np.arange(len(mask), dtype=kind), kind(-1))
    if len(idx):
        idx = np.maximum.accumulate(idx)
    return np.concatenate((np.array([-1], kind), idx))


class BatchRun:
    """Drives the engine's row handler over the rows of a store where something can happen.

    A row is visited when it can change some alarm: a level crossing that moves the alarm's
    effective level (given its current level and hysteresis), a pending or reminder deadline, an
    artifact starting or ending, the first row after a stream went silent and the row it resumed,
    a cuff reading beyond a limit, and the end of an audio pause. Each alarm's next such row is
    found by bisecting precomputed row lists, so the cost follows the number of transitions, not
    the number of readings.
    """

    def __init__(self, engine: Engine, store: VitalStore, controls: list[Control]):
        self.e = engine
        self.controls = controls
        self.si_window, self.hr_max_age = shock_index_hr(engine.th)
        t = self.t = store.t
        n = self.n = len(t)
        self.tl = t.tolist()
        self.cols = [store.column(name) for name in VITALS]
        flags = artifact_flags(dict(zip(VITALS, self.cols, strict=True)))
        present = [~np.isnan(c) for c in self.cols]
        bad = [flags[name] for name in VITALS]
        valid = [p & ~b for p, b in zip(present, bad, strict=True)]
        si = self._shock_index(valid)
        si_present = ~np.isnan(si)
        si_spec = ALL_SPECS[ROW_NAMES[SI_INDEX]]
        si_bad = si_present & ((si < si_spec.low) | (si > si_spec.high))
        self.values = self.cols + [si]
        present.append(si_present)
        bad.append(si_bad)
        valid.append(si_present & ~si_bad)
        self.valid = valid
        self.valid_rows = [np.flatnonzero(v) for v in valid]
        self.valid_prev = [_prev_index(v) for v in valid]
        self.hr_prev = self.valid_prev[0]
        self.hr_rows = self.valid_rows[0]  # (the valid HRs, for the shock index's lowest HR)
        self.hr_times, self.hr_values = t[self.hr_rows], self.cols[0][self.hr_rows]
        # Streams: rows with any of their vitals (artifacts count: the sensor is talking).
        self.stream_masks = []
        for s in engine.th.stale:
            mask = np.zeros(n, bool)
            for v in s.vitals:
                if v in ROW_NAMES:
                    mask |= present[ROW_NAMES.index(v)]
            self.stream_masks.append(mask)
        self.stream_prev = [_prev_index(m) for m in self.stream_masks]
        self.stream_rows = [np.flatnonzero(m) for m in self.stream_masks]
        self.afters = [s.after_s for s in engine.th.stale]
        self.static = self._static_rows(present, bad)
        self.alarm_pos = [ROW_NAMES.index(a.vital) for a in engine.limit_alarms]
        self.taken = n  # rows the engine has taken (a control sees only those before it)
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
        hr_vl = hr_v.tolist()
        for i, j0, j1 in zip(sbp_rows.tolist(), first.tolist(), upto.tolist(), strict=True):
            if j0 < j1:
                hv = min(hr_vl[j0:j1])
            elif j1 and t[i] - hr_t[j1 - 1] <= self.hr_max_age:
                hv = hr_vl[j1 - 1]
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

    def _static_rows(self, present: list[np.ndarray], bad: list[np.ndarray]) -> list[int]:
        """Rows that matter whatever the limits: artifact changes and stream gaps."""
        parts = [np.array([0], np.int64)] if self.n else []
        for p, b in zip(present, bad, strict=True):
            rows = np.flatnonzero(p)
            if len(rows):
                fb = b[rows]
                parts.append(rows[np.flatnonzero(np.diff(fb.astype(np.int8)) != 0) + 1])
                parts.append(rows[:1])
        for k, mask in enumerate(self.stream_masks):
            rows = np.flatnonzero(mask)
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
        """Per alarm and rank r: rows in [lo, hi) with raise level >= r, and with hold level < r."""
        self.levels = []
        self.lists: dict[tuple[int, str, int], list[int]] = {}
        for a, pos in zip(self.e.limit_alarms, self.alarm_pos, strict=True):
            rows = self.valid_rows[pos]
            # (sorted: a slice, so a short run over a long store costs only its own rows)
            rows = rows[np.searchsorted(rows, lo) : np.searchsorted(rows, hi)]
            self.levels.append((rows, *a.level_arrays(self.values[pos][rows])))

    def _rows(self, k: int, kind: str, rank: int) -> list[int]:
        """Rows of alarm k with raise level >= rank ("ge"), < rank ("rlt"), or hold level < rank
        ("lt"), built on
        first use: most alarms never leave level 0 and need only their "ge 1" list."""
        key = (k, kind, rank)
        lst = self.lists.get(key)
        if lst is None:
            rows, r, h = self.levels[k]
            pick = {"ge": r >= rank, "lt": h < rank, "rlt": r < rank, "hge": h >= rank}[kind]
            lst = self.lists[key] = rows[pick].tolist()
        return lst

    def _next_for(self, k: int, i: int, hi: int) -> int:
        """The next row after i (before hi) where alarm k can change, or hi: per rank, where the
        reading crosses what that rank's condition waits for (`LimitAlarm`). Deadlines in time
        (a delay that adds up, a clear time that passes) are the global rows' job."""
        a = self.e.limit_alarms[k]
        best = hi
        rows = self._rows
        for r in a.ranks:
            c = a.cond[r]
            kinds: tuple[str, ...]
            if c == OFF:
                kinds = ("ge",)
            elif c == PENDING:
                if a.run[r] != INF:
                    kinds = ("rlt",)  # beyond: until it is not
                elif a.clr[r] != INF:
                    kinds = ("hge",)  # back inside by the margin: until it is not
                else:
                    kinds = ("ge", "lt")
            else:
                kinds = ("hge",) if a.clr[r] != INF else ("lt",)
            for kind in kinds:
                lst = rows(k, kind, r)
                j = bisect_right(lst, i)
                if j < len(lst) and lst[j] < best:
                    best = lst[j]
        if a.delay == 0 and a.state != "normal":  # each reading beyond a limit is an event (cuff)
            lst = rows(k, "ge", 1)
            j = bisect_right(lst, i)
            if j < len(lst) and lst[j] < best:
                best = lst[j]
        return best

    def _skipped(self, i: int) -> SkippedRows:
        """What the skipped rows before row i would have set: last-seen times, the newest HR and
        shock index, and the current value of every alarm that is not normal. (Once per visited
        row: `item` takes each number out of its array without making a numpy scalar of it.)"""
        t = self.tl
        end = i >= self.hi  # where the run stops: what a store of only the rows before it gives
        last_seen = []
        for k, prev in enumerate(self.stream_prev):
            j = prev.item(i)
            if j >= 0:
                last_seen.append((k, t[j]))
        last_hr = hr_recent = None
        j = self.hr_prev.item(i)
        if j >= 0:
            last_hr = (t[j], self.cols[0].item(j))
            if self.si_window > 0 and (end or self.valid[1].item(i)):
                # The HR readings a shock index at row i takes its lowest from (row i's own HR
                # is added by the row handler).
                j1 = int(np.searchsorted(self.hr_rows, j, "right"))
                j0 = int(np.searchsorted(self.hr_times, (t[i - 1] if end else t[i]) - self.si_window, "right"))
                hr_recent = deque(zip(self.hr_times[j0:j1].tolist(), self.hr_values[j0:j1].tolist(), strict=True))
        j = self.valid_prev[SI_INDEX].item(i)
        last_si = (t[j], self.values[SI_INDEX].item(j)) if j >= 0 else None
        values = []
        for k, a in enumerate(self.e.limit_alarms):
            if a.state != "normal":
                pos = self.alarm_pos[k]
                j = self.valid_prev[pos].item(i)
                if j >= 0:
                    values.append((k, self.values[pos].item(j)))
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
        e, t = self.e, self.tl
        bounds: list[int] = []
        m, prev = self.applied, lo
        while m < len(self.controls):
            c = self.controls[m]
            b = max(min(c.seq, hi) if c.seq is not None else bisect_right(t, c.t, 0, hi), prev)
            if b >= hi and not final:
                break
            bounds.append(b)
            prev, m = b, m + 1
        controls = self.controls[self.applied : m]
        self.applied = m
        bounds.append(hi)
        static = self.static
        nalarms = len(e.limit_alarms)
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
                marks = e.deadlines
                e.row(t[i], [float(c[i]) for c in self.cols])
                if e.deadlines != marks:  # a new delay or clear time: it may fall due sooner
                    global_row = min(global_row, self._global_row(i, hi))
                    if global_row < hi:
                        heapq.heappush(heap, (global_row, -2))
                for pos, ks in enumerate(self.by_pos):
                    if ks and self.valid[pos][i]:
                        for kk in ks:
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
                self.taken = hi
                e.apply(controls[seg])
            lo = hi
        # Leave the engine as a live feed of every row would have: ready to take the next reading.
        e.adopt(self._skipped(self.hi))

    def _global_row(self, i: int, hi: int) -> int:
        """The first row after i where the audio pause ends, a reminder falls due or a limit
        alarm's delay or clear time runs out (or hi). Stale deadlines are static rows."""
        due = self.e.soonest_due()
        if due == INF:
            return hi
        return min(max(bisect_left(self.tl, due), i + 1), hi)
