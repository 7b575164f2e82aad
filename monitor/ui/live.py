"""The live session behind the screen: feed -> store + recorder -> alarm engine (no Textual here).

The app owns one `LiveSession` and calls `poll()` from a single UI timer; the widgets only read
what it holds (the store, the engine's status, the doses, the log). Keeping this free of Textual
makes it testable on its own and usable by the benchmark.

Event time (the clock of the alarm engine, of every action and of every recorded event):
- the simulator (and a replay) has a clock of its own: its simulated time;
- a followed file has none: event time is the newest reading's time plus the real seconds since
  that reading arrived, minus the feed's lag (2 s for a file, so a line written a little late is
  still in order). So "no HR for 10 s" means ten real seconds without a new line, whatever the
  device's clock says, and a dose pressed now is stamped on the device's clock, next to its data.
- before the first reading of a file there is no event time: actions that must be timed (dose,
  note) wait for it; acknowledging and pausing then act on technical alarms only.
Every user action is passed to the engine as a `Control` at the same event time it is recorded
with, so a replay of the recording gives the same alarm log.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from monitor.core.alarms import AlarmEngine, AlarmEvent, AlarmStatus, Control, TECHNICAL_RANK
from monitor.core.readings import Reading, VitalStore
from monitor.core.session import (
    Dose,
    Note,
    SessionError,
    SessionRecorder,
    SupplementStatus,
    format_time,
    parse_time,
    supplement_status,
)
from monitor.core.thresholds import PRIORITY_RANK, Thresholds
from monitor.core.vitals import VITALS, format_value

LOG_FILE = "monitor.log"
BAD_LINE_HOLD_S = 60.0  # a bad line keeps its technical alarm up this long (real seconds)
RETRY_WRITE_S = 2.0  # how often a failed recording is retried


class ActionError(Exception):
    """A key the session cannot act on now; str() is one sentence for the user."""


@dataclass
class Clock:
    """The two clocks the app reads; tests inject a manual one."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time


class ManualClock(Clock):
    """A clock that moves only when told (tests, benchmarks)."""

    def __init__(self, wall: float = 1_795_856_400.0, monotonic: float = 1000.0):
        self.now_mono = monotonic
        self.now_wall = wall
        super().__init__(lambda: self.now_mono, lambda: self.now_wall)

    def advance(self, seconds: float) -> None:
        self.now_mono += seconds
        self.now_wall += seconds


@dataclass
class LogEntry:
    t: float | None  # event time (None before the first reading)
    kind: str  # alarm | dose | note | ack | pause | feed | record | session
    priority: str  # high | medium | low | technical | "" (not an alarm)
    text: str
    state: str = ""
    wall: float = 0.0


@dataclass
class SystemAlarm:
    """A technical alarm about the monitor itself (feed, recording), not about the patient."""

    name: str
    priority: str  # "technical" | "high" (recording failures)
    message: str
    since: float | None  # event time
    since_mono: float
    state: str = "active"  # active | acknowledged
    expires: float | None = None  # monotonic time at which it clears by itself

    @property
    def rank(self) -> int:
        return TECHNICAL_RANK if self.priority == "technical" else PRIORITY_RANK[self.priority]

    def status(self) -> AlarmStatus:
        return AlarmStatus(self.name, "", self.priority, self.state, None, None,
                           self.since if self.since is not None else -math.inf, self.message)


def default_folder(label: str, wall: float, root: str | Path = "sessions") -> Path:
    """sessions/<local start time>-<label>/, made unique with a suffix if it exists."""
    stamp = datetime.fromtimestamp(wall).strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40]
    base = Path(root) / (f"{stamp}-{slug}" if slug else stamp)
    out, k = base, 2
    while out.exists():
        out = base.with_name(f"{base.name}-{k}")
        k += 1
    return out


