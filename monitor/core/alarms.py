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
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds import PRIORITY_RANK, Thresholds, VitalRule
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
    """A user action at event time `t`: "dose" (data: dose=initial|supplemental), "ack", "pause"."""

    t: float
    kind: str
    data: dict = field(default_factory=dict)


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


class _LimitAlarm(_Alarm):
    __slots__ = ("direction", "rule", "limits", "sources", "level", "pending_deadline", "delay", "hyst")

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
        return self.pending_deadline if self.state == "pending" else self.remind_at


class AlarmEngine:
    """Evaluates readings and user actions against `Thresholds` and keeps the alarm log."""

    def __init__(self, thresholds: Thresholds, on_event: Callable[[AlarmEvent], None] | None = None):
        self.th = thresholds
        self.log: list[AlarmEvent] = []
        self._on_event = on_event
        self.t = -INF  # event time of the newest reading or action
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
        # Audio pause.
        self.paused_until = -INF
        self._pause_rank = 0
        # Baseline.
        self._baseline_vitals = {r.vital for r in thresholds.baseline}
        self._baseline_window = max((r.window_s for r in thresholds.baseline), default=0.0)
        self._history: dict[str, deque] = {v: deque() for v in self._baseline_vitals}
        self.baseline: dict[str, float] = {}
        self.initial_dose_t: float | None = None
        self._history_fn: Callable[[str, float, float], np.ndarray] | None = None

    # -- public API ----------------------------------------------------------------------------

    def feed(self, r: Reading) -> None:
        """One live reading; readings must arrive in time order (sources sort them)."""
        if r.t < self.t:
            raise ValueError(f"reading at {r.t} is older than the newest one ({self.t})")
        self._row(r.t, [r.hr, r.sbp, r.dbp, r.map, r.spo2, r.temp, r.rr])

    def feed_many(self, readings: Iterable[Reading]) -> None:
        for r in readings:
            self.feed(r)

    def tick(self, t: float) -> None:
        """The wall clock moved to event time `t` with no reading: look for silent streams."""
        if t > self.t:
            self._globals(t)
            self.t = t

    def acknowledge(self, t: float, who: str = "") -> None:
        t = max(t, self.t)
        by = f" by {who}" if who else ""
        for a in self._alarms():
            if a.state == "active":
                a.state = "acknowledged"
                a.remind_at = t + self.th.audio.reminder_s if isinstance(a, _LimitAlarm) else INF
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
        self._pause_rank = max((s.rank for s in self.status()), default=0)
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
        self._apply_baseline()

    def apply(self, c: Control) -> None:
        self.tick(c.t)  # deadlines that fell due before the action come first
        if c.kind == "dose":
            self.dose(c.t, c.data.get("dose", "initial"))
        elif c.kind == "ack":
            self.acknowledge(c.t, c.data.get("who", ""))
        elif c.kind == "pause":
            self.pause_audio(c.t, c.data.get("seconds"))

    def status(self) -> list[AlarmStatus]:
        """Alarms that are not normal, highest priority first."""
        out = []
        for a in self._alarms():
            if a.state == "normal":
                continue
            priority = "technical" if not isinstance(a, _LimitAlarm) else RANK_NAME[a.rank]
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

    def run(self, store: VitalStore, controls: Sequence[Control] = ()) -> list[AlarmEvent]:
        """Evaluate a whole recorded session; returns the log (also kept in `self.log`)."""
        _BatchRun(self, store, sorted(controls, key=lambda c: c.t)).run()
        return self.log

    # -- the row handler -----------------------------------------------------------------------

    def _row(self, t: float, values: list[float]) -> None:
        self._globals(t)
        self.t = t
        sbp, dbp = values[1], values[2]
        if values[3] != values[3] and sbp == sbp and dbp == dbp:
            values[3] = (sbp + 2.0 * dbp) / 3.0
        inverted = sbp == sbp and dbp == dbp and sbp <= dbp
        hr = values[0]
        if hr == hr and self._lo[0] <= hr <= self._hi[0]:
            self._last_hr = (t, hr)
        si = math.nan
        if sbp == sbp and not inverted and self._lo[1] <= sbp <= self._hi[1]:
            ht, hv = self._last_hr
            if t - ht <= self._hr_max_age:
                si = hv / sbp
        values.append(si)
        repeat = None
        for pos, v in enumerate(values):
            if v != v:
                continue
            for k in self._stream_of[pos]:
                self._last_seen[k] = t
                st = self._stale[k]
                if st.state != "normal":
                    self._clear(t, st, "readings are back")
            art = self._artifact[pos]
            if not (self._lo[pos] <= v <= self._hi[pos]) or (inverted and pos in (1, 2, 3)):
                if art.state == "normal":
                    art.value = v
                    why = "at or below the diastolic" if inverted and (self._lo[pos] <= v <= self._hi[pos]) \
                        else f"outside {self._lo[pos]:g}-{self._hi[pos]:g}"
                    self._activate(t, art, TECHNICAL_RANK, None,
                                   f"implausible {ROW_NAMES[pos]} {format_value(ROW_NAMES[pos], v)} ({why}): "
                                   "flagged as artifact, not used for limit alarms")
                continue
            if art.state != "normal":
                art.value = v
                self._clear(t, art, "plausible readings again")
            if self._history and self._history_fn is None:
                self._remember(t, ROW_NAMES[pos], v)
            for a in self._limit[pos]:
                self._update(t, a, v)
                if pos in (1, 2, 3) and a.state != "normal" and a.level:
                    repeat = repeat or (a, v)
        if repeat is not None:
            a, v = repeat
            self._emit_raw(AlarmEvent(t, "bp.repeat", "bp", RANK_NAME[a.rank], "repeat", v, a.limit,
                                      f"cuff {a.vital} {format_value(a.vital, v)} beyond {a.limit:g}: "
                                      "repeat the measurement"))

    def _update(self, t: float, a: _LimitAlarm, v: float) -> None:
        raise_, hold = a.levels(v)
        level = max(raise_, min(a.level, hold))
        a.level = level
        state = a.state
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
                if level > a.rank:
                    self._escalate(t, a, level)
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
        elif state == "acknowledged" and t >= a.remind_at:
            a.remind_at = t + self.th.audio.reminder_s
            self._emit(t, a, "reminder", f"{self._label(a)} still present")

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
            self.paused_until = t
            self._emit_raw(AlarmEvent(t, "audio", "", "", "resumed", None, None,
                                      f"audio pause broken through by a {RANK_NAME.get(rank, 'technical')}"
                                      "-priority alarm"))

    def _globals(self, t: float) -> None:
        """Deadlines that do not wait for a reading of their own vital: silence and pause end."""
        due: list[tuple[float, int, int]] = []
        if self.paused_until > -INF and t >= self.paused_until and self.paused_until > self.t:
            due.append((self.paused_until, 0, -1))
        for k, after in enumerate(self._after):
            ls = self._last_seen[k]
            if ls > -INF and t > ls + after and self._stale[k].state == "normal":
                due.append((ls + after, 1, k))
        for when, _, k in sorted(due):
            if k < 0:
                self._emit_raw(AlarmEvent(when, "audio", "", "", "resumed", None, None, "audio pause ended"))
            else:
                st, s = self._stale[k], self._streams[k]
                self._activate(when, st, TECHNICAL_RANK, s.after_s,
                               f"no {s.stream} reading for {s.after_s:g} s: values shown as stale")

    # -- helpers -------------------------------------------------------------------------------

    def _alarms(self) -> list[_Alarm]:
        return [*self._all_limit, *self._stale, *self._artifact]

    def _remember(self, t: float, vital: str, v: float) -> None:
        """Keep pre-dose values of baseline vitals (live only; a batch run reads the store)."""
        buf = self._history.get(vital)
        if buf is None:
            return
        buf.append((t, v))
        while buf[0][0] < t - self._baseline_window:
            buf.popleft()

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
            return self._label(a)
        if a.name.endswith(".stale"):
            return f"{a.vital.upper()}: no data"
        return f"{a.vital.upper()} implausible reading {format_value(a.vital, a.value) if a.value is not None else ''}"

    def _emit(self, t: float, a: _Alarm, state: str, message: str) -> None:
        priority = RANK_NAME.get(a.rank, "") if isinstance(a, _LimitAlarm) else "technical"
        value = None if a.value is None or a.value != a.value else round(float(a.value), 4)
        self._emit_raw(AlarmEvent(t, a.name, a.vital, priority, state, value, a.limit, message))

    def _emit_raw(self, e: AlarmEvent) -> None:
        self.log.append(e)
        if self._on_event is not None:
            self._on_event(e)


