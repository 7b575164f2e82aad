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

from monitor.core.dosing import MAX_BACKDATE_S
from monitor.core.priority import PRIORITY_RANK, RANK_NAME, TECHNICAL_RANK, rank_of
from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds import StaleRule, Thresholds, VitalRule
from monitor.core.timetext import format_duration
from monitor.core.vitals import ALL_SPECS, VITALS, artifact_flags, cuff_problem, format_value

INF = math.inf
CUFF = ("sbp", "dbp", "map")
OFF, PENDING, ON = 0, 1, 2  # a limit alarm's condition at one priority rank
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
        return rank_of(self.priority)


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

    __slots__ = ("direction", "rule", "limits", "sources", "level", "pend", "delay", "hyst", "clear",
                 "sign", "quiet", "cond", "run", "acc", "clr", "ranks")

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
        hr_rule = thresholds.vitals.get("hr")
        self._si_window = hr_rule.delay_s if hr_rule is not None and hr_rule.continuous else 0.0
        self._hr_recent: deque[tuple[float, float]] = deque()
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
        self._history_fn: Callable[[str, float, float], np.ndarray] | None = None  # a batch run's
        self._history_src: Callable[[str, float, float], np.ndarray] | None = None  # a live store's
        # Without a store, readings are kept this long for a dose keyed in late (12 h at most).
        self._history_keep = self._baseline_window + MAX_BACKDATE_S
        self._history_base: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # Technical alarms about the monitor, by name, created when first raised.
        self._technical: dict[str, _TechAlarm] = {}
        self._log_t = -INF  # the newest transition's time: the log never runs backwards
        self._n_fixed = len(self._all_limit) + len(self._stale) + len(self._artifact)
        self._every: list[_Alarm] = []  # every alarm, technical ones included (see _alarms)
        self._deadlines = 0  # counts new condition deadlines (the batch run looks for them)
        self.fired = 0  # counts the times deadlines fell due (a live session records its ticks)
        # Baseline vitals whose rules are off for the session (no pre-dose readings): vital -> why.
        self.baseline_off: dict[str, str] = {}

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

    def history_from(self, fn: Callable[[str, float, float], np.ndarray] | None) -> None:
        """Where the pre-dose baseline comes from from now on: fn(vital, t0, t1) gives the valid
        readings in [t0, t1] the engine has taken (a live session's store)."""
        self._history_src = fn
        if fn is not None:
            for buf in self._history.values():
                buf.clear()

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
        w = self._baseline_window
        source = self._history_fn or self._history_src
        for vital in sorted(self._baseline_vitals):
            if source is not None:
                vals = source(vital, at - w, at)
            else:
                vals = np.array([v for (tt, v) in self._history[vital] if at - w <= tt <= at])
                if vital in self._history_base:  # what a batch run left (older than the deque)
                    bt, bv = self._history_base[vital]
                    vals = np.concatenate((bv[(bt >= at - w) & (bt <= at)], vals))
            if len(vals) == 0:
                why = f"no pre-dose {vital} readings: baseline rules for {vital} are off"
                self.baseline_off[vital] = why
                self._emit_raw(AlarmEvent(t, "baseline", vital, "", "baseline", None, None, why))
                continue
            base = float(np.median(vals))
            self.baseline[vital] = base
            self._emit_raw(AlarmEvent(t, "baseline", vital, "", "baseline", base, None,
                                      f"pre-dose baseline {vital} {format_value(vital, base)} "
                                      f"(median of {len(vals)} readings)"))
        self._history.clear()
        self._history_base.clear()
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
        cuff = None  # why this row's cuff reading cannot be used
        if sbp == sbp or dbp == dbp or values[3] == values[3]:
            cuff = cuff_problem(sbp, dbp, values[3])
        hr = values[0]
        if hr == hr and lo[0] <= hr <= hi[0]:
            self._last_hr = (t, hr)
            if self._si_window > 0:
                recent = self._hr_recent
                recent.append((t, hr))
                while recent[0][0] <= t - self._si_window:
                    recent.popleft()
        si = math.nan
        if sbp == sbp and cuff is None:
            hv = self._si_hr(t)
            if hv is not None:
                si = hv / sbp
                if lo[SI_INDEX] <= si <= hi[SI_INDEX]:
                    self.last_si = (t, si)
        values.append(si)
        remember = (self._history_by_pos
                    if self._history and self._history_fn is None and self._history_src is None else None)
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
                name = ROW_NAMES[pos]
                problem = (f"implausible {name} {format_value(name, v)} "
                           f"(outside {lo[pos]:g}-{hi[pos]:g} {ALL_SPECS[name].unit})")
            if problem is not None:
                if art.state == "normal":
                    art.value = v
                    what = "inconsistent cuff reading" if 0 < pos < 4 else "artifact"
                    self._activate(t, art, TECHNICAL_RANK, None,
                                   f"{problem}: flagged as {what}, not used for limit alarms")
                continue
            if art.state != "normal":
                art.value = v
                self._clear(t, art, "plausible readings again")
            if remember is not None and remember[pos] is not None:
                buf = remember[pos]
                buf.append((t, v))
                while buf[0][0] < t - self._history_keep:
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

    def _si_hr(self, t: float) -> float | None:
        """The HR a shock index at `t` uses: the lowest valid HR within the HR alarm delay before
        it (the rate held for the whole delay, so a spike too brief to alarm by itself cannot
        raise the index), or else the newest valid HR no older than the HR stale limit."""
        recent = self._hr_recent
        while recent and recent[0][0] <= t - self._si_window:
            recent.popleft()
        if recent:
            return min(v for _, v in recent)
        ht, hv = self._last_hr
        return hv if t - ht <= self._hr_max_age else None

    def _update(self, t: float, a: _LimitAlarm, v: float) -> None:
        """A valid reading of the alarm's vital: move each rank's condition, then the alarm."""
        raise_, hold = a.levels(v)
        a.value = v
        cond, run, clr = a.cond, a.run, a.clr
        changed = False
        for r in a.ranks:
            c = cond[r]
            beyond = raise_ >= r
            if c == OFF:
                if beyond:
                    changed = True
                    if a.delay > 0:
                        cond[r], run[r], a.acc[r], clr[r] = PENDING, t, 0.0, INF
                        self._note_due(t + a.delay)
                    else:
                        cond[r] = ON
                continue
            if c == PENDING:
                if run[r] != INF and not beyond:
                    a.acc[r] += t - run[r]
                    run[r] = INF
                elif run[r] == INF and beyond:
                    run[r] = t
                    self._note_due(t + a.delay - a.acc[r])
            if hold >= r:
                clr[r] = INF
            elif a.clear <= 0:
                a.reset(r)
                changed = True
            elif clr[r] == INF:
                clr[r] = t
                self._note_due(t + a.clear)
        if changed:
            a.summarise()
            self._settle(t, a)

    def _settle(self, t: float, a: _LimitAlarm, why: str = "") -> None:
        """Move the alarm to what its conditions now say."""
        level, pend, state = a.level, a.pend, a.state
        if state == "normal":
            if level:
                self._activate(t, a, level, a.limit_for(level), None)
            elif pend:
                a.state, a.rank, a.since, a.limit = "pending", pend, t, a.limit_for(pend)
                self._emit(t, a, "pending", f"{self._label(a)} pending ({a.delay:g} s beyond the limit "
                                            "needed to sound)")
            return
        if state == "pending":
            if level:
                self._activate(t, a, level, a.limit_for(level), None)
            elif not pend:
                a.state = "normal"
                self._emit(t, a, "cancelled", self._cancelled(a, why or "back in range"))
            else:
                a.rank, a.limit = pend, a.limit_for(pend)
            return
        if state == "latched":
            if level:
                a.state = "active"
                lim = a.limit_for(level)
                op = ">=" if a.direction == "upper" else "<="
                self._emit(t, a, "active", f"{a.vital.upper()} {'high' if a.direction == 'upper' else 'low'} "
                                           f"{format_value(a.vital, a.value or math.nan)} ({op} {lim:g}, "
                                           f"{RANK_NAME[level]} limit): alarming again; the high alarm "
                                           "is still unacknowledged")
            return
        if not level:
            if state == "active" and a.rank == 3:
                a.state = "latched"
                self._emit(t, a, "latched", f"{self._label(a)}: value back in range, "
                                            "held until acknowledged (high priority)")
            else:
                self._clear(t, a, why or "value back in range")
            return
        if level > a.rank:
            if state == "acknowledged":
                a.state, a.remind_at = "active", INF
            self._escalate(t, a, level)
        elif level < a.rank and not (state == "active" and a.rank == 3):
            a.rank, a.limit = level, a.limit_for(level)
            self._emit(t, a, "de-escalated", f"{self._label(a)} de-escalated to {RANK_NAME[level]}")

    def _note_due(self, when: float) -> None:
        """A deadline of a limit alarm's condition now exists at `when`."""
        self._global_due = min(self._global_due, when)
        self._deadlines += 1

    def _confirm(self, when: float, a: _LimitAlarm) -> None:
        """Deadlines of the alarm's ranks fell due at `when`: time beyond a limit added up to the
        delay (the rank is on), or the value stayed back inside for the clear time (off)."""
        cleared = False
        for r in a.ranks:
            c = a.cond[r]
            if c == PENDING and a.run[r] != INF and a.run[r] + a.delay - a.acc[r] <= when:
                a.cond[r], a.run[r], a.acc[r] = ON, INF, 0.0
            elif c and a.clr[r] != INF and a.clr[r] + a.clear <= when:
                a.reset(r)
                cleared = True
        a.summarise()
        self._settle(when, a, f"back in range for {a.clear:g} s" if cleared else "")

    def _activate(self, t: float, a: _Alarm, rank: int, limit: float | None, message: str | None) -> None:
        a.state, a.rank, a.since, a.limit, a.remind_at = "active", rank, t, limit, INF
        self._emit(t, a, "active", message or f"{self._label(a)}")
        self._break_through(t, rank, a)

    def _escalate(self, t: float, a: _LimitAlarm, level: int) -> None:
        a.rank, a.limit = level, a.limit_for(level)
        self._emit(t, a, "escalated", f"{self._label(a)} escalated to {RANK_NAME[level]}")
        self._break_through(t, level, a)

    def _clear(self, t: float, a: _Alarm, why: str) -> None:
        a.state, a.remind_at = "normal", INF
        self._emit(t, a, "cleared", f"{a.name} cleared: {why}")
        if isinstance(a, _LimitAlarm) and a.pend:
            # A condition at another rank is still being confirmed: the alarm is pending again.
            a.state, a.rank, a.since, a.limit = "pending", a.pend, t, a.limit_for(a.pend)
            self._emit(t, a, "pending", f"{self._label(a)} pending ({a.delay:g} s beyond the limit "
                                        "needed to sound)")

    def _break_through(self, t: float, rank: int, a: _Alarm) -> None:
        """A new or escalated alarm during an audio pause sounds when it outranks what was
        sounding when the pause was taken, and a high-priority one always does (a pause taken
        for one alarm never silences the next)."""
        if t < self.paused_until and (rank > self._pause_rank or rank == 3):
            self.paused_until = -INF  # the pause is over, and this event says so
            priority = self._priority(a)
            if priority == "technical":
                what = "a technical alarm"
            elif isinstance(a, _TechAlarm):
                what = f"a {priority}-priority technical alarm"
            else:
                what = f"a {priority}-priority alarm"
            self._emit_raw(AlarmEvent(t, "audio", "", "", "resumed", None, None,
                                      f"audio pause broken through by {what} ({a.name})"))

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
        for k, a in enumerate(self._all_limit):
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
                self._emit_raw(AlarmEvent(when, "audio", "", "", "resumed", None, None, "audio pause ended"))
            elif kind == 1:
                self._go_stale(when, k)
            elif kind == 2:
                self._remind(when, t, alarms[k])
            else:
                a = self._all_limit[k]
                if a.next_deadline()[0] == when:  # (an earlier item, such as "no data", may move it)
                    self._confirm(when, a)
        return bool(due)

    def _go_stale(self, when: float, k: int) -> None:
        st, s = self._stale[k], self._streams[k]
        self._activate(when, st, TECHNICAL_RANK, s.after_s,
                       f"no {s.stream} reading for {s.after_s:g} s: values shown as stale")
        for pos, name in enumerate(ROW_NAMES):
            if name not in s.vitals:
                continue
            for a in self._limit[pos]:
                # A condition no longer seen cannot be confirmed; one that sounded stays.
                if any(a.cond[r] == PENDING for r in a.ranks):
                    for r in a.ranks:
                        if a.cond[r] == PENDING:
                            a.reset(r)
                    a.summarise()
                    if a.state == "pending" and not a.pend:
                        a.state = "normal"
                        self._emit(when, a, "cancelled", self._cancelled(a, "no data to confirm it"))
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

    def _remind(self, when: float, now: float, a: _Alarm) -> None:
        """An acknowledged alarm's reminder fell due: say it is still present, unless its values
        are stale (nothing current to say so). After a long gap the next one counts from now, so
        a silence never turns into a flood of reminders."""
        if a.state != "acknowledged":
            return
        interval = self.th.audio.reminder_s
        nxt = when + interval
        a.remind_at = nxt if nxt > now else now + interval
        if isinstance(a, _TechAlarm) or a in self._stale or not self._stale_vital(a.vital):
            self._emit(when, a, "reminder", f"{self._describe(a)} still present")

    # -- helpers -------------------------------------------------------------------------------

    def _alarms(self) -> list[_Alarm]:
        if len(self._every) != self._n_fixed + len(self._technical):
            self._every = [*self._all_limit, *self._stale, *self._artifact, *self._technical.values()]
        return self._every

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

    def _cancelled(self, a: _LimitAlarm, why: str) -> str:
        """A pending alarm that never sounded: say so without a value that contradicts the limit."""
        word = "high" if a.direction == "upper" else "low"
        op = ">=" if a.direction == "upper" else "<="
        lim = f" {op} {a.limit:g}" if a.limit is not None else ""
        now = format_value(a.vital, a.value) if a.value is not None else "--"
        return (f"{a.vital.upper()} {word} ({lim.strip()}) cancelled before it sounded: {why} "
                f"(now {now}; {a.delay:g} s beyond the limit never added up)")

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
        si = self._shock_index(valid)
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
        self.hr_values_l = self.cols[0][self.valid_rows[0]].tolist()
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

    def _shock_index(self, valid: list[np.ndarray]) -> np.ndarray:
        """The shock index per row exactly as the row handler derives it (`AlarmEngine._si_hr`)."""
        e, t, n = self.e, self.t, self.n
        si = np.full(n, np.nan)
        sbp_rows = np.flatnonzero(valid[1])
        if not len(sbp_rows):
            return si
        hr_rows = np.flatnonzero(valid[0])
        hr_t, hr_v = t[hr_rows], self.cols[0][hr_rows]
        upto = np.searchsorted(hr_rows, sbp_rows, "right")  # valid HR rows <= the cuff row
        if e._si_window > 0:
            first = np.searchsorted(hr_t, t[sbp_rows] - e._si_window, "right")
        else:
            first = upto
        sbp = self.cols[1]
        hr_vl = hr_v.tolist()
        for i, j0, j1 in zip(sbp_rows.tolist(), first.tolist(), upto.tolist()):
            if j0 < j1:
                hv = min(hr_vl[j0:j1])
            elif j1 and t[i] - hr_t[j1 - 1] <= e._hr_max_age:
                hv = hr_vl[j1 - 1]
            else:
                continue
            si[i] = hv / sbp[i]
        return si

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
            pick = {"ge": r >= rank, "lt": h < rank, "rlt": r < rank, "hge": h >= rank}[kind]
            lst = self.lists[key] = rows[pick].tolist()
        return lst

    def _next_for(self, k: int, i: int, hi: int) -> int:
        """The next row after i (before hi) where alarm k can change, or hi: per rank, where the
        reading crosses what that rank's condition waits for (`_LimitAlarm`). Deadlines in time
        (a delay that adds up, a clear time that passes) are the global rows' job."""
        a = self.e._all_limit[k]
        best = hi
        rows = self._rows
        for r in a.ranks:
            c = a.cond[r]
            kinds: tuple[str, ...]
            if c == OFF:
                kinds = ("ge",)
            elif c == PENDING:
                if a.run[r] != INF:
                    kinds = ("rlt",)  # beyond: until it is not
                elif a.clr[r] != INF:
                    kinds = ("hge",)  # back inside by the margin: until it is not
                else:
                    kinds = ("ge", "lt")
            else:
                kinds = ("hge",) if a.clr[r] != INF else ("lt",)
            for kind in kinds:
                lst = rows(k, kind, r)
                j = bisect_right(lst, i)
                if j < len(lst) and lst[j] < best:
                    best = lst[j]
        if a.delay == 0 and a.state != "normal":  # each reading beyond a limit is an event (cuff)
            lst = rows(k, "ge", 1)
            j = bisect_right(lst, i)
            if j < len(lst) and lst[j] < best:
                best = lst[j]
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
            if e._si_window > 0 and (i == self.n or self.valid[1][i]):
                # The HR readings a shock index at row i takes its median from (row i's own HR
                # is added by the row handler).
                rows = self.valid_rows_l[0]
                j1 = bisect_right(rows, j)
                j0 = bisect_right(self.valid_times_l[0], (t[i] if i < self.n else t[-1]) - e._si_window)
                e._hr_recent = deque(zip(self.valid_times_l[0][j0:j1], self.hr_values_l[j0:j1]))
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
                marks = e._deadlines
                e._row(t[i], [float(c[i]) for c in self.cols])
                if e._deadlines != marks:  # a new delay or clear time: it may fall due sooner
                    global_row = min(global_row, self._global_row(i, hi))
                    if global_row < hi:
                        heapq.heappush(heap, (global_row, -2))
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
            if e._history and e.initial_dose_t is None and e._history_src is None:
                # Arrays, not a deque of every reading: readings fed after this go to the deque.
                for vital, buf in e._history.items():
                    pos = ROW_NAMES.index(vital)
                    i = int(np.searchsorted(self.t, e.t - e._history_keep, "left"))
                    ok = self.valid[pos][i:]
                    buf.clear()
                    e._history_base[vital] = (self.t[i:][ok], self.values[pos][i:][ok])
        e._history_fn = None

    def _global_row(self, i: int, hi: int) -> int:
        """The first row after i where the audio pause ends, a reminder falls due or a limit
        alarm's delay or clear time runs out (or hi). Stale deadlines are static rows."""
        e = self.e
        due = e.paused_until if e.paused_until > e.t else INF
        for a in e._alarms():
            if a.state == "acknowledged" and a.remind_at < due:
                due = a.remind_at
        for a in e._all_limit:
            if a.pend:
                when = a.next_deadline()[0]
                if when < due:
                    due = when
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