class LiveSession:
    """Store, engine, recorder and feed of one monitoring session."""

    def __init__(self, feed, thresholds: Thresholds, *, folder: str | Path | None = None,
                 label: str = "", clock: Clock | None = None, resume=None, user: str = "",
                 recorder_factory: Callable[..., SessionRecorder] = SessionRecorder,
                 record: bool = True):
        self.feed = feed
        self.th = thresholds
        self.clock = clock or Clock()
        self.user = user
        self.tz = None  # the zone times are written in (the app sets it; None = local)
        self.label = label or getattr(feed, "label", "") or "session"
        self.record_enabled = record
        self.folder = Path(folder) if folder is not None else None
        self._recorder_factory = recorder_factory
        self.recorder: SessionRecorder | None = None
        self.store = VitalStore()
        self.engine = AlarmEngine(thresholds, on_event=self._on_alarm)
        self.doses: list[Dose] = []
        self.notes: list[Note] = []
        self.log: list[LogEntry] = []
        self.log_serial = 0  # grows with every entry (the log list is trimmed)
        self.system: dict[str, SystemAlarm] = {}
        self.repeat: AlarmEvent | None = None  # the newest repeat-measurement request
        self.reminders: list[int] = []  # ranks of reminders since the UI last rang for them
        self.onsets: list[int] = []  # ranks of alarms that started or escalated since then
        self._missing_alarms: list[AlarmEvent] = []
        self.finished = False
        self.version = 0  # bumped whenever something the screen shows changed
        self.data_version = 0  # bumped when readings arrived (charts redraw)
        self.started_wall = self.clock.wall()
        self.absolute: bool | None = feed.absolute()
        self._anchor: tuple[float, float] | None = None  # (newest reading time, monotonic at arrival)
        self._poll_mono: float | None = None  # monotonic time of the last poll
        self._replaying = False
        self._resume_t = -math.inf
        self._backlog: deque = deque()
        self._last_retry = -math.inf
        self._recorder_failed_at: float | None = None
        self._log_fh = None
        self._pending_log: list[str] = []
        self._pause_started = -math.inf
        self._present: tuple[int, set[str]] = (-1, set())
        self.resumed = resume is not None
        self.resume_note = ""
        if resume is not None:
            self._load(resume)

    # -- the clock -----------------------------------------------------------------------------

    def event_now(self) -> float | None:
        """The engine's current event time (see the module docstring), or None before any data.

        It is taken at the monotonic time of the last poll, so a key pressed between two polls is
        stamped at the time the engine was last ticked to, never ahead of readings not yet taken.
        """
        now = self._poll_mono if self._poll_mono is not None else self.clock.monotonic()
        t = self.feed.clock(now)
        if t is None:
            if self._anchor is None:
                return None if self.engine.t == -math.inf else self.engine.t
            last, at = self._anchor
            t = last + (now - at) - self.feed.lag_s
        return max(t, self.engine.t)

    # -- starting and stopping -----------------------------------------------------------------

    def start(self) -> None:
        """Open the recording if its time kind is known and say that the session started."""
        self._ensure_recorder()
        self._note_log("session", "", f"{'resumed' if self.resumed else 'started'}: {self.label} "
                                      f"({self.feed.mode.lower()}, {self.feed.source})")
        if self.resume_note:
            self._note_log("session", "", self.resume_note)

    def stop(self) -> None:
        t = self.event_now()
        if self.recorder is not None:
            self._rec("event", t if t is not None else self.engine.t, "stop",
                      wall=format_time(self.clock.wall(), True))
            self._flush_backlog(force=True)
            self.recorder.close()
        self._write_log_line("session stopped")
        if self._log_fh is not None:
            try:
                self._log_fh.close()
            except OSError:
                pass
            self._log_fh = None
        self.feed.close()

    def _ensure_recorder(self, pending: int = 0) -> None:
        """Open the recording if it can be; `pending`: the newest store rows the caller records itself."""
        if self.recorder is not None or not self.record_enabled or self.folder is None:
            return
        failed_at = self._recorder_failed_at
        if failed_at is not None and self.clock.monotonic() - failed_at < RETRY_WRITE_S:
            return  # the disk refused a moment ago: try again shortly, not on every poll
        if self.absolute is None:
            self.absolute = self.feed.absolute()
        if self.absolute is None:
            return  # a followed file with no row yet: its clock is unknown
        first = self.store.span()[0] if len(self.store) else self.event_now()
        try:
            self.recorder = self._recorder_factory(
                self.folder, label=self.label, source=self.feed.source, simulated=self.feed.simulated,
                thresholds=self.th, absolute=self.absolute, start=first,
                extra={"mode": self.feed.mode, **self.feed.meta()})
        except SessionError as exc:
            # Never give up: the readings stay in memory and the recording starts when it can.
            self._recorder_failed_at = self.clock.monotonic()
            self._raise_system("record.write", "high", f"RECORDING FAILED: {exc}; retrying")
            return
        self._open_log()
        t = self.event_now()
        self._rec("event", t if t is not None else (first or 0.0), "start", resumed=self.resumed,
                  mode=self.feed.mode, source=self.feed.source, label=self.label,
                  wall=format_time(self.clock.wall(), True))
        for e in self._missing_alarms:
            self._rec("alarm", e)
        self._missing_alarms = []
        if failed_at is not None:
            # The readings that came while the recording could not be opened.
            self._recorder_failed_at = None
            st = self.store
            n = len(st) - pending
            held = [Reading(float(st.t[i]), *(float(st.column(v)[i]) for v in VITALS)) for i in range(n)]
            self._rec("readings", held)
            if "record.write" in self.system:
                self._clear_system("record.write", f"recording started ({len(held)} held reading(s) written)")

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
            import traceback

            self._write_log_line("error while reading the feed:\n" + traceback.format_exc())
            self._raise_system("feed.error", "technical",
                               f"error while reading the feed ({type(exc).__name__}: {exc}); still trying",
                               hold=BAD_LINE_HOLD_S)
        if self.recorder is None and self.record_enabled:
            self._ensure_recorder()
        t = self.event_now()
        if t is not None:
            self.engine.tick(t)
        self._expire(now)
        if self._backlog and now - self._last_retry >= RETRY_WRITE_S:
            self._flush_backlog()
        if (self.version, len(self.engine.log)) != before:
            self.version += 1
            return True
        return False

    def _ingest(self, readings: list[Reading], events: list, reopened: bool, now: float) -> None:
        last = self.store.span()[1] if len(self.store) else -math.inf
        accepted: list[Reading] = []
        repeated = dropped = 0
        first_dropped = None
        events = sorted(events, key=lambda e: e.t)
        k = 0
        for r in readings:
            if r.t <= self._resume_t or (reopened and r.t <= last):
                repeated += 1  # already in the store (a resumed session, a rewritten file)
                continue
            if r.t < last:
                dropped += 1
                first_dropped = first_dropped or r
                continue
            while k < len(events) and events[k].t < r.t:
                self._source_event(events[k])
                k += 1
            self.engine.feed(r)  # at its own time, even when the clock has passed it (a late row)
            accepted.append(r)
            last = r.t
        while k < len(events):
            self._source_event(events[k])
            k += 1
        if accepted:
            n = len(accepted)
            t = np.fromiter((r.t for r in accepted), float, n)
            cols = {v: np.fromiter((getattr(r, v) for r in accepted), float, n) for v in VITALS}
            self.store.extend(t, cols)
            self._anchor = (accepted[-1].t, now)
            if self.recorder is None:
                self._ensure_recorder(pending=n)
            self._rec("readings", accepted)
            self.data_version += 1
            self.version += 1
        if repeated and reopened:
            self._note_log("feed", "", f"{repeated} row(s) already shown were skipped (the file was read again "
                                       "from its start)")
        if dropped:
            when = self._fmt(first_dropped.t)
            self._raise_system("feed.order", "technical",
                               f"{dropped} reading(s) older than the newest one were left out "
                               f"(first at {when}): times go backwards in the feed", hold=BAD_LINE_HOLD_S)

    def _source_event(self, e) -> None:
        """A dose or note from the source (the simulator's scenario)."""
        t = max(e.t, self.engine.t)
        if e.kind == "dose":
            kind = e.fields.get("dose", "initial")
            amount = e.fields.get("amount_mg")
            if any(d.dose == kind for d in self.doses):
                self._note_log("dose", "", f"the source's {kind} dose at {self._fmt(e.t)} was not applied: "
                                           f"a {kind} dose is already recorded")
                return
            self._rec("event", t, "dose", dose=kind, amount_mg=amount, source="simulator")
            self.engine.apply(Control(t, "dose", {"dose": kind}))
            self.doses.append(Dose(t, kind, amount))
            self._note_log("dose", "", f"{kind} dose {_mg(amount)}given (by the simulated scenario)", t=t)
        elif e.kind == "note":
            text = str(e.fields.get("text", ""))
            self._rec("event", t, "note", text=text, source="simulator")
            self.notes.append(Note(t, text))
            self._note_log("note", "", f"note (simulator): {text}", t=t)

    def _feed_status(self, s) -> None:
        t = self.event_now()
        if s.kind in ("lost", "waiting", "error"):
            self._raise_system("feed.lost", "technical", s.message)
        elif s.kind in ("opened", "restored", "recovered"):
            self._clear_system("feed.lost", s.message)
        elif s.kind == "ended":
            self.finished = True
        if t is not None and self.recorder is not None and s.kind != "waiting":
            self._rec("event", t, "feed", state=s.kind, message=s.message)
        if s.kind not in ("lost", "waiting", "error"):
            self._note_log("feed", "", s.message)
        self._write_log_line(f"feed {s.kind}: {s.message}")
        self.version += 1

    def _rejected(self, rejected) -> None:
        n = len(rejected)
        first = rejected[0]
        name = getattr(getattr(self.feed, "path", None), "name", "the feed")
        self._raise_system("feed.data", "technical",
                           f"{n} bad line{'s' if n > 1 else ''} in {name} (line {first.line}: {first.reason})",
                           hold=BAD_LINE_HOLD_S)
        for r in rejected[:5]:
            self._note_log("feed", "technical", f"line {r.line} rejected: {r.reason}")
        if n > 5:
            self._note_log("feed", "technical", f"... and {n - 5} more bad lines")
        for r in rejected:
            self._write_log_line(f"line {r.line} rejected: {r.reason}")
        t = self.event_now()
        if t is not None and self.recorder is not None:
            self._rec("event", t, "feed", state="rejected", lines=[r.line for r in rejected[:100]],
                      message=f"{n} line(s) rejected; first: line {first.line}: {first.reason}")

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
            raise ActionError(f"the initial dose is already recorded ({_mg(initial.amount_mg)}at "
                              f"{self._fmt(initial.t)})")
        if kind == "supplemental":
            if initial is None:
                raise ActionError("record the initial dose first (key d)")
            given = next((d for d in self.doses if d.dose == "supplemental"), None)
            if given is not None:
                raise ActionError(f"a supplemental dose is already recorded ({_mg(given.amount_mg)}at "
                                  f"{self._fmt(given.t)})")

    def give_dose(self, kind: str, amount_mg: float | None, given_at: float | None = None) -> Dose:
        self.check_dose(kind)
        t = self._action_time()
        initial = self.initial_dose()
        at = t if given_at is None else min(given_at, t)
        if kind == "supplemental" and at < initial.t:
            raise ActionError("the supplemental dose cannot come before the initial dose")
        extra = {"given_at": format_time(at, bool(self.absolute))} if t - at >= 1 else {}
        self._rec("event", t, "dose", dose=kind, amount_mg=amount_mg, who=self.user, **extra)
        self.engine.apply(Control(t, "dose", {"dose": kind}))
        dose = Dose(at, kind, amount_mg)
        self.doses.append(dose)
        when = f" (given at {self._fmt(at)})" if extra else ""
        self._note_log("dose", "", f"{kind} dose {_mg(amount_mg)}recorded{when}", t=t)
        self.version += 1
        return dose

    def add_note(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ActionError("an empty note was not recorded")
        t = self._action_time()
        self._rec("event", t, "note", text=text, who=self.user)
        self.notes.append(Note(t, text))
        self._note_log("note", "", f"note: {text}", t=t)
        self.version += 1

    def acknowledge(self) -> int:
        """Acknowledge every active and latched alarm; returns how many."""
        engine_n = sum(1 for s in self.engine.status() if s.state in ("active", "latched"))
        sys_n = sum(1 for a in self.system.values() if a.state == "active")
        if not engine_n and not sys_n:
            raise ActionError("nothing to acknowledge")
        t = self.event_now()
        if engine_n:
            t = self._action_time()
            self._rec("event", t, "ack", who=self.user)
            self.engine.apply(Control(t, "ack", {"who": self.user}))
        for a in self.system.values():
            if a.state == "active":
                a.state = "acknowledged"
                self._note_log("ack", a.priority, f"{a.message}: acknowledged", t=t)
        if sys_n and not engine_n and t is not None and self.recorder is not None:
            self._rec("event", t, "feed", state="acknowledged", who=self.user,
                      message=f"{sys_n} technical alarm(s) acknowledged")
        self.version += 1
        return engine_n + sys_n

    def pause_audio(self) -> float:
        """Pause the audio for the configured time; returns the seconds of the pause."""
        seconds = min(self.th.audio.pause_s, self.th.audio.max_pause_s)
        t = self.event_now()
        if t is None:
            # Only technical alarms can sound before the first reading; silence them for now.
            self._pause_started = -math.inf
            for a in self.system.values():
                a.state = "acknowledged"
            self._note_log("pause", "", "audio silenced (no readings yet)")
            self.version += 1
            return seconds
        self._rec("event", t, "pause", seconds=seconds, who=self.user)
        self.engine.apply(Control(t, "pause", {"seconds": seconds}))
        self._pause_started = t
        self.version += 1
        return seconds

    # -- what the screen shows -----------------------------------------------------------------

    def alarms(self) -> list[AlarmStatus]:
        """Engine alarms and technical alarms about the monitor, highest priority first."""
        out = self.engine.status() + [a.status() for a in self.system.values()]
        out.sort(key=lambda s: (-s.rank, s.state == "pending", s.state == "acknowledged", s.since))
        return out

    def stale_vitals(self, statuses: list[AlarmStatus] | None = None) -> set[str]:
        statuses = self.engine.status() if statuses is None else statuses
        stale = {s.alarm[: -len(".stale")] for s in statuses if s.alarm.endswith(".stale")}
        out: set[str] = set()
        for rule in self.th.stale:
            if rule.stream in stale:
                out.update(rule.vitals)
        if "feed.lost" in self.system and not len(self.store):
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
        """What the audio should sound now (0 = silent), the pause and its break-through honoured."""
        t = self.event_now()
        rank = self.engine.audible_rank(t) if t is not None else 0
        paused = t is not None and t < self.engine.paused_until
        for a in self.system.values():
            if a.state != "active":
                continue
            breaks = a.priority == "high" and a.since is not None and a.since >= self._pause_started
            if paused and not breaks:
                continue
            rank = max(rank, a.rank)
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

    def _fmt(self, t: float) -> str:
        if self.absolute is False:
            return f"+{_hms(t)}"
        return datetime.fromtimestamp(t, self.tz).strftime("%H:%M:%S")

    # -- alarms from the engine ----------------------------------------------------------------

    def _on_alarm(self, e: AlarmEvent) -> None:
        if e.alarm == "bp.repeat":
            self.repeat = e
        if self._replaying:
            return
        self._rec("alarm", e)
        if e.state == "reminder":
            self.reminders.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))
        elif e.state in ("active", "escalated"):
            self.onsets.append(PRIORITY_RANK.get(e.priority, TECHNICAL_RANK))
        self._note_log("alarm", e.priority, e.message, state=e.state, t=e.t)
        self.version += 1

    # -- technical alarms about the monitor ----------------------------------------------------

    def _raise_system(self, name: str, priority: str, message: str, hold: float | None = None) -> None:
        now = self.clock.monotonic()
        a = self.system.get(name)
        expires = now + hold if hold else None
        if a is not None and a.message == message:
            a.expires = expires
            return
        t = self.event_now()
        if a is None:
            a = SystemAlarm(name, priority, message, t, now, expires=expires)
            self.system[name] = a
        else:
            a.message, a.expires, a.priority = message, expires, priority
            if a.state == "acknowledged" and priority == "high":
                a.state = "active"
        self._note_log("feed" if name.startswith("feed") else "record", priority, message, state="active", t=t)
        self._write_log_line(f"{priority.upper()} {name}: {message}")
        self.version += 1

    def _clear_system(self, name: str, why: str) -> None:
        a = self.system.pop(name, None)
        if a is not None:
            self._note_log("feed" if name.startswith("feed") else "record", a.priority,
                           f"{name} cleared: {why}", state="cleared")
            self._write_log_line(f"cleared {name}: {why}")
            self.version += 1

    def _expire(self, now: float) -> None:
        for name in [n for n, a in self.system.items() if a.expires is not None and now >= a.expires]:
            self._clear_system(name, "no further problems for a minute")

    # -- recording -----------------------------------------------------------------------------

    def _rec(self, method: str, *args, **kw) -> None:
        if self.recorder is None:
            return
        self._backlog.append((method, args, kw))
        if len(self._backlog) == 1:
            self._flush_backlog(force=True)

    def _flush_backlog(self, force: bool = False) -> None:
        self._last_retry = self.clock.monotonic()
        if self.recorder is None:
            return
        late = len(self._backlog) > 1
        while self._backlog:
            method, args, kw = self._backlog[0]
            try:
                getattr(self.recorder, method)(*args, **kw)
            except SessionError as exc:
                self._raise_system("record.write", "high",
                                   f"RECORDING FAILED: {exc}; {len(self._backlog)} record(s) held in "
                                   "memory, retrying")
                return
            self._backlog.popleft()
        if "record.write" in self.system:
            self._clear_system("record.write", "writing works again" + (" (held records written)" if late else ""))

    def _open_log(self) -> None:
        if self.folder is None:
            return
        try:
            fd = os.open(self.folder / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._log_fh = os.fdopen(fd, "a", encoding="utf-8")
        except OSError:
            self._log_fh = None
            return
        for line in self._pending_log:
            self._write_log_line(line, stamped=True)
        self._pending_log = []

    def _write_log_line(self, text: str, stamped: bool = False) -> None:
        line = text if stamped else f"{datetime.fromtimestamp(self.clock.wall()).isoformat(timespec='seconds')} {text}"
        if self._log_fh is None:
            if self.record_enabled:
                self._pending_log.append(line)
            return
        try:
            self._log_fh.write(line + "\n")
            self._log_fh.flush()
        except OSError:
            pass  # the recorder's own writes raise the alarm for a failing disk

    def _note_log(self, kind: str, priority: str, text: str, state: str = "", t: float | None = None) -> None:
        if t is None:
            t = self.event_now()
        self.log.append(LogEntry(t, kind, priority, text, state, self.clock.wall()))
        self.log_serial += 1
        if len(self.log) > 5000:
            del self.log[:1000]

    # -- resuming ------------------------------------------------------------------------------

    def _load(self, rs) -> None:
        """Reload a recorded session: store, doses, notes, log, and the alarm state."""
        self.store = rs.store
        self.absolute = rs.time_kind == "absolute" or rs.meta.get("time") == "absolute"
        self.label = rs.meta.get("label") or self.label
        for e in rs.events:
            kind = e.get("kind")
            t = e["t"]
            if kind == "dose":
                at = e.get("given_at")
                try:
                    at = parse_time(at) if at is not None else t
                except (TypeError, ValueError):
                    at = t
                self.doses.append(Dose(at, e.get("dose", "initial"), e.get("amount_mg")))
                self.log.append(LogEntry(t, "dose", "", f"{e.get('dose', 'initial')} dose {_mg(e.get('amount_mg'))}"
                                                        "recorded"))
            elif kind == "note":
                self.notes.append(Note(t, str(e.get("text", ""))))
                self.log.append(LogEntry(t, "note", "", f"note: {e.get('text', '')}"))
            elif kind == "alarm":
                self.log.append(LogEntry(t, "alarm", e.get("priority", ""), e.get("message", ""), e.get("state", "")))
            elif kind in ("ack", "pause", "feed", "start", "stop"):
                text = {"ack": "alarms acknowledged", "pause": f"audio paused for {e.get('seconds')} s",
                        "start": "session started" + (" (resumed)" if e.get("resumed") else ""),
                        "stop": "session ended"}.get(kind, f"feed {e.get('state', '')}: {e.get('message', '')}")
                self.log.append(LogEntry(t, kind, "", text))
        self.log_serial = len(self.log)
        # The alarm state: the same live path over the recorded readings and user actions.
        self._replaying = True
        controls = sorted(rs.controls(), key=lambda c: c.t)
        t = self.store.t.tolist()
        cols = [self.store.column(v).tolist() for v in VITALS]
        k = 0
        for i, ti in enumerate(t):
            while k < len(controls) and controls[k].t < ti:
                self.engine.apply(controls[k])
                k += 1
            self.engine.feed(Reading(ti, *(c[i] for c in cols)))
        for c in controls[k:]:
            self.engine.apply(c)
        last_event = max((e["t"] for e in rs.events), default=-math.inf)
        if last_event > self.engine.t:
            self.engine.tick(last_event)
        self._replaying = False
        # Alarm transitions the crash kept from the file are recorded now, so the log is whole.
        recorded = rs.recorded_alarms()
        mine = self.engine.log
        same = len(mine) >= len(recorded) and all(
            abs(a.t - b.t) < 1.0 and a.alarm == b.alarm and a.state == b.state for a, b in zip(mine, recorded))
        if same:
            self._missing_alarms = list(mine[len(recorded):])
        else:
            self._missing_alarms = []
            self.resume_note = (f"note: re-running the alarms over the recording gave {len(mine)} transitions "
                                f"where {len(recorded)} were recorded; the recorded log is kept")
        if len(self.store):
            self._resume_t = self.store.span()[1]
            self._anchor = (self._resume_t, self.clock.monotonic())


def _mg(amount) -> str:
    if amount is None:
        return ""
    try:
        return f"{float(amount):g} mg "
    except (TypeError, ValueError):
        return ""


def _hms(s: float) -> str:
    s = int(round(s))
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
