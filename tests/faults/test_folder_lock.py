"""One monitor records into a folder at a time: a second one is refused, naming the first.

Before: `live --resume REC` while another monitor recorded into REC, or two `live F --record REC`
at once, both recorded every reading.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from monitor.recording import SessionError
from monitor.recording.lock import LOCK_FILE, FolderLock

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_795_856_400


def test_a_second_lock_on_the_folder_is_refused_naming_the_holder(tmp_path):
    rec = tmp_path / "rec"
    first = FolderLock(rec).acquire()
    with pytest.raises(SessionError) as err:
        FolderLock(rec).acquire()
    msg = str(err.value)
    assert "being recorded by another monitor" in msg and f"process {os.getpid()}" in msg
    assert len(msg.splitlines()) == 1
    first.release()
    FolderLock(rec).acquire().release()  # free again once let go


def test_a_lock_on_a_folder_never_recorded_in_leaves_nothing_behind(tmp_path):
    rec = tmp_path / "new" / "rec"
    FolderLock(rec).acquire().release()
    assert not (tmp_path / "new").exists()


def test_the_lock_file_and_folder_are_private_and_a_planted_symlink_is_not_followed(tmp_path):
    rec = tmp_path / "rec"
    old = os.umask(0)
    try:
        lock = FolderLock(rec).acquire()
    finally:
        os.umask(old)
    assert (rec.stat().st_mode & 0o777, (rec / LOCK_FILE).stat().st_mode & 0o777) == (0o700, 0o600)
    lock.release()
    rec.mkdir(exist_ok=True)
    other = tmp_path / "elsewhere.txt"
    other.write_text("keep me\n")
    (rec / LOCK_FILE).unlink(missing_ok=True)
    (rec / LOCK_FILE).symlink_to(other)
    with pytest.raises(SessionError):
        FolderLock(rec).acquire()
    assert other.read_text() == "keep me\n"


def _monitor(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "live", *args, "--headless"],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not path.exists():
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared"


@pytest.mark.slow
@pytest.mark.head_start(waits=True)
def test_a_second_real_monitor_on_the_same_folder_is_refused():
    # In the background from the start of the run (tests/support/head_start.py): no fixtures.
    with tempfile.TemporaryDirectory() as name:
        _test_a_second_real_monitor_on_the_same_folder_is_refused(Path(name))


def _test_a_second_real_monitor_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "bed.csv"
    csv.write_text("time,hr\n" + "".join(f"{T0 + i},{70 + i % 5}\n" for i in range(30)))
    rec = tmp_path / "rec"
    first = _monitor([str(csv), "--record", str(rec)], tmp_path)
    try:
        _wait_for(rec / "readings.csv")
        for args in ([str(csv), "--record", str(rec)], ["--resume", str(rec)]):
            second = _monitor(args, tmp_path)
            out, err = second.communicate(timeout=30)
            assert second.returncode == 2, (out, err)
            assert "being recorded by another monitor" in err and f"process {first.pid}" in err
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        rows = (rec / "readings.csv").read_text().splitlines()[1:]
        assert len(rows) == len(set(rows)) == 30
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    # Once the first has ended (even killed), the folder can be resumed.
    again = _monitor(["--resume", str(rec)], tmp_path)
    _wait_until_locked(rec, again)
    again.send_signal(signal.SIGKILL)
    again.communicate(timeout=30)
    third = _monitor(["--resume", str(rec)], tmp_path)
    _wait_until_locked(rec, third)
    third.send_signal(signal.SIGTERM)
    out, err = third.communicate(timeout=30)
    assert "another monitor" not in err, err


def _wait_until_locked(rec: Path, by: subprocess.Popen, seconds: float = 20.0) -> None:
    """Until the monitor `by` holds the folder's lock (it has got past refusing anyone): its process
    id is in the lock file, which the holder writes once it has the lock. Read, not taken: a probe
    that took the lock for a moment could make the monitor itself find it held, and be refused
    (it did, under load)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and by.poll() is None:
        try:
            held_by = (rec / LOCK_FILE).read_text().split()
        except OSError:
            held_by = []
        if held_by[:1] == [str(by.pid)]:
            return
        time.sleep(0.05)
    raise AssertionError(f"the monitor never took the lock (exit {by.poll()})")
