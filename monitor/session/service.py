"""The live session: feed -> store + recording + alarm engine, and the user's actions (no Textual).

The bedside app owns one `Session` and calls `poll()` from a single timer; a headless bedside
process does the same without a screen, and a replay composes one over a `ReplaySource`. The
screen only reads what the session holds (the store, the engine's status, the doses, the log).

One path, one alarm model: every reading, action and technical problem reaches the alarm engine
as a reading or a `Control` at the event time it is recorded with, together with `seq` (how many
readings the engine had taken), so `vitals-monitor alarms` over the recording gives the same log.
Feed and recorder problems are technical alarms of the engine (`technical` controls), so pause,
break-through and the log are decided there. A tick of the live clock that fires a deadline
(a silence, a pause end, a reminder) is recorded as a `clock` control for the same reason.

Readings from a followed file are held back until a later one arrives (or half a second passes),
so that two lines with the same time stamp that the bridge wrote across two polls become one row,
as the whole-file reader merges them (first value wins). Feeds that deliver whole rows (the
simulator, a replay) are not held (`Feed.splits_rows`).
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, AlarmStatus, Control
from monitor.core.dosing import Dose, Note, SupplementStatus, supplement_status
from monitor.core.priority import PRIORITY_RANK, TECHNICAL_RANK
from monitor.core.readings import Reading, VitalStore
from monitor.core.stale_fit import fit_stale_rules
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import event_time
from monitor.core.vitals import VITALS
from monitor.recording import SessionRecorder, format_time
from monitor.recording.events import CONTROL_KINDS, event_control
from monitor.session.clock import Clock, EventClock
from monitor.session.log import MAX_ENTRIES, LogEntry, action_entry, mg
from monitor.session.restore import restore_state
from monitor.session.sink import RecordingSink

HOLD_S = 60.0  # a bad line (an error, a dropped row) keeps its technical alarm up this long, in real seconds
MERGE_WAIT_S = 0.5  # how long a file's newest row waits for a second line with its time stamp (2 polls)


class ActionError(Exception):
    """A key the session cannot act on now; str() is one sentence for the user."""


@dataclass
class _Preclock:
    """A technical alarm raised before the session has an event time (a file not there yet)."""

    name: str
    priority: str
    message: str
    state: str = "active"


class Session:
    """Store, engine, recording and feed of one monitoring session."""

    def __init__(self, feed, thresholds: Thresholds, *, folder: str | Path | None = None,
                 label: str = "", clock: Clock | None = None, resume=None, user: str = "",
                 recorder_factory: Callable[..., SessionRecorder] = SessionRecorder,
                 record: bool = True, fit_stale: bool = False):
        self.feed = feed
        self.th = thresholds
        self.clock = clock or Clock()
        self.user = user
        self.tz = None  # the zone times are written in (the app sets it; None = local)
        self.label = label or getattr(feed, "label", "") or "session"
        self.folder = Path(folder) if folder is not None else None
        self.sink = RecordingSink(self.folder, record and getattr(feed, "records", True), self.clock.wall,
                                  self.clock.monotonic, recorder_factory)
        self.store = VitalStore()
        self.engine = AlarmEngine(thresholds, on_event=self._on_alarm)
        self.engine.history_from(self._history)
        self.doses: list[Dose] = []
        self.notes: list[Note] = []
        self.log: list[LogEntry] = []
        self.log_serial = 0  # grows with every entry (the log list is trimmed)
        self.repeat: AlarmEvent | None = None  # the newest repeat-measurement request
        self.reminders: list[int] = []  # ranks of reminders since the UI last rang for them
        self.onsets: list[int] = []  # ranks of alarms that started or escalated since then
        self.finished = False
        self.version = 0  # bumped whenever something the screen shows changed
        self.data_version = 0  # bumped when readings arrived (charts redraw)
        self.started_wall = self.clock.wall()
        self.absolute: bool | None = feed.absolute()
        self.fitted: list[str] = []  # how the default stale limits were fitted to this feed
        self._fit_pending = fit_stale
        self._events_clock = EventClock(feed.lag_s)
        self._poll_mono: float | None = None  # monotonic time of the last poll
        self._resume_t = -math.inf
        self._replay_until = -math.inf  # a rewritten file's rows up to here were seen already
        self._held: Reading | None = None
        self._held_at = 0.0
        self._preclock: dict[str, _Preclock] = {}
        self._expires: dict[str, float] = {}  # technical alarm -> monotonic time it clears by itself
        self._episode: dict[str, int] = {}  # technical alarm -> how many problems in this episode
        self._present: tuple[int, set[str]] = (-1, set())
        self._flushing = False
        self._clock_known = False  # a first reading has reached the engine
        self._fed = 0  # see _taken
        self._fed_t = -math.inf
        self.resumed = resume is not None
        self.resume_note = ""
        if resume is not None:
            self._load(resume)

    @property
    def recorder(self) -> SessionRecorder | None:
        return self.sink.recorder

    @property
    def record_enabled(self) -> bool:
        return self.sink.enabled

    # -- the clock -----------------------------------------------------------------------------

    def event_now(self) -> float | None:
        """The engine's current event time (see monitor.session.clock), or None before any data.

        It is taken at the monotonic time of the last poll, so a key pressed between two polls is
        stamped at the time the engine was last ticked to, never ahead of readings not yet taken.
        """
        now = self._poll_mono if self._poll_mono is not None else self.clock.monotonic()
        t = self.feed.clock(now)
        if t is None:
            t = self._events_clock.mapped(now)
            if t is None:
                return None if self.engine.t == -math.inf else self.engine.t
            if self._held is not None:
                t = min(t, self._held.t)  # never ahead of a reading not yet taken
        return max(t, self.engine.t)

    @property
    def lag_s(self) -> float:
        return self._events_clock.lag_s

    # -- starting and stopping -----------------------------------------------------------------

    def start(self) -> None:
        """Open the recording if its time kind is known and say that the session started."""
        self._ensure_recorder()
        self._note_log("session", "", f"{'resumed' if self.resumed else 'started'}: {self.label} "
                                      f"({self.feed.mode.lower()}, {self.feed.source})")
        if self.resume_note:
            self._note_log("session", "", self.resume_note)

    def stop(self) -> None:
        self._release_held(force=True)
        t = self.event_now()
        if t is not None:
            self._tick(t)
        self.sink.failed_at = None  # a last try to open the recording, whenever the one before was
        self._ensure_recorder()
        if self.recorder is not None:
            self._rec("event", t if t is not None else self.engine.t, "stop",
                      wall=format_time(self.clock.wall(), True))
            self._flush()
        if self.sink.backlog and self.sink.enabled:
            self.sink.log_line(f"{len(self.sink.backlog)} record(s) could not be written: "
                               f"{'the recording never opened' if self.recorder is None else 'the disk refused'}")
        self.sink.log_line("session stopped")
        self.sink.close()
        try:
            self.feed.close()
        except Exception as exc:  # noqa: BLE001 - the recording is closed already; say it and go on
            self.sink.log_line(f"the feed did not close cleanly: {exc!r}")

    def _ensure_recorder(self, first: float | None = None) -> None:
        """Open the recording once the feed's time kind is known; retried after a failure."""
        if not self.sink.can_try_open():
            return
        if self.absolute is None:
            self.absolute = self.feed.absolute()
        if self.absolute is None:
            return  # a followed file with no row yet: its clock is unknown
        if first is None:
            first = self.store.span()[0] if len(self.store) else self.event_now()
        if first is None:
            return  # no event time yet: the recording starts with the first reading
        extra = {"mode": self.feed.mode, **self.feed.meta()}
        if self.fitted:
            extra["stale_fitted"] = list(self.fitted)
        error = self.sink.open(label=self.label, source=self.feed.source, simulated=self.feed.simulated,
                               thresholds=self.th, absolute=self.absolute, start=first, extra=extra)
        if error is not None:
            # Never give up: everything stays in memory and is written once the recording opens.
            self._technical("record.write", "raise", "high", f"RECORDING FAILED: {error}; retrying")
            return
        # The session's start comes first in the file, at its first reading (or now, resumed).
        start_t = self.event_now() if self.resumed else first
        self.sink.put("event", start_t, "start", first=True, resumed=self.resumed, mode=self.feed.mode,
                      source=self.feed.source, label=self.label, wall=format_time(self.clock.wall(), True))
        self._flush()

    # -- polling -------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Take what the feed has, feed the engine, tick it; True when the screen should change."""
        now = self.clock.monotonic()
        self._poll_mono = now
        before = (self.version, len(self.engine.log))
        try:
            up = self.feed.poll(now)
            for s in up.status:
                self._feed_status(s)
            if up.readings or up.events:
                self._ingest(up.readings, up.events, up.reopened, now)
            if up.rejected:
                self._rejected(up.rejected)
        except Exception as exc:  # noqa: BLE001 - the monitor must not die of one bad batch
            self.internal_error("while reading the feed", exc, name="feed.error", priority="technical")
        try:
            self._release_held()
            if self.recorder is None:
                self._ensure_recorder()
            t = self.event_now()
            if t is not None:
                self._tick(t)
            self._expire(now)
            if self.sink.due():
                self._flush()
        except Exception as exc:  # noqa: BLE001
            self.internal_error("while updating the session", exc)
        if (self.version, len(self.engine.log)) != before:
            self.version += 1
            return True
        return False

    def _tick(self, t: float) -> None:
        n = self.engine.fired
        seq = self._taken()
        self.engine.tick(t)
        if self.engine.fired != n:
            # The live clock fired a deadline (said in the log or not, such as a delay that added
            # up for an alarm already sounding): a re-run must tick here too, between the same
            # readings.
            self._rec("event", t, "clock", seq=seq)

    def _ingest(self, readings: list[Reading], events: list, reopened: bool, now: float) -> None:
        newest = self._newest()
        if reopened:
            self._replay_until = max(self._replay_until, newest)
        accepted: list[Reading] = []
        repeated = dropped = 0
        first_dropped = None
        # A replay gives its actions in the order they were applied (by seq); the simulator by time.
        ordered = events if any(e.seq is not None for e in events) else sorted(events, key=lambda e: e.t)
        k = 0
        for r in readings:
            if r.t < self._resume_t or r.t <= self._replay_until:
                repeated += 1  # already in the store (a resumed session, a rewritten file)
                continue
            self._replay_until = -math.inf  # the rewritten file has caught up
            if r.t < newest:
                if self._stored_row_equals(r):
                    repeated += 1  # a bridge that wrote a line again
                else:
                    dropped += 1
                    first_dropped = first_dropped or r
                continue
            if accepted and r.t == accepted[-1].t:
                accepted[-1] = _merge(accepted[-1], r)
                continue
            if r.t == newest and self._held is None:
                extra = self._new_values_only(r)
                if extra is None:
                    repeated += 1
                    continue
                r = extra
            while k < len(ordered) and self._event_before(ordered[k], r, len(accepted)):
                self._take(accepted)
                self._source_event(ordered[k])
                k += 1
            accepted.append(r)
            newest = r.t
        if accepted:
            if self._fit_pending:
                self._fit_stale(accepted)
            oldest = accepted[0].t
            if self._events_clock.arrived(oldest, accepted[-1].t, now, catch_up=reopened):
                self._note_log("feed", "", f"the feed delivers readings in bursts: 'no data' is judged "
                                           f"{self._events_clock.lag_s:.0f} s after the newest reading's time")
        self._take(accepted, hold_last=getattr(self.feed, "splits_rows", False) and k >= len(ordered))
        while k < len(ordered):
            self._source_event(ordered[k])
            k += 1
        if repeated and reopened:
            self._note_log("feed", "", f"{repeated} row(s) already shown were skipped (the file was read again "
                                       "from its start)")
        if dropped:
            self._count_problem("feed.order", dropped, lambda n: (
                f"{n} reading(s) older than the newest one were left out (first at "
                f"{self.fmt(first_dropped.t)}): times go backwards in the feed"))

    def _event_before(self, e, r: Reading, pending: int) -> bool:
        """Whether a source event comes before reading r (pending: readings accepted before r)."""
        if e.seq is not None:
            return e.seq <= self._taken() + pending
        return e.t < r.t

    def _newest(self) -> float:
        return self.store.span()[1] if len(self.store) else -math.inf

    def _stored_row_equals(self, r: Reading) -> bool:
        st = self.store
        i = int(np.searchsorted(st.t, r.t, "left"))
        while i < len(st) and st.t[i] == r.t:
            if all(_same(float(st.column(v)[i]), getattr(r, v)) for v in VITALS):
                return True
            i += 1
        return False

    def _new_values_only(self, r: Reading) -> Reading | None:
        """A second row with the newest time, after that row was taken: only the values it adds
        (the first row's values win, as the whole-file reader merges them); None if nothing."""
        last = len(self.store) - 1
        vals = {}
        for v in VITALS:
            stored = float(self.store.column(v)[last])
            vals[v] = getattr(r, v) if stored != stored else math.nan
        if all(x != x for x in vals.values()):
            return None
        return Reading(r.t, **vals)

    def _take(self, accepted: list[Reading], hold_last: bool = False) -> None:
        """The accepted readings go into the store (the screen shows them at once), the engine
        and the recording; with `hold_last` the newest waits before it reaches the engine, for a
        second line with its time stamp."""
        if not accepted:
            return
        rows = accepted[:]
        accepted.clear()
        merged: list[Reading] = []
        for r in rows:
            if merged and r.t == merged[-1].t:
                merged[-1] = _merge(merged[-1], r)
            else:
                merged.append(r)
        held = self._held
        if held is not None:
            if merged[0].t == held.t:
                self.store.pop_last()  # merged again below, as the whole-file reader merges them
                merged[0] = _merge(held, merged[0])
                self._held = None
            else:
                self._release_held(force=True)
        n = len(merged)
        if n <= 8:
            for r in merged:  # a poll brings a line or a few: cheaper one by one than as arrays
                self.store.append(r)
        else:
            self.store.extend(np.fromiter((r.t for r in merged), float, n),
                              {v: np.fromiter((getattr(r, v) for r in merged), float, n) for v in VITALS})
        self.data_version += 1
        self.version += 1
        if hold_last:
            self._held, self._held_at = merged.pop(), self.clock.monotonic()
        self._commit(merged)

    def _release_held(self, force: bool = False) -> None:
        if self._held is None:
            return
        if force or self.clock.monotonic() - self._held_at >= MERGE_WAIT_S:
            r, self._held = self._held, None
            self._commit([r])

    def _history(self, vital: str, t0: float, t1: float) -> np.ndarray:
        """The readings the engine has taken, for a baseline (the held newest line is not one)."""
        if vital not in VITALS:
            return np.empty(0)
        return self.store.valid_between(vital, t0, t1, len(self.store) - (self._held is not None))

    def _taken(self) -> int:
        """Readings the engine has taken, counted as the recording is read back: one per time
        stamp (a second line for a time stamp already taken is merged into it on loading). A
        control recorded with this count is applied between the same readings by a re-run."""
        return self._fed

    def _commit(self, rows: list[Reading]) -> None:
        """The readings (already in the store) enter the engine and the recording."""
        if not rows:
            return
        if not self._clock_known:
            self._clock_started(rows[0].t)
        for r in rows:
            self.engine.feed(r)  # at its own time, even when the clock has passed it (a late row)
            if r.t != self._fed_t:
                self._fed += 1
                self._fed_t = r.t
        self._rec("readings", rows)

    def _clock_started(self, t: float) -> None:
        """The first reading: event time exists from now on. Open the recording, and raise in the
        engine what was raised before there was a time to raise it at."""
        self._clock_known = True
        if self.absolute is None:
            self.absolute = self.feed.absolute()
        self._ensure_recorder(first=t)
        for p in list(self._preclock.values()):
            del self._preclock[p.name]
            if p.state == "active":
                self._technical(p.name, "raise", p.priority, p.message, at=t)

    def _fit_stale(self, rows: list[Reading]) -> None:
        """Fit the default stale limits to the first readings (what `alarms` does to a whole file)."""
        self._fit_pending = False
        if self.engine.log or self.engine.t != -math.inf or len(rows) < 3:
            return
        store = VitalStore()
        n = len(rows)
        store.extend(np.fromiter((r.t for r in rows), float, n),
                     {v: np.fromiter((getattr(r, v) for r in rows), float, n) for v in VITALS})
        th, notes = fit_stale_rules(self.th, store)
        if notes:
            self.th, self.fitted = th, notes
            self.engine = AlarmEngine(th, on_event=self._on_alarm)
            self.engine.history_from(self._history)
            for note in notes:
                self._note_log("session", "", note)

    def _source_event(self, e) -> None:
        """A dose or note from the source (the simulator's scenario), or a recorded action (replay)."""
        if not getattr(self.feed, "records", True):
            self._replayed(e)
            return
        t = max(e.t, self.engine.t)
        seq = self._taken()
        if e.kind == "dose":
            kind = e.fields.get("dose", "initial")
            amount = e.fields.get("amount_mg")
            if any(d.dose == kind for d in self.doses):
                self._note_log("dose", "", f"the source's {kind} dose at {self.fmt(e.t)} was not applied: "
                                           f"a {kind} dose is already recorded")
                return
            self._rec("event", t, "dose", dose=kind, amount_mg=amount, source="simulator", seq=seq)
            self.engine.apply(Control(t, "dose", {"dose": kind}, seq))
            self.doses.append(Dose(t, kind, amount))
            self._note_log("dose", "", f"{kind} dose {mg(amount)}given (by the simulated scenario)", t=t)
        elif e.kind == "note":
            text = str(e.fields.get("text", ""))
            self._rec("event", t, "note", text=text, source="simulator", seq=seq)
            self.notes.append(Note(t, text))
            self._note_log("note", "", f"note (simulator): {text}", t=t)

    def _replayed(self, e) -> None:
        """A recorded action, applied as it was live (a replay writes nothing)."""
        rec = {"t": e.t, "kind": e.kind, **e.fields}
        control = event_control(rec) if e.kind in CONTROL_KINDS else None
        if control is not None:
            self.engine.apply(control)
        if e.kind == "dose":
            self.doses.append(Dose(rec["given_at"], rec["dose"], rec["amount_mg"]))
        elif e.kind == "note":
            self.notes.append(Note(e.t, rec["text"]))
        entry = action_entry(rec, self.fmt)
        if entry is not None:
            self._add_log(entry)
        self.version += 1

    def _feed_status(self, s) -> None:
        t = self.event_now()
        if s.kind in ("lost", "waiting", "error"):
            self._technical("feed.lost", "raise", "technical", s.message)
        elif s.kind in ("opened", "restored", "recovered"):
            self._technical("feed.lost", "clear", message=s.message)
        elif s.kind == "ended":
            self.finished = True
        if t is not None and s.kind != "waiting":
            self._rec("event", t, "feed", state=s.kind, message=s.message)
        if s.kind not in ("lost", "waiting", "error"):
            self._note_log("feed", "", s.message)
        self.sink.log_line(f"feed {s.kind}: {s.message}")
        self.version += 1

    def _rejected(self, rejected) -> None:
        n = len(rejected)
        first = rejected[0]
        name = getattr(getattr(self.feed, "path", None), "name", "the feed")
        self._count_problem("feed.data", n, lambda total: (
            f"{total} bad line{'s' if total > 1 else ''} in {name} (line {first.line}: {first.reason})"))
        for r in rejected[:5]:
            self._note_log("feed", "technical", f"line {r.line} rejected: {r.reason}")
        if n > 5:
            self._note_log("feed", "technical", f"... and {n - 5} more bad lines")
        for r in rejected:
            self.sink.log_line(f"line {r.line} rejected: {r.reason}")
        t = self.event_now()
        if t is not None:
            self._rec("event", t, "feed", state="rejected", lines=[r.line for r in rejected[:100]],
                      message=f"{n} line(s) rejected; first: line {first.line}: {first.reason}")

    # -- technical alarms about the monitor ----------------------------------------------------

    def _count_problem(self, name: str, n: int, message: Callable[[int], str]) -> None:
        """A problem that may repeat (bad lines, rows out of order): one alarm per episode, its
        count growing, cleared after HOLD_S real seconds without another."""
        total = self._episode.get(name, 0) + n
        self._episode[name] = total
        self._technical(name, "raise", "technical", message(total), hold=HOLD_S)

    def _technical(self, name: str, action: str, priority: str = "technical", message: str = "",
                   hold: float | None = None, at: float | None = None) -> None:
        """Raise (or say again) or clear a technical alarm through the engine, recorded as a control."""
        t = at if at is not None else self.event_now()
        if action == "raise" and hold:
            self._expires[name] = self.clock.monotonic() + hold
        elif action == "clear":
            self._expires.pop(name, None)
            self._episode.pop(name, None)
        if t is None:
            self._preclock_alarm(name, action, priority, message)
            return
        current = self.engine.technical_priority(name)
        if action == "clear" and current is None:
            self._preclock.pop(name, None)
            return
        if action == "raise" and current is not None and (current == priority or priority != "high"):
            # The same problem said again: the alarm's words change, the log does not.
            self.engine.technical(t, name, "raise", current, message)
            self.version += 1
            return
        seq = self._taken()
        self._rec("event", t, "technical", name=name, action=action, priority=priority, message=message, seq=seq)
        self.engine.apply(Control(t, "technical", {"name": name, "action": action, "priority": priority,
                                                   "message": message}, seq))
        self.sink.log_line(f"{priority.upper()} {name}: {message}" if action == "raise"
                           else f"cleared {name}: {message}")

    def _preclock_alarm(self, name: str, action: str, priority: str, message: str) -> None:
        p = self._preclock.get(name)
        if action == "clear":
            if p is not None:
                del self._preclock[name]
                self._note_log("feed", p.priority, f"{name} cleared: {message}", state="cleared")
                self.sink.log_line(f"cleared {name}: {message}")
        elif p is None:
            self._preclock[name] = _Preclock(name, priority, message)
            self._note_log("feed", priority, message, state="active")
            self.sink.log_line(f"{priority.upper()} {name}: {message}")
        else:
            p.message = message
        self.version += 1

    def _expire(self, now: float) -> None:
        for name in [n for n, at in self._expires.items() if now >= at]:
            total = self._episode.get(name)
            why = "no further problems for a minute"
            if total:
                why += f" ({total} in all)"
            self._technical(name, "clear", message=why)

    def internal_error(self, where: str, exc: BaseException, name: str = "app.error",
                       priority: str = "high") -> None:
        """An unexpected error: logged with its traceback, shown as a technical alarm; the
        session carries on (the last-resort handler of the app calls this too)."""
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.sink.log_line(f"error {where}:\n{detail}")
        try:
            self._technical(name, "raise", priority,
                            f"internal error {where} ({type(exc).__name__}: {exc}); the monitor carries on",
                            hold=HOLD_S)
        except Exception:  # noqa: BLE001 - the alarm for an error must not be lost to a second one
            self._preclock_alarm(name, "raise", priority, f"internal error {where} ({type(exc).__name__})")

    def write_log_line(self, text: str) -> None:
        """A line in monitor.log (e.g. a report that could not be written)."""
        self.sink.log_line(text)

    # -- user actions --------------------------------------------------------------------------

    def _action_time(self) -> float:
        t = self.event_now()
        if t is None:
            raise ActionError("no readings yet: the session clock starts with the first reading")
        return t

    def initial_dose(self) -> Dose | None:
        return next((d for d in self.doses if d.dose == "initial"), None)

    def check_dose(self, kind: str) -> None:
        """Raise ActionError when a dose of this kind cannot be recorded now."""
        if kind not in ("initial", "supplemental"):
            raise ActionError(f"unknown dose kind '{kind}'")
        self._action_time()
        initial = self.initial_dose()
        if kind == "initial" and initial is not None:
            raise ActionError(f"the initial dose is already recorded ({mg(initial.amount_mg)}at "
                              f"{self.fmt(initial.t)})")
        if kind == "supplemental":
            if initial is None:
                raise ActionError("record the initial dose first (key d)")
            given = next((d for d in self.doses if d.dose == "supplemental"), None)
            if given is not None:
                raise ActionError(f"a supplemental dose is already recorded ({mg(given.amount_mg)}at "
                                  f"{self.fmt(given.t)})")

    def supplement_concern(self) -> str | None:
        """Why a supplemental dose now goes against the protocol (outside its window, or vitals
        that forbid it), or None: the dialog asks for a confirmation stating this reason."""
        if self.initial_dose() is None:
            return None
        status = self.supplement()
        return None if status.state in ("open-ok", "given") else status.text

    def give_dose(self, kind: str, amount_mg: float | None, given_at: float | None = None,
                  reason: str | None = None) -> Dose:
        """Record a dose. `reason`: the concern the user confirmed (a supplement given outside its
        window or while the vitals forbid it), kept with the dose in the recording."""
        self.check_dose(kind)
        t = self._action_time()
        initial = self.initial_dose()
        at = t if given_at is None else min(given_at, t)
        if kind == "supplemental" and initial is not None and at < initial.t:
            raise ActionError("the supplemental dose cannot come before the initial dose")
        extra: dict = {"given_at": format_time(at, bool(self.absolute))} if t - at >= 1 else {}
        if reason:
            extra["reason"] = reason
        seq = self._taken()
        self._rec("event", t, "dose", dose=kind, amount_mg=amount_mg, who=self.user, seq=seq, **extra)
        self.engine.apply(Control(t, "dose", {"dose": kind, "given_at": at}, seq))
        dose = Dose(at, kind, amount_mg)
        self.doses.append(dose)
        when = f" (given at {self.fmt(at)})" if "given_at" in extra else ""
        why = f"; confirmed although {reason}" if reason else ""
        self._note_log("dose", "", f"{kind} dose {mg(amount_mg)}recorded{when}{why}", t=t)
        self.version += 1
        return dose

    def add_note(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ActionError("an empty note was not recorded")
        t = self._action_time()
        self._rec("event", t, "note", text=text, who=self.user, seq=self._taken())
        self.notes.append(Note(t, text))
        self._note_log("note", "", f"note: {text}", t=t)
        self.version += 1

    def acknowledge(self) -> int:
        """Acknowledge every active and latched alarm; returns how many."""
        engine_n = sum(1 for s in self.engine.status() if s.state in ("active", "latched"))
        pre_n = sum(1 for p in self._preclock.values() if p.state == "active")
        if not engine_n and not pre_n:
            raise ActionError("nothing to acknowledge")
        if engine_n:
            t = self._action_time()
            seq = self._taken()
            self._rec("event", t, "ack", who=self.user, seq=seq)
            self.engine.apply(Control(t, "ack", {"who": self.user}, seq))
        for p in self._preclock.values():
            if p.state == "active":
                p.state = "acknowledged"
                self._note_log("ack", p.priority, f"{p.message}: acknowledged")
        self.version += 1
        return engine_n + pre_n

    def pause_audio(self) -> float:
        """Pause the audio for the configured time; returns the seconds of the pause."""
        seconds = min(self.th.audio.pause_s, self.th.audio.max_pause_s)
        t = self.event_now()
        if t is None:
            # Only technical alarms can sound before the first reading; silence them for now.
            for p in self._preclock.values():
                p.state = "acknowledged"
            self._note_log("pause", "", "audio silenced (no readings yet)")
            self.version += 1
            return seconds
        seq = self._taken()
        self._rec("event", t, "pause", seconds=seconds, who=self.user, seq=seq)
        self.engine.apply(Control(t, "pause", {"seconds": seconds}, seq))
        self.version += 1
        return seconds

    # -- what the screen shows -----------------------------------------------------------------

    def alarms(self) -> list[AlarmStatus]:
        """Every alarm that is not normal (the engine's, physiological and technical), highest first."""
        out = self.engine.status() + [
            AlarmStatus(p.name, p.name.split(".", 1)[0], p.priority, p.state, None, None, -math.inf, p.message)
            for p in self._preclock.values()]
        out.sort(key=lambda s: (-s.rank, s.state == "pending", s.state == "acknowledged", s.since))
        return out

    def stale_vitals(self, statuses: list[AlarmStatus] | None = None) -> set[str]:
        statuses = self.alarms() if statuses is None else statuses
        stale = {s.alarm[: -len(".stale")] for s in statuses if s.alarm.endswith(".stale")}
        out: set[str] = set()
        for rule in self.th.stale:
            if rule.stream in stale:
                out.update(rule.vitals)
        if not len(self.store) and any(s.alarm == "feed.lost" for s in statuses):
            out.update(VITALS)
        return out

    def current(self, vital: str, stale: set[str] | None = None) -> tuple[float, float] | None:
        """(time, value) of the newest plausible value, or None when the stream is stale."""
        stale = self.stale_vitals() if stale is None else stale
        if vital in stale:
            return None
        return self.store.last_valid(vital)

    def supplement(self, stale: set[str] | None = None) -> SupplementStatus:
        t = self.event_now()
        stale = self.stale_vitals() if stale is None else stale
        latest = {}
        for v in self.th.supplement.max_values:
            if v in VITALS and self.store.last_valid(v) is None:
                continue  # never measured in this session (no thermometer): not a reason to wait
            cur = self.current(v, stale) if v in VITALS else None
            latest[v] = cur[1] if cur else None
        return supplement_status(self.doses, t if t is not None else 0.0, self.th.supplement, latest)

    def repeat_request(self) -> AlarmEvent | None:
        """The cuff repeat-measurement request, while no newer cuff reading has come."""
        r = self.repeat
        if r is None:
            return None
        newest = max((lv[0] for v in ("sbp", "dbp", "map") if (lv := self.store.last_valid(v))), default=-math.inf)
        return r if newest <= r.t else None

    def paused_remaining(self) -> float:
        t = self.event_now()
        if t is None:
            return 0.0
        return max(0.0, self.engine.paused_until - t)

    def audible_rank(self) -> int:
        """What the audio should sound now (0 = silent): the engine's answer, pause and
        break-through included; before the first reading, the technical alarms raised so far."""
        t = self.event_now()
        rank = self.engine.audible_rank(t) if t is not None else 0
        for p in self._preclock.values():
            if p.state == "active":
                rank = max(rank, PRIORITY_RANK["high"] if p.priority == "high" else TECHNICAL_RANK)
        return rank

    def take_reminders(self) -> list[int]:
        out, self.reminders = self.reminders, []
        return out

    def take_onsets(self) -> list[int]:
        out, self.onsets = self.onsets, []
        return out

    def present(self) -> set[str]:
        """Vitals with at least one value in the store (cached until new readings arrive)."""
        if self._present[0] != self.data_version:
            self._present = (self.data_version, set(self.store.present()))
        return self._present[1]

    def session_start(self) -> float | None:
        return self.store.span()[0] if len(self.store) else None

    def note(self, text: str) -> None:
        """A line in the event log (not an alarm, not recorded)."""
        self._note_log("session", "", text)

    def fmt(self, t: float) -> str:
        """An event time as the screen writes it."""
        return event_time(t, self.absolute, self.tz)

    # -- alarms from the engine ----------------------------------------------------------------

    def _on_alarm(self, e: AlarmEvent) -> None:
        if e.alarm == "bp.repeat":
            self.repeat = e
        self._rec("alarm", e)
        if e.state == "reminder":
            self.reminders.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))
        elif e.state in ("active", "escalated"):
            self.onsets.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))
        self._note_log("alarm", e.priority, e.message, state=e.state, t=e.t)
        self.version += 1

    # -- recording -----------------------------------------------------------------------------

    def _rec(self, method: str, *args, **kw) -> None:
        self.sink.put(method, *args, **kw)
        if self.sink.recorder is not None and len(self.sink.backlog) == 1:
            self._flush()

    def _flush(self) -> None:
        if self._flushing:
            return  # raising or clearing record.write below records too: it waits its turn
        self._flushing = True
        try:
            if self.sink.recorder is None:
                return  # not open yet: everything waits in the backlog
            late = len(self.sink.backlog) > 1
            error = self.sink.flush()
            failing = self.engine.technical_priority("record.write") is not None
            if error is not None:
                if not failing:
                    self._technical("record.write", "raise", "high",
                                    f"RECORDING FAILED: {error}; {len(self.sink.backlog)} record(s) held in "
                                    "memory, retrying")
                return
            if failing:
                self._technical("record.write", "clear",
                                message="writing works again" + (" (held records written)" if late else ""))
                self.sink.flush()
        finally:
            self._flushing = False

    def _note_log(self, kind: str, priority: str, text: str, state: str = "", t: float | None = None) -> None:
        if t is None:
            t = self.event_now()
        self._add_log(LogEntry(t, kind, priority, text, state, self.clock.wall()))

    def _add_log(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self.log_serial += 1
        if len(self.log) > MAX_ENTRIES:
            del self.log[:1000]

    # -- resuming ------------------------------------------------------------------------------

    def adopt(self, store: VitalStore, state) -> None:
        """Take a rebuilt state (monitor.session.restore) as this session's own."""
        self.store, self.doses, self.notes = store, state.doses, state.notes
        self.log, self.repeat = state.log, state.repeat
        self.log_serial += len(state.log) + 1
        self.engine = state.engine
        self.engine.listen(self._on_alarm)
        self.engine.history_from(self._history)
        self.reminders, self.onsets = [], []
        self._held = None
        self.data_version += 1
        self.version += 1

    def _load(self, rs) -> None:
        """Carry on a recorded session: store, doses, notes, log, and the alarm state."""
        self.absolute = rs.absolute
        self.label = rs.meta.get("label") or self.label
        end = max((e["t"] for e in rs.events), default=None)
        self.adopt(rs.store, restore_state(self.th, rs.store, rs.events, rs.recorded_alarms(), end, self.fmt))
        recorded = rs.recorded_alarms()
        mine = self.engine.log
        same = len(mine) >= len(recorded) and all(
            abs(a.t - b.t) < 1.0 and a.alarm == b.alarm and a.state == b.state for a, b in zip(mine, recorded))
        if same:
            # Alarm transitions a crash kept from the file are recorded now, so the log is whole.
            for e in mine[len(recorded):]:
                self.sink.put("alarm", e)
        else:
            self.resume_note = (f"note: re-running the alarms over the recording gave {len(mine)} transitions "
                                f"where {len(recorded)} were recorded; the recorded log is kept")
        now = self.clock.monotonic()
        for s in self.engine.status():
            if s.alarm in ("feed.data", "feed.order", "feed.error", "app.error"):
                self._expires[s.alarm] = now + HOLD_S  # its timer did not survive the restart
        self._fed = len(self.store)
        if len(self.store):
            self._clock_known = True
            self._resume_t = self._fed_t = self.store.span()[1]
            self._events_clock.arrived(self._resume_t, self._resume_t, now, catch_up=True)


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _merge(first: Reading, second: Reading) -> Reading:
    """Two rows with one time stamp: the first one's values win, the second fills the gaps."""
    return Reading(first.t, **{v: (a if a == a else getattr(second, v))
                               for v in VITALS for a in (getattr(first, v),)})

