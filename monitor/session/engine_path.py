"""The one path into a session's alarm engine: readings, controls and clock ticks.

Each reaches the engine at the event time it is recorded with, together with `seq` (how many
readings the engine had taken), so a re-run of the engine over the recording (`vitals-monitor
alarms`) applies every control between the same readings and gives the same log as live.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, Control
from monitor.core.readings import Reading


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

    def feed(self, rows: list[Reading]) -> None:
        """Readings (already in the store) into the recording and the engine.

        Recorded first: the alarm transitions they cause are recorded after them, so a crash
        between the two leaves readings whose transitions a resume derives again (and records),
        never transitions whose readings the feed delivers again (and would raise twice)."""
        self._record("readings", rows)
        for r in rows:
            self.engine.feed(r)  # at its own time, even when the clock has passed it (a late row)
            if r.t != self._fed_t:
                self._fed += 1
                self._fed_t = r.t

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
