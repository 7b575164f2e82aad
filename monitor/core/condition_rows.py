"""Where a limit alarm's conditions (monitor/core/alarm_state.py) next change, and where their
bookkeeping stands at a given reading, from the arrays of the alarm's readings in one stretch of a
batch run (monitor/core/alarm_batch.py), without feeding each reading.

While no condition changes, a reading moves only a rank's bookkeeping: the start of the current
stretch beyond the limit and the time beyond added up so far (a pending rank), and since when the
value is back inside by the margin (any rank that is not off). Those follow from the readings
alone. So a batch run visits only the rows where a condition changes (a rank turns pending, its
time beyond adds up to the delay, its clear time passes: `next_change`), and before it hands any
row to the engine it brings the bookkeeping up to date (`catch_up`). Both repeat the arithmetic of
`LimitAlarm.take` and `fall_due` operation for operation, in the same order, so the times they give
are the same floating-point numbers a reading-by-reading run gives.

Readings are numbered 0..m-1 within the stretch; an "anchor" is the number of the newest reading
the alarm's state already reflects (-1: none of this stretch's).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from monitor.core.alarm_state import INF, OFF, PENDING, LimitAlarm

_CHUNK = 64  # stretches beyond a limit looked at a time when adding up to a delay


class Runs:
    """The runs of consecutive readings where a condition holds: [start, end) by reading number
    (end = m when the run lasts to the end of the stretch), with their start and end times."""

    __slots__ = ("mask", "starts", "ends", "t_start", "t_end", "_long")

    def __init__(self, mask: np.ndarray, tv: np.ndarray) -> None:
        self.mask = mask
        edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        self.starts: list[int] = starts.tolist()
        self.ends: list[int] = ends.tolist()
        self.t_start = tv[starts]
        self.t_end = np.append(tv, INF)[ends]  # INF: still holding at the end of the stretch
        self._long: tuple[float, list[int], list[float]] | None = None

    def lasting(self, clear: float) -> tuple[list[int], list[float]]:
        """The runs that last the clear time (by number) and when each one's clear time passes."""
        if self._long is None or self._long[0] != clear:
            due_at = self.t_start + clear
            hit = np.flatnonzero(self.t_end >= due_at)
            self._long = (clear, hit.tolist(), due_at[hit].tolist())
        return self._long[1], self._long[2]

    def first_true_after(self, a: int) -> int:
        """The first reading after `a` where the condition holds (m: none)."""
        k = a + 1
        if k < len(self.mask) and self.mask[k]:
            return k
        q = bisect_right(self.starts, a)
        return self.starts[q] if q < len(self.starts) else len(self.mask)

    def first_false_after(self, a: int) -> int:
        """The first reading after `a` where the condition does not hold (m: none)."""
        k = a + 1
        if k >= len(self.mask) or not self.mask[k]:
            return k
        q = bisect_right(self.starts, k) - 1
        return self.ends[q]

    def last_false_in(self, a: int, b: int) -> int:
        """The last reading in (a, b] where the condition does not hold (-2: none)."""
        if not self.mask[b]:
            return b
        s = self.starts[bisect_right(self.starts, b) - 1]
        return s - 1 if s - 1 > a else -2


