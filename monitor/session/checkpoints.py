"""Alarm-engine checkpoints along a recording, so a replay's seek costs the same anywhere.

One batch run over the whole recording (the run `vitals-monitor alarms` makes) stops every
`EVERY_S` of session time to keep a snapshot of the engine (`AlarmEngine.snapshot`: a few
kilobytes; the log is kept once, each snapshot only its length). A seek takes the nearest
snapshot at or before the target and batch-runs the rows and controls from there to the target
over the same arrays (`BatchRun.on`), which leaves the engine exactly as a run from the first row
would (tests/test_replay_seek.py).
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from monitor.core.alarm_batch import BatchRun
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, Control, order_controls
from monitor.core.readings import VitalStore
from monitor.core.thresholds import Thresholds

EVERY_S = 300.0  # session time between checkpoints: a seek batch-runs at most this much


class Checkpoints:
    def __init__(
        self,
        th: Thresholds,
        store: VitalStore,
        controls: list[Control],
        end: float | None,
        every_s: float = EVERY_S,
    ):
        self.controls = order_controls(controls)
        engine = AlarmEngine(th)
        self.batch = BatchRun(engine, store, self.controls)
        n, t = len(store), store.t
        self.rows: list[int] = [0]  # a checkpoint's rows taken
        self.applied: list[int] = [0]  # and controls applied (the first that many of `controls`)
        self.snaps: list[AlarmEngine] = [engine.snapshot()]
        marks = np.arange(t[0] + every_s, t[-1], every_s) if n else np.empty(0)
        lo = 0
        for c in np.unique(np.searchsorted(t, marks, "left")).tolist():
            if not lo < c < n:
                continue
            engine.run_batch(self.batch, lo, c, final=False)
            self.rows.append(c)
            self.applied.append(self.batch.applied)
            self.snaps.append(engine.snapshot())
            lo = c
        self.log: list[AlarmEvent] = engine.run_batch(self.batch, lo, n, end=end)
        self.batch.e = self.snaps[0]  # (the run is over: its engine is not kept alive by it)

    def engine_at(self, j: int, controls: list[Control], end: float | None) -> AlarmEngine:
        """A new engine as a batch run over the first j rows and `controls` (the controls
        recorded by then, in any order) would leave it, ticked to `end`."""
        mine = order_controls(controls)
        i = bisect_right(self.rows, j) - 1
        while i > 0 and not self._fits(i, j, mine):
            i -= 1
        snap, c, k = self.snaps[i], self.rows[i], self.applied[i]
        engine = snap.copy_with_log(self.log[: snap.log_length])
        engine.run_batch(self.batch.on(engine, mine[k:]), c, j, end=end)
        return engine

    def _fits(self, i: int, j: int, mine: list[Control]) -> bool:
        """Whether checkpoint i stands on the way to row j with these controls: it applied the
        first of them and none else, and the next of them comes after its rows."""
        c, k = self.rows[i], self.applied[i]
        if len(mine) < k or mine[:k] != self.controls[:k]:
            return False
        if len(mine) == k:
            return True
        nxt = mine[k]
        b = min(nxt.seq, j) if nxt.seq is not None else self.batch.row_after(nxt.t, j)
        return b >= c
