"""The one protocol every source of readings honours (no Textual here).

A feed is anything with `poll(now) -> FeedUpdate`, where `now` is the monotonic clock. The session
calls it from one timer (four times a second live); a feed never blocks, never loops and never
raises on `poll`: what goes wrong with the source itself (a vanished file, a read error) comes back
as `status`, so the session can raise or clear a technical alarm. Readings come back in time
order (where a device's clock went back by more than CLOCK_STEP_S, in time order on each side of
the step, in the order written); `events` are doses, notes and other recorded actions the source itself knows of (the
simulator's scenario gives its doses; a replay gives everything that was recorded).

Event time: a feed with a clock of its own (the simulator, a replay) returns it from
`clock(now)`; a followed file has none (`None`), and the session maps the monotonic clock onto
the newest reading's time (see `monitor.session.clock.EventClock`).

Adapters: `SimulatorFeed` (monitor.sources.simulated), `FileFeed` (monitor.sources.follow),
`ReplaySource` (monitor.sources.replay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from monitor.core.readings import Reading, ReadingColumns
from monitor.sources.csv.errors import RejectedLine

# A feed's times going back further than this: the device clock went back (a step, not a row
# written late). Rows after such a step come after the rows before it, in the order written, and
# the session takes them as the current readings they are (monitor.session.device_times).
CLOCK_STEP_S = 60.0


@dataclass
class SourceEvent:
    """A dose, note or other action the source reports.

    kind: "dose" | "note" from any source; a replay also gives "ack", "pause", "technical" and
    "clock" (the recorded controls). `seq`: the readings the engine had taken when it was applied
    (a replay knows it from the recording; None = place it by time)."""

    t: float
    kind: str
    fields: dict = field(default_factory=dict)
    seq: int | None = None


@dataclass
class FeedStatus:
    """What happened to the source: kind "opened" | "lost" | "restored" | "recovered" | "error" |
    "waiting" | "info" | "ended"."""

    kind: str
    message: str


@dataclass
class FeedUpdate:
    readings: list[Reading] | ReadingColumns = field(default_factory=list)  # columns from a followed file
    events: list[SourceEvent] = field(default_factory=list)
    status: list[FeedStatus] = field(default_factory=list)
    rejected: list[RejectedLine] = field(default_factory=list)
    reopened: bool = False  # readings may repeat ones delivered before (a new or rewritten file)
    finished: bool = False


class Feed(Protocol):
    mode: str  # "LIVE" | "SIMULATED" | "REPLAY"
    simulated: bool
    label: str  # a default session label
    source: str  # what session.json calls the source
    lag_s: float  # how far behind the mapped clock the session ticks the alarm engine (no clock)
    records: bool  # False: what it delivers is already recorded (a replay): never record it again
    splits_rows: bool  # True: one time stamp may come in two polls (a file written line by line)

    def poll(self, now: float) -> FeedUpdate: ...

    def clock(self, now: float) -> float | None: ...

    def absolute(self) -> bool | None: ...

    def meta(self) -> dict: ...

    def close(self) -> None: ...
