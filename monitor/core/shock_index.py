"""The HR a shock index (HR / SBP) takes: the lowest valid HR within the HR alarm delay before the
cuff reading (the rate held for the whole delay, so a spike too brief to alarm by itself cannot
raise the index), or else the newest valid HR no older than the HR stale limit."""

from __future__ import annotations

import math
from collections import deque

from monitor.core.thresholds import Thresholds


def shock_index_hr(th: Thresholds) -> tuple[float, float]:
    """(window, max age): the HR alarm delay, and the HR stale limit (60 s without one)."""
    hr_rule = th.vitals.get("hr")
    window = hr_rule.delay_s if hr_rule is not None and hr_rule.continuous else 0.0
    hr_stale = [s.after_s for s in th.stale if "hr" in s.vitals]
    return window, hr_stale[0] if hr_stale else 60.0


class RecentHR:
    """The valid HR readings a live engine has taken, as far as a shock index needs them."""

    __slots__ = ("window", "max_age", "last", "recent")

    def __init__(self, th: Thresholds) -> None:
        self.window, self.max_age = shock_index_hr(th)
        self.last = (-math.inf, math.nan)  # (time, value) of the newest
        self.recent: deque[tuple[float, float]] = deque()  # those within the window

    def take(self, t: float, hr: float) -> None:
        self.last = (t, hr)
        if self.window > 0:
            recent = self.recent
            recent.append((t, hr))
            while recent[0][0] <= t - self.window:
                recent.popleft()

    def at(self, t: float) -> float | None:
        """The HR a shock index at `t` takes, or None."""
        recent = self.recent
        while recent and recent[0][0] <= t - self.window:
            recent.popleft()
        if recent:
            return min(v for _, v in recent)
        ht, hv = self.last
        return hv if t - ht <= self.max_age else None
