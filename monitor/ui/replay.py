"""The replay session behind the screen: a `ReplaySource` through the live path (no Textual here).

`ReplaySession` is a `LiveSession` that never records and whose poll takes the rows and recorded
actions the virtual clock has passed: rows go to the store and the alarm engine one by one as
live, actions are applied at their times (doses, acknowledgements, pauses as engine controls;
notes shown). At max speed one poll works for at most `budget_s` of real time, so the app keeps
answering keys.

Seeking rebuilds the state at the target time from scratch: the store up to it, a batch run of a
new engine over that store with the actions up to it (a batch run leaves the engine as if every row
had been fed live), and the doses, notes and event log up to it. What the screen shows after a seek
is what a live viewer saw at that moment; playing on from there continues live.
"""

from __future__ import annotations

import math
import time

from monitor.core.alarm_diff import Difference, diff_logs
from monitor.core.alarms import ROW_NAMES, AlarmEngine, AlarmEvent, fit_stale_rules
from monitor.core.readings import Reading
from monitor.core.session import Dose, Note, parse_time
from monitor.core.thresholds import Thresholds

from monitor.sources.replay import Action, ReplaySource
from monitor.ui.live import Clock, LiveSession, LogEntry

BUDGET_S = 0.02  # real seconds one poll may spend at max speed


