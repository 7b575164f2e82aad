"""`--resume` reads the followed file the way the session was recorded reading it.

It used to forget `--column`: after `live F --column hr=Puls` and a kill, the resumed monitor no
longer read HR at all.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from monitor.commands import live
from monitor.commands.main import build_parser
from monitor.commands.options import UsageError, user_error
from monitor.recording import load_session
from monitor.session import ManualClock, Session

T0 = 1_795_856_400
ROOT = Path(__file__).resolve().parents[2]


def parse(*argv) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def _bridge_file(path: Path, n: int, first: int = 0) -> None:
    new = not path.exists()
    with open(path, "a", encoding="utf-8") as f:
        if new:
            f.write("Zeit,Puls,Sauerstoff\n")
        for i in range(first, first + n):
            f.write(f"{T0 + i},{90 + i % 7},97\n")


def _record_until_killed(folder: Path, csv: Path) -> None:
    """A session reading Puls as HR, recorded, and never stopped (as if killed)."""
    plan = live._plan(parse("live", str(csv), "--column", "hr=Puls", "--record", str(folder)))
    clock = ManualClock(wall=T0 + 5)
    s = Session(plan["feed"], plan["thresholds"], folder=folder, clock=clock)
    s.start()
    for _ in range(4):
        s.poll()
        clock.advance(1.0)
    assert s.store.last_valid("hr") is not None
    s.writer.flush()


def test_session_json_keeps_the_column_mapping_and_resume_uses_it(tmp_path):
    csv, rec = tmp_path / "bed.csv", tmp_path / "rec"
    _bridge_file(csv, 30)
    _record_until_killed(rec, csv)
    meta = json.loads((rec / "session.json").read_text())
    assert meta["column_map"] == {"hr": "Puls"}
    _bridge_file(csv, 30, first=30)
    plan = live._plan(parse("live", "--resume", str(rec)))
    assert plan["feed"].column_map == {"hr": "Puls"}
    clock = ManualClock(wall=T0 + 100)
    s = Session(plan["feed"], plan["thresholds"], folder=rec, clock=clock, resume=plan["resume"])
    s.start()
    s.poll()
    clock.advance(1.0)
    s.poll()
    s.stop()
    assert s.store.last_valid("hr") == (T0 + 59, 90 + 59 % 7)
    rs = load_session(rec)
    np.testing.assert_array_equal(rs.store.t, T0 + np.arange(60.0))
    assert not np.isnan(rs.store.column("hr")).any()


def test_resume_with_another_column_mapping_is_refused_in_one_sentence(tmp_path, capsys):
    csv, rec = tmp_path / "bed.csv", tmp_path / "rec"
    _bridge_file(csv, 10)
    _record_until_killed(rec, csv)
    with pytest.raises(UsageError):  # before anything runs (a headless monitor would not end)
        live._plan(parse("live", "--resume", str(rec), "--column", "hr=Sauerstoff"))
    assert user_error(UsageError(str(_refusal(rec)))) == 2
    err = capsys.readouterr().err.strip()
    assert "recorded with hr=Puls" in err and len(err.splitlines()) == 1
    # The same mapping again is no change: allowed.
    plan = live._plan(parse("live", "--resume", str(rec), "--column", "hr=Puls"))
    assert plan["feed"].column_map == {"hr": "Puls"}


def _refusal(rec: Path) -> UsageError:
    try:
        live._plan(parse("live", "--resume", str(rec), "--column", "hr=Sauerstoff"))
    except UsageError as exc:
        return exc
    raise AssertionError("a different --column was accepted on resume")


@pytest.mark.slow
@pytest.mark.head_start(waits=True)
def test_the_real_monitor_killed_and_resumed_still_reads_the_mapped_column():
    # In the background from the start of the run (tests/support/head_start.py): no fixtures.
    with tempfile.TemporaryDirectory() as name:
        _test_the_real_monitor_killed_and_resumed_still_reads_the_mapped_column(Path(name))


def _test_the_real_monitor_killed_and_resumed_still_reads_the_mapped_column(tmp_path: Path) -> None:
    csv, rec = tmp_path / "bed.csv", tmp_path / "rec"
    _bridge_file(csv, 20)
    cmd = [sys.executable, "-m", "monitor", "live"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(
        [*cmd, str(csv), "--column", "hr=Puls", "--record", str(rec), "--headless"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        (rec / "readings.csv").exists() and len((rec / "readings.csv").read_text().splitlines()) > 10
    ):
        time.sleep(0.1)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    _bridge_file(csv, 20, first=20)
    p = subprocess.Popen(
        [*cmd, "--resume", str(rec), "--headless"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len((rec / "readings.csv").read_text().splitlines()) < 41:
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=20)
    rs = load_session(rec)
    np.testing.assert_array_equal(rs.store.t, T0 + np.arange(40.0))
    np.testing.assert_array_equal(rs.store.column("hr"), [90 + i % 7 for i in range(40)])
