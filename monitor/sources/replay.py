"""A recorded session played back on a virtual clock: speed, pause, seek (no Textual here).

`ReplaySource` holds a `RecordedSession` (a session folder, a simulator CSV with its side files,
or a plain device CSV) as arrays, plus the recorded user actions in time order, and keeps the
virtual clock: the replay `position` (event time), whether it plays, and at what speed. It is a
feed in the sense of `monitor.ui.feeds` (mode "REPLAY", `clock(now)` = the position), but the
session that plays it (`monitor.ui.replay.ReplaySession`) takes rows and actions from it by index
so that a row never becomes an object it does not need, and so that seeking is a slice.

Recorded actions are replayed at their times: doses, acknowledgements and audio pauses are
controls to the alarm engine (exactly as live, where the app passes each key to the engine at the
time it records it); notes are shown. Nothing is ever written into the recording.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np

from monitor.core.alarms import Control
from monitor.core.durations import parse_duration
from monitor.core.readings import VitalStore
from monitor.core.session import RecordedSession
from monitor.core.vitals import VITALS

MAX = math.inf
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 600.0, MAX)
ACTION_KINDS = ("dose", "note", "ack", "pause")


def speed_text(speed: float) -> str:
    return "max" if math.isinf(speed) else f"{speed:g}x"


def parse_speed(text: str) -> float:
    """"max", "30", "30x" -> a speed; raises ValueError with a sentence."""
    s = str(text).strip().lower()
    if s in ("max", "inf", "fastest"):
        return MAX
    try:
        v = float(s[:-1] if s.endswith("x") else s)
    except ValueError:
        raise ValueError(f"'{text}' is not a speed; write a number such as 1, 10 or 600, or max") from None
    if not v > 0 or math.isnan(v):
        raise ValueError("the speed must be more than 0")
    return v


@dataclass
class Action:
    """A recorded event the replay applies at its time."""

    t: float
    kind: str  # dose | note | ack | pause
    event: dict
    control: Control | None


def recorded_actions(rs: RecordedSession) -> list[Action]:
    """Doses, notes, acknowledgements and pauses in time order (file order among equal times);
    the controls are exactly `rs.controls()`."""
    out = []
    for e in rs.events:
        kind = e.get("kind")
        if kind not in ACTION_KINDS:
            continue
        control = None
        if kind == "dose":
            control = Control(e["t"], "dose", {"dose": e.get("dose", "initial")})
        elif kind == "ack":
            control = Control(e["t"], "ack", {"who": e.get("who", "")})
        elif kind == "pause":
            control = Control(e["t"], "pause", {"seconds": e.get("seconds")})
        out.append(Action(e["t"], kind, e, control))
    out.sort(key=lambda a: a.t)  # stable, as `AlarmEngine.run` sorts the controls
    return out


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_position(text: str, start: float, end: float, absolute: bool | None,
                   tz: tzinfo | None = None) -> float:
    """Where to go in a session: "2h15m" / "90m" / "45s" into the session (from its first
    reading), "14:32" / "14:32:10" a clock time within the session (a session timed in seconds
    since its start reads "1:30" as 1 h 30 min in), "end". Raises ValueError (one sentence)."""
    s = str(text).strip().lower()
    if s in ("end", "$"):
        return end
    if s in ("start", "begin", "0"):
        return start
    m = _CLOCK.match(s)
    if m:
        h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if mi > 59 or sec > 59:
            raise ValueError(f"'{text}' is not a time")
        if absolute is False:
            return start + h * 3600 + mi * 60 + sec
        if h > 23:
            raise ValueError(f"'{text}' is not a time of day")
        first = datetime.fromtimestamp(start, tz)
        cand = first.replace(hour=h, minute=mi, second=sec, microsecond=0)
        if cand.timestamp() < start - 1:
            cand += timedelta(days=1)  # a session over midnight
        t = cand.timestamp()
        if t > end + 1:
            raise ValueError(f"{text} is not within the session ({first:%H:%M}–"
                             f"{datetime.fromtimestamp(end, tz):%H:%M})")
        return t
    try:
        secs = parse_duration(s)
    except ValueError:
        raise ValueError(f"'{text}' is not a place in the session; write a time into it (2h15m, 90m) "
                         "or a clock time (14:32)") from None
    return start + secs


class ReplaySource:
    """A recorded session on a virtual clock. `position` is the event time the replay has reached."""

    mode = "REPLAY"
    lag_s = 0.0

    def __init__(self, rs: RecordedSession, *, speed: float = 1.0, playing: bool = True):
        self.rs = rs
        self.simulated = rs.simulated
        self.label = rs.label + (" (simulated)" if rs.simulated and "simul" not in rs.label.lower() else "")
        self.source = str(rs.path)
        store = rs.store
        self.times = np.array(store.t, dtype=float)
        self.tl: list[float] = self.times.tolist()
        cols = {v: np.array(store.column(v), dtype=float) for v in VITALS}
        # The MAP the store derived from SBP/DBP is not a reading: give the engine the raw row,
        # as live did (it derives the same value itself).
        derived = np.asarray(store.map_derived(), bool)
        if derived.any():
            cols["map"] = np.where(derived, np.nan, cols["map"])
        self.cols = cols
        self.rows: list[tuple] = list(zip(*(cols[v].tolist() for v in VITALS))) if len(self.tl) else []
        self.actions = recorded_actions(rs)
        self.action_t = [a.t for a in self.actions]
        span = store.span()
        end = rs.end_time()
        self.start = span[0] if span else (min(self.action_t) if self.action_t else 0.0)
        self.end = max(end if end is not None else self.start, self.start)
        self.position = self.start
        self.row = 0  # rows delivered: tl[:row] are in the session's store
        self.action = 0  # actions applied
        self.speed = speed
        self.playing = playing
        self._last_mono: float | None = None

    # -- the Feed protocol (what the app and LiveSession read) ---------------------------------

    def poll(self, now: float):
        raise RuntimeError("a ReplaySource is played by monitor.ui.replay.ReplaySession, which takes "
                           "its rows by index")

    def clock(self, now: float) -> float:
        return self.position

    def absolute(self) -> bool:
        return self.rs.time_kind == "absolute"

    def meta(self) -> dict:
        return {"replay": self.source}

    def close(self) -> None:
        pass

    # -- the virtual clock ---------------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        return self.position >= self.end and self.row >= len(self.tl)

    def target(self, now: float) -> float:
        """Where the clock should be at monotonic time `now` (MAX at max speed while playing)."""
        last, self._last_mono = self._last_mono, now
        if not self.playing or last is None:
            return self.position
        if math.isinf(self.speed):
            return MAX
        return min(self.end, self.position + max(0.0, now - last) * self.speed)

    def play(self, playing: bool) -> None:
        self.playing = playing
        self._last_mono = None  # the clock restarts from the next poll, never jumps over a pause

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        self._last_mono = None

    def faster(self) -> float:
        i = next((k for k, s in enumerate(SPEEDS) if s > self.speed), len(SPEEDS) - 1)
        self.set_speed(SPEEDS[i])
        return self.speed

    def slower(self) -> float:
        i = next((k for k in range(len(SPEEDS) - 1, -1, -1) if SPEEDS[k] < self.speed), 0)
        self.set_speed(SPEEDS[i])
        return self.speed

    def clamp(self, t: float) -> float:
        return min(max(t, self.start), self.end)

    # -- slices --------------------------------------------------------------------------------

    def rows_upto(self, t: float) -> int:
        """How many rows have a time at or before t."""
        return bisect_right(self.tl, t)

    def actions_upto(self, t: float) -> int:
        return bisect_right(self.action_t, t)

    def store_slice(self, i: int, j: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return self.times[i:j], {v: c[i:j] for v, c in self.cols.items()}

    def store_upto(self, j: int) -> VitalStore:
        store = VitalStore()
        t, cols = self.store_slice(0, j)
        store.extend(t, cols)
        return store

    def full_store(self) -> VitalStore:
        return self.rs.store

    def controls_upto(self, k: int) -> list[Control]:
        return [a.control for a in self.actions[:k] if a.control is not None]

    def controls(self) -> list[Control]:
        return self.controls_upto(len(self.actions))
