"""Bedsides as real processes (`vitals-monitor live --simulate ... --headless --publish ...`)
against a real Mosquitto: a SIGKILLed bedside is offline at the central station within
1.5 x keepalive (its last will);
stopping the broker leaves the bedsides running and alarming, with the low technical alarm
"central station link down", and they reconnect by themselves when it returns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from monitor.publish.beds import Board
from tests.support.bedsides import wait_for, watcher
from tests.support.broker import ROOT, Broker, need_mosquitto

# Each test brings its own broker and processes and waits on them most of the time: they run in
# the background from the start of the run (tests/support/head_start.py), on the idle core.
pytestmark = [need_mosquitto(), pytest.mark.slow, pytest.mark.head_start(waits=True)]
KEEPALIVE_S = 2


class BedsideProcess:
    """`vitals-monitor live ... --headless --publish` as a user starts it; its lines collected."""

    def __init__(self, broker: Broker, site: str, bed: str, scenario: str, tmp_path):
        cfg = tmp_path / f"{bed}.toml"
        cfg.write_text(f'[publish]\nurl = "{broker.url(f"{site}/{bed}")}"\nkeepalive_s = {KEEPALIVE_S}\n')
        env = {**os.environ, **broker.env(bed), "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "monitor", "live", "--simulate", scenario, "--speed", "600"]
        cmd += ["--headless", "--no-record", "--label", f"Room {bed}", "--publish-config", str(cfg)]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def said(self, text: str, after: float = 0.0) -> list[str]:
        return [line for at, line in list(self.lines) if text in line and at >= after]

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)


def _board(w, board: Board):
    def take():
        for r in w.take():
            board.take(r.topic, r.payload, r.at, r.expiry_left)

    return take


def test_a_killed_bedside_is_offline_within_one_and_a_half_keepalives():
    tmp_path = Path(tempfile.mkdtemp(prefix="vm-kill-"))
    broker = Broker(tmp_path / "broker", ["central", "bed1", "bed2"]).start()
    w = watcher(broker, "kill")
    board = Board("kill")
    take = _board(w, board)
    beds = [BedsideProcess(broker, "kill", b, "typical", tmp_path) for b in ("bed1", "bed2")]
    try:
        assert wait_for(
            lambda: all(b in board.beds and board.beds[b].state == "online" for b in ("bed1", "bed2")),
            timeout=20,
            step=take,
        ), [b.lines for b in beds]
        killed_at = time.monotonic()
        beds[0].proc.send_signal(signal.SIGKILL)
        limit = 1.5 * KEEPALIVE_S

        def offline():
            take()
            return board.beds["bed1"].condition(time.time()) == "offline"

        assert wait_for(offline, timeout=limit + 3)
        assert time.monotonic() - killed_at <= limit
        assert "connection lost" in board.beds["bed1"].reason
        assert board.beds["bed2"].condition(time.time()) == "online"
    finally:
        for b in beds:
            b.end()
        w.stop()
        broker.stop()


def test_a_broker_that_goes_away_leaves_the_bedsides_alarming_and_they_reconnect():
    tmp_path = Path(tempfile.mkdtemp(prefix="vm-away-"))
    broker = Broker(tmp_path / "broker", ["central", "bed1", "bed2"]).start()
    beds = [BedsideProcess(broker, "away", b, "hypertensive", tmp_path) for b in ("bed1", "bed2")]
    w = watcher(broker, "away")
    board = Board("away")
    take = _board(w, board)
    try:
        assert wait_for(
            lambda: all(b in board.beds and board.beds[b].state == "online" for b in ("bed1", "bed2")),
            timeout=20,
            step=take,
        )
        broker.stop()
        down_at = time.monotonic()
        assert wait_for(lambda: all(b.said("central station link down") for b in beds), timeout=6)
        alarm = [b.said("central station link down")[0] for b in beds]
        assert all("!" in line and "low" in line for line in alarm), alarm  # the low technical alarm
        # The bedsides go on: running, their alarms still raised and printed while the link is down.
        assert wait_for(lambda: all(b.said("high", after=down_at) for b in beds), timeout=10), [b.lines for b in beds]
        assert all(b.proc.poll() is None for b in beds)
        broker.start()
        up_at = time.monotonic()
        assert wait_for(lambda: all(b.said("central station link restored") for b in beds), timeout=15)
        assert wait_for(
            lambda: all(
                board.beds[b].status_at and board.beds[b].status_at > time.time() - (time.monotonic() - up_at)
                for b in ("bed1", "bed2")
            ),
            timeout=15,
            step=take,
        )
        assert all(board.beds[b].state == "online" for b in ("bed1", "bed2"))
        assert all(b.proc.poll() is None for b in beds)
    finally:
        for b in beds:
            b.end()
        w.stop()
        broker.stop()
