"""`vitals-monitor simulate`: files, reproducibility, options, errors, and stream mode."""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.commands import simulate as command
from simulators import simulate
from simulators.writer import HEADER, csv_text, parse_start, side_paths, stream_session

ROOT = Path(__file__).resolve().parents[1]


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="vitals-monitor simulate")
    command.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    rc = command.run(parser.parse_args(list(argv)), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert _run("--scenario", "artifacts", "--seed", "7", "--duration", "8h", "--out", str(a))[0] == 0
    assert _run("--scenario", "artifacts", "--seed", "7", "--duration", "8h", "--out", str(b))[0] == 0
    assert _run("--scenario", "artifacts", "--seed", "8", "--duration", "8h", "--out", str(c))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    for pa, pb in zip(side_paths(a), side_paths(b), strict=True):
        assert pa.read_bytes().replace(b"a.csv", b"") == pb.read_bytes().replace(b"b.csv", b"")


def test_canonical_csv_layout(tmp_path):
    out = tmp_path / "session.csv"
    rc, _, err = _run("--scenario", "typical", "--seed", "7", "--duration", "8h", "--out", str(out))
    assert rc == 0 and err == ""
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER == "time,hr,sbp,dbp,map,spo2,temp,rr"
    assert lines[1].startswith("2026-11-28T09:00:00+00:00,")
    assert all(line.count(",") == 7 for line in lines)
    df = pd.read_csv(out)
    t = pd.to_datetime(df["time"])
    assert t.is_monotonic_increasing and t.is_unique
    assert (t.iloc[-1] - t.iloc[0]) == timedelta(hours=8) - timedelta(seconds=1)
    cuff = df.dropna(subset=["sbp"])
    assert (cuff["hr"].notna()).all()  # HR and cuff of the same second share one row
    assert df["rr"].isna().all()
    for name in ("hr", "sbp", "dbp", "map"):
        col = df[name].dropna()
        assert (col == col.round()).all()
    sample = [line for line in lines[1:] if line.split(",")[6]][:3]
    assert all(len(line.split(",")[6].split(".")[1]) == 1 for line in sample)


def test_side_files(tmp_path):
    out = tmp_path / "x.csv"
    assert _run("--scenario", "hypertensive", "--seed", "3", "--out", str(out))[0] == 0
    info_path, events_path = side_paths(out)
    assert info_path.name == "x.session.json" and events_path.name == "x.events.jsonl"
    info = json.loads(info_path.read_text())
    import monitor

    assert info["source"] == "simulator" and info["simulated"] is True
    assert info["scenario"] == "hypertensive" and info["seed"] == 3
    assert info["start"] == "2026-11-28T09:00:00+00:00"
    assert info["software_version"] == getattr(monitor, "__version__", info["software_version"])
    assert info["id"] and "SIMULATED" in info["label"]
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    assert events[0] == {"t": "2026-11-28T09:30:00+00:00", "kind": "dose", "dose": "initial", "amount_mg": 120}
    assert events[1]["kind"] == "note" and "withheld" in events[1]["text"]
    for path in (out, info_path, events_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_supplement_event_and_dose_override(tmp_path):
    out = tmp_path / "t.csv"
    assert _run("--scenario", "typical", "--dose", "80", "--out", str(out))[0] == 0
    events = [json.loads(line) for line in side_paths(out)[1].read_text().splitlines()]
    assert [(e["dose"], e["amount_mg"]) for e in events] == [("initial", 80), ("supplemental", 40)]
    assert events[1]["t"] == "2026-11-28T11:30:00+00:00"


def test_relative_time_and_custom_start(tmp_path):
    rc, out, _ = _run("--time", "relative", "--duration", "90m")
    assert rc == 0
    rows = out.splitlines()
    assert rows[1].startswith("0,") and rows[-1].startswith("5399,")
    rc, out, _ = _run("--start", "2027-01-02T08:00:00+01:00", "--duration", "10s")
    assert out.splitlines()[1].startswith("2027-01-02T08:00:00+01:00,")
    assert out.splitlines()[-1].startswith("2027-01-02T08:00:09+01:00,")
    path = tmp_path / "r.csv"
    _run("--time", "relative", "--duration", "1h", "--out", str(path))
    events = [json.loads(line) for line in side_paths(path)[1].read_text().splitlines()]
    assert events[0]["t"] == 1800


@pytest.mark.parametrize(("text", "seconds"), [("8h", 28800), ("90m", 5400), ("6h30m", 23400), ("45s", 45)])
def test_duration_parsing(text, seconds):
    rc, out, _ = _run("--time", "relative", "--duration", text, "--scenario", "placebo")
    assert rc == 0
    last = int(out.splitlines()[-1].split(",")[0])
    assert last == seconds - 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("--scenario", "nope"), "unknown scenario 'nope'"),
        (("--duration", "8x"), "'8x' is not a duration"),
        (("--duration", "0m"), "--duration must be more than 0"),
        (("--speed", "0"), "--speed must be more than 0"),
        (("--dose", "-5"), "--dose must be between 0 and"),
        (("--cohort", "0"), "--cohort needs between 1 and"),
        (("--seed", "-1"), "the seed must be 0 or more"),
        (("--start", "yesterday"), "'yesterday' is not a start time"),
        (("--out", "/nonexistent-dir/x.csv"), "does not exist"),
    ],
)
def test_errors_are_one_sentence_and_exit_2(argv, needle):
    rc, out, err = _run(*argv)
    assert rc == 2 and out == ""
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_list_scenarios():
    rc, out, _ = _run("--list-scenarios")
    assert rc == 0
    for name in ("typical", "hypertensive", "late-hypotension", "sensor-dropout", "artifacts"):
        assert name in out
    assert "sbp upper" in out and "no alarm" in out


