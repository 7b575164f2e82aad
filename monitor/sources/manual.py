"""The feed of a session without a device (`vitals-monitor live --manual`): every reading is typed
at the bedside (monitor.session.typed), so the feed delivers none of its own. It gives the session
its clock: event time is this computer's clock, so a dose, a note and the schedule's deadlines are
stamped in real time before any reading exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from monitor.sources.feed import FeedUpdate

SOURCE = "typed readings (no device)"


class ManualFeed:
    mode = "LIVE"
    simulated = False
    lag_s = 0.0
    records = True
    splits_rows = False
    manual = True  # every reading is typed: the stale rules follow the schedule (monitor.session.typed)

    def __init__(self, wall: Callable[[], float] = time.time, label: str = "manual session"):
        self.label = label
        self.source = SOURCE
        self._wall = wall
        self._anchor: tuple[float, float] | None = None  # (monotonic, wall) of the first call

    def poll(self, now: float) -> FeedUpdate:
        return FeedUpdate()

    def clock(self, now: float) -> float:
        if self._anchor is None:
            self._anchor = (now, self._wall())
        mono, wall = self._anchor
        return wall + (now - mono)

    def absolute(self) -> bool:
        return True

    def meta(self) -> dict:
        return {"manual": True}

    def close(self) -> None:
        pass
