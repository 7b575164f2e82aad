"""A feed's readings into the session's store: in time order, one row per time stamp, each handed
on (to the alarm engine and the recording) exactly once.

What a batch may hold, and what becomes of it:
- rows the store has already (a resumed session's, a rewritten file read again from its start, a
  bridge that wrote a line again): skipped, counted as repeated;
- a row older than the newest one that differs from what is stored at its time: left out,
  counted as dropped (the session raises `feed.order` for it);
- two rows with one time stamp: one row, the first one's values win and the second fills the
  gaps, as the whole-file CSV reader merges them;
- a row with the newest time after that time was taken: only the values it adds.

Readings from a feed that splits rows (a followed file, `Feed.splits_rows`) are held back until a
later one arrives (or MERGE_WAIT_S passes), so that two lines with the same time stamp that the
bridge wrote across two polls become one row. The held row is in the store (the screen shows it
at once) but not yet in the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from monitor.core.readings import Reading, ReadingColumns, VitalStore, rows_of
from monitor.core.vitals import VITALS
from monitor.session.device_times import FUTURE_S, DeviceTimes
from monitor.sources.feed import SourceEvent

FEW = 8  # rows from which a batch of columns is taken as arrays
MERGE_WAIT_S = 0.5  # how long a file's newest row waits for a second line with its time stamp (2 polls)


@dataclass
class Batch:
    """A feed's batch once sorted into the store's order. `rows`: accepted, not taken yet (those
    after the last source event placed among the readings); `later`: source events after every
    reading of the batch."""

    rows: list[Reading] | ReadingColumns
    later: list[SourceEvent] = field(default_factory=list)
    repeated: int = 0
    dropped: int = 0
    first_dropped: Reading | None = None
    future: int = 0  # rows stamped far ahead of the session's clock, left out
    first_future: Reading | None = None
    clock_back: tuple[float, float] | None = None  # the device clock went back: (newest then, shift)
    clock_right: bool = False  # the device's own times are in order again


class Intake:
    """The store and what goes into it.

    `taken()`: how many readings the engine has taken (monitor.session.engine_path); `commit(rows)`:
    rows now in the store, to reach the engine and the recording; `stored()`: the store changed.
    """

    def __init__(
        self,
        monotonic: Callable[[], float],
        taken: Callable[[], int],
        commit: Callable[[list[Reading] | ReadingColumns], None],
        stored: Callable[[], None],
    ):
        self.store = VitalStore()
        self.held: Reading | None = None
        self._held_at = 0.0
        self._monotonic = monotonic
        self._taken = taken
        self._commit = commit
        self._stored = stored
        self._resume_t = -math.inf
        self._replay_until = -math.inf  # a rewritten file's rows up to here were seen already
        self.device_times = DeviceTimes()

    def adopt(self, store: VitalStore) -> None:
        """Take a rebuilt store as the session's own (a resume, a replay's seek)."""
        self.store = store
        self.held = None

    def resume_after(self, t: float) -> None:
        """A resumed session: readings before t are in the store already."""
        self._resume_t = t

    def newest(self) -> float:
        span = self.store.span()
        return span[1] if span is not None else -math.inf

    def history(self, vital: str, t0: float, t1: float) -> np.ndarray:
        """The readings the engine has taken, for a baseline (the held newest line is not one)."""
        if vital not in VITALS:
            return np.empty(0)
        return self.store.valid_between(vital, t0, t1, len(self.store) - (self.held is not None))

    # -- a batch -------------------------------------------------------------------------------

    def sort_batch(
        self,
        readings: list[Reading] | ReadingColumns,
        events: list[SourceEvent],
        reopened: bool,
        on_event: Callable[[SourceEvent], None],
        device: bool = False,
        wall: float | None = None,
    ) -> Batch:
        """Accept a batch's readings; a source event due before a reading is handed to `on_event`
        once the readings before it are taken. What is left to take is in the returned batch.

        `device`: the times are a device's (a feed without a clock of its own), checked by
        monitor.session.device_times; `wall`: this computer's clock, when they are absolute."""
        newest = self.newest()
        if reopened:
            self._replay_until = max(self._replay_until, newest)
        if isinstance(readings, ReadingColumns):
            # A poll's line or few go row by row, as they always did: for them arrays cost more
            # (store.extend's checks, artifact flags) than they save.
            if len(readings) > FEW and not events and self._follows_on(readings.t, newest, device, wall):
                self._replay_until = -math.inf  # (as the loop below: the rows follow on)
                return Batch(readings)
            readings = list(readings)  # something to sort out: row by row
        accepted: list[Reading] = []
        out = Batch(accepted)
        # A replay gives its actions in the order they were applied (by seq); the simulator by time.
        ordered = events if any(e.seq is not None for e in events) else sorted(events, key=lambda e: e.t)
        k = 0
        for r in readings:
            if r.t < self._resume_t or r.t < self._replay_until:
                out.repeated += 1  # already in the store (a resumed session, a rewritten file)
                continue
            # A row at the newest time itself goes on: it may bring values the stored one lacks
            # (a second line for that time stamp, written with the rewrite).
            self._replay_until = -math.inf  # the rewritten file has caught up
            if device:
                stored = r.t < newest and self._stored_row_equals(r)
                placed = self.device_times.place(r, newest, wall, stored)
                if placed.reading is None:
                    out.future += 1
                    out.first_future = out.first_future or r
                    continue
                if placed.started:
                    out.clock_back = (newest, self.device_times.shift)
                out.clock_right = out.clock_right or placed.ended
                r = placed.reading
            if r.t < newest:
                if self._stored_row_equals(r):
                    out.repeated += 1  # a bridge that wrote a line again
                else:
                    out.dropped += 1
                    out.first_dropped = out.first_dropped or r
                continue
            if accepted and r.t == accepted[-1].t:
                accepted[-1] = _merge(accepted[-1], r)
                continue
            if r.t == newest and self.held is None:
                extra = self._new_values_only(r)
                if extra is None:
                    out.repeated += 1
                    continue
                r = extra
            while k < len(ordered) and self._event_before(ordered[k], r, len(accepted)):
                self.take(accepted)
                on_event(ordered[k])
                k += 1
            accepted.append(r)
            newest = r.t
        out.later = ordered[k:]
        return out

    def _follows_on(self, t: np.ndarray, newest: float, device: bool, wall: float | None) -> bool:
        """Whether a batch's rows all go in as they are (what the loop of sort_batch would do with
        each, found from the time column alone): each after the one before and after the newest
        stored, none a repeat of a resumed or rewritten file's, and, for a device's times, none far
        ahead of the clock and no clock-back episode under way. The usual batch of a followed file."""
        if not len(t) or not t[0] > newest or t[0] < self._resume_t or t[0] < self._replay_until:
            return False
        if len(t) > 1 and not bool(np.all(t[1:] > t[:-1])):
            return False
        if device:
            if self.device_times.shift:
                return False
            # Each row is judged against the newest before it (monitor.session.device_times).
            before = np.concatenate(([newest], t[:-1]))
            ref = np.maximum(before, wall) if wall is not None else before
            if bool(np.any(np.isfinite(ref) & (t > ref + FUTURE_S))):
                return False
        return True

    def _event_before(self, e: SourceEvent, r: Reading, pending: int) -> bool:
        """Whether a source event comes before reading r (pending: readings accepted before r)."""
        if e.seq is not None:
            return e.seq <= self._taken() + pending
        return e.t < r.t

    def _stored_row_equals(self, r: Reading) -> bool:
        st = self.store
        i = int(np.searchsorted(st.t, r.t, "left"))
        while i < len(st) and st.t[i] == r.t:
            if all(_same(float(st.column(v)[i]), getattr(r, v)) for v in VITALS):
                return True
            i += 1
        return False

    def _new_values_only(self, r: Reading) -> Reading | None:
        """A second row with the newest time, after that row was taken: only the values it adds
        (the first row's values win, as the whole-file reader merges them); None if nothing."""
        last = len(self.store) - 1
        vals = {}
        for v in VITALS:
            stored = float(self.store.column(v)[last])
            vals[v] = getattr(r, v) if stored != stored else math.nan
        if all(x != x for x in vals.values()):
            return None
        return Reading(r.t, **vals)

    # -- into the store ------------------------------------------------------------------------

    def take(self, accepted: list[Reading] | ReadingColumns, hold_last: bool = False) -> None:
        """The accepted readings (a list is emptied) go into the store, and on to `commit`; with
        `hold_last` the newest waits before it is committed, for a second line with its time stamp."""
        if not accepted:
            return
        if isinstance(accepted, ReadingColumns):
            if self.held is None or accepted.t[0] != self.held.t:
                self._take_columns(accepted, hold_last)
                return
            accepted = list(accepted)  # the first row merges with the held one: row by row
        rows = accepted[:]
        accepted.clear()
        merged: list[Reading] = []
        for r in rows:
            if merged and r.t == merged[-1].t:
                merged[-1] = _merge(merged[-1], r)
            else:
                merged.append(r)
        held = self.held
        if held is not None:
            if merged[0].t == held.t:
                self.store.pop_last()  # merged again below, as the whole-file reader merges them
                merged[0] = _merge(held, merged[0])
                self.held = None
            else:
                self.release(force=True)
        n = len(merged)
        if n <= FEW:
            for r in merged:  # a poll brings a line or a few: cheaper one by one than as arrays
                self.store.append(r)
        else:
            cols = rows_of(merged)
            self.store.extend(cols.t, cols.columns)
        self._stored()
        if hold_last:
            self.held, self._held_at = merged.pop(), self._monotonic()
        self._commit(merged)

    def _take_columns(self, cols: ReadingColumns, hold_last: bool) -> None:
        """Rows in strict time order after the store's newest (sort_batch saw to it): into the
        store as arrays, no row merged."""
        self.release(force=True)
        self.store.extend(cols.t, cols.columns)
        self._stored()
        if hold_last:
            self.held, self._held_at = cols.row(len(cols) - 1), self._monotonic()
            cols = cols[:-1]
        if cols:
            self._commit(cols)

    def release(self, force: bool = False) -> None:
        """Commit the held row once its wait is over (`force`: now)."""
        if self.held is None:
            return
        if force or self._monotonic() - self._held_at >= MERGE_WAIT_S:
            r, self.held = self.held, None
            self._commit([r])


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _merge(first: Reading, second: Reading) -> Reading:
    """Two rows with one time stamp: the first one's values win, the second fills the gaps."""
    return Reading(first.t, **{v: (a if a == a else getattr(second, v)) for v in VITALS for a in (getattr(first, v),)})
