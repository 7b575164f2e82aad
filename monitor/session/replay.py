"""A replay: the live session over a `ReplaySource`, plus what only a replay has (no Textual).

`ReplayController` composes a `Session` (never recording) over the source: the session polls the
source like any feed, so rows and recorded actions reach the store and the alarm engine by the
same path as live. At max speed the source gives a bounded number of rows per poll, adapted so a
poll takes about `budget_s` of real time and the app keeps answering keys.

Seeking rebuilds the state at the target time (monitor.session.restore): the store up to it (a
view of the recording's arrays, not a copy), the alarm engine from the nearest checkpoint before it
batch-run to it (monitor.session.checkpoints: the same state as a run from the first row, in about
the same time anywhere in the recording), the doses, notes and event log up to it. What the
screen shows after a seek is what a live viewer saw at that moment; playing on from there
continues live.

It also holds the whole session's alarm log under the replay's limits (marks on the position bar,
] and [ jumps) and its difference from a reference log (the recorded one, or the session's own
limits' when others were given).
"""

from __future__ import annotations

import math

from monitor.core.alarm_diff import Difference, diff_logs
from monitor.core.alarm_types import AlarmEvent
from monitor.core.protocol import protocol_from_stored
from monitor.core.thresholds import Thresholds
from monitor.session.checkpoints import Checkpoints
from monitor.session.clock import Clock
from monitor.session.restore import event_controls, restore_state
from monitor.session.service import Session
from monitor.sources.replay import ReplaySource

BUDGET_S = 0.03  # real seconds one poll may spend at max speed
MIN_ROWS, MAX_ROWS = 64, 1 << 16
FIRST_ROWS = 512  # the first poll at max speed, before its cost is known


class ReplayController:
    def __init__(
        self,
        source: ReplaySource,
        thresholds: Thresholds,
        *,
        clock: Clock | None = None,
        budget_s: float = BUDGET_S,
        reference: list[AlarmEvent] | None = None,
        reference_what: str = "",
        notes: list[str] | tuple[str, ...] = (),
    ):
        self.src = source
        self.th = thresholds
        self.budget_s = budget_s
        source.max_rows = FIRST_ROWS
        rs = getattr(source, "rs", None)
        meta = rs.meta if rs is not None else {}
        self.session = Session(
            source,
            thresholds,
            folder=None,
            label=source.label,
            clock=clock,
            record=False,
            protocol=protocol_from_stored(meta.get("protocol")),
            info={k: meta[k] for k in ("participant", "session_number", "site", "staff") if k in meta},
        )
        if rs is not None:
            self.session.typed.preload(rs.events)  # typed rows marked as typed, as they were live
        # One batch run over the whole recording gives the full log and the checkpoints a seek
        # starts from (the recording's store, shared with every seek's).
        self.checkpoints = Checkpoints(thresholds, source.full_store(), source.controls(), source.end)
        self.full_log = self.checkpoints.log
        self.alarm_marks = [(e.t, e.priority) for e in self.full_log if e.state == "active"]
        self.reference = reference
        self.reference_what = reference_what
        self.diffs: list[Difference] = diff_logs(reference, self.full_log, source.end) if reference is not None else []
        for note in notes:  # e.g. stale limits fitted to the recording's own sampling
            self.session.note(note)

    @property
    def finished(self) -> bool:
        return self.session.finished

    def poll(self) -> bool:
        src = self.src
        timer = self.session.clock.work_timer
        row, began = src.row, timer() if timer is not None else 0.0
        changed = self.session.poll()
        rows = src.row - row
        if timer is not None and rows and math.isinf(src.speed):
            self._fit_rows(rows, timer() - began)
        return changed

    def _fit_rows(self, rows: int, spent: float) -> None:
        """Size the next max-speed poll to the budget from what this one's rows cost. Only a poll
        that played rows says anything: a redraw's (the source on hold) plays none, and taken for
        a cheap poll it would grow the next one without bound. It shrinks at once and grows at
        most twofold, as a few rows' cost is a noisy measure."""
        fit = int(rows * self.budget_s / spent) if spent > 0 else MAX_ROWS
        self.src.max_rows = max(MIN_ROWS, min(MAX_ROWS, fit, 2 * self.src.max_rows))

    def play_to(self, t: float) -> None:
        """Play every row and action up to event time t through the live path (one poll)."""
        self.src.goto = self.src.clamp(t)
        self.session.poll()

    def seek(self, t: float) -> float:
        """Rebuild the screen's state at event time t (clamped to the session); returns it."""
        src, s = self.src, self.session
        t = src.clamp(t)
        j = src.rows_upto(t)
        k = src.actions_upto_row(j, t)
        store = src.store_upto(j)
        events = src.events_upto(k)
        engine = self.checkpoints.engine_at(j, event_controls(events), t)
        state = restore_state(self.th, store, events, None, t, s.fmt, engine)
        s.adopt(store, state)
        src.rewind(j, k, t)
        s.finished = src.at_end
        return t

    def next_alarm(self) -> float | None:
        """The start of the next alarm after the position (under the replay's limits)."""
        p = self.src.position
        return next((t for t, _ in self.alarm_marks if t > p + 0.5), None)

    def previous_alarm(self) -> float | None:
        p = self.src.position
        return next((t for t, _ in reversed(self.alarm_marks) if t < p - 0.5), None)
