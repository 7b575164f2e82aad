"""The times a device stamps its rows with, when they cannot be taken at their word.

Only for a feed without a clock of its own (a followed file): the simulator's and a replay's times
are the session's clock. Two things go wrong with real device clocks, and each used to stop the
monitoring without a word:

- **a row stamped far ahead** (a `2099-...` row): taken as the newest, it made every later row
  "older than the newest one" and left out. Such a row is rejected: more than FUTURE_S ahead of
  this computer's clock (absolute times) or of the newest reading (either kind). A sped-up
  simulation or a bridge writing local times as UTC stays well inside a day.
- **the device clock set back** (by hand, a lost battery, a time zone change): every row until it
  caught up was left out. A row more than CLOCK_STEP_S older than the newest one, that is not one
  already stored, starts an episode: its readings are placed after the newest one, keeping their
  spacing (each row's time plus the step back, and STEP_AFTER_S), so they are shown, alarmed and
  recorded as the current readings they are. The episode ends once the device's own times are in
  order again (its clock was set right). A smaller disorder is not a clock step: such a row is left
  out as before (`feed.order`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from monitor.core.readings import Reading
from monitor.sources.feed import CLOCK_STEP_S

FUTURE_S = 24 * 3600.0  # further ahead than this is not a clock that is merely off
STEP_AFTER_S = 1.0  # the first row of an episode is placed this long after the newest one


@dataclass
class Placed:
    """What became of a row: `reading` to take (None: rejected as far ahead)."""

    reading: Reading | None
    started: bool = False  # this row started (or deepened) a clock-back episode
    ended: bool = False  # this row ended one: the device's times are in order again


class DeviceTimes:
    """The shift of an episode in which the device clock went back (0: none)."""

    def __init__(self) -> None:
        self.shift = 0.0
        self.back_at: float | None = None  # the newest reading's time when the clock went back

    def far_ahead(self, t: float, newest: float, wall: float | None) -> bool:
        """Whether t is far ahead of the session's clock (wall: this computer's clock, for a
        feed with absolute times; None for seconds since the start)."""
        ref = max(newest, wall) if wall is not None else newest
        return math.isfinite(ref) and t > ref + FUTURE_S

    def place(self, r: Reading, newest: float, wall: float | None, stored: bool) -> Placed:
        """Where reading r goes, the newest reading being at `newest`; `stored`: the store holds
        this very row already (a bridge that wrote it again), which is never a clock step."""
        if self.far_ahead(r.t, newest, wall):
            return Placed(None)
        if self.shift:
            if r.t > newest - CLOCK_STEP_S:
                # The device's own times follow on again (its clock was set right).
                self.shift, self.back_at = 0.0, None
                return Placed(r, ended=True)
            t = r.t + self.shift
            if t > newest:
                return Placed(dataclasses.replace(r, t=t))
            # Back again, within the episode: shift further.
            self.shift += newest - t + STEP_AFTER_S
            return Placed(dataclasses.replace(r, t=r.t + self.shift), started=True)
        if newest - r.t > CLOCK_STEP_S and not stored:
            self.shift = newest - r.t + STEP_AFTER_S
            self.back_at = newest
            return Placed(dataclasses.replace(r, t=r.t + self.shift), started=True)
        return Placed(r)
