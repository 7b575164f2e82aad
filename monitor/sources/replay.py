"""A recorded session played back on a virtual clock: speed, pause, seek (no Textual here).

`ReplaySource` holds a `RecordedSession` (a session folder, a simulator CSV with its side files,
or a plain device CSV) as arrays, plus the recorded actions in the order they were applied, and
keeps the virtual clock: the replay `position` (event time), whether it plays, and at what speed.
It is a feed like any other (`monitor.sources.feed`: mode "REPLAY", `clock(now)` = the position,
`poll` gives the rows and actions the clock has passed), so a replay is the live session over it
(`monitor.session.replay.ReplayController`).

Recorded actions are given back in their place: doses, acknowledgements, audio pauses, technical
alarms and clock ticks are controls to the alarm engine (exactly as live, where the session passed
each to the engine when it recorded it); notes are shown. Nothing is ever written into the recording.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np

from monitor.core.alarm_types import Control
from monitor.core.readings import Reading, VitalStore
from monitor.core.timetext import parse_clock, parse_duration
from monitor.core.vitals import VITALS
from monitor.recording import RecordedSession
from monitor.recording.events import event_control
from monitor.sources.feed import FeedStatus, FeedUpdate, SourceEvent

MAX = math.inf
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 600.0, MAX)
ACTION_KINDS = ("dose", "note", "ack", "pause", "technical", "clock")


def speed_text(speed: float) -> str:
    return "max" if math.isinf(speed) else f"{speed:g}x"


def parse_speed(text: str) -> float:
    """ "max", "30", "30x" -> a speed; raises ValueError with a sentence."""
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
    """A recorded event the replay applies at its place: a control (dose, ack, pause, technical,
    clock tick) or a note. `seq`: the readings taken before it live (None in older recordings)."""

    t: float
    kind: str
    event: dict
    seq: int | None


def recorded_actions(rs: RecordedSession) -> list[Action]:
    """The recorded actions in the order they were applied live (by `seq` where every one has it,
    else by time; file order among equals) -- the order `AlarmEngine.run` gives the controls."""
    out = [Action(e["t"], e["kind"], e, e.get("seq")) for e in rs.events if e["kind"] in ACTION_KINDS]
    if out and all(a.seq is not None for a in out):
        out.sort(key=lambda a: a.seq)  # type: ignore[arg-type, return-value]
        return out
    # Some have no seq (a recording begun by an older version): all go by time, as in the re-run.
    return sorted((Action(a.t, a.kind, a.event, None) for a in out), key=lambda a: a.t)


def _due(a: Action, rows: int, t: float) -> bool:
    """Whether a replay that has delivered `rows` rows and reached time t applies action a: it
    comes before the rows recorded after it, and otherwise once its time is reached."""
    if a.seq is not None and a.seq < rows:
        return True
    return a.t <= t and (a.seq is None or a.seq <= rows)


def parse_position(text: str, start: float, end: float, absolute: bool | None, tz: tzinfo | None = None) -> float:
    """Where to go in a session: "2h15m" / "90m" / "45s" into the session (from its first
    reading), "14:32" / "14:32:10" a clock time within the session (a session timed in seconds
    since its start reads "1:30" as 1 h 30 min in), "end". Raises ValueError (one sentence)."""
    s = str(text).strip().lower()
    if s in ("end", "$"):
        return end
    if s in ("start", "begin", "0"):
        return start
    try:
        clock = parse_clock(s)
    except ValueError:
        raise ValueError(f"'{text}' is not a time") from None
    if clock is not None:
        h, mi, sec = clock
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
            raise ValueError(
                f"{text} is not within the session ({first:%H:%M}–{datetime.fromtimestamp(end, tz):%H:%M})"
            )
        return t
    try:
        secs = parse_duration(s)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a place in the session; write a time into it (2h15m, 90m) or a clock time (14:32)"
        ) from None
    return start + secs


class ReplaySource:
    """A recorded session on a virtual clock. `position` is the event time the replay has reached."""

    mode = "REPLAY"
    lag_s = 0.0
    records = False  # what it delivers is already recorded
    splits_rows = False

    def __init__(self, rs: RecordedSession, *, speed: float = 1.0, playing: bool = True):
        self.rs = rs
        self.simulated = rs.simulated
        self.label = rs.label + (" (simulated)" if rs.simulated and "simul" not in rs.label.lower() else "")
        self.source = str(rs.path)
        store = rs.store
        self.times = np.array(store.t, dtype=float)
        self.n = len(self.times)
        cols = {v: np.array(store.column(v), dtype=float) for v in VITALS}
        # The MAP the store derived from SBP/DBP is not a reading: give the engine the raw row,
        # as live did (it derives the same value itself).
        derived = np.asarray(store.map_derived(), bool)
        if derived.any():
            cols["map"] = np.where(derived, np.nan, cols["map"])
        self.cols = cols
        # A seek's store shares the recording's arrays, since the rows the session appends to it
        # are the very rows that follow; not where two rows share a time (the session merges them).
        self._shared = self.n < 2 or bool(np.all(np.diff(self.times) > 0))
        self.actions = recorded_actions(rs)
        span = store.span()
        end = rs.end_time()
        self.start = span[0] if span else min((a.t for a in self.actions), default=0.0)
        self.end = max(end if end is not None else self.start, self.start)
        self.position = self.start
        self.row = 0  # rows delivered: tl[:row] are in the session's store
        self.action = 0  # actions applied
        self.speed = speed
        self.playing = playing
        self.hold = False  # the screen is redrawing: deliver nothing this poll
        self.goto: float | None = None  # the next poll plays to here, whatever the clock says
        self.max_rows = 4096  # rows per poll at max speed (the replay adapts it to its budget)
        self._last_mono: float | None = None
        self._ended = False

    # -- the Feed protocol ---------------------------------------------------------------------

    def poll(self, now: float) -> FeedUpdate:
        """The rows and recorded actions the virtual clock has passed since the last poll."""
        if self.hold:
            return FeedUpdate()
        target = self.target(now) if self.goto is None else self.goto
        self.goto = None
        times, n = self.times, self.n
        i = self.row
        fast = math.isinf(target)
        j = min(n, i + self.max_rows) if fast else max(i, self.rows_upto(target))
        # Rows made into readings per poll, from the columns (no per-row objects held for the
        # whole recording).
        readings = list(map(Reading, times[i:j].tolist(), *(self.cols[v][i:j].tolist() for v in VITALS)))
        reached = (self.end if j >= n else float(times[j - 1]) if j else self.start) if fast else target
        k, actions, events = self.action, self.actions, []
        while k < len(actions):
            a = actions[k]
            if not _due(a, j, reached):
                break
            fields = {key: v for key, v in a.event.items() if key not in ("t", "kind", "seq")}
            events.append(SourceEvent(a.t, a.kind, fields, a.seq))
            k += 1
        self.row, self.action = j, k
        self.position = max(self.position, reached)
        out = FeedUpdate(readings, events)
        if self.at_end and not self._ended:
            self._ended = True
            self.play(False)
            out.finished = True
            out.status.append(FeedStatus("ended", "end of the recording"))
        return out

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
        return self.position >= self.end and self.row >= self.n

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
        return int(np.searchsorted(self.times, t, "right"))

    def store_slice(self, i: int, j: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return self.times[i:j], {v: c[i:j] for v, c in self.cols.items()}

    def store_upto(self, j: int) -> VitalStore:
        """A store of the first j rows (a seek's): sharing the recording's where it can."""
        if self._shared:
            return self.rs.store.prefix(j)
        store = VitalStore()
        t, cols = self.store_slice(0, j)
        store.extend(t, cols)
        return store

    def full_store(self) -> VitalStore:
        return self.rs.store

    def actions_upto_row(self, j: int, t: float) -> int:
        """How many actions a replay that has delivered rows [0, j) and reached time t has applied."""
        k = 0
        for a in self.actions:
            if not _due(a, j, t):
                break
            k += 1
        return k

    def events_upto(self, k: int) -> list[dict]:
        return [a.event for a in self.actions[:k]]

    def controls(self) -> list[Control]:
        return [c for a in self.actions if (c := event_control(a.event)) is not None]

    def rewind(self, j: int, k: int, t: float) -> None:
        """Stand at row j, action k, time t (a seek)."""
        self.row, self.action, self.position = j, k, t
        self._last_mono = None
        self._ended = self.at_end
        if self._ended:
            self.play(False)
