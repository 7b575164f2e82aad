"""The recording disk fills up or turns read-only while a session runs.

Tests run as root here, where `chmod` does not stop writes, and no small tmpfs can be mounted; so
the fault is made one level below the recorder: the files `SessionRecorder` opens are real files,
opened through a raw layer that raises `OSError(ENOSPC)` (disk full) or `OSError(EROFS)` (read-only
file system) on write while the fault lasts, and can write only part of a block first, as a disk
that fills up half-way through a write does. Python's own buffering sits on top, exactly as in
`monitor.recording.recorder._open_private`, so what the recorder does with a failed, half-done write is
what it would do on a real disk.

Each test: a followed CSV (1 Hz) feeds a `Session` on a manual clock; the fault comes, the
session must raise a high-priority technical alarm, keep taking readings (the live view goes on),
and when the fault goes the alarm clears and the recording holds every reading exactly once.
"""

from __future__ import annotations

import errno
import io
import os
from datetime import UTC

import numpy as np
import pytest

import monitor.recording.recorder as session_mod
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionRecorder, load_session
from monitor.session import ManualClock, Session
from monitor.sources.follow import FileFeed

T0 = 1_795_856_400
TH = load_thresholds()


class Disk:
    """The fault switch: None (healthy), errno.ENOSPC or errno.EROFS; `partial` lets the first
    failing write put half its bytes on disk first."""

    def __init__(self):
        self.fault: int | None = None
        self.partial = False
        self.failures = 0


class FaultyRaw(io.RawIOBase):
    def __init__(self, fd: int, disk: Disk):
        self.fd, self.disk = fd, disk

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def write(self, b) -> int:
        if self.disk.fault is not None:
            self.disk.failures += 1
            if self.disk.partial and len(b) > 1:
                self.disk.partial = False
                return os.write(self.fd, bytes(b[: len(b) // 2]))
            raise OSError(self.disk.fault, os.strerror(self.disk.fault))
        return os.write(self.fd, bytes(b))

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


@pytest.fixture
def disk(monkeypatch):
    d = Disk()

    def open_private(path, mode="a"):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC), 0o600)
        return io.TextIOWrapper(io.BufferedWriter(FaultyRaw(fd, d)), encoding="utf-8", newline="")

    monkeypatch.setattr(session_mod, "_open_private", open_private)
    return d


def row(i: int) -> str:
    return f"{T0 + i},{60 + i % 40},,,,{95 + i % 5},,\n"


class Bed:
    def __init__(self, tmp_path, **kw):
        self.path = tmp_path / "bed.csv"
        self.rec = tmp_path / "rec"
        self.path.write_text("time,hr,sbp,dbp,map,spo2,temp,rr\n")
        self.clock = ManualClock(wall=T0 + 5, monotonic=1000.0)
        self.s = Session(FileFeed(self.path), TH, folder=self.rec, clock=self.clock, **kw)
        self.s.tz = UTC
        self.s.start()
        self.n = 0

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            with open(self.path, "a") as f:
                f.write(row(self.n))
            self.n += 1
            self.clock.advance(1.0)
            self.s.poll()
            assert self.s.store.t[-1] == T0 + self.n - 1  # the live view keeps up

    def record_alarm(self):
        return next((a for a in self.s.alarms() if a.alarm == "record.write"), None)

    def check_recording(self) -> None:
        self.s.stop()
        rs = load_session(self.rec)
        assert not rs.rejected, rs.rejected
        raw = (self.rec / "readings.csv").read_text().splitlines()[1:]
        times = [r.split(",", 1)[0] for r in raw]
        assert len(times) == len(set(times)) == self.n, f"{len(raw)} rows recorded for {self.n} read"
        np.testing.assert_array_equal(rs.store.t, T0 + np.arange(self.n, dtype=float))
        np.testing.assert_array_equal(rs.store.column("hr"), [60 + i % 40 for i in range(self.n)])
        kinds = [e["kind"] for e in rs.events]
        assert kinds[0] == "start" and kinds[-1] == "stop"


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EROFS], ids=["disk-full", "read-only"])
def test_a_failing_disk_is_a_high_alarm_and_recording_resumes(tmp_path, disk, fault):
    bed = Bed(tmp_path)
    bed.run(20)
    disk.fault = fault
    bed.run(30)
    a = bed.record_alarm()
    assert a is not None and a.priority == "high" and a.state == "active"
    assert os.strerror(fault) in a.message
    assert bed.s.alarms()[0].alarm == "record.write"  # top of the banner
    assert bed.s.audible_rank() == 3
    assert disk.failures > 0
    disk.fault = None
    bed.run(5)
    assert bed.record_alarm() is None
    bed.check_recording()


def test_the_alarm_sounds_through_a_pause_and_returns_after_an_acknowledgement(tmp_path, disk):
    bed = Bed(tmp_path)
    bed.run(10)
    bed.s.pause_audio()
    disk.fault = errno.ENOSPC
    bed.run(3)
    assert bed.s.audible_rank() == 3  # a recording failure breaks through the pause
    bed.s.acknowledge()
    assert bed.record_alarm().state == "acknowledged"
    bed.run(3)
    disk.fault = None
    bed.run(3)
    assert bed.record_alarm() is None
    disk.fault = errno.ENOSPC  # fails again later: a new alarm, sounding again
    bed.run(3)
    assert bed.record_alarm().state == "active" and bed.s.audible_rank() == 3
    disk.fault = None
    bed.run(3)
    bed.check_recording()


def test_a_write_cut_half_way_by_a_full_disk_is_not_recorded_twice_or_cut(tmp_path, disk):
    """The disk fills up in the middle of a block: half of it is on disk, the rest fails."""
    bed = Bed(tmp_path)
    bed.run(10)
    disk.fault, disk.partial = errno.ENOSPC, True
    bed.run(10)
    disk.fault = None
    bed.run(5)
    assert bed.record_alarm() is None
    bed.check_recording()


def test_a_full_disk_when_the_recording_opens_is_retried(tmp_path):
    """The disk is full when the first reading arrives (the moment a followed file's recording is
    created): the alarm is raised, and the recording starts, whole, once space returns."""

    class Full:
        full = True

    def factory(folder, **kw):
        if Full.full:
            raise session_mod.SessionError(f"cannot record in '{folder}': {os.strerror(errno.ENOSPC)}")
        return SessionRecorder(folder, **kw)

    bed = Bed(tmp_path, recorder_factory=factory)
    bed.run(5)
    a = bed.record_alarm()
    assert a is not None and a.priority == "high"
    Full.full = False
    bed.run(10)
    assert bed.record_alarm() is None
    bed.check_recording()
