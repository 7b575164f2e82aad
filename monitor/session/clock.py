"""The clocks of a session: the monotonic and wall clocks it reads, and event time.

Event time is the clock of the alarm engine, of every action and of every recorded event:
- a feed with a clock of its own (the simulator, a replay) gives it: its simulated or virtual time;
- a followed file has none: event time is the newest reading's time plus the real seconds since
  that reading arrived, minus the feed's lag. So "no HR for 10 s" means ten real seconds without a
  new line, whatever the device's clock says, and a dose pressed now is stamped on the device's
  clock, next to its data. The lag starts at the feed's own (`Feed.lag_s`, 5 s for a file, enough
  for a bridge that writes in bursts up to 15 s apart), then follows how the feed is written:
  2 s once it has shown it writes line by line, or the span of its bursts (plus 2 s, at most
  30 s) when it writes 14 lines every 14 s, which would otherwise seem silent for most of those
  14 s: the live monitor would raise "no data" where the recording has none.
- before the first reading of a file there is no event time (None).
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_LAG_S = 30.0  # never judge "no data" more than this much later than the stale limit
LAG_MARGIN_S = 2.0
STEADY_LAG_S = 2.0  # a feed written line by line
STEADY_AFTER = 4  # arrivals before a feed counts as written line by line
BACKLOG_S = 60.0  # a batch spanning more is a file's backlog, read at once
RECENT_ARRIVALS = 8


@dataclass
class Clock:
    """The two clocks a session reads; tests inject a manual one."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    # How long work takes (it sizes a backlog's slices, monitor.session.backlog); a manual clock
    # gives None, so that slices have one size and a test's polls do the same each run.
    work_timer: Callable[[], float] | None = time.perf_counter


class ManualClock(Clock):
    """A clock that moves only when told (tests, benchmarks)."""

    def __init__(self, wall: float = 1_795_856_400.0, monotonic: float = 1000.0):
        self.now_mono = monotonic
        self.now_wall = wall
        super().__init__(lambda: self.now_mono, lambda: self.now_wall, None)

    def advance(self, seconds: float) -> None:
        self.now_mono += seconds
        self.now_wall += seconds


class EventClock:
    """Maps the monotonic clock onto event time for a feed without a clock of its own."""

    def __init__(self, base_lag_s: float):
        self.base_lag_s = base_lag_s
        self.lag_s = base_lag_s
        self.anchor: tuple[float, float] | None = None  # (newest reading time, monotonic at arrival)
        self._spans: deque[float] = deque(maxlen=RECENT_ARRIVALS)

    def arrived(self, oldest: float, newest: float, mono: float, catch_up: bool = False) -> bool:
        """New readings came; True when the lag grew enough to say so. `catch_up`: a batch that
        is a file's backlog (a rewritten file read again), not a sign of how it is written."""
        self.anchor = (newest, mono)
        span = max(0.0, newest - oldest)
        if catch_up or span > BACKLOG_S or self.base_lag_s == 0:
            return False  # a file's backlog says nothing; a feed with no lag has nothing to learn
        self._spans.append(span)
        before = self.lag_s
        typical = statistics.median(self._spans)
        if typical >= 1.0:
            # Bursts: each batch spans seconds of readings; the clock waits for the next one.
            self.lag_s = min(MAX_LAG_S, max(self.base_lag_s, typical + LAG_MARGIN_S))
        elif len(self._spans) >= STEADY_AFTER:
            # Line by line: a line comes at most a little after its time stamp.
            self.lag_s = min(self.base_lag_s, STEADY_LAG_S)
        return self.lag_s - before >= 2.0

    def mapped(self, mono: float) -> float | None:
        if self.anchor is None:
            return None
        last, at = self.anchor
        return last + max(0.0, mono - at - self.lag_s)