class AlarmReadings:
    """One limit alarm's valid readings in a stretch of rows: their rows, times and values."""

    __slots__ = ("alarm", "rows", "tv", "values", "m", "_runs")

    def __init__(self, alarm: LimitAlarm, rows: np.ndarray, tv: np.ndarray, values: np.ndarray):
        self.alarm = alarm
        self.rows, self.tv, self.values = rows, tv, values
        self.m = len(rows)
        self._runs: dict[tuple[str, int], Runs] = {}

    def upto(self, i: int) -> int:
        """The number of the newest reading at row i or before (-1: none)."""
        return int(self.rows.searchsorted(i, "right")) - 1

    def before(self, i: int) -> int:
        """The number of the newest reading before row i (-1: none)."""
        return int(self.rows.searchsorted(i)) - 1

    def row(self, k: int) -> int:
        return int(self.rows[k])

    def runs(self, kind: str, r: int) -> Runs:
        """Runs beyond rank r's limit ("beyond": raise level >= r) or back inside it by the margin
        ("inside": hold level < r); built on first use."""
        key = (kind, r)
        runs = self._runs.get(key)
        if runs is None:
            a = self.alarm
            mask = a.beyond_mask(self.values, r) if kind == "beyond" else a.inside_mask(self.values, r)
            runs = self._runs[key] = Runs(mask, self.tv)
        return runs

    # -- bringing the bookkeeping up to date -------------------------------------------------

    def catch_up(self, a: int, b: int) -> None:
        """Readings (a, b] moved no condition: set each rank's bookkeeping to what taking them
        one by one would have left (`LimitAlarm.take`)."""
        al = self.alarm
        tl = self.tv
        for r in al.ranks:
            c = al.cond[r]
            if c == OFF:
                continue
            if al.clear > 0:  # (with no clear time an inside reading turns the rank off: visited)
                inside = self.runs("inside", r)
                j = inside.last_false_in(a, b)
                if j == b:
                    al.clr[r] = INF
                elif j >= 0:
                    al.clr[r] = tl.item(j + 1)
                elif al.clr[r] == INF:
                    al.clr[r] = tl.item(a + 1)
            if c == PENDING:
                self._catch_up_beyond(r, a, b)

    def _catch_up_beyond(self, r: int, a: int, b: int) -> None:
        al = self.alarm
        tl = self.tv
        beyond = self.runs("beyond", r)
        run0 = al.run[r]
        j = beyond.last_false_in(a, b)
        if j == -2:  # beyond all along
            if run0 == INF:
                al.run[r] = tl.item(a + 1)
            return
        acc = al.acc[r]
        after = a
        if run0 != INF:  # the stretch under way at the anchor ended
            e = beyond.first_false_after(a)
            acc += tl.item(e) - run0
            after = e
        q0 = bisect_right(beyond.starts, after)
        q1 = bisect_left(beyond.starts, j)  # stretches that ended by reading j
        for q in range(q0, q1):
            acc += tl.item(beyond.ends[q]) - tl.item(beyond.starts[q])
        al.acc[r] = acc
        al.run[r] = INF if j == b else tl.item(j + 1)

    # -- where a condition changes next ------------------------------------------------------

    def next_change(self, a: int) -> tuple[int, float]:
        """From the state at anchor `a`: (the first reading after it that changes a condition, m if
        none; the first time a deadline changes one, INF if none)."""
        al = self.alarm
        first, when = self.m, INF
        lowest_off = True  # (beyond a higher rank's limit is beyond a lower one's too)
        for r in al.ranks:
            c = al.cond[r]
            if c == OFF:
                if not lowest_off:
                    continue
                lowest_off = False
                first = min(first, self.runs("beyond", r).first_true_after(a))
                continue
            inside = self.runs("inside", r)
            if al.clear <= 0:  # back inside turns the rank off at once
                first = min(first, inside.first_true_after(a))
            else:
                when = min(when, self._clear_due(r, a, inside))
            if c == PENDING:
                when = min(when, self._confirm_due(r, a))
        return first, when

    def _clear_due(self, r: int, a: int, inside: Runs) -> float:
        """When the value will have been back inside by the margin for the clear time."""
        al = self.alarm
        clr0 = al.clr[r]
        after = a
        if clr0 != INF:
            e = inside.first_false_after(a)
            due = clr0 + al.clear
            if (self.tv.item(e) if e < self.m else INF) >= due:
                return due
            after = e
        q = bisect_right(inside.starts, after)
        runs, due_at = inside.lasting(al.clear)
        h = bisect_left(runs, q)
        return due_at[h] if h < len(runs) else INF

    def _confirm_due(self, r: int, a: int) -> float:
        """When the time beyond rank r's limit will have added up to the delay."""
        al = self.alarm
        beyond = self.runs("beyond", r)
        run0, acc = al.run[r], al.acc[r]
        delay = al.delay
        after = a
        if run0 != INF:
            e = beyond.first_false_after(a)
            due = run0 + delay - acc
            if (self.tv.item(e) if e < self.m else INF) >= due:
                return due
            acc += self.tv.item(e) - run0
            after = e
        q = bisect_right(beyond.starts, after)
        n = len(beyond.starts)
        size = _CHUNK
        while q < n:
            ts, te = beyond.t_start[q : q + size], beyond.t_end[q : q + size]
            # Time beyond before each stretch, added in order as `take` adds it (exactly).
            before = np.add.accumulate(np.concatenate(([acc], te - ts)))
            due_at = ts + delay - before[:-1]
            hit = np.flatnonzero(te >= due_at)
            if len(hit):
                return float(due_at[hit[0]])
            acc = float(before[-1])
            q += size
            size *= 2
        return INF
