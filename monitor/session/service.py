"""The live session: a feed's readings into the store, the alarm engine and the recording, and the
user's actions (no Textual).

The bedside app owns one `Session` and calls `poll()` from a single timer; a headless bedside
process does the same without a screen, and a replay composes one over a `ReplaySource`. The
screen only reads what the session holds (the store, the engine's status, the doses, the log).

One path, one alarm model: every reading, action and technical problem reaches the alarm engine
as a reading or a `Control` at the event time it is recorded with, together with `seq`
(monitor.session.engine_path), so `vitals-monitor alarms` over the recording gives the same log.
Feed and recorder problems are technical alarms of the engine (monitor.session.technical), so
pause, break-through and the log are decided there. A tick of the live clock that fires a
deadline (a silence, a pause end, a reminder) is recorded as a `clock` control for the same reason.

The session composes parts that do one job each, and keeps the public face the screen, a
headless bedside and a replay use:
- `Intake` (monitor.session.intake): the feed's readings into the store, one row per time stamp;
- `EnginePath`: readings and controls into the engine, recorded with their seq;
- `TechnicalAlarms` (monitor.session.technical): the monitor's own problems, pre-clock ones too;
- `FeedReports`: what the feed says about itself (its status, the lines it rejected);
- `RecordWriter`: records into the sink, and the `record.write` alarm when the disk refuses;
- `Actions` (monitor.session.actions): doses, notes, acknowledgements, pauses, and `ActionError`;
- `AlarmBoard`: what the screen and the audio ask about the alarms;
- `VitalsView`: which vitals are stale, their current values, the supplement's status;
- `TypedReadings` (monitor.session.typed): readings typed at the bedside, into the same path;
- `ScheduleWatch` (monitor.session.schedule_watch): the protocol's schedule, its overdue alarms.
What is left here: the event clock, opening the recording, the event log, and resuming.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent, AlarmStatus
from monitor.core.discharge import DischargeStatus, discharge_status
from monitor.core.dosing import Dose, Note, SupplementStatus
from monitor.core.protocol import Protocol, protocol_from_stored
from monitor.core.readings import Reading, ReadingColumns, VitalStore, rows_of
from monitor.core.schedule_inputs import schedule_stale_rules
from monitor.core.stale_fit import fit_stale_rules
from monitor.core.text import printable
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import event_time, hms
from monitor.recording import SessionRecorder, format_time
from monitor.session.actions import ActionError, Actions
from monitor.session.alarm_board import AlarmBoard
from monitor.session.backlog import Backlog
from monitor.session.clock import Clock, EventClock
from monitor.session.engine_path import EnginePath, same_transition
from monitor.session.feed_reports import FeedReports
from monitor.session.intake import Intake
from monitor.session.log import MAX_ENTRIES, LogEntry
from monitor.session.record_writer import RecordWriter
from monitor.session.restore import restore_state
from monitor.session.schedule_watch import ScheduleWatch
from monitor.session.sink import RecordingSink
from monitor.session.technical import TechnicalAlarms
from monitor.session.typed import TypedReadings
from monitor.session.vitals_view import VitalsView
from monitor.sources.feed import SourceEvent


class Session:
    """Store, engine, recording and feed of one monitoring session."""

    def __init__(
        self,
        feed,
        thresholds: Thresholds,
        *,
        folder: str | Path | None = None,
        label: str = "",
        clock: Clock | None = None,
        resume=None,
        user: str = "",
        recorder_factory: Callable[..., SessionRecorder] = SessionRecorder,
        record: bool = True,
        fit_stale: bool = False,
        protocol: Protocol | None = None,
        info: dict | None = None,
    ):
        self.feed = feed
        if protocol is None and resume is not None:
            protocol = protocol_from_stored(resume.meta.get("protocol"))
        self.protocol = protocol or Protocol()
        # participant, session_number, site, staff (session.json and the report)
        self.info = dict(info or {})
        if resume is not None:
            self.info = {
                k: resume.meta[k] for k in ("participant", "session_number", "site", "staff") if k in resume.meta
            }
        if resume is None and self.protocol.schedule.streams:
            thresholds = schedule_stale_rules(thresholds, self.protocol.schedule, getattr(feed, "manual", False))
        self.th = thresholds
        self.clock = clock or Clock()
        self.tz: tzinfo | None = None  # the zone times are written in (the app sets it; None = local)
        self.label = label or getattr(feed, "label", "") or "session"
        self.folder = Path(folder) if folder is not None else None
        self.sink = RecordingSink(
            self.folder,
            record and getattr(feed, "records", True),
            self.clock.wall,
            self.clock.monotonic,
            recorder_factory,
        )
        self.writer = RecordWriter(self.sink, lambda: self.technical)
        self.intake = Intake(self.clock.monotonic, lambda: self.path.taken, self._commit, self._stored)
        self.backlog = Backlog()
        self.path = EnginePath(self._new_engine(thresholds), self.writer.put)
        self.technical = TechnicalAlarms(
            self.path, self.event_now, self.clock.monotonic, self._note_log, self.sink.log_line, self._changed
        )
        self.actions = Actions(
            self.path,
            self.technical,
            user,
            self.event_now,
            self.fmt,
            lambda: self.absolute,
            self._note_log,
            self._add_log,
            self._changed,
        )
        self.board = AlarmBoard(self.path, self.technical, self.event_now, lambda: self.store)
        self.vitals = VitalsView(lambda: self.th, lambda: self.store, self.board.alarms, self.event_now, self.actions)
        self.reports = FeedReports(
            feed, self.technical, self.writer.put, self.event_now, self._note_log, self.sink.log_line, self._changed
        )
        self.typed = TypedReadings(self)
        self.schedule = ScheduleWatch(self, self.protocol)
        self.observers: list = []  # told of each poll, alarm and the stop (see `watch`)
        self.log: list[LogEntry] = []
        self.log_serial = 0  # grows with every entry (the log list is trimmed)
        self.finished = False
        self.version = 0  # bumped whenever something the screen shows changed
        self.data_version = 0  # bumped when readings arrived (charts redraw)
        self.started_wall = self.clock.wall()
        self.absolute: bool | None = feed.absolute()
        self.fitted: list[str] = []  # how the default stale limits were fitted to this feed
        self._fit_pending = fit_stale
        self._events_clock = EventClock(feed.lag_s)
        self._poll_mono: float | None = None  # monotonic time of the last poll
        self._present: tuple[int, set[str]] = (-1, set())
        self._clock_known = False  # a first reading has reached the engine
        self.resumed = resume is not None
        self.resume_note = ""
        self.sink_start: float | None = None  # the first reading's time, as session.json has it
        self._folder_lock: object | None = None  # the lock on a folder the recording moved to
        if resume is not None:
            self._load(resume)

    def _new_engine(self, th: Thresholds) -> AlarmEngine:
        engine = AlarmEngine(th, on_event=self._on_alarm)
        engine.history_from(self.intake.history)
        return engine

    @property
    def engine(self) -> AlarmEngine:
        return self.path.engine

    @property
    def store(self) -> VitalStore:
        return self.intake.store

    @property
    def doses(self) -> list[Dose]:
        return self.actions.doses

    @property
    def notes(self) -> list[Note]:
        return self.actions.notes

    @property
    def recorder(self) -> SessionRecorder | None:
        return self.sink.recorder

    @property
    def record_enabled(self) -> bool:
        return self.sink.enabled

    @property
    def _held(self) -> Reading | None:
        """The newest row while it waits for a second line (tests/test_differential.py polls finer then)."""
        return self.intake.held

    def _changed(self) -> None:
        self.version += 1

    def _stored(self) -> None:
        self.data_version += 1
        self.version += 1

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
            held = self.intake.held
            if held is not None:
                t = min(t, held.t)  # never ahead of a reading not yet taken
        return max(t, self.engine.t)

    @property
    def lag_s(self) -> float:
        return self._events_clock.lag_s

    # -- starting and stopping -----------------------------------------------------------------

    def start(self) -> None:
        """Open the recording if its time kind is known and say that the session started."""
        self._ensure_recorder()
        self._note_log(
            "session",
            "",
            f"{'resumed' if self.resumed else 'started'}: {self.label} ({self.feed.mode.lower()}, {self.feed.source})",
        )
        if self.resume_note:
            self._note_log("session", "", self.resume_note)

    def watch(self, observer) -> None:
        """Tell `observer` of each alarm transition (`alarm(e)`), after each poll (`polled()`) and
        at the stop (`stopped()`), on the session's thread: the MQTT publisher (monitor.publish).
        Its errors are the session's internal errors: it never stops the session."""
        self.observers.append(observer)

    def _tell(self, what: str, *args) -> None:
        for o in self.observers:
            try:
                getattr(o, what)(*args)
            except Exception as exc:
                self.internal_error(f"while telling {type(o).__name__} ({what})", exc, priority="technical")

    def stop(self) -> None:
        drain = getattr(self.feed, "drain", None)  # a feed that holds readings back (HL7 --hl7-hold)
        if drain is not None:
            try:
                held = drain()
                if held:
                    self._ingest(held, [], False, self.clock.monotonic())
            except Exception as exc:
                self.internal_error(
                    "while taking the feed's last readings", exc, name="feed.error", priority="technical"
                )
        self._tell("stopped")
        self.intake.release(force=True)
        t = self.event_now()
        if t is not None:
            self.path.tick(t)
        self.sink.failed_at = None  # a last try to open the recording, whenever the one before was
        self._ensure_recorder()
        if self.recorder is not None:
            self.writer.put(
                "event", t if t is not None else self.engine.t, "stop", wall=format_time(self.clock.wall(), True)
            )
            self.writer.flush()
        self.writer.close()
        try:
            self.feed.close()
        except Exception as exc:  # the recording is closed already: say it and go on
            self.sink.log_line(f"the feed did not close cleanly: {exc!r}")

    # -- records the disk has not taken ----------------------------------------------------------

    def unwritten(self) -> tuple[str, str | None]:
        """What is held in memory, not written yet ("" when nothing: "1,234 readings and 3
        events"), and why (None: the disk did not refuse)."""
        if not self.sink.enabled or not self.sink.backlog:
            return "", None
        why = self.sink.last_error
        if why is None and self.recorder is None:
            why = "the recording has not opened yet"
        readings, others = self.sink.held()
        parts = [f"{readings:,} reading(s)"] if readings else []
        parts += [f"{others:,} event(s)"] if others else []
        return " and ".join(parts), why

    def retry_writing(self) -> int:
        """Try the disk again now; the records still held."""
        if self.recorder is None:
            self.sink.failed_at = None
            self._ensure_recorder()
        self.writer.flush()
        return len(self.sink.backlog) if self.sink.enabled else 0

    def write_elsewhere(self, folder: str | Path) -> str | None:
        """Go on recording in another folder (the disk of this one refuses): what was written
        is copied there, and what is held written after it. None when all is written there,
        else the sentence saying why not (the session records where it did)."""
        from monitor.recording import SessionError
        from monitor.recording.copy import copy_recording
        from monitor.recording.lock import FolderLock

        if self.folder is None or not self.sink.enabled:
            return "this session is not recorded"
        dst = Path(folder).expanduser().absolute()
        if dst.exists() and dst.resolve() == self.folder.resolve():
            return "that is the folder the disk refuses: give another one"
        try:
            if dst.is_dir() and any(dst.iterdir()):
                return f"'{printable(dst)}' is not empty: give a new folder"
            lock = FolderLock(dst).acquire()
        except (OSError, SessionError) as exc:
            return str(exc) if isinstance(exc, SessionError) else f"cannot use '{printable(dst)}': {exc.strerror}"
        try:
            copy_recording(self.folder, dst)
        except (OSError, SessionError) as exc:
            lock.release()
            why = str(exc) if isinstance(exc, SessionError) else exc.strerror
            return f"cannot copy the recording into '{printable(dst)}': {why}"
        opened = self.recorder is not None
        old = self.folder
        self.sink.move_to(dst)
        self.folder = dst
        self._folder_lock = lock  # held while this monitor records there
        if opened:
            self.sink.open(**self._recording_meta(self.sink_start or 0.0))
        else:
            self._ensure_recorder()
        self.writer.flush()
        self.sink.log_line(f"the recording moved here from {old}: its disk refused to write")
        held, why = self.unwritten()
        return None if not held else f"{held} could not be written in '{printable(dst)}' either: {why}"

    def _ensure_recorder(self, first: float | None = None) -> None:
        """Open the recording once the feed's time kind is known; retried after a failure."""
        if not self.sink.can_try_open():
            return
        if self.absolute is None:
            self.absolute = self.feed.absolute()
        if self.absolute is None:
            return  # a followed file with no row yet: its clock is unknown
        if first is None:
            span = self.store.span()
            first = span[0] if span is not None else self.event_now()
        if first is None:
            return  # no event time yet: the recording starts with the first reading
        error = self.sink.open(**self._recording_meta(first))
        if error is not None:
            # Never give up: everything stays in memory and is written once the recording opens.
            self.technical.raise_alarm("record.write", "high", f"RECORDING FAILED: {error}; retrying")
            return
        # The session's start comes first in the file, at its first reading (or now, resumed).
        start_t = self.event_now() if self.resumed else first
        self.sink.put(
            "event",
            start_t,
            "start",
            first=True,
            resumed=self.resumed,
            mode=self.feed.mode,
            source=self.feed.source,
            label=self.label,
            wall=format_time(self.clock.wall(), True),
        )
        self.writer.flush()

    def _recording_meta(self, first: float) -> dict:
        """What the recorder writes into session.json when it creates it."""
        self.sink_start = first
        extra = {"mode": self.feed.mode, **self.feed.meta()}
        if self.fitted:
            extra["stale_fitted"] = list(self.fitted)
        extra.update({k: v for k, v in self.info.items() if v not in (None, "", [])})
        if self.protocol.schedule.streams or self.protocol.discharge.margins:
            extra["protocol"] = self.protocol.to_dict()
        return {
            "label": self.label,
            "source": self.feed.source,
            "simulated": self.feed.simulated,
            "thresholds": self.th,
            "absolute": bool(self.absolute),
            "start": first,
            "extra": extra,
        }

    # -- polling -------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Take what the feed has, feed the engine, tick it; True when the screen should change."""
        now = self.clock.monotonic()
        self._poll_mono = now
        before = (self.version, len(self.engine.log))
        try:
            if self.backlog.waiting():
                self._ingest_slice(now)  # the feed is polled again once the backlog is taken
            else:
                up = self.feed.poll(now)
                for s in up.status:
                    self.reports.status(s)
                    if s.kind == "ended":
                        self.finished = True
                # Only a feed without a clock of its own is taken in slices: with one (the
                # simulator, a replay), its clock would run ahead of readings still queued.
                sliced = self.feed.clock(now) is None
                if up.events or (up.readings and not (sliced and self.backlog.queue(up.readings, up.reopened))):
                    self._ingest(up.readings, up.events, up.reopened, now)
                elif up.readings:
                    self._ingest_slice(now)
                if up.rejected:
                    self.reports.rejected(up.rejected)
        except Exception as exc:  # the monitor must not die of one bad batch
            self.internal_error("while reading the feed", exc, name="feed.error", priority="technical")
        try:
            self.intake.release()
            if self.recorder is None:
                self._ensure_recorder()
            t = self.event_now()
            if t is not None:
                self.path.tick(t)
            self.technical.expire(now)
            self.schedule.check()
            if self.sink.due():
                self.writer.flush()
        except Exception as exc:
            self.internal_error("while updating the session", exc)
        self._tell("polled")
        if (self.version, len(self.engine.log)) != before:
            self.version += 1
            return True
        return False

    def _ingest_slice(self, now: float) -> None:
        """The next slice of a backlog (monitor.session.backlog), timed to size the one after."""
        rows, reopened = self.backlog.next_slice()
        timer = self.clock.work_timer
        began = timer() if timer is not None else 0.0
        self._ingest(rows, [], reopened, now, backlog=True)
        if timer is not None:
            self.backlog.took(len(rows), timer() - began)
        else:
            self.backlog.taken += len(rows)
        self.version += 1

    def loading(self) -> float | None:
        """How much of a backlog has been taken (0 to 1); None when there is none."""
        return self.backlog.progress(getattr(self.feed, "unread", lambda: None)())

    def _ingest(
        self,
        readings: list[Reading] | ReadingColumns,
        events: list[SourceEvent],
        reopened: bool,
        now: float,
        backlog: bool = False,
    ) -> None:
        device = self.feed.clock(now) is None
        wall = self.clock.wall() if device and self.feed.absolute() else None
        batch = self.intake.sort_batch(readings, events, reopened, self._source_event, device, wall)
        rows = batch.rows
        if rows:
            if self._fit_pending:
                self._fit_stale(rows)
            if self._events_clock.arrived(rows[0].t, rows[-1].t, now, catch_up=reopened or backlog):
                self._note_log(
                    "feed",
                    "",
                    f"the feed delivers readings in bursts: 'no data' is judged "
                    f"{self._events_clock.lag_s:.0f} s after the newest reading's time",
                )
        self.intake.take(rows, hold_last=getattr(self.feed, "splits_rows", False) and not batch.later)
        self._device_time_alarms(batch)  # after the rows: the session has an event time to raise them at
        for e in batch.later:
            self._source_event(e)
        if batch.repeated and reopened:
            self._note_log(
                "feed",
                "",
                f"{batch.repeated} row(s) already shown were skipped (the file was read again from its start)",
            )
        first = batch.first_dropped
        if first is not None:  # some rows were left out
            self.technical.count_problem(
                "feed.order",
                batch.dropped,
                lambda n: (
                    f"{n} reading(s) older than the newest one were left out (first at "
                    f"{self.fmt(first.t)}): times go backwards in the feed"
                ),
            )

    def _device_time_alarms(self, batch) -> None:
        """Say what monitor.session.device_times made of the device's times in this batch."""
        if batch.clock_right:
            self.technical.clear("feed.clock", "the device's times are in order again")
        if batch.clock_back is not None:
            newest, shift = batch.clock_back
            self.technical.raise_alarm(
                "feed.clock",
                "technical",
                f"the device clock went back about {hms(shift)} after {self.fmt(newest)}: its readings "
                f"are taken {hms(shift)} later than stamped, after the newest one (set the device's clock right)",
            )
        first = batch.first_future
        if first is not None:
            absolute = self.absolute if self.absolute is not None else bool(self.feed.absolute())
            self.technical.count_problem(
                "feed.future",
                batch.future,
                lambda n: (
                    f"{n} reading(s) stamped far ahead of the session's clock were left out (the first at "
                    f"{format_time(first.t, absolute)}): check the device's clock"
                ),
            )

    def _commit(self, rows: list[Reading] | ReadingColumns) -> None:
        """The readings (already in the store) enter the engine and the recording."""
        if not rows:
            return
        if not self._clock_known:
            self._clock_started(rows[0].t)
        # (the rows just stored, before the newest when the intake holds it back)
        self.path.feed(rows, self.store, len(self.store) - (self.intake.held is not None))

    def _clock_started(self, t: float) -> None:
        """The first reading: event time exists from now on. Open the recording, and raise in the
        engine what was raised before there was a time to raise it at."""
        self._clock_known = True
        if self.absolute is None:
            self.absolute = self.feed.absolute()
        self._ensure_recorder(first=t)
        self.technical.clock_started(t)

    def _fit_stale(self, rows: list[Reading] | ReadingColumns) -> None:
        """Fit the default stale limits to the first readings (what `alarms` does to a whole file)."""
        self._fit_pending = False
        if self.engine.log or self.engine.t != -math.inf or len(rows) < 3:
            return
        store = VitalStore()
        cols = rows_of(rows)
        store.extend(cols.t, cols.columns)
        th, notes = fit_stale_rules(self.th, store)
        if notes:
            self.th, self.fitted = th, notes
            self.path.engine = self._new_engine(th)
            for note in notes:
                self._note_log("session", "", note)

    def _source_event(self, e: SourceEvent) -> None:
        """A dose or note from the source (the simulator's scenario), or a recorded action (replay)."""
        if e.kind == "reading":
            return  # a replay's typed reading: its row comes with the readings, its mark was preloaded
        if getattr(self.feed, "records", True):
            self.actions.from_source(e)
        else:
            self.actions.replayed(e)

    def internal_error(self, where: str, exc: BaseException, name: str = "app.error", priority: str = "high") -> None:
        """An unexpected error: logged with its traceback, shown as a technical alarm; the
        session carries on (the last-resort handler of the app calls this too)."""
        self.technical.internal_error(where, exc, name, priority)

    def write_log_line(self, text: str) -> None:
        """A line in monitor.log (e.g. a report that could not be written)."""
        self.sink.log_line(text)

    # -- user actions (monitor.session.actions) --------------------------------------------------

    def initial_dose(self) -> Dose | None:
        return self.actions.initial_dose()

    def check_dose(self, kind: str) -> None:
        self.actions.check_dose(kind)

    def give_dose(
        self,
        kind: str,
        amount_mg: float | None,
        given_at: float | None = None,
        reason: str | None = None,
        staff: str = "",
    ) -> Dose:
        self._check_staff(staff, "a dose")
        dose = self.actions.give_dose(kind, amount_mg, given_at, reason, staff)
        self.schedule.check()
        return dose

    def add_note(self, text: str) -> None:
        self.actions.add_note(text)

    def acknowledge(self, staff: str = "") -> int:
        self._check_staff(staff, "an acknowledgement")
        return self.actions.acknowledge(staff)

    def enter_reading(
        self, values: dict[str, float], at: float | None = None, staff: str = "", confirmed: bool = False
    ) -> str:
        """A reading typed at the bedside (monitor.session.typed): the same path as a device's,
        marked `source: manual`; returns the sentence saying what was recorded."""
        text = self.typed.enter(values, at, staff, confirmed)
        self.schedule.check()
        return text

    def _check_staff(self, staff: str, what: str) -> None:
        if self.protocol.staff_initials == "required" and not staff.strip():
            raise ActionError(f"{what} needs the initials of the staff member (the protocol requires them)")

    def discharge(self) -> DischargeStatus:
        """Whether the vitals allow discharge now (monitor.core.discharge)."""
        t = self.event_now()
        return discharge_status(
            self.store,
            self.doses,
            t if t is not None else 0.0,
            self.protocol.discharge,
            self.protocol.schedule.baseline_window_s,
        )

    def pause_audio(self) -> float:
        """Pause the audio for the configured time; returns the seconds of the pause."""
        return self.actions.pause_audio(min(self.th.audio.pause_s, self.th.audio.max_pause_s))

    # -- what the screen shows -----------------------------------------------------------------

    def alarms(self) -> list[AlarmStatus]:
        return self.board.alarms()

    def stale_vitals(self, statuses: list[AlarmStatus] | None = None) -> set[str]:
        return self.vitals.stale_vitals(statuses)

    def current(self, vital: str, stale: set[str] | None = None) -> tuple[float, float] | None:
        return self.vitals.current(vital, stale)

    def supplement(self, stale: set[str] | None = None) -> SupplementStatus:
        return self.vitals.supplement(stale)

    def supplement_concern(self) -> str | None:
        return self.vitals.supplement_concern()

    def repeat_request(self) -> AlarmEvent | None:
        return self.board.repeat_request()

    def paused_remaining(self) -> float:
        return self.board.paused_remaining()

    def audible_rank(self) -> int:
        return self.board.audible_rank()

    def take_reminders(self) -> list[int]:
        return self.board.take_reminders()

    def take_onsets(self) -> list[int]:
        return self.board.take_onsets()

    def present(self) -> set[str]:
        """Vitals with at least one value in the store (cached until new readings arrive)."""
        if self._present[0] != self.data_version:
            self._present = (self.data_version, set(self.store.present()))
        return self._present[1]

    def session_start(self) -> float | None:
        span = self.store.span()
        return span[0] if span is not None else None

    def note(self, text: str) -> None:
        """A line in the event log (not an alarm, not recorded)."""
        self._note_log("session", "", text)

    def fmt(self, t: float) -> str:
        """An event time as the screen writes it."""
        return event_time(t, self.absolute, self.tz)

    # -- alarms from the engine ----------------------------------------------------------------

    def _on_alarm(self, e: AlarmEvent) -> None:
        self.path.alarm(e)
        self.board.heard(e)
        self._note_log("alarm", e.priority, e.message, state=e.state, t=e.t)
        self.version += 1
        self._tell("alarm", e)

    # -- the event log -------------------------------------------------------------------------

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
        self.intake.adopt(store)
        self.actions.doses, self.actions.notes = state.doses, state.notes
        self.log = state.log
        self.log_serial += len(state.log) + 1
        self.path.engine = state.engine
        self.engine.listen(self._on_alarm)
        self.engine.history_from(self.intake.history)
        self.board.adopt(state.repeat)
        self.data_version += 1
        self.version += 1

    def _load(self, rs) -> None:
        """Carry on a recorded session: store, doses, notes, log, and the alarm state."""
        self.absolute = rs.absolute
        self.label = rs.meta.get("label") or self.label
        self.typed.preload(rs.events)
        end = max((e["t"] for e in rs.events), default=None)
        self.adopt(rs.store, restore_state(self.th, rs.store, rs.events, rs.recorded_alarms(), end, self.fmt))
        recorded = rs.recorded_alarms()
        mine = self.engine.log
        k = 0
        while k < min(len(mine), len(recorded)) and same_transition(mine[k], recorded[k]):
            k += 1
        if k == len(recorded):
            # Alarm transitions a crash kept from the file are recorded now, so the log is whole.
            for e in mine[len(recorded) :]:
                self.sink.put("alarm", e)
        elif k == len(mine):
            # Recorded ahead of the readings (by an older version, which wrote a batch's
            # transitions before its readings): the feed delivers those readings again, and the
            # transitions they bring are recorded already.
            self.path.expect(recorded[k:])
        else:
            self.resume_note = (
                f"note: re-running the alarms over the recording gave {len(mine)} transitions "
                f"where {len(recorded)} were recorded; the recorded log is kept"
            )
        now = self.clock.monotonic()
        self.technical.resumed(now)
        span = self.store.span()
        if span is not None:
            newest = span[1]
            self._clock_known = True
            self.intake.resume_after(newest)
            self.path.carry_on(len(self.store), newest)
            self._events_clock.arrived(newest, newest, now, catch_up=True)
