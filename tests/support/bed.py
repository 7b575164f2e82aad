"""A bedside following a CSV a bridge writes, on a manual clock, recording as it goes: what the
bridge wrote is checked against the live store and the recording read back (tests/faults)."""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np

from monitor.core.thresholds_loader import load_thresholds
from monitor.core.vitals import VITALS
from monitor.recording import load_session
from monitor.session import ManualClock, Session
from monitor.sources.follow import FileFeed

T0 = 1_795_856_400  # 2026-11-28T09:00:00Z
TH = load_thresholds()
HEADER = "time,hr,sbp,dbp,map,spo2,temp,rr\n"


def values(i: int) -> dict[str, float]:
    """Reading i of the bridge: HR every second, SpO2 too, a cuff every 60 s."""
    v = {"hr": 60 + (i * 7) % 45, "spo2": 94 + i % 6}
    if i % 60 == 0:
        v.update(sbp=110 + i % 30, dbp=70 + i % 15, map=85 + i % 20)
    return v


def line(i: int, cols=("hr", "sbp", "dbp", "map", "spo2", "temp", "rr")) -> str:
    v = values(i)
    return f"{T0 + i}," + ",".join(f"{v[c]:g}" if c in v else "" for c in cols) + "\n"


class Bed:
    """A session following `bed.csv`, recording into `rec/`, and what the bridge has written."""

    def __init__(self, tmp_path, header: str = HEADER, *, resume_from: Bed | None = None):
        self.path = tmp_path / "bed.csv"
        self.rec = tmp_path / "rec"
        self.written: set[int] = set()
        resume = None
        if resume_from is None:
            with open(self.path, "w", encoding="utf-8", newline="") as f:
                f.write(header)
            self.clock = ManualClock(wall=T0 + 5, monotonic=1000.0)
        else:
            self.written = resume_from.written
            self.clock = resume_from.clock
            resume = load_session(self.rec)
        self.s = Session(FileFeed(self.path), TH, folder=self.rec, clock=self.clock, resume=resume)
        self.s.tz = UTC
        self.s.start()
        self.s.poll()

    @classmethod
    def resume(cls, stopped: Bed) -> Bed:
        """`live --resume` of the stopped bed's recording, following the same file."""
        return cls(stopped.path.parent, resume_from=stopped)

    def append(self, text: str, rows=()) -> None:
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            f.write(text)
        self.written.update(rows)

    def write(self, i: int) -> None:
        self.append(line(i), [i])

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        self.s.poll()

    def run(self, first: int, n: int) -> None:
        """n seconds of a 1 Hz bridge, one poll a second."""
        for i in range(first, first + n):
            self.write(i)
            self.tick()

    def check(self) -> None:
        """Store and recording hold exactly what the bridge wrote: every row once, own values."""
        want = sorted(self.written)
        t = np.array([T0 + i for i in want], float)
        self.tick(1.0)  # the newest line waits a moment for a second line with its time stamp
        for where, store in (("store", self.s.store), ("recording", None)):
            if store is None:
                self.s.stop()
                rs = load_session(self.rec)
                assert not rs.rejected, rs.rejected
                store = rs.store
                raw = (self.rec / "readings.csv").read_text().splitlines()[1:]
                assert len(raw) == len(want), f"{len(raw)} rows recorded for {len(want)} written"
            np.testing.assert_array_equal(store.t, t, err_msg=where)
            for v in VITALS:
                exp = np.array([values(i).get(v, math.nan) for i in want], float)
                np.testing.assert_array_equal(store.column(v), exp, err_msg=f"{where}: {v}")

    def system(self) -> set[str]:
        return {a.alarm for a in self.s.alarms() if a.alarm.startswith(("feed.", "record.", "app."))}
