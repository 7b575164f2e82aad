"""What the live app polls: a small protocol and its adapters (no Textual here).

A feed is anything with `poll(now) -> FeedUpdate`, where `now` is the monotonic clock. The app
calls it from one UI timer (four times a second); a feed never blocks and never loops. Readings
come back in time order; `events` are doses and notes the source itself knows of (the simulator's
scenario gives its doses); `status` tells the app what happened to the source itself (a vanished
file, a read error) so it can raise or clear a technical alarm.

Event time: a feed with a clock of its own (the simulator, a replay) returns it from
`clock(now)`; a followed file has none (`None`), and the app maps the monotonic clock onto the
newest reading's time (see `LiveSession.event_now`).

Adapters: `SimulatorFeed` (monitor.sources.simulated), `FileFeed` (monitor.sources.follow). A
replay source (issue 5) only needs the same few members.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from monitor.core.readings import Reading
from monitor.core.vitals import VITALS
from monitor.sources.csvfile import RejectedLine


@dataclass
class SourceEvent:
    """A dose or note the source reports (the simulator's scenario doses)."""

    t: float
    kind: str  # "dose" | "note"
    fields: dict = field(default_factory=dict)


@dataclass
class FeedStatus:
    """What happened to the source: kind "opened" | "lost" | "restored" | "recovered" | "error" |
    "waiting" | "info" | "ended"."""

    kind: str
    message: str


@dataclass
class FeedUpdate:
    readings: list[Reading] = field(default_factory=list)
    events: list[SourceEvent] = field(default_factory=list)
    status: list[FeedStatus] = field(default_factory=list)
    rejected: list[RejectedLine] = field(default_factory=list)
    reopened: bool = False  # readings may repeat ones delivered before (a new or rewritten file)
    finished: bool = False


class Feed(Protocol):
    mode: str  # "LIVE" | "SIMULATED" | "REPLAY"
    simulated: bool
    label: str  # a default session label
    source: str  # what session.json calls the source
    lag_s: float  # how far behind the mapped clock the app ticks the alarm engine

    def poll(self, now: float) -> FeedUpdate: ...

    def clock(self, now: float) -> float | None: ...

    def absolute(self) -> bool | None: ...

    def meta(self) -> dict: ...

    def close(self) -> None: ...


class SimulatorFeed:
    """The simulator (monitor.sources.simulated.SimulatedFeed) as a feed.

    Event time is the simulated clock: the feed's start plus `speed` simulated seconds per
    monotonic second. It stops at the last reading once the scenario is over.
    """

    mode = "SIMULATED"
    simulated = True
    lag_s = 0.0

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


class FileFeed:
    """A CSV a device bridge is still writing (monitor.sources.follow.CsvFollower) as a feed.

    The mode is LIVE, unless the CSV has a side file `X.session.json` saying it is simulated
    (what `vitals-monitor simulate --stream --out X.csv` writes): then it is SIMULATED.
    """

    lag_s = 2.0  # a bridge may write a line a little after its time stamp

    def __init__(self, path: str | os.PathLike, column_map: dict[str, str] | None = None,
                 assume_tz: str = "UTC"):
        from monitor.sources.follow import CsvFollower

        self.path = Path(path)
        self.follower = CsvFollower(self.path, column_map=column_map, assume_tz=assume_tz)
        self.source = str(self.path.resolve())
        self.label = self.path.stem
        self.simulated = False
        self._check_side_file()

    @property
    def mode(self) -> str:
        return "SIMULATED" if self.simulated else "LIVE"

    def _check_side_file(self) -> None:
        side = self.path.with_name(self.path.stem + ".session.json")
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(meta, dict) and meta.get("simulated"):
            self.simulated = True  # once simulated, always labelled so

    def poll(self, now: float) -> FeedUpdate:
        b = self.follower.poll()
        out = FeedUpdate(rejected=b.rejected, reopened=b.reopened)
        for e in b.events:
            if e.kind in ("lost", "waiting"):
                out.status.append(FeedStatus(e.kind, e.message))
            elif e.kind == "error":
                out.status.append(FeedStatus("error", e.message))
            elif e.kind in ("opened", "restored", "recovered"):
                self._check_side_file()
                out.status.append(FeedStatus(e.kind, e.message))
            else:
                out.status.append(FeedStatus("info", e.message))
        n = len(b.times)
        if n:
            t = b.times.tolist()
            cols = [b.columns[v].tolist() if v in b.columns else None for v in VITALS]
            nan = math.nan
            out.readings = [Reading(t[i], *(c[i] if c is not None else nan for c in cols)) for i in range(n)]
        return out

    def clock(self, now: float) -> None:
        return None

    def absolute(self) -> bool | None:
        kind = self.follower.time_kind
        return None if kind is None else kind == "absolute"

    def meta(self) -> dict:
        return {"follow": self.source}

    def close(self) -> None:
        self.follower.close()
