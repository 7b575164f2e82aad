"""The simulator as a live feed: readings (and the scenario's dose events) when their time comes.

No threads and no UI: the app calls `poll(time.monotonic())` from a worker or a timer and gets the
readings whose simulated time has come since the last call, plus the dose and note events due by
then (so the session can record that the simulator gave the dose). Everything is generated up front
(an 8 h session takes a few tens of milliseconds); `poll` only walks forward through it.

Times: `Reading.t` and `FeedEvent.t` are absolute epoch seconds (UTC, float) = the feed's `start`
plus the simulated seconds since the session start. `speed` simulated seconds pass per monotonic
second (60 = one simulated minute per second). The feed is always labelled simulated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from monitor.core.readings import Reading
from monitor.core.vitals import VITALS
from monitor.sources.feed import FeedStatus, FeedUpdate, SourceEvent


@dataclass(frozen=True)
class FeedEvent:
    """A dose or note the simulated session contains, at its time."""

    t: float  # epoch seconds, UTC
    kind: str  # "dose" or "note"
    fields: dict = field(default_factory=dict)  # {"dose": "initial", "amount_mg": 120} or {"text": ...}
    simulated: bool = True

    def record(self) -> dict:
        """The events.jsonl form: {"t": ISO 8601, "kind": ..., ...fields, "source": "simulator"}."""
        iso = datetime.fromtimestamp(self.t, tz=UTC).isoformat()
        return {"t": iso, "kind": self.kind, **self.fields, "source": "simulator"}


@dataclass
class FeedBatch:
    readings: list[Reading]
    events: list[FeedEvent]
    finished: bool  # True once every reading and event has been handed out

    def __bool__(self) -> bool:
        return bool(self.readings or self.events)


def _epoch(start: datetime | float | int | None) -> float:
    if start is None:
        return float(int(time.time()))
    if isinstance(start, datetime):
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return start.timestamp()
    return float(start)


class SimulatedFeed:
    """A simulated session played out on the monotonic clock, `speed` times faster than real time."""

    simulated = True
    source = "simulator"

    def __init__(
        self,
        scenario: str = "typical",
        seed: int = 1,
        speed: float = 1.0,
        start: datetime | float | None = None,
        *,
        duration_s: float | None = None,
        dose_mg: float | None = None,
        spo2: bool = False,
    ) -> None:
        from simulators.generate import simulate  # the simulator package has no UI imports either

        if not speed > 0:
            raise ValueError("the speed must be more than 0")
        self.session = simulate(scenario, seed, duration_s, dose_mg, spo2=spo2 or None)
        self.scenario = self.session.scenario.name
        self.seed = seed
        self.speed = float(speed)
        self.start = _epoch(start)  # epoch seconds of the simulated session start
        self.label = f"SIMULATED: {self.scenario} (seed {seed})"
        self._t = self.session.t.tolist()
        self._cols = [self.session.columns[name].tolist() for name in VITALS]
        self._events = [
            FeedEvent(self.start + ev["t"], ev["kind"], {k: v for k, v in ev.items() if k not in ("t", "kind")})
            for ev in self.session.events()
        ]
        self._event_sim_t = [ev["t"] for ev in self.session.events()]
        self._next_row = 0
        self._next_event = 0
        self._origin: float | None = None  # monotonic time of simulated second 0
        self._sim_base = 0.0

    # -- clock ---------------------------------------------------------------------------------

    def begin(self, now_monotonic: float) -> None:
        """Anchor simulated second 0 at `now_monotonic` (done by the first `poll` if not called)."""
        if self._origin is None:
            self._origin = now_monotonic

    def sim_time(self, now_monotonic: float) -> float:
        """Seconds since the simulated session start at `now_monotonic`."""
        self.begin(now_monotonic)
        assert self._origin is not None
        return self._sim_base + max(0.0, now_monotonic - self._origin) * self.speed

    def set_speed(self, speed: float, now_monotonic: float) -> None:
        """Change the speed from now on without jumping in simulated time."""
        if not speed > 0:
            raise ValueError("the speed must be more than 0")
        self._sim_base = self.sim_time(now_monotonic)
        self._origin = now_monotonic
        self.speed = float(speed)

    # -- data ----------------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        return self.session.duration_s

    @property
    def finished(self) -> bool:
        return self._next_row >= len(self._t) and self._next_event >= len(self._events)

    def _reading(self, i: int) -> Reading:
        return Reading(self.start + self._t[i], *(col[i] for col in self._cols))

    def poll(self, now_monotonic: float) -> FeedBatch:
        """Readings and events whose simulated time has come, in time order."""
        now_sim = self.sim_time(now_monotonic)
        j = int(np.searchsorted(self.session.t, now_sim, side="right"))
        readings = [self._reading(i) for i in range(self._next_row, j)]
        self._next_row = max(self._next_row, j)
        events: list[FeedEvent] = []
        while self._next_event < len(self._events) and self._event_sim_t[self._next_event] <= now_sim:
            events.append(self._events[self._next_event])
            self._next_event += 1
        return FeedBatch(readings, events, self.finished)

    def next_due(self) -> float | None:
        """Monotonic time at which the next reading or event is due, or None when finished/unstarted."""
        if self._origin is None or self.finished:
            return None
        pending = []
        if self._next_row < len(self._t):
            pending.append(self._t[self._next_row])
        if self._next_event < len(self._events):
            pending.append(self._event_sim_t[self._next_event])
        return self._origin + (min(pending) - self._sim_base) / self.speed

    def all_readings(self) -> list[Reading]:
        """Every reading of the session at once (for tests and instant loading)."""
        return [self._reading(i) for i in range(len(self._t))]

    def events(self) -> list[FeedEvent]:
        return list(self._events)

    def session_info(self) -> dict:
        """The session.json fields for a recording of this feed."""
        from simulators.writer import software_version

        sc = self.session.scenario
        return {
            "id": f"sim-{sc.name}-seed{self.seed}-{datetime.fromtimestamp(self.start, tz=UTC):%Y%m%dT%H%M%SZ}",
            "label": self.label,
            "start": datetime.fromtimestamp(self.start, tz=UTC).isoformat(),
            "source": "simulator",
            "simulated": True,
            "scenario": sc.name,
            "seed": self.seed,
            "software_version": software_version(),
            "speed": self.speed,
        }


class SimulatorFeed:
    """The simulator (monitor.sources.simulated.SimulatedFeed) as a feed.

    Event time is the simulated clock: the feed's start plus `speed` simulated seconds per
    monotonic second. It stops at the last reading once the scenario is over.
    """

    mode = "SIMULATED"
    simulated = True
    lag_s = 0.0
    records = True
    splits_rows = False

    def __init__(self, feed, resume_after: float | None = None):
        self.feed = feed
        self.source = "simulator"
        self.label = f"{feed.scenario} (seed {feed.seed})"
        self._resume_after = resume_after
        self._end = feed.start + float(feed.session.t[-1]) if len(feed.session.t) else feed.start
        self._ended = False
        self._begun = False

    def _begin(self, now: float) -> None:
        if not self._begun:
            self._begun = True
            if self._resume_after is not None:
                # Carry on where the recording stopped: simulated time resumes there, not at zero.
                self.feed.begin(now - max(0.0, self._resume_after - self.feed.start) / self.feed.speed)
            else:
                self.feed.begin(now)

    def poll(self, now: float) -> FeedUpdate:
        self._begin(now)
        b = self.feed.poll(now)
        readings, events = b.readings, b.events
        if self._resume_after is not None:
            cut = self._resume_after
            readings = [r for r in readings if r.t > cut]
            events = [e for e in events if e.t > cut]
        out = FeedUpdate(readings, [SourceEvent(e.t, e.kind, dict(e.fields)) for e in events])
        if b.finished and not self._ended:
            self._ended = True
            out.finished = True
            out.status.append(FeedStatus("ended", "the simulated session is over: no more readings"))
        return out

    def clock(self, now: float) -> float:
        self._begin(now)
        t = self.feed.start + self.feed.sim_time(now)
        return min(t, self._end) if self._ended or self.feed.finished else t

    def absolute(self) -> bool:
        return True

    def meta(self) -> dict:
        info = self.feed.session_info()
        out = {k: info[k] for k in ("scenario", "seed", "speed") if k in info}
        out["sim_start"] = self.feed.start  # epoch seconds of simulated second 0 (for --resume)
        return out

    def close(self) -> None:
        pass
