"""The state of each alarm the engine (monitor/core/alarm_engine.py) keeps, and the layout of the
rows it reads.

A limit alarm's conditions move here, one per priority rank; what the alarm then does (sound,
escalate, latch, clear) and says is the engine's.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.core.priority import PRIORITY_RANK
from monitor.core.thresholds import VitalRule
from monitor.core.vitals import VITALS

INF = math.inf
OFF, PENDING, ON = 0, 1, 2  # a limit alarm's condition at one priority rank
SI_INDEX = len(VITALS)  # the derived shock index follows the measured vitals
ROW_NAMES = VITALS + ("si",)


class Alarm:
    """Common state of one alarm (limit or technical)."""

    __slots__ = ("name", "vital", "state", "rank", "since", "value", "limit", "remind_at")

    def __init__(self, name: str, vital: str) -> None:
        self.name = name
        self.vital = vital
        self.state = "normal"  # normal | pending | active | acknowledged | latched
        self.rank = 0
        self.since = 0.0
        self.value: float | None = None
        self.limit: float | None = None
        self.remind_at = INF

    def __deepcopy__(self, memo: dict) -> Alarm:
        """A copy for an engine snapshot (a replay keeps thousands): every field is a number, a
        string or shared and never changed in place (a limit alarm's rule and limits), but for
        the per-rank lists, which are copied."""
        new = object.__new__(type(self))
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                object.__setattr__(new, name, getattr(self, name))
        if isinstance(self, LimitAlarm) and isinstance(new, LimitAlarm):
            new.cond, new.run, new.acc, new.clr = self.cond[:], self.run[:], self.acc[:], self.clr[:]
        memo[id(self)] = new
        return new


class TechAlarm(Alarm):
    """A technical alarm about the monitor itself (feed lost, bad lines, recording failed, ...).
    It never latches; its priority is technical, or high for a failure that loses data."""

    __slots__ = ("priority", "message")

    def __init__(self, name: str) -> None:
        super().__init__(name, name.split(".", 1)[0])
        self.priority = "technical"
        self.message = ""


class LimitAlarm(Alarm):
    """One alarm per vital and direction, confirmed per priority rank.

    Each rank r (1 low, 2 medium, 3 high) with a limit has its own condition: off, pending or on.
    - off -> pending when a reading crosses the rank's limit (at once on, with no delay: cuff);
    - pending -> on once the time spent beyond the limit adds up to the delay (Smart Alarm Delay:
      brief in-range samples pause the count, they do not restart it);
    - pending or on -> off once the value has been back inside by the hysteresis margin for the
      clear time (brief dips neither cancel a pending alarm nor end an active one).
    Each reading holds until the next reading of its vital. The alarm's level is the highest rank
    that is on; its pending rank the highest that is pending or on.
    """

    __slots__ = (
        "direction",
        "rule",
        "limits",
        "sources",
        "level",
        "pend",
        "delay",
        "hyst",
        "clear",
        "sign",
        "quiet",
        "cond",
        "run",
        "acc",
        "clr",
        "ranks",
    )

    def __init__(self, rule: VitalRule, direction: str) -> None:
        super().__init__(f"{rule.vital}.{direction}", rule.vital)
        self.direction = direction
        self.rule = rule
        self.delay = rule.delay_s if rule.continuous else 0.0
        self.hyst = rule.hysteresis if rule.continuous else 0.0
        self.clear = rule.clear_time_s
        self.level = 0  # highest rank on
        self.pend = 0  # highest rank pending or on
        self.cond = [OFF] * 4  # per rank (index 0 unused)
        self.run = [INF] * 4  # pending: start of the current stretch beyond the limit
        self.acc = [0.0] * 4  # pending: time beyond the limit before that stretch
        self.clr = [INF] * 4  # pending or on: since when the value is back inside by the margin
        self.set_limits({})

    def reset(self, r: int) -> None:
        self.cond[r], self.run[r], self.acc[r], self.clr[r] = OFF, INF, 0.0, INF

    def summarise(self) -> None:
        cond = self.cond
        self.level = 3 if cond[3] == ON else 2 if cond[2] == ON else 1 if cond[1] == ON else 0
        self.pend = 3 if cond[3] else 2 if cond[2] else 1 if cond[1] else 0

    def take(self, t: float, v: float) -> tuple[bool, float]:
        """A valid reading of the alarm's vital at `t`: move each rank's condition. Returns whether
        a condition turned on or off (the level and pending rank are then summarised again), and
        the soonest deadline the reading started (INF: none)."""
        raise_, hold = self.levels(v)
        self.value = v
        cond, run, clr = self.cond, self.run, self.clr
        changed = False
        due = INF
        for r in self.ranks:
            c = cond[r]
            beyond = raise_ >= r
            if c == OFF:
                if beyond:
                    changed = True
                    if self.delay > 0:
                        cond[r], run[r], self.acc[r], clr[r] = PENDING, t, 0.0, INF
                        due = min(due, t + self.delay)
                    else:
                        cond[r] = ON
                continue
            if c == PENDING:
                if run[r] != INF and not beyond:
                    self.acc[r] += t - run[r]
                    run[r] = INF
                elif run[r] == INF and beyond:
                    run[r] = t
                    due = min(due, t + self.delay - self.acc[r])
            if hold >= r:
                clr[r] = INF
            elif self.clear <= 0:
                self.reset(r)
                changed = True
            elif clr[r] == INF:
                clr[r] = t
                due = min(due, t + self.clear)
        if changed:
            self.summarise()
        return changed, due

    def fall_due(self, when: float) -> bool:
        """The ranks' deadlines due by `when` fell due: time beyond a limit added up to the delay
        (the rank is on), or the value stayed back inside for the clear time (off, and True)."""
        cleared = False
        for r in self.ranks:
            c = self.cond[r]
            if c == PENDING and self.run[r] != INF and self.run[r] + self.delay - self.acc[r] <= when:
                self.cond[r], self.run[r], self.acc[r] = ON, INF, 0.0
            elif c and self.clr[r] != INF and self.clr[r] + self.clear <= when:
                self.reset(r)
                cleared = True
        self.summarise()
        return cleared

    def drop_pending(self) -> bool:
        """Forget the conditions still being confirmed (no data can confirm them); True if any."""
        if not any(self.cond[r] == PENDING for r in self.ranks):
            return False
        for r in self.ranks:
            if self.cond[r] == PENDING:
                self.reset(r)
        self.summarise()
        return True

    def next_deadline(self) -> tuple[float, int, int]:
        """(time, rank, what) of the soonest confirmation (what 0) or clearing (what 1)."""
        best = (INF, 0, 0)
        for r in self.ranks:
            c = self.cond[r]
            if c == PENDING and self.run[r] != INF:
                when = self.run[r] + self.delay - self.acc[r]
                if when < best[0]:
                    best = (when, r, 0)
            if c and self.clr[r] != INF:
                when = self.clr[r] + self.clear
                if when < best[0]:
                    best = (when, r, 1)
        return best

    def set_limits(self, baseline: dict[int, tuple[float, str]]) -> None:
        """Absolute limits merged with baseline-relative ones (the stricter wins per priority)."""
        base = self.rule.upper if self.direction == "upper" else self.rule.lower
        merged: dict[int, tuple[float, str]] = {PRIORITY_RANK[p]: (float(v), "") for p, v in base.items()}
        for rank, (value, why) in baseline.items():
            cur = merged.get(rank)
            stricter = cur is None or (value < cur[0] if self.direction == "upper" else value > cur[0])
            if stricter:
                merged[rank] = (value, why)
        # Highest rank first: the level is the highest priority whose limit is crossed.
        self.limits = sorted(((r, v) for r, (v, _) in merged.items()), reverse=True)
        self.sources = {r: why for r, (_, why) in merged.items()}
        # Below `quiet` (signed: values are negated for lower alarms) a normal alarm stays normal.
        self.sign = 1.0 if self.direction == "upper" else -1.0
        self.quiet = min((self.sign * v for _, v in self.limits), default=INF)
        self.ranks = tuple(sorted(r for r, _ in self.limits))
        for r in (1, 2, 3):
            if r not in self.ranks and self.cond[r]:
                self.reset(r)

    def levels(self, v: float) -> tuple[int, int]:
        """(raise level, hold level): crossed limits, and limits not yet cleared by the margin."""
        raise_ = hold = 0
        h = self.hyst
        if self.direction == "upper":
            for r, lim in self.limits:
                if v >= lim:
                    raise_ = max(raise_, r)
                if v > lim - h:
                    hold = max(hold, r)
        else:
            for r, lim in self.limits:
                if v <= lim:
                    raise_ = max(raise_, r)
                if v < lim + h:
                    hold = max(hold, r)
        return raise_, max(hold, raise_)

    def beyond_mask(self, v: np.ndarray, rank: int) -> np.ndarray:
        """Vectorised `levels` for the batch path: where the raise level is at least `rank`."""
        mask = np.zeros(len(v), bool)
        for r, lim in self.limits:
            if r >= rank:
                mask |= v >= lim if self.direction == "upper" else v <= lim
        return mask

    def inside_mask(self, v: np.ndarray, rank: int) -> np.ndarray:
        """Vectorised `levels`: where the hold level is below `rank` (back inside by the margin)."""
        held = self.beyond_mask(v, rank)
        h = self.hyst
        for r, lim in self.limits:
            if r >= rank:
                held |= v > lim - h if self.direction == "upper" else v < lim + h
        return ~held

    def limit_for(self, rank: int) -> float | None:
        for r, lim in self.limits:
            if r == rank:
                return lim
        return None
