"""The pre-dose baseline: the readings it is the median of, kept until the initial dose, and the
limits it then sets (the engine, monitor/core/alarm_engine.py, takes the median and says it)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from monitor.core.alarm_state import ROW_NAMES
from monitor.core.dosing import MAX_BACKDATE_S
from monitor.core.priority import PRIORITY_RANK
from monitor.core.thresholds import BaselineRule
from monitor.core.vitals import format_value

# fn(vital, t0, t1): the valid readings of the vital in [t0, t1] the engine has taken.
History = Callable[[str, float, float], np.ndarray]


class PreDoseReadings:
    """Where the readings before the dose come from: a batch run's arrays while it runs, else a
    live session's store, else what the engine was fed itself (after what a batch run left).

    Fed readings are kept for the baseline window plus the longest a dose may be keyed in late
    (monitor/core/dosing.py), so a late dose still finds the readings before it was given.
    """

    def __init__(self, rules: tuple[BaselineRule, ...]) -> None:
        self.vitals = sorted({r.vital for r in rules})
        self.window = max((r.window_s for r in rules), default=0.0)
        self.keep = self.window + MAX_BACKDATE_S
        self.fed: dict[str, deque[tuple[float, float]]] = {v: deque() for v in self.vitals}
        self.left: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # a batch run's (older than `fed`)
        self.batch: History | None = None
        self.store: History | None = None
        self.kept: list[deque[tuple[float, float]] | None] | None = None  # see _keep_fed
        self._keep_fed()

    def _keep_fed(self) -> None:
        """Per row position, the deque the row handler keeps its valid readings in (None: keep
        none: there is no baseline to take, it was taken, or another source has the readings)."""
        if self.fed and self.batch is None and self.store is None:
            self.kept = [self.fed.get(n) for n in ROW_NAMES]
        else:
            self.kept = None

    def use_store(self, fn: History | None) -> None:
        self.store = fn
        if fn is not None:
            for buf in self.fed.values():
                buf.clear()
        self._keep_fed()

    def use_batch(self, fn: History | None) -> None:
        self.batch = fn
        self._keep_fed()

    def left_by_batch(self, readings_since: Callable[[str, float], tuple[np.ndarray, np.ndarray]], now: float) -> None:
        """A batch run ended at `now`: its readings stand in for the fed ones (arrays, not a deque
        of every reading; readings fed after this go to the deques)."""
        if self.store is not None:
            return
        for vital, buf in self.fed.items():
            buf.clear()
            self.left[vital] = readings_since(vital, now - self.keep)

    def between(self, vital: str, t0: float, t1: float) -> np.ndarray:
        """The valid readings of `vital` in [t0, t1] the engine has taken."""
        source = self.batch or self.store
        if source is not None:
            return source(vital, t0, t1)
        vals = np.array([v for (tt, v) in self.fed[vital] if t0 <= tt <= t1])
        if vital in self.left:
            bt, bv = self.left[vital]
            vals = np.concatenate((bv[(bt >= t0) & (bt <= t1)], vals))
        return vals

    def close(self) -> None:
        """The baseline was taken: nothing more is kept."""
        self.fed.clear()
        self.left.clear()
        self._keep_fed()


def baseline_limits(
    rules: tuple[BaselineRule, ...], baseline: dict[str, float]
) -> dict[tuple[str, str], dict[int, tuple[float, str]]]:
    """The limits the baseline sets, per (vital, direction) and priority rank, each with the why
    an alarm's label shows."""
    extra: dict[tuple[str, str], dict[int, tuple[float, str]]] = {}
    for r in rules:
        base = baseline.get(r.vital)
        if base is None:
            continue
        sign = 1 if r.direction == "upper" else -1
        why = f"baseline {format_value(r.vital, base)} {'+' if sign > 0 else '-'} {r.delta:g}"
        extra.setdefault((r.vital, r.direction), {})[PRIORITY_RANK[r.priority]] = (base + sign * r.delta, why)
    return extra