class _BatchRun:
    """Drives `AlarmEngine._row` over the rows of a store where something can happen."""

    def __init__(self, engine: AlarmEngine, store: VitalStore, controls: list[Control]):
        self.e = engine
        self.t = store.t
        self.n = len(self.t)
        self.cols = [store.column(n) for n in VITALS]
        self.flags = artifact_flags({n: c for n, c in zip(VITALS, self.cols)})
        engine._history_fn = self._history
        self.controls = controls
        self.present = [~np.isnan(c) for c in self.cols]
        self.valid = [p & ~self.flags[n] for p, n in zip(self.present, VITALS)]
        self._si_cache: np.ndarray | None = None
        # Rows where each stream has a reading, for stale detection and last-seen bookkeeping.
        self.stream_rows = []
        for s in engine._streams:
            mask = np.zeros(self.n, bool)
            for v in s.vitals:
                if v in VITALS:
                    mask |= self.present[VITALS.index(v)]
                elif v == "si":
                    mask |= ~np.isnan(self._si())
            self.stream_rows.append(np.flatnonzero(mask))

    def _history(self, vital: str, t0: float, t1: float) -> np.ndarray:
        i = int(np.searchsorted(self.t, t0, "left"))
        j = int(np.searchsorted(self.t, t1, "right"))
        pos = VITALS.index(vital)
        col, ok = self.cols[pos][i:j], self.valid[pos][i:j]
        return col[ok]

    def _value(self, vital: str, row: int) -> float:
        return self._si()[row] if vital == "si" else self.cols[VITALS.index(vital)][row]

    def _si(self) -> np.ndarray:
        """Shock index per row exactly as the row handler computes it."""
        if self._si_cache is None:
            hr_ok = self.valid[0]
            idx = np.where(hr_ok, np.arange(self.n), -1)
            idx = np.maximum.accumulate(idx) if self.n else idx
            hr = np.where(idx >= 0, self.cols[0][np.maximum(idx, 0)], np.nan)
            hr_t = np.where(idx >= 0, self.t[np.maximum(idx, 0)], -np.inf)
            sbp_ok = self.valid[1]
            with np.errstate(invalid="ignore", divide="ignore"):
                si = np.where(sbp_ok & (self.t - hr_t <= self.e._hr_max_age), hr / self.cols[1], np.nan)
            self._si_cache = si
        return self._si_cache

    def _static_rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows in [lo, hi) where some alarm's level, artifact state or stream gap changes."""
        e = self.e
        parts: list[np.ndarray] = [np.array([lo], dtype=np.int64)] if lo < hi else []
        for pos, name in enumerate(ROW_NAMES):
            if pos < len(VITALS):
                present = self.present[pos][lo:hi]
                col = self.cols[pos][lo:hi]
                bad = self.flags[name][lo:hi]
            else:
                col = self._si()[lo:hi]
                present = ~np.isnan(col)
                bad = present & ((col < e._lo[pos]) | (col > e._hi[pos]))
            rows = np.flatnonzero(present)
            if not len(rows):
                continue
            parts.append(rows[:1] + lo)
            b = bad[rows]
            ch = np.flatnonzero(b[1:] != b[:-1]) + 1
            parts.append(rows[ch] + lo)
            good = rows[~b]
            if not len(good):
                continue
            parts.append(good[:1] + lo)
            gv = col[good]
            for a in e._limit[pos]:
                r, h = a.level_arrays(gv)
                ch = np.flatnonzero((r[1:] != r[:-1]) | (h[1:] != h[:-1])) + 1
                parts.append(good[ch] + lo)
                if not a.rule.continuous or a.delay == 0:
                    parts.append(good[r > 0] + lo)  # each reading over a limit is an event
                if pos in (1, 2, 3):
                    parts.append(good[h > 0] + lo)  # cuff repeat requests
        for rows in self.stream_rows:
            r = rows[(rows >= lo) & (rows < hi)]
            if len(r):
                parts.append(r[:1])
        return np.unique(np.concatenate(parts)) if parts else np.array([], np.int64)

    def _stale_rows(self) -> np.ndarray:
        """First row after each gap longer than a stream's stale limit, and the row that ends it."""
        parts = []
        for k, rows in enumerate(self.stream_rows):
            if not len(rows):
                continue
            after = self.e._after[k]
            ts = self.t[rows]
            ends = np.append(ts[1:], np.inf)
            gap = np.flatnonzero(ends - ts > after)
            if len(gap):
                first = np.searchsorted(self.t, ts[gap] + after, "right")
                parts.append(first[first < self.n])
                nxt = gap + 1
                parts.append(rows[nxt[nxt < len(rows)]])
        return np.concatenate(parts) if parts else np.array([], np.int64)

    def _sync(self, i: int) -> None:
        """Set what the skipped rows before row i would have set: last-seen times and newest HR."""
        e = self.e
        for k, rows in enumerate(self.stream_rows):
            j = bisect_left(rows, i) - 1 if len(rows) else -1
            if j >= 0:
                e._last_seen[k] = float(self.t[rows[j]])
        hr_rows = self._hr_rows
        j = bisect_left(hr_rows, i) - 1
        if j >= 0:
            r = hr_rows[j]
            e._last_hr = (float(self.t[r]), float(self.cols[0][r]))
        for a in e._all_limit:
            if a.state != "normal":
                rows = self._valid_rows[ROW_NAMES.index(a.vital)]
                j = int(np.searchsorted(rows, i, "left")) - 1
                if j >= 0:
                    a.value = float(self._value(a.vital, int(rows[j])))

    def run(self) -> None:
        e = self.e
        t = self.t
        self._hr_rows = np.flatnonzero(self.valid[0]).tolist()
        si_valid = ~np.isnan(self._si())
        self._valid_rows = [np.flatnonzero(v) for v in self.valid] + [np.flatnonzero(si_valid)]
        self._valid_times = [t[r] for r in self._valid_rows]
        stale_rows = self._stale_rows()
        # Controls split the rows into segments: a control at time c acts after the rows with t <= c.
        bounds = [int(np.searchsorted(t, c.t, "right")) for c in self.controls] + [self.n]
        lo = 0
        for k, hi in enumerate(bounds):
            heap = [int(i) for i in self._static_rows(lo, hi)]
            heap += [int(i) for i in stale_rows[(stale_rows >= lo) & (stale_rows < hi)]]
            heap += self._dynamic(lo - 1, hi)  # deadlines carried over or set by the last control
            heapq.heapify(heap)
            done = lo - 1
            while heap:
                i = heapq.heappop(heap)
                if i <= done:
                    continue
                done = i
                self._sync(i)
                e._row(float(t[i]), [float(c[i]) for c in self.cols])
                for d in self._dynamic(i, hi):
                    heapq.heappush(heap, d)
            if k < len(self.controls):
                self._sync(hi)
                e.apply(self.controls[k])
            lo = hi
        e._history_fn = None

    def _dynamic(self, i: int, hi: int) -> list[int]:
        """Rows after row i (and before hi) where a deadline set so far falls due."""
        e = self.e
        out = []
        t = self.t
        for a in e._all_limit:
            d = a.deadline
            if d == INF:
                continue
            pos = ROW_NAMES.index(a.vital)
            rows, times = self._valid_rows[pos], self._valid_times[pos]
            j = max(int(np.searchsorted(times, d, "left")), int(np.searchsorted(rows, i, "right")))
            if j < len(rows) and rows[j] < hi:
                out.append(int(rows[j]))
        if e.paused_until > e.t:
            j = int(np.searchsorted(t, e.paused_until, "left"))
            j = max(j, i + 1)
            if j < hi:
                out.append(j)
        return out
