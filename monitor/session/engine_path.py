"""The one path into a session's alarm engine: readings, controls and clock ticks.

Each reaches the engine at the event time it is recorded with, together with `seq` (how many
readings the engine had taken), so a re-run of the engine over the recording (`vitals-monitor
alarms`) applies every control between the same readings and gives the same log as live.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from monitor.core.alarm_batch import BatchRun
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, Control
from monitor.core.readings import Reading, ReadingColumns, VitalStore
from monitor.core.shock_index import shock_index_hr
from monitor.core.vitals import VITALS

BATCH_FROM = 500  # rows in one go from which the engine takes them by a batch run (a backlog)


class EnginePath:
    """The session's engine (replaced when its limits are fitted, or a state is adopted) and the
    count of readings it has taken. `record(method, *args, **kw)` queues one record for the
    recording (monitor.session.sink)."""

    def __init__(self, engine: AlarmEngine, record: Callable[..., None]):
        self.engine = engine
        self._record = record
        self._fed = 0
        self._fed_t = -math.inf
        self._held: list[AlarmEvent] | None = None  # transitions of a tick, recorded after it
        self._expected: deque[AlarmEvent] = deque()

    @property
    def taken(self) -> int:
        """Readings the engine has taken, counted as the recording is read back: one per time
        stamp (a second line for a time stamp already taken is merged into it on loading). A
        control recorded with this count is applied between the same readings by a re-run."""
        return self._fed

    def carry_on(self, taken: int, newest: float) -> None:
        """A resumed session: its engine has taken `taken` readings, the newest at `newest`."""
        self._fed, self._fed_t = taken, newest

    def feed(
        self, rows: list[Reading] | ReadingColumns, store: VitalStore | None = None, end: int | None = None
    ) -> None:
        """Readings (already in the store, its rows before `end` when given) into the recording
        and the engine.

        Recorded first: the alarm transitions they cause are recorded after them, so a crash
        between the two leaves readings whose transitions a resume derives again (and records),
        never transitions whose readings the feed delivers again (and would raise twice)."""
        self._record("readings", rows)
        if store is not None and end is not None and self._stored_as(rows, store, end):
            # A backlog's slice: the batch run over the store's arrays (monitor/core/alarm_batch.py)
            # leaves the engine and the log as feeding each row would, at a fraction of the cost.
            e = self.engine
            lo = end - len(rows)
            a = self._window_start(store, lo)
            e.run_batch(BatchRun(e, store.rows(a, end), []), lo - a, end - a)
            e.last_reading_t = rows[-1].t
        else:
            for r in rows:
                self.engine.feed(r)  # at its own time, even when the clock has passed it (a late row)
        self._count(rows)

    def _count(self, rows: list[Reading] | ReadingColumns) -> None:
        """Readings taken: one per time stamp (see `taken`)."""
        if isinstance(rows, ReadingColumns):
            t = rows.t
            if len(t):
                self._fed += int(t[0] != self._fed_t) + int(np.count_nonzero(t[1:] != t[:-1]))
                self._fed_t = float(t[-1])
            return
        for r in rows:
            if r.t != self._fed_t:
                self._fed += 1
                self._fed_t = r.t

    def _window_start(self, store: VitalStore, lo: int) -> int:
        """Where the batch run over the rows from lo starts: far enough back that what it reads of
        earlier rows is there (each vital's reading before lo, for its artifact state and its
        stream's gap; the HRs a shock index takes), so it runs as over the whole store; but not
        from the first row, so a slice costs its own rows, not the session's."""
        a = lo
        for name in VITALS:
            j = store.last_given_before(name, lo)
            if 0 <= j < a:
                a = j
        # ... and the HRs before it: a shock index at any of these rows is as over the whole store.
        window, max_age = shock_index_hr(self.engine.th)
        return int(np.searchsorted(store.t[:a], store.t[a] - max(window, max_age) - 1.0))

    def _stored_as(self, rows: list[Reading] | ReadingColumns, store: VitalStore, end: int) -> bool:
        """Whether many rows are the store's rows before `end`, in order and none older than the
        engine's newest (then the batch run takes them)."""
        k = len(rows)
        if k < BATCH_FROM or end > len(store) or rows[0].t < self.engine.last_reading_t:
            return False
        t = rows.t if isinstance(rows, ReadingColumns) else np.fromiter((r.t for r in rows), float, k)
        return bool(np.array_equal(store.t[end - k : end], t))

    def apply(self, t: float, kind: str, control: dict, /, after: dict | None = None, **recorded) -> None:
        """A control: recorded as an event with `recorded`, its seq and then `after` (the fields keep
        this order in the file), then applied to the engine with `control`."""
        seq = self._fed
        self._record("event", t, kind, **recorded, seq=seq, **(after or {}))
        self.engine.apply(Control(t, kind, control, seq))

    def record_event(self, t: float, kind: str, **fields) -> None:
        """An event that is not a control (a note): recorded with its seq all the same."""
        self._record("event", t, kind, **fields, seq=self._fed)

    def expect(self, recorded: list[AlarmEvent]) -> None:
        """Transitions recorded already that the engine is about to raise again (a resume of a
        recording whose transitions were written ahead of their readings): not recorded twice."""
        self._expected = deque(recorded)

    def alarm(self, e: AlarmEvent) -> None:
        """An alarm transition of the engine, recorded after what caused it."""
        if self._expected:
            x = self._expected.popleft()
            if same_transition(x, e):
                return
            self._expected.clear()  # the run went another way: record from here on
        if self._held is not None:
            self._held.append(e)
        else:
            self._record("alarm", e)

    def tick(self, t: float) -> None:
        n = self.engine.fired
        seq = self._fed
        self._held = []
        try:
            self.engine.tick(t)
        finally:
            held, self._held = self._held, None
            if self.engine.fired != n:
                # The live clock fired a deadline (said in the log or not, such as a delay that
                # added up for an alarm already sounding): a re-run must tick here too, between the
                # same readings. Recorded before the transitions it fired, so a crash between them
                # leaves a tick that a resume replays, never transitions it cannot reproduce.
                self._record("event", t, "clock", seq=seq)
            for e in held:
                self._record("alarm", e)


def same_transition(a: AlarmEvent, b: AlarmEvent) -> bool:
    """One alarm transition, as recorded and as raised again (times as the recording rounds them)."""
    return a.alarm == b.alarm and a.state == b.state and abs(a.t - b.t) < 1.0
