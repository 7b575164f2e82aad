"""The one path into a session's alarm engine: readings, controls and clock ticks.

Each reaches the engine at the event time it is recorded with, together with `seq` (how many
readings the engine had taken), so a re-run of the engine over the recording (`vitals-monitor
alarms`) applies every control between the same readings and gives the same log as live.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import Control
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
        """Readings (already in the store) into the engine and the recording."""
        for r in rows:
            self.engine.feed(r)  # at its own time, even when the clock has passed it (a late row)
            if r.t != self._fed_t:
                self._fed += 1
                self._fed_t = r.t
        self._record("readings", rows)

    def apply(self, t: float, kind: str, control: dict, /, after: dict | None = None, **recorded) -> None:
        """A control: recorded as an event with `recorded`, its seq and then `after` (the fields keep
        this order in the file), then applied to the engine with `control`."""
        seq = self._fed
        self._record("event", t, kind, **recorded, seq=seq, **(after or {}))
        self.engine.apply(Control(t, kind, control, seq))

    def record_event(self, t: float, kind: str, **fields) -> None:
        """An event that is not a control (a note): recorded with its seq all the same."""
        self._record("event", t, kind, **fields, seq=self._fed)

    def tick(self, t: float) -> None:
        n = self.engine.fired
        seq = self._fed
        self.engine.tick(t)
        if self.engine.fired != n:
            # The live clock fired a deadline (said in the log or not, such as a delay that added
            # up for an alarm already sounding): a re-run must tick here too, between the same
            # readings.
            self._record("event", t, "clock", seq=seq)
