"""The feed goes silent, comes back, goes silent again: stale alarms raise and clear each time.

End to end: a followed CSV (`FileFeed`) feeding a recording `Session` on a manual clock, with
HR and SpO2 every second and a cuff every 5 minutes. The file stays where it is; only its lines
stop coming. Each silence must raise the technical stale alarm of every stream it silenced (after
the rule's time plus the file's 2 s lag, not before), hide the stale values, and clear as soon as
readings return; the recording must replay to the same alarm log.
"""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np
import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.session import ManualClock, Session
from monitor.sources.follow import FileFeed

T0 = 1_795_856_400
TH = load_thresholds()


def row(i: int) -> str:
    cuff = f"{112 + i % 7},{72 + i % 5},{88 + i % 3}" if i % 300 == 0 else ",,"
    return f"{T0 + i},{70 + i % 9},{cuff},{96 + i % 3},,\n"


class Bed:
    def __init__(self, tmp_path):
        self.path = tmp_path / "bed.csv"
        self.rec = tmp_path / "rec"
        self.path.write_text("time,hr,sbp,dbp,map,spo2,temp,rr\n")
        self.clock = ManualClock(wall=T0 + 5, monotonic=1000.0)
        self.s = Session(FileFeed(self.path), TH, folder=self.rec, clock=self.clock)
        self.s.tz = UTC
        self.s.start()
        self.i = 0  # the bridge's clock: seconds since T0

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            with open(self.path, "a") as f:
                f.write(row(self.i))
            self.i += 1
            self.clock.advance(1.0)
            self.s.poll()

    def silent(self, seconds: float, step: float = 0.25) -> None:
        """The bridge writes nothing; its clock runs on (it will resume at the real time)."""
        for _ in range(int(seconds / step)):
            self.clock.advance(step)
            self.s.poll()
        self.i += int(round(seconds))

    def stale(self) -> set[str]:
        return {a.alarm for a in self.s.alarms() if a.alarm.endswith(".stale")}


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_silent_back_silent_back_raises_and_clears_each_time(tmp_path):
    bed = Bed(tmp_path)
    bed.run(60)
    assert bed.stale() == set()
    cycles = []
    for silence in (15, 40, 12.5):
        bed.silent(min(silence, 11.5))  # 11.5 s: the 10 s rule plus most of the 2 s lag
        assert bed.stale() == set(), "raised before its time"
        assert bed.s.current("hr") is not None
        bed.silent(silence - min(silence, 11.5))
        stale = {a for a in bed.s.alarms() if a.alarm.endswith(".stale")}
        assert {a.alarm for a in stale} == {"hr.stale", "spo2.stale"}, f"silence of {silence} s"
        assert all(a.priority == "technical" and a.state == "active" for a in stale)
        assert bed.s.current("hr") is None and bed.s.current("spo2") is None  # never shown as current
        assert {"hr", "spo2"} <= bed.s.stale_vitals()
        assert bed.s.audible_rank() > 0
        bed.run(1)
        bed.silent(0.5)  # the newest line waits half a second for a second line with its time stamp
        assert bed.stale() == set(), f"not cleared after the silence of {silence} s"
        assert bed.s.current("hr") == (T0 + bed.i - 1, 70 + (bed.i - 1) % 9)
        bed.run(20)
        cycles.append(silence)
    # A long silence: the cuff (every 5 min; stale after 30 + 5 min) goes stale too, and clears
    # with the next cuff reading, not with the next HR.
    bed.run((-bed.i) % 300 + 1)  # up to and including a cuff reading
    bed.silent(36 * 60, step=1.0)
    assert bed.stale() == {"hr.stale", "spo2.stale", "bp.stale"}
    assert bed.i % 300 != 0
    bed.run(1)  # HR and SpO2 are back, the cuff is not yet
    bed.silent(0.5)
    assert bed.stale() == {"bp.stale"}
    assert bed.s.current("sbp") is None
    bed.run((-bed.i) % 300 + 1)  # the next cuff reading
    bed.silent(0.5)
    assert bed.stale() == set()
    bed.run(5)
    bed.s.stop()

    rs = load_session(bed.rec)
    alarms = [e for e in rs.events if e["kind"] == "alarm" and e["alarm"].endswith(".stale")]
    for name, n in (("hr.stale", 4), ("spo2.stale", 4), ("bp.stale", 1)):
        states = [e["state"] for e in alarms if e["alarm"] == name]
        assert states == ["active", "cleared"] * n, (name, states)
    # Raised at the rule's time after the last reading (plus the lag at most), in the recording too.
    hr = [e for e in alarms if e["alarm"] == "hr.stale"]
    t = rs.store.t
    for raised in hr[0::2]:
        last = t[t < raised["t"]][-1]
        assert 10.0 <= raised["t"] - last <= 12.0 + 1e-6
    log = AlarmEngine(rs.stored_thresholds()).run(rs.store, rs.controls(), end=rs.end_time())
    assert [(round(e.t), e.alarm, e.state) for e in log] == [
        (round(e.t), e.alarm, e.state) for e in rs.recorded_alarms()
    ]
    assert not np.any(np.diff(t) <= 0) and not math.isnan(t[-1])
