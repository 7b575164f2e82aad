"""A bedside without a screen: `vitals-monitor live --headless` runs the same session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from monitor.recording import load_session
from tests.conftest import ROOT


@pytest.mark.slow
def test_a_headless_simulated_session_records_and_ends_by_itself(tmp_path):
    rec = tmp_path / "rec"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "live",
            "--simulate",
            "hypertensive",
            "--seed",
            "3",
            "--speed",
            "7200",
            "--headless",
            "--record",
            str(rec),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("SIMULATED: ") and "session ended" in out.stdout
    assert "!!" in out.stdout  # alarm lines, with their priority markers
    rs = load_session(rec)
    assert rs.simulated and rs.events[-1]["kind"] == "stop" and len(rs.store) > 20_000
    from monitor.commands import main as cli

    assert cli.main(["alarms", str(rec), "--diff"]) == 0


@pytest.mark.slow
def test_sigterm_ends_a_headless_session_cleanly(tmp_path):
    rec = tmp_path / "rec"
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor",
            "live",
            "--simulate",
            "typical",
            "--speed",
            "60",
            "--headless",
            "--record",
            str(rec),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 30
    while not (rec / "readings.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 0, stderr
    assert "session ended" in stdout
    rs = load_session(rec)
    assert rs.events[-1]["kind"] == "stop" and len(rs.store) > 10
