"""SIGKILL the real live monitor at random moments of a sped-up session, resume it each time.

The real program (`python -m monitor live FILE.csv --record DIR --quiet`, then `live --resume DIR`)
runs in a pseudo-terminal, as in `benchmarks/bench_live.py`, so Textual really draws and the keys
really go through the app. A second process (`simulate --stream`) appends to FILE.csv like a device
bridge the whole time, whether the monitor is alive or not. At the end the recording must hold
every reading of FILE.csv exactly once with its own values, every acknowledgement that was shown on
screen, and an alarm log equal to a batch run of the alarm engine over the recording.
"""

from __future__ import annotations

import fcntl
import os
import pty
import random
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.vitals import VITALS
from monitor.recording import load_session
from monitor.sources.csv.load import load_csv

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("FAULT_KILLS", "20"))
SPEED = 300  # simulated seconds per real second: 2 h in 24 s
DURATION = "2h"

pytestmark = pytest.mark.skipif(not hasattr(pty, "fork"), reason="needs a pseudo-terminal")


class App:
    """The monitor in a pseudo-terminal; its output collected by polling (no thread)."""

    def __init__(self, args: list[str], cwd: Path, cols: int = 100, rows: int = 30):
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        pid, fd = pty.fork()
        if pid == 0:  # the child: the app
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.chdir(cwd)
                os.execvpe(sys.executable, [sys.executable, "-m", "monitor", *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.out = b""
        self.dead = False

    def pump(self, seconds: float) -> None:
        """Read what the app drew for this long (a pty must be drained or the app blocks)."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or self.dead:
                return
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    self.dead = True
                    return
                self.out += data
                if len(self.out) > 2_000_000:
                    self.out = self.out[-200_000:]

    def wait_for(self, pattern: bytes, timeout: float) -> bool:
        start = len(self.out)
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.dead:
            self.pump(0.05)
            if re.search(pattern, self.out[max(0, start - 200) :]):
                return True
        return False

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def quit(self) -> int:
        self.send("q")
        self.wait_for(rb"[Qq]uit|[Ee]nd", 3.0)
        self.send("y")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            self.pump(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.kill()
        raise AssertionError("the app did not quit")


def started(app: App, timeout: float = 15.0) -> bool:
    return app.wait_for(rb"SIMULATED|LIVE", timeout)


def raw_rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[1:]


@pytest.mark.slow
@pytest.mark.head_start(waits=True)
def test_sigkill_at_random_moments_loses_and_doubles_nothing():
    # In the background from the start of the run (tests/support/head_start.py): no fixtures.
    with tempfile.TemporaryDirectory() as name:
        _sigkill_at_random_moments(Path(name))


def _sigkill_at_random_moments(tmp_path: Path) -> None:
    rnd = random.Random(int(os.environ.get("FAULT_SEED", "7")))
    csv, rec = tmp_path / "bed.csv", tmp_path / "rec"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor",
            "simulate",
            "--scenario",
            "hypertensive",
            "--seed",
            "3",
            "--stream",
            "--speed",
            str(SPEED),
            "--duration",
            DURATION,
            "--out",
            str(csv),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    kills = pressed = acks_seen = 0
    runs = []
    typed: list[str] = []
    notes_seen: list[str] = []
    try:
        while not csv.exists():
            time.sleep(0.02)
        t_start = time.monotonic()
        while kills < KILLS or writer.poll() is None:
            if time.monotonic() - t_start > 90:
                raise AssertionError(f"only {kills} kills in 90 s")
            args = (
                ["live", "--resume", str(rec)]
                if (rec / "session.json").exists()
                else ["live", str(csv), "--record", str(rec)]
            ) + ["--quiet"]
            app = App(args, ROOT)
            how = rnd.random()
            if how < 0.15:
                # During start-up (loading the recording, opening the screen).
                app.pump(rnd.uniform(0.0, 0.6))
                runs.append("start-up")
            else:
                assert started(app), f"run {len(runs)} did not start:\n{app.out[-2000:]!r}"
                if how < 0.35:
                    # Acknowledge what sounds; once the screen says so, it must be recorded.
                    app.send("a")
                    pressed += 1
                    if app.wait_for(rb"\d+ alarms? acknowledged|nothing to acknowledge", 2.0):
                        acks_seen += bool(re.search(rb"\d+ alarms? acknowledged", app.out))
                    app.pump(rnd.uniform(0.0, 0.3))
                    runs.append("after ack")
                elif how < 0.55:
                    # A note; once it is in the log on screen, it must be recorded.
                    text = f"kn{len(runs):02d}"
                    app.send("n")
                    app.pump(0.3)
                    app.send(text + "\r")
                    typed.append(text)
                    if app.wait_for(rb"note: " + text.encode(), 2.0):
                        notes_seen.append(text)
                    app.pump(rnd.uniform(0.0, 0.3))
                    runs.append("after note")
                else:
                    app.pump(rnd.uniform(0.05, 1.5))
                    runs.append("running")
            app.kill()
            kills += 1
        assert writer.wait(timeout=30) == 0, writer.stderr.read().decode()
        # The last run: catch up with the whole file, then end the session properly.
        app = App(["live", "--resume", str(rec), "--quiet"], ROOT)
        assert started(app)
        want = len(raw_rows(csv))
        end = time.monotonic() + 20
        while time.monotonic() < end and len(raw_rows(rec / "readings.csv")) < want:
            app.pump(0.2)
        app.pump(0.5)
        assert app.quit() == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    assert kills >= 20
    # Every reading of the followed file, once, with its own values.
    src = load_csv(csv)
    got = load_csv(rec / "readings.csv")
    assert not src.rejected
    times = [line.split(",", 1)[0] for line in raw_rows(rec / "readings.csv")]
    assert len(times) == len(set(times)), "a reading was recorded twice"
    # A line the kill cut short is never read back as a value: it is rejected, and the whole line
    # is recorded again after the resume.
    assert len(got.rejected) <= kills
    np.testing.assert_array_equal(got.store.t, src.store.t)
    for v in VITALS:
        np.testing.assert_array_equal(got.store.column(v), src.store.column(v), err_msg=v)
    # Every acknowledgement shown on screen is in the recording (and none was made up).
    rs = load_session(rec)
    ev = rs.events
    recorded_acks = sum(
        1 for e in ev if e["kind"] == "ack" or (e["kind"] == "feed" and e.get("state") == "acknowledged")
    )
    assert acks_seen <= recorded_acks <= pressed
    notes = [e["text"] for e in ev if e["kind"] == "note"]
    assert len(notes) == len(set(notes)) and set(notes_seen) <= set(notes) <= set(typed)
    # The alarm state: the recorded log is what the engine gives over the recording, no
    # transition lost or written twice across the 20 resumes.
    log = AlarmEngine(rs.stored_thresholds()).run(rs.store, rs.controls(), end=rs.end_time())
    want_log = [(round(e.t), e.alarm, e.state) for e in log]
    got_log = [(round(e.t), e.alarm, e.state) for e in rs.recorded_alarms()]
    assert got_log == want_log
    assert len(want_log) > 0  # the scenario did alarm
    assert sum(1 for e in ev if e["kind"] == "stop") == 1
    print(
        f"{kills} kills ({runs.count('start-up')} during start-up, {runs.count('after ack')} after an "
        f"acknowledgement), {len(src.store)} readings, {len(got.rejected)} cut line(s), "
        f"{acks_seen} acks seen / {recorded_acks} recorded / {pressed} pressed, "
        f"{len(notes_seen)} notes seen / {len(notes)} recorded / {len(typed)} typed, {len(want_log)} alarm transitions"
    )


def test_a_reading_cut_short_by_the_kill_is_recorded_whole_after_the_resume(tmp_path):
    """SIGKILL can stop a large write at a page boundary, in the middle of a line of readings.csv.

    Cut inside its last field, the line still has all its fields ("...,16" cut to "...,1": RR 1).
    On resume that cut line must not be read as a reading, and the whole reading, which the feed
    delivers again, must be recorded once."""

    from monitor.core.thresholds_loader import load_thresholds
    from monitor.session import ManualClock, Session
    from monitor.sources.follow import FileFeed

    t0 = 1_795_856_400
    src = tmp_path / "bed.csv"
    rows = [f"{t0 + i},{70 + i},,,,97,,{16 + i % 3}\n" for i in range(12)]
    src.write_text("time,hr,sbp,dbp,map,spo2,temp,rr\n" + "".join(rows[:10]))
    rec = tmp_path / "rec"
    clock = ManualClock(wall=t0 + 5)
    s = Session(FileFeed(src), load_thresholds(), folder=rec, clock=clock)
    s.start()
    clock.advance(1)
    s.poll()
    clock.advance(1)
    s.poll()  # the newest line waited a moment for a second line with its time stamp
    assert len(s.store) == 10
    # The monitor is killed while writing readings 10 and 11: the cut leaves "RR 1" of "RR 17".
    whole = "2026-11-28T09:00:10+00:00,80,,,,97,,17\n"
    with open(rec / "readings.csv", "a") as f:
        f.write(whole[:-2])
    with open(src, "a") as f:
        f.write(rows[10] + rows[11])
    rs = load_session(rec)
    assert len(rs.store) == 10 and rs.store.t[-1] == t0 + 9  # the cut line is not a reading
    clock2 = ManualClock(wall=t0 + 60, monotonic=5000.0)
    s2 = Session(FileFeed(src), rs.stored_thresholds(), folder=rec, clock=clock2, resume=rs)
    s2.tz = UTC
    s2.start()
    clock2.advance(1)
    s2.poll()
    s2.stop()
    got = load_session(rec)
    assert not got.rejected
    np.testing.assert_array_equal(got.store.t, t0 + np.arange(12.0))
    np.testing.assert_array_equal(got.store.column("rr"), [16 + i % 3 for i in range(12)])
    assert got.store.column("rr")[10] == 17