class ReplaySession(LiveSession):
    def __init__(self, source: ReplaySource, thresholds: Thresholds, *, clock: Clock | None = None,
                 budget_s: float = BUDGET_S, reference: list[AlarmEvent] | None = None,
                 reference_what: str = ""):
        thresholds, self.fitted = fit_stale_rules(thresholds, source.full_store())
        super().__init__(source, thresholds, folder=None, label=source.label, clock=clock, record=False)
        self.src = source
        self.budget_s = budget_s
        # The whole session's log under these limits: marks on the position bar, ] and [ jumps,
        # and the comparison with the recorded log.
        self.full_log = AlarmEngine(thresholds).run(source.full_store(), source.controls(), end=source.end)
        self.alarm_marks = [(e.t, e.priority) for e in self.full_log if e.state == "active"]
        self.reference = reference
        self.reference_what = reference_what
        self.diffs: list[Difference] = (diff_logs(reference, self.full_log, source.end)
                                        if reference is not None else [])
        self.hold = False  # the app is redrawing this tick: take nothing from the recording
        for note in self.fitted:  # stale limits widened to the recording's own sampling
            self._note_log("session", "", note)

    # -- playing -------------------------------------------------------------------------------

    def poll(self) -> bool:
        now = self.clock.monotonic()
        if self.hold:
            return False
        self._poll_mono = now
        before = (self.version, len(self.engine.log))
        src = self.src
        target = src.target(now)
        was_end = src.at_end
        self._play(target)
        if src.at_end and not was_end:
            src.play(False)
            self.finished = True
            self._note_log("session", "", "end of the recording")
        self._expire(now)
        if (self.version, len(self.engine.log)) != before:
            self.version += 1
            return True
        return False

    def _play(self, target: float) -> None:
        src, engine = self.src, self.engine
        tl, rows, actions = src.tl, src.rows, src.actions
        n, na = len(tl), len(actions)
        i0 = i = src.row
        k = src.action
        fast = math.isinf(target)
        deadline = time.perf_counter() + self.budget_s if fast else math.inf
        feed = engine.feed
        while i < n and tl[i] <= target:
            ti = tl[i]
            # Live stamps a key at the time the engine was ticked to, after the rows up to then:
            # an action comes before a row only when it is strictly earlier (as AlarmEngine.run).
            while k < na and actions[k].t < ti:
                self._apply(actions[k])
                k += 1
            feed(Reading(ti, *rows[i]))
            i += 1
            if fast and not (i & 127) and time.perf_counter() > deadline:
                break
        if fast:
            reached = src.end if i >= n else tl[i - 1]
        else:
            reached = target
        while k < na and actions[k].t <= reached:
            self._apply(actions[k])
            k += 1
        if i > i0:
            t, cols = src.store_slice(i0, i)
            self.store.extend(t, cols)
            self._anchor = (tl[i - 1], self._poll_mono)
            self.data_version += 1
            self.version += 1
        src.row, src.action = i, k
        src.position = max(src.position, reached)
        engine.tick(src.position)

    def _apply(self, a: Action) -> None:
        if a.control is not None:
            self.engine.apply(a.control)
        self._show(a)
        self.version += 1

    def _show(self, a: Action) -> None:
        """The dose, note, acknowledgement or pause on screen, as it was live."""
        e = a.event
        who = f" by {e['who']}" if e.get("who") else ""
        if a.kind == "dose":
            at = e.get("given_at")
            try:
                at = parse_time(at) if at is not None else a.t
            except (TypeError, ValueError):
                at = a.t
            kind = e.get("dose", "initial")
            self.doses.append(Dose(at, kind, e.get("amount_mg")))
            amount = e.get("amount_mg")
            mg = f"{float(amount):g} mg " if isinstance(amount, (int, float)) else ""
            src = " (by the simulated scenario)" if e.get("source") == "simulator" else who
            self._note_log("dose", "", f"{kind} dose {mg}recorded{src}", t=a.t)
        elif a.kind == "note":
            self.notes.append(Note(a.t, str(e.get("text", ""))))
            self._note_log("note", "", f"note: {e.get('text', '')}", t=a.t)
        elif a.kind == "ack":
            self._note_log("ack", "", f"alarms acknowledged{who}", t=a.t)
        elif a.kind == "pause":
            self._pause_started = a.t
            self._note_log("pause", "", f"audio paused for {e.get('seconds')} s{who}", t=a.t)

    # -- seeking -------------------------------------------------------------------------------

    def seek(self, t: float) -> float:
        """Rebuild the screen's state at event time t (clamped to the session); returns it."""
        src = self.src
        t = src.clamp(t)
        j, k = src.rows_upto(t), src.actions_upto(t)
        store = src.store_upto(j)
        self._replaying = True
        self.repeat = None
        self.doses, self.notes, self.log = [], [], []
        try:
            engine = AlarmEngine(self.th, on_event=self._on_alarm)
            engine.run(store, src.controls_upto(k), end=t)
        finally:
            self._replaying = False
        self.engine, self.store = engine, store
        for a in src.actions[:k]:
            self._show(a)
        entries = self.log + [LogEntry(e.t, "alarm", e.priority, e.message, e.state) for e in engine.log]
        entries.sort(key=lambda e: e.t)
        self.log = entries[-5000:]
        self.log_serial += len(entries) + 1
        src.row, src.action, src.position = j, k, t
        src._last_mono = None
        self.finished = src.at_end
        if self.finished:
            src.play(False)
        self._anchor = (src.tl[j - 1], self.clock.monotonic()) if j else None
        self.reminders, self.onsets = [], []
        self.data_version += 1
        self.version += 1
        return t

    def next_alarm(self) -> float | None:
        """The start of the next alarm after the position (under the replay's limits)."""
        p = self.src.position
        return next((t for t, _ in self.alarm_marks if t > p + 0.5), None)

    def previous_alarm(self) -> float | None:
        p = self.src.position
        return next((t for t, _ in reversed(self.alarm_marks) if t < p - 0.5), None)


def reference_log(rs, thresholds_given: bool) -> tuple[list[AlarmEvent] | None, str]:
    """The log to compare the replay's alarms with: the recorded one, else (with --thresholds)
    the one the session's stored limits (or the defaults) give. None: nothing to compare."""
    recorded = rs.recorded_alarms()
    if recorded:
        return recorded, "the alarm log recorded in the session"
    if not thresholds_given:
        return None, ""
    from monitor.core.thresholds import load_thresholds

    base = rs.stored_thresholds() or load_thresholds()
    base, _ = fit_stale_rules(base, rs.store)
    log = AlarmEngine(base).run(rs.store, rs.controls(), end=rs.end_time())
    return log, f"the alarms under {base.source or 'the thresholds stored in the session'}"
