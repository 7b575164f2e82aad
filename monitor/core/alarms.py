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
  so both produce the same log. The skipped rows change no state: the handler is idempotent on a
  row whose levels equal the previous row's.

Time is event time (the readings' timestamps). Only `tick(t)` brings the wall clock in, to notice
a stream that has gone silent while nothing else arrives.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds import PRIORITY_RANK, StaleRule, Thresholds, VitalRule
from monitor.core.durations import format_duration
from monitor.core.vitals import ALL_SPECS, VITALS, artifact_flags, format_value

INF = math.inf
RANK_NAME = {1: "low", 2: "medium", 3: "high"}
TECHNICAL_RANK = 2  # technical alarms sound like medium ones
CUFF = ("sbp", "dbp", "map")
SI_INDEX = len(VITALS)  # the derived shock index follows the measured vitals
ROW_NAMES = VITALS + ("si",)


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    t: float
    alarm: str  # "hr.upper", "sbp.lower", "hr.stale", "spo2.artifact", "bp.repeat", "audio", "baseline"
    vital: str
    priority: str  # low | medium | high | technical | "" (for audio and baseline notes)
    state: str  # pending cancelled active escalated de-escalated latched acknowledged reminder
    #             cleared repeat paused resumed baseline
    value: float | None
    limit: float | None
    message: str

    def to_dict(self) -> dict:
        return {
            "t": self.t,
            "alarm": self.alarm,
            "vital": self.vital,
            "priority": self.priority,
            "state": self.state,
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
        }

    @staticmethod
    def from_dict(d: dict) -> "AlarmEvent":
        return AlarmEvent(
            float(d["t"]), d["alarm"], d["vital"], d["priority"], d["state"],
            d.get("value"), d.get("limit"), d.get("message", ""),
        )


@dataclass(frozen=True, slots=True)
class Control:
    """Something the engine is told at event time `t` besides readings: a user action ("dose"
    with data dose=initial|supplemental, "ack", "pause"), a technical alarm about the monitor
    itself ("technical": name, action raise|clear, priority technical|high, message), or a tick
    of the live clock that fired a deadline ("clock").

    `seq`: how many readings the engine had taken when it was applied live, so a re-run puts it
    between exactly the same readings (None: place it by time, after readings at the same time).
    """

    t: float
    kind: str
    data: dict = field(default_factory=dict)
    seq: int | None = None


def order_controls(controls: Iterable[Control]) -> list[Control]:
    """Controls in the order the engine saw them: by `seq` when every one has it, else by time;
    stable among equals."""
    out = list(controls)
    if out and all(c.seq is not None for c in out):
        return sorted(out, key=lambda c: c.seq)  # type: ignore[arg-type, return-value]
    return sorted(out, key=lambda c: c.t)


@dataclass(frozen=True)
class AlarmStatus:
    """What the screen shows for one alarm that is not normal."""

    alarm: str
    vital: str
    priority: str
    state: str  # pending, active, acknowledged, latched
    value: float | None
    limit: float | None
    since: float
    message: str

    @property
    def rank(self) -> int:
        return TECHNICAL_RANK if self.priority == "technical" else PRIORITY_RANK.get(self.priority, 0)


_MARK = {"high": "!!!", "medium": "!!", "low": "!", "technical": "!"}


def priority_marker(priority: str) -> str:
    return _MARK.get(priority, "")


class _Alarm:
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


class _TechAlarm(_Alarm):
    """A technical alarm about the monitor itself (feed lost, bad lines, recording failed, ...).
    It never latches; its priority is technical, or high for a failure that loses data."""

    __slots__ = ("priority", "message")

    def __init__(self, name: str) -> None:
        super().__init__(name, name.split(".", 1)[0])
        self.priority = "technical"
        self.message = ""


class _LimitAlarm(_Alarm):
    __slots__ = ("direction", "rule", "limits", "sources", "level", "pending_deadline", "delay", "hyst",
                 "sign", "quiet")

    def __init__(self, rule: VitalRule, direction: str) -> None:
        super().__init__(f"{rule.vital}.{direction}", rule.vital)
        self.direction = direction
        self.rule = rule
        self.delay = rule.delay_s if rule.continuous else 0.0
        self.hyst = rule.hysteresis if rule.continuous else 0.0
        self.level = 0
        self.pending_deadline = INF
        self.set_limits({})

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

    def level_arrays(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised `levels` for the batch path."""
        raise_ = np.zeros(len(v), np.int8)
        hold = np.zeros(len(v), np.int8)
        h = self.hyst
        for r, lim in self.limits:
            if self.direction == "upper":
                raise_ = np.where(v >= lim, np.maximum(raise_, r), raise_)
                hold = np.where(v > lim - h, np.maximum(hold, r), hold)
            else:
                raise_ = np.where(v <= lim, np.maximum(raise_, r), raise_)
                hold = np.where(v < lim + h, np.maximum(hold, r), hold)
        return raise_, np.maximum(hold, raise_)

    def limit_for(self, rank: int) -> float | None:
        for r, lim in self.limits:
            if r == rank:
                return lim
        return None

    @property
    def deadline(self) -> float:
        return self.pending_deadline if self.state == "pending" else INF


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
        self._limit: list[list[_LimitAlarm]] = [[] for _ in ROW_NAMES]
        for name, rule in thresholds.vitals.items():
            if name not in ROW_NAMES:
                continue
            pos = ROW_NAMES.index(name)
            for direction in ("upper", "lower"):
                if getattr(rule, direction):
                    self._limit[pos].append(_LimitAlarm(rule, direction))
        self._all_limit = [a for group in self._limit for a in group]
        self._artifact = [_Alarm(f"{n}.artifact", n) for n in ROW_NAMES]
        self._lo = [ALL_SPECS[n].low for n in ROW_NAMES]
        self._hi = [ALL_SPECS[n].high for n in ROW_NAMES]
        # Streams for stale detection.
        self._streams = list(thresholds.stale)
        self._stale = [_Alarm(f"{s.stream}.stale", s.stream) for s in self._streams]
        self._stream_of: list[list[int]] = [[] for _ in ROW_NAMES]
        for k, s in enumerate(self._streams):
            for v in s.vitals:
                if v in ROW_NAMES:
                    self._stream_of[ROW_NAMES.index(v)].append(k)
        self._last_seen = [-INF] * len(self._streams)
        self._after = [s.after_s for s in self._streams]
        # Shock index needs the newest valid HR no older than the HR stale limit.
        hr_stale = [s.after_s for s in self._streams if "hr" in s.vitals]
        self._hr_max_age = hr_stale[0] if hr_stale else 60.0
        self._last_hr = (-INF, math.nan)
        # The newest plausible shock index (time, value), for the screen: derived here only.
        self.last_si: tuple[float, float] | None = None
        # Audio pause.
        self.paused_until = -INF
        self._pause_rank = 0
        self._global_due = -INF  # no silence or pause end can fall due before this time
        # Baseline.
        self._baseline_vitals = {r.vital for r in thresholds.baseline}
        self._baseline_window = max((r.window_s for r in thresholds.baseline), default=0.0)
        self._history: dict[str, deque] = {v: deque() for v in self._baseline_vitals}
        self._history_by_pos = [self._history.get(n) for n in ROW_NAMES]
        self.baseline: dict[str, float] = {}
        self.initial_dose_t: float | None = None
        self._history_fn: Callable[[str, float, float], np.ndarray] | None = None
        # Technical alarms about the monitor, by name, created when first raised.
        self._technical: dict[str, _TechAlarm] = {}
        self._log_t = -INF  # the newest transition's time: the log never runs backwards

    # -- public API ----------------------------------------------------------------------------

    def listen(self, on_event: Callable[[AlarmEvent], None] | None) -> None:
        """Who hears of each transition from now on (a session that took over this engine)."""
        self._on_event = on_event

    def feed(self, r: Reading) -> None:
        """One live reading; readings must arrive in time order (sources sort them)."""
        if r.t < self.last_reading_t:
            raise ValueError(f"reading at {r.t} is older than the newest one ({self.last_reading_t})")
        self.last_reading_t = r.t
        self._row(r.t, [r.hr, r.sbp, r.dbp, r.map, r.spo2, r.temp, r.rr])

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
                self._emit(t, a, "acknowledged", f"{self._label(a)} acknowledged{by}")
                if isinstance(a, _LimitAlarm) and 0 < a.level < a.rank:
                    # A high alarm held at high while unacknowledged follows the value once seen.
                    a.rank, a.limit = a.level, a.limit_for(a.level)
                    self._emit(t, a, "de-escalated", f"{self._label(a)} de-escalated to {RANK_NAME[a.level]}")
            elif a.state == "latched":
                self._emit(t, a, "acknowledged", f"{self._label(a)} acknowledged{by}")
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
        self._emit_raw(AlarmEvent(t, "audio", "", "", "paused", None, None,
                                  f"audio paused for {seconds:g} s"))
        self.t = t
        return self.paused_until

    def dose(self, t: float, dose: str = "initial") -> None:
        """Record a dose; the initial dose fixes the pre-dose baseline for baseline rules."""
        t = max(t, self.t)
        self.t = t
        if dose != "initial" or self.initial_dose_t is not None:
            return
        self.initial_dose_t = t
        w = self._baseline_window
        for vital in sorted(self._baseline_vitals):
            if self._history_fn is not None:
                vals = self._history_fn(vital, t - w, t)
            else:
                vals = np.array([v for (tt, v) in self._history[vital] if tt >= t - w])
            if len(vals) == 0:
                self._emit_raw(AlarmEvent(t, "baseline", vital, "", "baseline", None, None,
                                          f"no pre-dose {vital} readings: baseline rules for {vital} are off"))
                continue
            base = float(np.median(vals))
            self.baseline[vital] = base
            self._emit_raw(AlarmEvent(t, "baseline", vital, "", "baseline", base, None,
                                      f"pre-dose baseline {vital} {format_value(vital, base)} "
                                      f"(median of {len(vals)} readings)"))
        self._history.clear()
        self._history_by_pos = [None] * len(ROW_NAMES)
        self._apply_baseline()

    def technical_priority(self, name: str) -> str | None:
        """The priority of a technical alarm that is not normal, or None."""
        a = self._technical.get(name)
        return a.priority if a is not None and a.state != "normal" else None

    def technical(self, t: float, name: str, action: str, priority: str = "technical",
                  message: str = "") -> None:
        """Raise (or update) or clear a technical alarm about the monitor itself."""
        t = max(t, self.t)
        self.t = t
        a = self._technical.get(name)
        if action == "clear":
            if a is not None and a.state != "normal":
                self._clear(t, a, message or "resolved")
            return
        rank = 3 if priority == "high" else TECHNICAL_RANK
        if a is None:
            a = self._technical[name] = _TechAlarm(name)
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
            self._break_through(t, rank)

    def apply(self, c: Control) -> None:
        self.tick(c.t)  # deadlines that fell due before the action come first
        if c.kind == "dose":
            self.dose(c.t, c.data.get("dose", "initial"))
        elif c.kind == "ack":
            self.acknowledge(c.t, c.data.get("who", ""))
        elif c.kind == "pause":
            self.pause_audio(c.t, c.data.get("seconds"))
        elif c.kind == "technical":
            self.technical(c.t, c.data["name"], c.data["action"], c.data.get("priority", "technical"),
                           c.data.get("message", ""))

    def status(self) -> list[AlarmStatus]:
        """Alarms that are not normal, highest priority first."""
        out = []
        for a in self._alarms():
            if a.state == "normal":
                continue
            priority = self._priority(a)
            out.append(AlarmStatus(a.name, a.vital, priority, a.state, a.value, a.limit, a.since,
                                   self._describe(a)))
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
        _BatchRun(self, store, order_controls(controls)).run()
        if end is not None:
            self.tick(end)
        return self.log

    # -- the row handler -----------------------------------------------------------------------

    def _row(self, t: float, values: list[float]) -> None:
        """Handle one row. Hot path: keep attribute look-ups local."""
        if t >= self._global_due:
            self._globals(t)
        if t > self.t:
            self.t = t
        lo, hi = self._lo, self._hi
        sbp, dbp = values[1], values[2]
        if values[3] != values[3] and sbp == sbp and dbp == dbp:
            values[3] = (sbp + 2.0 * dbp) / 3.0
        inverted = sbp == sbp and dbp == dbp and sbp <= dbp
        hr = values[0]
        if hr == hr and lo[0] <= hr <= hi[0]:
            self._last_hr = (t, hr)
        si = math.nan
        if sbp == sbp and not inverted and lo[1] <= sbp <= hi[1]:
            ht, hv = self._last_hr
            if t - ht <= self._hr_max_age:
                si = hv / sbp
                if lo[SI_INDEX] <= si <= hi[SI_INDEX]:
                    self.last_si = (t, si)
        values.append(si)
        remember = self._history_by_pos if self._history and self._history_fn is None else None
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
            plausible = lo[pos] <= v <= hi[pos]
            if not plausible or (inverted and 0 < pos < 4):
                if art.state == "normal":
                    art.value = v
                    why = f"outside {lo[pos]:g}-{hi[pos]:g}" if not plausible else "at or below the diastolic"
                    self._activate(t, art, TECHNICAL_RANK, None,
                                   f"implausible {ROW_NAMES[pos]} {format_value(ROW_NAMES[pos], v)} ({why}): "
                                   "flagged as artifact, not used for limit alarms")
                continue
            if art.state != "normal":
                art.value = v
                self._clear(t, art, "plausible readings again")
            if remember is not None and remember[pos] is not None:
                buf = remember[pos]
                buf.append((t, v))
                while buf[0][0] < t - self._baseline_window:
                    buf.popleft()
            for a in self._limit[pos]:
                if a.state == "normal" and a.sign * v < a.quiet:
                    continue  # the common case: nothing near a limit
                self._update(t, a, v)
                if 0 < pos < 4 and a.state != "normal" and a.level and (repeat is None or a.level > repeat[0].level):
                    repeat = (a, v)  # ask about the worst cuff value
        if repeat is not None:
            a, v = repeat
            limit = a.limit_for(a.level)
            self._emit_raw(AlarmEvent(t, "bp.repeat", "bp", RANK_NAME[a.level], "repeat", float(v), limit,
                                      f"cuff {a.vital} {format_value(a.vital, v)} beyond {limit:g}: "
                                      "repeat the measurement"))

    def _update(self, t: float, a: _LimitAlarm, v: float) -> None:
        raise_, hold = a.levels(v)
        state = a.state
        # Hysteresis holds an alarm that has sounded; a pending condition must hold by itself.
        level = raise_ if state in ("normal", "pending") else max(raise_, min(a.level, hold))
        a.level = level
        if state == "normal":
            if level:
                a.value = v
                if a.delay > 0:
                    a.state, a.rank, a.since = "pending", level, t
                    a.pending_deadline = t + a.delay
                    a.limit = a.limit_for(level)
                    self._emit(t, a, "pending", f"{self._label(a)} pending ({a.delay:g} s delay)")
                else:
                    self._activate(t, a, level, a.limit_for(level), None)
            return
        a.value = v
        if state == "pending":
            if not level:
                a.state, a.pending_deadline = "normal", INF
                self._emit(t, a, "cancelled", f"{self._label(a)} did not last {a.delay:g} s")
            elif t >= a.pending_deadline:
                a.pending_deadline = INF
                self._activate(t, a, level, a.limit_for(level), None)
            else:
                a.rank, a.limit = level, a.limit_for(level)
            return
        if state == "latched":
            if level:
                a.state = "active"
                self._emit(t, a, "active", f"{self._label(a)}: beyond the limit again (still unacknowledged)")
            return
        if not level:
            if state == "active" and a.rank == 3:
                a.state = "latched"
                self._emit(t, a, "latched", f"{self._label(a)}: value back in range, "
                                            "held until acknowledged (high priority)")
            else:
                self._clear(t, a, "value back in range")
            return
        if level > a.rank:
            if state == "acknowledged":
                a.state, a.remind_at = "active", INF
            self._escalate(t, a, level)
        elif level < a.rank and not (state == "active" and a.rank == 3):
            a.rank, a.limit = level, a.limit_for(level)
            self._emit(t, a, "de-escalated", f"{self._label(a)} de-escalated to {RANK_NAME[level]}")

    def _activate(self, t: float, a: _Alarm, rank: int, limit: float | None, message: str | None) -> None:
        a.state, a.rank, a.since, a.limit, a.remind_at = "active", rank, t, limit, INF
        self._emit(t, a, "active", message or f"{self._label(a)}")
        self._break_through(t, rank)

    def _escalate(self, t: float, a: _LimitAlarm, level: int) -> None:
        a.rank, a.limit = level, a.limit_for(level)
        self._emit(t, a, "escalated", f"{self._label(a)} escalated to {RANK_NAME[level]}")
        self._break_through(t, level)

    def _clear(self, t: float, a: _Alarm, why: str) -> None:
        a.state, a.remind_at = "normal", INF
        if isinstance(a, _LimitAlarm):
            a.pending_deadline = INF
        self._emit(t, a, "cleared", f"{a.name} cleared: {why}")

    def _break_through(self, t: float, rank: int) -> None:
        if t < self.paused_until and rank > self._pause_rank:
            self.paused_until = -INF  # the pause is over, and this event says so
            self._emit_raw(AlarmEvent(t, "audio", "", "", "resumed", None, None,
                                      f"audio pause broken through by a {RANK_NAME.get(rank, 'technical')}"
                                      "-priority alarm"))

    def _globals(self, t: float) -> None:
        """Deadlines that do not wait for a reading of their own vital: silence, pause end and
        reminders; after a long gap a reminder may fall due more than once."""
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
        for k, a in enumerate(alarms):
            if a.state == "acknowledged" and t >= a.remind_at:
                due.append((a.remind_at, 2, k))
        soonest = self.paused_until if self.paused_until > self.t else INF
        for k, after in enumerate(self._after):
            if self._stale[k].state == "normal" and self._last_seen[k] > -INF:  # unseen: no deadline
                soonest = min(soonest, self._last_seen[k] + after)
        for a in alarms:
            if a.state == "acknowledged":
                soonest = min(soonest, a.remind_at)
        self._global_due = soonest
        for when, kind, k in sorted(due):
            if kind == 0:
                self.paused_until = -INF  # announced: the pause is over
                self._emit_raw(AlarmEvent(when, "audio", "", "", "resumed", None, None, "audio pause ended"))
            elif kind == 1:
                st, s = self._stale[k], self._streams[k]
                self._activate(when, st, TECHNICAL_RANK, s.after_s,
                               f"no {s.stream} reading for {s.after_s:g} s: values shown as stale")
                for pos, name in enumerate(ROW_NAMES):
                    if name in s.vitals:
                        for a in self._limit[pos]:
                            if a.state == "pending":  # a condition no longer seen cannot be confirmed
                                a.state, a.pending_deadline, a.level = "normal", INF, 0
                                self._emit(when, a, "cancelled", f"{self._label(a)}: no data to confirm it")
            else:
                a = alarms[k]
                if a.state == "acknowledged":
                    a.remind_at = when + self.th.audio.reminder_s
                    self._emit(when, a, "reminder", f"{self._describe(a)} still present")
        return bool(due)

    # -- helpers -------------------------------------------------------------------------------

    def _alarms(self) -> list[_Alarm]:
        return [*self._all_limit, *self._stale, *self._artifact, *self._technical.values()]

    @staticmethod
    def _priority(a: _Alarm) -> str:
        if isinstance(a, _LimitAlarm):
            return RANK_NAME.get(a.rank, "")
        return a.priority if isinstance(a, _TechAlarm) else "technical"

    def _apply_baseline(self) -> None:
        extra: dict[tuple[str, str], dict[int, tuple[float, str]]] = {}
        for r in self.th.baseline:
            base = self.baseline.get(r.vital)
            if base is None:
                continue
            sign = 1 if r.direction == "upper" else -1
            why = f"baseline {format_value(r.vital, base)} {'+' if sign > 0 else '-'} {r.delta:g}"
            extra.setdefault((r.vital, r.direction), {})[PRIORITY_RANK[r.priority]] = (base + sign * r.delta, why)
        for a in self._all_limit:
            a.set_limits(extra.get((a.vital, a.direction), {}))
            if a.state != "normal" and a.rank:
                a.limit = a.limit_for(a.rank)

    def _label(self, a: _Alarm) -> str:
        if isinstance(a, _LimitAlarm):
            word = "high" if a.direction == "upper" else "low"
            why = a.sources.get(a.rank, "")
            lim = f"{'>=' if a.direction == 'upper' else '<='} {a.limit:g}" if a.limit is not None else ""
            val = format_value(a.vital, a.value) if a.value is not None else "--"
            return f"{a.vital.upper()} {word} {val} ({lim}{'; ' + why if why else ''})"
        return a.name

    def _describe(self, a: _Alarm) -> str:
        if isinstance(a, _LimitAlarm):
            if a.state == "latched":
                word = "high" if a.direction == "upper" else "low"
                sign = ">=" if a.direction == "upper" else "<="
                now = format_value(a.vital, a.value) if a.value is not None else "--"
                return (f"{a.vital.upper()} {word}: was {sign} {a.limit:g}, now {now}; "
                        "held until acknowledged")
            if a.limit is not None and a.value is not None and (
                    a.value < a.limit if a.direction == "upper" else a.value > a.limit):
                # An unacknowledged high alarm keeps its priority after the value eases: say so.
                word = "high" if a.direction == "upper" else "low"
                sign = ">=" if a.direction == "upper" else "<="
                return (f"{a.vital.upper()} {word} {format_value(a.vital, a.value)} "
                        f"(was {sign} {a.limit:g}; {RANK_NAME[a.rank]} until acknowledged)")
            return self._label(a)
        if isinstance(a, _TechAlarm):
            return a.message
        if a.name.endswith(".stale"):
            return f"{a.vital.upper()}: no data"
        return f"{a.vital.upper()} implausible reading {format_value(a.vital, a.value) if a.value is not None else ''}"

    def _emit(self, t: float, a: _Alarm, state: str, message: str) -> None:
        value = None if a.value is None or a.value != a.value else round(float(a.value), 4)
        self._emit_raw(AlarmEvent(t, a.name, a.vital, self._priority(a), state, value, a.limit, message))

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


def _prev_index(mask: np.ndarray) -> np.ndarray:
    """prev[i] = the last row < i where mask holds, or -1 (length n + 1)."""
    idx = np.where(mask, np.arange(len(mask)), -1)
    if len(idx):
        idx = np.maximum.accumulate(idx)
    return np.concatenate(([-1], idx))


class _BatchRun:
    """Drives `AlarmEngine._row` over the rows of a store where something can happen.

    A row is visited when it can change some alarm: a level crossing that moves the alarm's
    effective level (given its current level and hysteresis), a pending or reminder deadline, an
    artifact starting or ending, the first row after a stream went silent and the row it resumed,
    a cuff reading beyond a limit, and the end of an audio pause. Each alarm's next such row is
    found by bisecting precomputed row lists, so the cost follows the number of transitions, not
    the number of readings.
    """

    def __init__(self, engine: AlarmEngine, store: VitalStore, controls: list[Control]):
        self.e = engine
        self.controls = controls
        t = self.t = store.t
        n = self.n = len(t)
        self.tl = t.tolist()
        self.cols = [store.column(name) for name in VITALS]
        flags = artifact_flags(dict(zip(VITALS, self.cols)))
        present = [~np.isnan(c) for c in self.cols]
        bad = [flags[name] for name in VITALS]
        valid = [p & ~b for p, b in zip(present, bad)]
        # The shock index per row exactly as the row handler derives it.
        hr_prev = _prev_index(valid[0])[1:]  # last valid HR row <= i
        safe = np.maximum(hr_prev, 0)
        fresh = (hr_prev >= 0) & (t - np.where(hr_prev >= 0, t[safe], -np.inf) <= engine._hr_max_age)
        with np.errstate(invalid="ignore", divide="ignore"):
            si = np.where(valid[1] & fresh, self.cols[0][safe] / self.cols[1], np.nan)
        si_present = ~np.isnan(si)
        si_bad = si_present & ((si < engine._lo[SI_INDEX]) | (si > engine._hi[SI_INDEX]))
        self.values = self.cols + [si]
        present.append(si_present)
        bad.append(si_bad)
        valid.append(si_present & ~si_bad)
        self.valid = valid
        self.valid_rows = [np.flatnonzero(v) for v in valid]
        self.valid_rows_l = [r.tolist() for r in self.valid_rows]
        self.valid_times_l = [t[r].tolist() for r in self.valid_rows]
        self.valid_prev = [_prev_index(v) for v in valid]
        self.hr_prev = self.valid_prev[0]
        engine._history_fn = self._history
        # Streams: rows with any of their vitals (artifacts count: the sensor is talking).
        self.stream_masks = []
        for s in engine._streams:
            mask = np.zeros(n, bool)
            for v in s.vitals:
                if v in ROW_NAMES:
                    mask |= present[ROW_NAMES.index(v)]
            self.stream_masks.append(mask)
        self.stream_prev = [_prev_index(m) for m in self.stream_masks]
        self.stream_rows = [np.flatnonzero(m).tolist() for m in self.stream_masks]
        self.static = self._static_rows(present, bad)
        self.alarm_pos = [ROW_NAMES.index(a.vital) for a in engine._all_limit]
        self.taken = n  # rows the engine has taken (a control sees only those before it)
        self.by_pos = [[k for k, p in enumerate(self.alarm_pos) if p == pos] for pos in range(len(ROW_NAMES))]

    def _history(self, vital: str, t0: float, t1: float) -> np.ndarray:
        i = int(np.searchsorted(self.t, t0, "left"))
        # Only the readings the engine had taken when the dose came (later rows may be older than
        # the dose: a bridge that stalled).
        j = min(int(np.searchsorted(self.t, t1, "right")), self.taken)
        pos = ROW_NAMES.index(vital)
        return self.values[pos][i:j][self.valid[pos][i:j]]

    def _static_rows(self, present: list[np.ndarray], bad: list[np.ndarray]) -> list[int]:
        """Rows that matter whatever the limits: artifact changes and stream gaps."""
        parts = [np.array([0], np.int64)] if self.n else []
        for p, b in zip(present, bad):
            rows = np.flatnonzero(p)
            if len(rows):
                fb = b[rows]
                parts.append(rows[np.flatnonzero(np.diff(fb.astype(np.int8)) != 0) + 1])
                parts.append(rows[:1])
        for k, mask in enumerate(self.stream_masks):
            rows = np.flatnonzero(mask)
            if not len(rows):
                continue
            after = self.e._after[k]
            ts = self.t[rows]
            gap = np.flatnonzero(np.append(ts[1:], np.inf) - ts > after)
            first = np.searchsorted(self.t, ts[gap] + after, "right")
            parts.append(first[first < self.n])
            nxt = gap + 1
            parts.append(rows[nxt[nxt < len(rows)]])
        return np.unique(np.concatenate(parts)).tolist() if parts else []

    def _level_rows(self, lo: int, hi: int) -> None:
        """Per alarm and rank r: rows in [lo, hi) with raise level >= r, and with hold level < r."""
        self.levels = []
        self.lists: dict[tuple[int, str, int], list[int]] = {}
        for a, pos in zip(self.e._all_limit, self.alarm_pos):
            rows = self.valid_rows[pos]
            rows = rows[(rows >= lo) & (rows < hi)]
            self.levels.append((rows, *a.level_arrays(self.values[pos][rows])))

    def _rows(self, k: int, kind: str, rank: int) -> list[int]:
        """Rows of alarm k with raise level >= rank ("ge"), < rank ("rlt"), or hold level < rank
        ("lt"), built on
        first use: most alarms never leave level 0 and need only their "ge 1" list."""
        key = (k, kind, rank)
        lst = self.lists.get(key)
        if lst is None:
            rows, r, h = self.levels[k]
            pick = {"ge": r >= rank, "lt": h < rank, "rlt": r < rank}[kind]
            lst = self.lists[key] = rows[pick].tolist()
        return lst

    def _next_for(self, k: int, i: int, hi: int) -> int:
        """The next row after i (before hi) where alarm k can change, or hi."""
        a = self.e._all_limit[k]
        level = a.level
        best = hi
        if level < 3:
            lst = self._rows(k, "ge", level + 1)
            j = bisect_right(lst, i)
            if j < len(lst):
                best = lst[j]
        if level > 0:
            # A pending alarm falls back on its raw level; one that sounded, on its hold level.
            lst = self._rows(k, "rlt" if a.state == "pending" else "lt", level)
            j = bisect_right(lst, i)
            if j < len(lst) and lst[j] < best:
                best = lst[j]
            if a.delay == 0:  # each reading beyond a limit is an event of its own (cuff)
                lst = self._rows(k, "ge", 1)
                j = bisect_right(lst, i)
                if j < len(lst) and lst[j] < best:
                    best = lst[j]
        d = a.deadline
        if d != INF:
            pos = self.alarm_pos[k]
            rows, times = self.valid_rows_l[pos], self.valid_times_l[pos]
            j = max(bisect_left(times, d), bisect_right(rows, i))
            if j < len(rows) and rows[j] < best:
                best = rows[j]
        return best

    def _sync(self, i: int) -> None:
        """Set what the skipped rows before row i would have set: last-seen times, newest HR,
        and the current value of every alarm that is not normal."""
        e, t = self.e, self.tl
        for k, prev in enumerate(self.stream_prev):
            j = prev[i]
            if j >= 0:
                if e._last_seen[k] == -INF:
                    e._global_due = -INF  # a stream seen for the first time brings a deadline
                e._last_seen[k] = t[j]  # later last-seen times only move deadlines later
        j = self.hr_prev[i]
        if j >= 0:
            e._last_hr = (t[j], float(self.cols[0][j]))
        j = self.valid_prev[SI_INDEX][i]
        if j >= 0:
            e.last_si = (t[j], float(self.values[SI_INDEX][j]))
        for a, pos in zip(e._all_limit, self.alarm_pos):
            if a.state != "normal":
                j = self.valid_prev[pos][i]
                if j >= 0:
                    a.value = float(self.values[pos][j])

    def run(self) -> None:
        e, t = self.e, self.tl
        bounds = []
        for c in self.controls:
            b = min(c.seq, self.n) if c.seq is not None else bisect_right(t, c.t)
            bounds.append(max(b, bounds[-1]) if bounds else b)
        bounds.append(self.n)
        static = self.static
        lo = 0
        nalarms = len(e._all_limit)
        for seg, hi in enumerate(bounds):
            self._level_rows(lo, hi)
            nxt = [self._next_for(k, lo - 1, hi) for k in range(nalarms)]
            heap = [(r, k) for k, r in enumerate(nxt) if r < hi]
            s0, s1 = bisect_left(static, lo), bisect_left(static, hi)
            heap += [(r, -1) for r in static[s0:s1]]
            if seg:
                # After a control, a stream's next reading may end a "no data" the control's tick
                # raised although the readings themselves show no gap (they came late).
                for rows in self.stream_rows:
                    j = bisect_left(rows, lo)
                    if j < len(rows) and rows[j] < hi:
                        heap.append((rows[j], -1))
            # Pause ends and reminders move only when they fire (or a control sets them), so the
            # next one is looked up again only once its row has been passed.
            global_row = self._global_row(lo - 1, hi)
            if global_row < hi:
                heap.append((global_row, -2))
            heapq.heapify(heap)
            done = lo - 1
            while heap:
                i, k = heapq.heappop(heap)
                if k >= 0 and nxt[k] != i:
                    continue  # superseded
                if i <= done:
                    continue
                done = i
                self._sync(i)
                e._row(t[i], [float(c[i]) for c in self.cols])
                for pos, ks in enumerate(self.by_pos):
                    if ks and self.valid[pos][i]:
                        for kk in ks:
                            r = self._next_for(kk, i, hi)
                            if r != nxt[kk]:
                                nxt[kk] = r
                                if r < hi:
                                    heapq.heappush(heap, (r, kk))
                if i >= global_row:
                    global_row = self._global_row(i, hi)
                    if global_row < hi:
                        heapq.heappush(heap, (global_row, -2))
            if seg < len(self.controls):
                self._sync(hi)
                self.taken = hi
                e.apply(self.controls[seg])
            lo = hi
        # Leave the engine as a live feed of every row would have: ready to take the next reading,
        # including the pre-dose readings a baseline will need when the dose comes later.
        self._sync(self.n)
        if self.n:
            e.t = max(e.t, t[-1])
            if e._history and e.initial_dose_t is None:
                for vital, buf in e._history.items():
                    pos = ROW_NAMES.index(vital)
                    i = int(np.searchsorted(self.t, e.t - e._baseline_window, "left"))
                    ok = self.valid[pos][i:]
                    buf.clear()
                    buf.extend(zip(self.t[i:][ok].tolist(), self.values[pos][i:][ok].tolist()))
        e._history_fn = None

    def _global_row(self, i: int, hi: int) -> int:
        """The first row after i where the audio pause ends or a reminder falls due (or hi)."""
        e = self.e
        due = e.paused_until if e.paused_until > e.t else INF
        for a in e._alarms():
            if a.state == "acknowledged" and a.remind_at < due:
                due = a.remind_at
        if due == INF:
            return hi
        return min(max(bisect_left(self.tl, due), i + 1), hi)


def slow_streams(th: Thresholds, store: VitalStore) -> list[tuple[StaleRule, float]]:
    """The stale rules whose stream comes slower in the store than its limit, with the median
    interval between its readings (a stream needs three readings to say)."""
    out = []
    t = store.t
    for rule in th.stale:
        mask = np.zeros(len(t), bool)
        for v in rule.vitals:
            if v in VITALS:
                mask |= ~np.isnan(store.column(v))
        ts = t[mask]
        median = float(np.median(np.diff(ts))) if len(ts) > 2 else 0.0
        if median > rule.after_s:
            out.append((rule, median))
    return out


def fit_stale_rules(th: Thresholds, store: VitalStore) -> tuple[Thresholds, list[str]]:
    """Stale limits that make sense for a recording whose streams are slower than a monitor's.

    A chart of hourly nurse-validated vitals would otherwise raise "no HR for 10 s" on every row.
    A stream whose median interval exceeds its stale limit is judged against three times that
    interval instead, and the change is said. Streams sampled as configured keep their limits, so
    a session recorded live gives the same alarms as it did live.
    """
    from dataclasses import replace

    fitted, notes = {}, []
    for rule, median in slow_streams(th, store):
        new = 3 * median
        fitted[rule.stream] = replace(rule, after_s=new)
        notes.append(f"{rule.stream} readings in this recording come every {format_duration(median)} "
                     f"(median), so 'no data' is judged after {format_duration(new)} instead of "
                     f"{format_duration(rule.after_s)}")
    return replace(th, stale=tuple(fitted.get(r.stream, r) for r in th.stale)), notes
