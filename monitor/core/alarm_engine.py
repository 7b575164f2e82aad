"""The alarm engine: readings and user actions in, an alarm log out, on the readings' own clock.

Vocabulary follows IEC 60601-1-8 bedside monitors: priorities low / medium / high plus technical
alarms (stale stream, implausible reading). One alarm exists per vital and direction; it moves
normal -> pending (the condition must hold for the delay) -> active -> acknowledged -> cleared,
escalates and de-escalates between priorities, clears only once the value is back inside the limit
by the hysteresis margin, and latches when it has reached high priority. Every transition is an
`AlarmEvent`.

Two ways in, one behaviour:
- `feed(reading)` for a live stream, one reading at a time;
- `run(store, controls)` for a recorded session. It visits only the rows where something can
  happen (a level change, a deadline, a gap) and hands each to the same row handler `feed` uses,
  so both produce the same log (monitor/core/alarm_batch.py).

Time is event time (the readings' timestamps). Only `tick(t)` brings the wall clock in, to notice
a stream that has gone silent while nothing else arrives.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from monitor.core import alarm_text as say
from monitor.core.alarm_batch import BatchRun, SkippedRows
from monitor.core.alarm_state import INF, ROW_NAMES, SI_INDEX, Alarm, LimitAlarm, TechAlarm
from monitor.core.alarm_types import AlarmEvent, AlarmStatus, Control, order_controls
from monitor.core.dose_baseline import PreDoseReadings, baseline_limits
from monitor.core.priority import RANK_NAME, TECHNICAL_RANK
from monitor.core.readings import Reading, VitalStore
from monitor.core.shock_index import RecentHR
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import ALL_SPECS, cuff_problem, format_value


class AlarmEngine:
    """Evaluates readings and user actions against `Thresholds` and keeps the alarm log."""

    def __init__(self, thresholds: Thresholds, on_event: Callable[[AlarmEvent], None] | None = None):
        self.th = thresholds
        self.log: list[AlarmEvent] = []
        self._on_event = on_event
        self.t = -INF  # event time of the newest reading, action or clock tick
        # A reading may be later than a tick of the wall clock (a bridge that stalled): it is still
        # taken at its own time, as long as readings themselves arrive in order.
        self.last_reading_t = -INF
        # Limit alarms per row position (VITALS order, then si).
        self._limit: list[list[LimitAlarm]] = [[] for _ in ROW_NAMES]
        for name, rule in thresholds.vitals.items():
            if name not in ROW_NAMES:
                continue
            pos = ROW_NAMES.index(name)
            for direction in ("upper", "lower"):
                if getattr(rule, direction):
                    self._limit[pos].append(LimitAlarm(rule, direction))
        self.limit_alarms = [a for group in self._limit for a in group]  # (read by a batch run too)
        self._artifact = [Alarm(f"{n}.artifact", n) for n in ROW_NAMES]
        self._lo = [ALL_SPECS[n].low for n in ROW_NAMES]
        self._hi = [ALL_SPECS[n].high for n in ROW_NAMES]
        # Streams for stale detection.
        self._streams = list(thresholds.stale)
        self._stale = [Alarm(f"{s.stream}.stale", s.stream) for s in self._streams]
        self._stream_of: list[list[int]] = [[] for _ in ROW_NAMES]
        for k, s in enumerate(self._streams):
            for v in s.vitals:
                if v in ROW_NAMES:
                    self._stream_of[ROW_NAMES.index(v)].append(k)
        self._last_seen = [-INF] * len(self._streams)
        self._after = [s.after_s for s in self._streams]
        self._hr = RecentHR(thresholds)
        # The newest plausible shock index (time, value), for the screen: derived here only.
        self.last_si: tuple[float, float] | None = None
        # Audio pause.
        self.paused_until = -INF
        self._pause_rank = 0
        self._global_due = -INF  # no silence or pause end can fall due before this time
        # Baseline.
        self._pre = PreDoseReadings(thresholds.baseline)
        self.baseline: dict[str, float] = {}
        self.initial_dose_t: float | None = None
        # Technical alarms about the monitor, by name, created when first raised.
        self._technical: dict[str, TechAlarm] = {}
        self._log_t = -INF  # the newest transition's time: the log never runs backwards
        self._n_fixed = len(self.limit_alarms) + len(self._stale) + len(self._artifact)
        self._every: list[Alarm] = []  # every alarm, technical ones included (see _alarms)
        self.fired = 0  # counts the times deadlines fell due (a live session records its ticks)
        # Baseline vitals whose rules are off for the session (no pre-dose readings): vital -> why.
        self.baseline_off: dict[str, str] = {}
        self.log_length = 0  # (a snapshot's: the length of the log it was taken at)

    # -- public API ----------------------------------------------------------------------------

    def listen(self, on_event: Callable[[AlarmEvent], None] | None) -> None:
        """Who hears of each transition from now on (a session that took over this engine)."""
        self._on_event = on_event

    def feed(self, r: Reading) -> None:
        """One live reading; readings must arrive in time order (sources sort them)."""
        if r.t < self.last_reading_t:
            raise ValueError(f"reading at {r.t} is older than the newest one ({self.last_reading_t})")
        self.last_reading_t = r.t
        self.row(r.t, [r.hr, r.sbp, r.dbp, r.map, r.spo2, r.temp, r.rr])

    def feed_many(self, readings: Iterable[Reading]) -> None:
        for r in readings:
            self.feed(r)

    def tick(self, t: float) -> None:
        """The wall clock moved to event time `t` with no reading: look for silent streams.

        Also fires what fell due before the engine's own time: a reading that came after the
        clock had passed it (a stalled bridge) can bring a deadline that is already over."""
        if t < self.t:
            t = self.t
        if t >= self._global_due:
            self._globals(t)
        self.t = t

    def acknowledge(self, t: float, who: str = "") -> None:
        t = max(t, self.t)
        by = f" by {who}" if who else ""
        for a in self._alarms():
            if a.state == "active":
                a.state = "acknowledged"
                a.remind_at = t + self.th.audio.reminder_s
                self._global_due = -INF
                self._emit(t, a, "acknowledged", f"{say.label(a)} acknowledged{by}")
                if isinstance(a, LimitAlarm) and 0 < a.level < a.rank:
                    # A high alarm held at high while unacknowledged follows the value once seen.
                    a.rank, a.limit = a.level, a.limit_for(a.level)
                    self._emit(t, a, "de-escalated", f"{say.label(a)} de-escalated to {RANK_NAME[a.level]}")
            elif a.state == "latched":
                self._emit(t, a, "acknowledged", f"{say.label(a)} acknowledged{by}")
                self._clear(t, a, "cleared after acknowledgement (condition had ended)")
        self.t = t

    def pause_audio(self, t: float, seconds: float | None = None) -> float:
        """Silence the audio for a while (never for good); returns the pause end."""
        t = max(t, self.t)
        audio = self.th.audio
        seconds = audio.pause_s if seconds is None else min(max(seconds, 0.0), audio.max_pause_s)
        self.paused_until = t + seconds
        self._global_due = -INF
        # Break-through compares with what was sounding when paused (not pending or acknowledged).
        self._pause_rank = max((s.rank for s in self.status() if s.state in ("active", "latched")), default=0)
        self._note(t, "audio", "paused", f"audio paused for {seconds:g} s")
        self.t = t
        return self.paused_until

    def history_from(self, fn: Callable[[str, float, float], np.ndarray] | None) -> None:
        """Where the pre-dose baseline comes from from now on: fn(vital, t0, t1) gives the valid
        readings in [t0, t1] the engine has taken (a live session's store)."""
        self._pre.use_store(fn)

    def dose(self, t: float, dose: str = "initial", given_at: float | None = None) -> None:
        """Record a dose; the initial dose fixes the pre-dose baseline for baseline rules.

        The baseline is the median of the readings in the window before the time the dose was
        GIVEN (`given_at`, for a dose keyed in late), never of the drug's effect after it."""
        t = max(t, self.t)
        self.t = t
        if dose != "initial" or self.initial_dose_t is not None:
            return
        at = t if given_at is None else min(given_at, t)
        self.initial_dose_t = at
        pre = self._pre
        for vital in pre.vitals:
            vals = pre.between(vital, at - pre.window, at)
            if len(vals) == 0:
                why = f"no pre-dose {vital} readings: baseline rules for {vital} are off"
                self.baseline_off[vital] = why
                self._note(t, "baseline", "baseline", why, vital=vital)
                continue
            base = float(np.median(vals))
            self.baseline[vital] = base
            said = f"pre-dose baseline {vital} {format_value(vital, base)} (median of {len(vals)} readings)"
            self._note(t, "baseline", "baseline", said, vital=vital, value=base)
        pre.close()
        self._apply_baseline()

    def technical_priority(self, name: str) -> str | None:
        """The priority of a technical alarm that is not normal, or None."""
        a = self._technical.get(name)
        return a.priority if a is not None and a.state != "normal" else None

    def technical(self, t: float, name: str, action: str, priority: str = "technical", message: str = "") -> None:
        """Raise (or update) or clear a technical alarm about the monitor itself."""
        t = max(t, self.t)
        self.t = t
        a = self._technical.get(name)
        if action == "clear":
            if a is not None and a.state != "normal":
                self._clear(t, a, message or "resolved")
            return
        rank = 3 if priority == "high" else 1 if priority == "low" else TECHNICAL_RANK
        if a is None:
            a = self._technical[name] = TechAlarm(name)
        if a.state == "normal":
            a.priority, a.message = priority, message
            self._activate(t, a, rank, None, message)
            return
        a.message = message  # the same problem, said again: no new transition
        if rank > a.rank:
            a.priority, a.rank = priority, rank
            if a.state == "acknowledged":
                a.state, a.remind_at = "active", INF
            self._emit(t, a, "escalated", message)
            self._break_through(t, rank, a)

    def apply(self, c: Control) -> None:
        self.tick(c.t)  # deadlines that fell due before the action come first
        if c.kind == "dose":
            self.dose(c.t, c.data.get("dose", "initial"), c.data.get("given_at"))
        elif c.kind == "ack":
            self.acknowledge(c.t, c.data.get("who", ""))
        elif c.kind == "pause":
            self.pause_audio(c.t, c.data.get("seconds"))
        elif c.kind == "technical":
            self.technical(
                c.t, c.data["name"], c.data["action"], c.data.get("priority", "technical"), c.data.get("message", "")
            )

    def status(self) -> list[AlarmStatus]:
        """Alarms that are not normal, highest priority first."""
        out = []
        for a in self._alarms():
            if a.state == "normal":
                continue
            priority = say.priority_of(a)
            out.append(AlarmStatus(a.name, a.vital, priority, a.state, a.value, a.limit, a.since, say.describe(a)))
        out.sort(key=lambda s: (-s.rank, s.state == "pending", s.since))
        return out

    def audible_rank(self, t: float) -> int:
        """Priority rank the audio should sound now (0: silent), honouring the pause."""
        if t < self.paused_until:
            return 0
        return max((s.rank for s in self.status() if s.state in ("active", "latched")), default=0)

    # -- batch ---------------------------------------------------------------------------------

    def run(self, store: VitalStore, controls: Sequence[Control] = (), end: float | None = None) -> list[AlarmEvent]:
        """Evaluate a whole recorded session; returns the log (also kept in `self.log`).

        `end`: the session's last moment (its stop event). A live monitor kept its clock running
        to then, so a stream that fell silent before it was alarmed: ticking to `end` does the same.
        """
        return self.run_batch(BatchRun(self, store, order_controls(controls)), end=end)

    def run_batch(
        self, batch: BatchRun, lo: int = 0, hi: int | None = None, end: float | None = None, final: bool = True
    ) -> list[AlarmEvent]:
        """Rows [lo, hi) of a batch run's store (the engine has taken those before lo: a
        checkpoint) with the controls that fall among them (`BatchRun.run`); `final`: the run
        ends at hi (as `run` over a store of the rows before hi), else it is carried on later."""
        hi = batch.n if hi is None else hi
        self._pre.use_batch(batch.history)
        batch.run(lo, hi, final)
        if not final:
            self._pre.use_batch(None)
            return self.log
        if hi:
            self.t = max(self.t, batch.t.item(hi - 1))
            # Ready for a dose keyed in after the run: the readings before it.
            self._pre.left_by_batch(batch.readings_since, self.t)
        self._pre.use_batch(None)
        if end is not None:
            self.tick(end)
        return self.log

    def snapshot(self) -> AlarmEngine:
        """A copy of the state to carry on from later (a replay's checkpoint), with an empty log:
        the log only grows, so the caller keeps the length (`log_length`) and gives the copy the
        prefix back. The limits are shared (never changed; a baseline sets alarms' own)."""
        assert self._pre.batch is None and self._on_event is None  # (a snapshot between runs)
        snap = copy.deepcopy(self, self._shared({id(self.log): []}))
        snap.log_length = len(self.log)
        return snap

    def copy_with_log(self, log: list[AlarmEvent]) -> AlarmEngine:
        """A working copy of a snapshot, whose log was `log` (a prefix of the run's)."""
        return copy.deepcopy(self, self._shared({id(self.log): list(log)}))

    def _shared(self, memo: dict[int, object]) -> dict[int, object]:
        """What a copy of the engine shares with it, in the form `copy.deepcopy` takes: the
        limits and what the engine made of them once (never changed after `__init__`)."""
        th = self.th
        for o in (th, *th.vitals.values(), *th.stale, *th.baseline, self._lo, self._hi, self._after, self._streams):
            memo[id(o)] = o
        memo[id(self._stream_of)] = self._stream_of
        return memo

    def adopt(self, rows: SkippedRows) -> None:
        """Take what the rows a batch run skipped would have set, had each been fed."""
        last_seen = self._last_seen
        for k, seen in rows.last_seen:
            if last_seen[k] == -INF:
                self._global_due = -INF  # a stream seen for the first time brings a deadline
            last_seen[k] = seen  # later last-seen times only move deadlines later
        if rows.last_hr is not None:
            self._hr.last = rows.last_hr
        if rows.hr_recent is not None:
            self._hr.recent = rows.hr_recent
        if rows.last_si is not None:
            self.last_si = rows.last_si
        for k, v in rows.values:
            self.limit_alarms[k].value = v

    def soonest_due(self) -> float:
        """When the audio pause ends or a reminder falls due, whichever comes first (INF: none).
        A batch run finds stale deadlines and the limit alarms' own itself."""
        due = self.paused_until if self.paused_until > self.t else INF
        for a in self._alarms():
            if a.state == "acknowledged" and a.remind_at < due:
                due = a.remind_at
        return due

    def due_by(self, when: float) -> None:
        """Something may fall due at `when`: a limit alarm's condition has a deadline then (a new
        one, or one a batch run brought up to date)."""
        if when < self._global_due:
            self._global_due = when

    # -- the row handler -----------------------------------------------------------------------

    def row(self, t: float, values: list[float]) -> None:
        """Handle one row: the readings at `t` in VITALS order (NaN: none), taken in time order
        (`feed` checks it; a batch run keeps it). Hot path: keep attribute look-ups local."""
        if t >= self._global_due:
            self._globals(t)
        if t > self.t:
            self.t = t
        lo, hi = self._lo, self._hi
        sbp, dbp = values[1], values[2]
        if values[3] != values[3] and sbp == sbp and dbp == dbp:
            values[3] = (sbp + 2.0 * dbp) / 3.0
        cuff = None  # why this row's cuff reading cannot be used
        if sbp == sbp or dbp == dbp or values[3] == values[3]:
            cuff = cuff_problem(sbp, dbp, values[3])
        hr = values[0]
        if hr == hr and lo[0] <= hr <= hi[0]:
            self._hr.take(t, hr)
        si = math.nan
        if sbp == sbp and cuff is None:
            hv = self._hr.at(t)
            if hv is not None:
                si = hv / sbp
                if lo[SI_INDEX] <= si <= hi[SI_INDEX]:
                    self.last_si = (t, si)
        values.append(si)
        pre = self._pre
        remember = pre.kept
        last_seen = self._last_seen
        repeat = None
        for pos, v in enumerate(values):
            if v != v:
                continue
            for k in self._stream_of[pos]:
                if last_seen[k] == -INF:
                    self._global_due = -INF  # a new stream brings a deadline of its own
                last_seen[k] = t
                st = self._stale[k]
                if st.state != "normal":
                    self._clear(t, st, "readings are back")
                    self._global_due = -INF
            art = self._artifact[pos]
            if 0 < pos < 4:
                problem = cuff
            elif lo[pos] <= v <= hi[pos]:
                problem = None
            else:
                problem = say.implausible(ROW_NAMES[pos], v, lo[pos], hi[pos])
            if problem is not None:
                if art.state == "normal":
                    art.value = v
                    what = "inconsistent cuff reading" if 0 < pos < 4 else "artifact"
                    self._activate(
                        t, art, TECHNICAL_RANK, None, f"{problem}: flagged as {what}, not used for limit alarms"
                    )
                continue
            if art.state != "normal":
                art.value = v
                self._clear(t, art, "plausible readings again")
            if remember is not None:
                buf = remember[pos]
                if buf is not None:
                    buf.append((t, v))
                    while buf[0][0] < t - pre.keep:
                        buf.popleft()
            for a in self._limit[pos]:
                if a.state == "normal" and a.sign * v < a.quiet:
                    continue  # the common case: nothing near a limit
                changed, due = a.take(t, v)
                if due != INF:
                    self.due_by(due)
                if changed:
                    self._settle(t, a)
                if 0 < pos < 4 and a.state != "normal" and a.level and (repeat is None or a.level > repeat[0].level):
                    repeat = (a, v)  # ask about the worst cuff value
        if repeat is not None:
            a, v = repeat
            limit = a.limit_for(a.level)
            said = f"cuff {a.vital} {format_value(a.vital, v)} beyond {limit:g}: repeat the measurement"
            self._note(
                t, "bp.repeat", "repeat", said, vital="bp", priority=RANK_NAME[a.level], value=float(v), limit=limit
            )

    def _settle(self, t: float, a: LimitAlarm, why: str = "") -> None:
        """Move the alarm to what its conditions now say."""
        level, pend, state = a.level, a.pend, a.state
        if state == "normal":
            if level:
                self._activate(t, a, level, a.limit_for(level), None)
            elif pend:
                a.state, a.rank, a.since, a.limit = "pending", pend, t, a.limit_for(pend)
                self._emit(t, a, "pending", say.pending(a))
            return
        if state == "pending":
            if level:
                self._activate(t, a, level, a.limit_for(level), None)
            elif not pend:
                a.state = "normal"
                self._emit(t, a, "cancelled", say.cancelled(a, why or "back in range"))
            else:
                a.rank, a.limit = pend, a.limit_for(pend)
            return
        if state == "latched":
            if level:
                a.state = "active"
                self._emit(t, a, "active", say.alarming_again(a, level))
            return
        if not level:
            if state == "active" and a.rank == 3:
                a.state = "latched"
                self._emit(
                    t, a, "latched", f"{say.label(a)}: value back in range, held until acknowledged (high priority)"
                )
            else:
                self._clear(t, a, why or "value back in range")
            return
        if level > a.rank:
            if state == "acknowledged":
                a.state, a.remind_at = "active", INF
            self._escalate(t, a, level)
        elif level < a.rank and not (state == "active" and a.rank == 3):
            a.rank, a.limit = level, a.limit_for(level)
            self._emit(t, a, "de-escalated", f"{say.label(a)} de-escalated to {RANK_NAME[level]}")

    def _confirm(self, when: float, a: LimitAlarm) -> None:
        """Deadlines of the alarm's ranks fell due at `when`: time beyond a limit added up to the
        delay (the rank is on), or the value stayed back inside for the clear time (off)."""
        cleared = a.fall_due(when)
        self._settle(when, a, f"back in range for {a.clear:g} s" if cleared else "")

    def _activate(self, t: float, a: Alarm, rank: int, limit: float | None, message: str | None) -> None:
        a.state, a.rank, a.since, a.limit, a.remind_at = "active", rank, t, limit, INF
        self._emit(t, a, "active", message or f"{say.label(a)}")
        self._break_through(t, rank, a)

    def _escalate(self, t: float, a: LimitAlarm, level: int) -> None:
        a.rank, a.limit = level, a.limit_for(level)
        self._emit(t, a, "escalated", f"{say.label(a)} escalated to {RANK_NAME[level]}")
        self._break_through(t, level, a)

    def _clear(self, t: float, a: Alarm, why: str) -> None:
        a.state, a.remind_at = "normal", INF
        self._emit(t, a, "cleared", f"{a.name} cleared: {why}")
        if isinstance(a, LimitAlarm) and a.pend:
            # A condition at another rank is still being confirmed: the alarm is pending again.
            a.state, a.rank, a.since, a.limit = "pending", a.pend, t, a.limit_for(a.pend)
            self._emit(t, a, "pending", say.pending(a))

    def _break_through(self, t: float, rank: int, a: Alarm) -> None:
        """A new or escalated alarm during an audio pause sounds when it outranks what was
        sounding when the pause was taken, and a high-priority one always does (a pause taken
        for one alarm never silences the next)."""
        if t < self.paused_until and (rank > self._pause_rank or rank == 3):
            self.paused_until = -INF  # the pause is over, and this event says so
            self._note(t, "audio", "resumed", f"audio pause broken through by {say.kind_of(a)} ({a.name})")

    def _globals(self, t: float) -> None:
        """Deadlines that do not wait for a reading of their own vital: silence, pause end,
        reminders, and a limit alarm's delay or clear time; fired one moment at a time, in time
        order, up to `t`."""
        while t >= self._global_due and self._globals_once(t):
            pass

    def _globals_once(self, t: float) -> bool:
        """Fire what is due by `t`; True when something fired (more may now be due)."""
        due: list[tuple[float, int, int]] = []
        if self.paused_until > -INF and t >= self.paused_until and self.paused_until > self.t:
            due.append((self.paused_until, 0, -1))
        for k, after in enumerate(self._after):
            ls = self._last_seen[k]
            if ls > -INF and t > ls + after and self._stale[k].state == "normal":
                due.append((ls + after, 1, k))
        alarms = self._alarms()
        soonest = self.paused_until if self.paused_until > self.t else INF
        for k, a in enumerate(alarms):
            if a.state == "acknowledged":
                if t >= a.remind_at:
                    due.append((a.remind_at, 2, k))
                soonest = min(soonest, a.remind_at)
        for k, a in enumerate(self.limit_alarms):
            if a.pend:
                when = a.next_deadline()[0]
                if when <= t:
                    due.append((when, 3, k))
                soonest = min(soonest, when)
        for k, after in enumerate(self._after):
            if self._stale[k].state == "normal" and self._last_seen[k] > -INF:  # unseen: no deadline
                soonest = min(soonest, self._last_seen[k] + after)
        self._global_due = soonest
        if not due:
            return False
        self.fired += 1
        # Only the soonest: what it does may move what comes after (a pending alarm that sounds
        # before a stream goes stale), so the next call looks again.
        first = min(due)[0]
        due = sorted(d for d in due if d[0] == first)
        self._global_due = first
        for when, kind, k in due:
            if kind == 0:
                self.paused_until = -INF  # announced: the pause is over
                self._note(when, "audio", "resumed", "audio pause ended")
            elif kind == 1:
                self._go_stale(when, k)
            elif kind == 2:
                self._remind(when, t, alarms[k])
            else:
                a = self.limit_alarms[k]
                if a.next_deadline()[0] == when:  # (an earlier item, such as "no data", may move it)
                    self._confirm(when, a)
        return bool(due)

    def _go_stale(self, when: float, k: int) -> None:
        st, s = self._stale[k], self._streams[k]
        self._activate(
            when, st, TECHNICAL_RANK, s.after_s, f"no {s.stream} reading for {s.after_s:g} s: values shown as stale"
        )
        for pos, name in enumerate(ROW_NAMES):
            if name not in s.vitals:
                continue
            for a in self._limit[pos]:
                # A condition no longer seen cannot be confirmed; one that sounded stays.
                if a.drop_pending():
                    if a.state == "pending" and not a.pend:
                        a.state = "normal"
                        self._emit(when, a, "cancelled", say.cancelled(a, "no data to confirm it"))
                    elif a.state == "pending":
                        a.rank, a.limit = a.pend, a.limit_for(a.pend)

    def _stale_vital(self, vital: str) -> bool:
        """True when every stream that carries `vital` has gone stale (its value is not current)."""
        pos = ROW_NAMES.index(vital) if vital in ROW_NAMES else -1
        if vital == "si":
            return self._stale_vital("hr") or self._stale_vital("sbp")
        if pos < 0 or not self._stream_of[pos]:
            return False
        return all(self._stale[k].state != "normal" for k in self._stream_of[pos])

    def _remind(self, when: float, now: float, a: Alarm) -> None:
        """An acknowledged alarm's reminder fell due: say it is still present, unless its values
        are stale (nothing current to say so). After a long gap the next one counts from now, so
        a silence never turns into a flood of reminders."""
        if a.state != "acknowledged":
            return
        interval = self.th.audio.reminder_s
        nxt = when + interval
        a.remind_at = nxt if nxt > now else now + interval
        if isinstance(a, TechAlarm) or a in self._stale or not self._stale_vital(a.vital):
            self._emit(when, a, "reminder", f"{say.describe(a)} still present")

    # -- helpers -------------------------------------------------------------------------------

    def _alarms(self) -> list[Alarm]:
        if len(self._every) != self._n_fixed + len(self._technical):
            self._every = [*self.limit_alarms, *self._stale, *self._artifact, *self._technical.values()]
        return self._every

    def _apply_baseline(self) -> None:
        extra = baseline_limits(self.th.baseline, self.baseline)
        for a in self.limit_alarms:
            a.set_limits(extra.get((a.vital, a.direction), {}))
            if a.state != "normal" and a.rank:
                a.limit = a.limit_for(a.rank)

    def _emit(self, t: float, a: Alarm, state: str, message: str) -> None:
        value = None if a.value is None or a.value != a.value else round(float(a.value), 4)
        self._emit_raw(AlarmEvent(t, a.name, a.vital, say.priority_of(a), state, value, a.limit, message))

    def _note(
        self,
        t: float,
        alarm: str,
        state: str,
        message: str,
        vital: str = "",
        priority: str = "",
        value: float | None = None,
        limit: float | None = None,
    ) -> None:
        """An event of no alarm's own: the audio, a baseline, a request to repeat the cuff."""
        self._emit_raw(AlarmEvent(t, alarm, vital, priority, state, value, limit, message))

    def _emit_raw(self, e: AlarmEvent) -> None:
        if e.t < self._log_t:
            # A reading that reached the monitor after its clock had passed it (a stalled bridge):
            # what it changes is said when it arrived, so the log stays in time order.
            e = AlarmEvent(self._log_t, e.alarm, e.vital, e.priority, e.state, e.value, e.limit, e.message)
        else:
            self._log_t = e.t
        self.log.append(e)
        if self._on_event is not None:
            self._on_event(e)