def test_cohort_prints_the_calibration_table():
    rc, out, _ = _run("--cohort", "40", "--seed", "1")
    assert rc == 0 and "75 mg" in out and "125 mg" in out and "SBP > 160" in out
    rc, out, _ = _run("--cohort", "40", "--dose", "125")
    assert rc == 0 and "125 mg" in out and " 75 mg" not in out


def test_parse_start():
    assert parse_start(None) == datetime(2026, 11, 28, 9, tzinfo=UTC)
    assert parse_start("2026-01-01T10:00:00").tzinfo == UTC
    assert parse_start("now", now=lambda: 1_800_000_000.7).timestamp() == 1_800_000_000


# -- stream mode -------------------------------------------------------------------------------


def test_stream_sleeps_until_each_row_is_due_and_writes_the_same_rows(tmp_path):
    session = simulate("typical", 5, duration_s=2400)
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(dt: float) -> None:
        assert dt > 0
        sleeps.append(dt)
        clock[0] += dt

    out = tmp_path / "s.csv"
    n = stream_session(out, session, speed=600, clock=lambda: clock[0], sleep=sleep)
    assert n == len(session)
    assert out.read_text() == csv_text(session)
    assert clock[0] == pytest.approx((2400 - 1) / 600)
    assert len(sleeps) == len(session) - 1  # one sleep per row after the first: no busy loop
    events = side_paths(out)[1].read_text().splitlines()
    assert len(events) == 1 and json.loads(events[0])["kind"] == "dose"


def test_stream_writes_whole_lines_only_while_a_reader_polls(tmp_path):
    session = simulate("artifacts", 2, duration_s=40 * 60)
    out = tmp_path / "live.csv"
    done = threading.Event()
    seen_rows = 0
    problems: list[str] = []

    def writer() -> None:
        try:
            stream_session(out, session, speed=2400)  # 40 simulated minutes in about a second
        finally:
            done.set()

    expected = csv_text(session).encode().split(b"\n")

    def check() -> int:
        data = out.read_bytes()
        complete, _, _tail = data.rpartition(b"\n")  # a tail without newline is not a row yet
        lines = complete.split(b"\n") if complete else []
        if lines and lines[0] != HEADER.encode():
            problems.append(f"first line {lines[0]!r}")
        problems.extend(repr(line) for line in lines if line.count(b",") != 7)
        problems.extend(repr(line) for i, line in enumerate(lines) if line != expected[i])
        return len(lines)

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    while not done.is_set():
        if out.exists():
            seen_rows = max(seen_rows, check())
            reads += 1
        time.sleep(0.002)
    thread.join()
    seen_rows = max(seen_rows, check())
    assert not problems
    assert reads > 10 and seen_rows == len(session) + 1
    assert out.read_text() == csv_text(session)


def test_stream_from_the_command_line_can_be_followed(tmp_path):
    out = tmp_path / "cli.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "simulate", "--stream", "--speed", "6000", "--duration", "20m",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 20 * 60 + 1
    assert json.loads(side_paths(out)[0].read_text())["simulated"] is True


def test_simulator_imports_no_textual():
    code = (
        "import sys, simulators, monitor.commands.simulate, simulators.cohort, simulators.writer, "
        "monitor.sources.simulated; "
        "assert 'textual' not in sys.modules, 'textual loaded'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={**os.environ})


def test_csv_matches_the_session_columns():
    session = simulate("sensor-dropout", 1)
    text = csv_text(session, time_mode="relative")
    df = pd.read_csv(io.StringIO(text))
    np.testing.assert_array_equal(df["time"].to_numpy(), session.t.astype(int))
    np.testing.assert_array_equal(df["sbp"].to_numpy(), session.columns["sbp"])
    np.testing.assert_allclose(df["temp"].to_numpy(), session.columns["temp"])
