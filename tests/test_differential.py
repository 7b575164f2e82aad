"""Live, headless and replay give the same alarm log: a differential test over generated sessions.

Each generated session (tests/session_gen.py: bursts, gaps, split time stamps, repeated and
out-of-order lines, stalls, keys) is fed to the live `Session` on a manual clock, recorded, and
then evaluated headless the way `vitals-monitor alarms` does (monitor.recording.alarm_source) and
replayed through the replay controller. The three logs must be identical, transition by
transition. Sessions without keys and without the bridge's clock problems must also give what
`alarms` gives over the bridge's own file.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from monitor.commands import main as cli
from monitor.core.thresholds_loader import load_thresholds
from monitor.core.vitals import VITALS
from monitor.recording import load_session
from monitor.recording.alarm_source import recompute, session_limits
from monitor.session import ActionError, ManualClock, Session
from monitor.session.replay import ReplayController
from monitor.sources.replay import ReplaySource
from tests.session_gen import POLL_S, T0, BridgeFeed, csv_text, generate

TH = load_thresholds()
# The fast loop runs the first FAST sessions; CI (slow tests included) runs SESSIONS in all.
FAST = 150
SESSIONS = int(os.environ.get("VITALS_DIFFERENTIAL_SESSIONS", "2000"))


def key(e):
    return (round(e.t, 6), e.alarm, e.vital, e.priority, e.state, e.value, e.limit, e.message)


def run_live(plan, folder, columns: bool = True):
    clock = ManualClock(wall=T0 + 1.0, monotonic=1000.0)
    feed = BridgeFeed(plan, clock.monotonic(), columns)
    s = Session(feed, TH, folder=folder, clock=clock, user="nurse", fit_stale=True)
    s.start()
    keys = list(plan.keys)
    elapsed = 0.0
    while elapsed <= plan.duration:
        s.poll()
        while keys and keys[0][0] <= elapsed:
            _, k = keys.pop(0)
            try:
                if k == "a":
                    s.acknowledge()
                elif k == "p":
                    s.pause_audio()
                elif k == "d":
                    s.give_dose("initial", 100.0)
                elif k == "n":
                    s.add_note("generated note")
            except ActionError:
                pass
        # Four polls a second, as the app; a second at a time while nothing is due (cheaper).
        nxt = min([w for w, _ in plan.writes[feed.i : feed.i + 1]] + [k[0] for k in keys[:1]] + [plan.duration])
        step = POLL_S if nxt - elapsed < 1.0 + POLL_S or s._held is not None else 1.0
        clock.advance(step)
        elapsed += step
    s.stop()
    return s


def check(seed, tmp_path, replay=False):
    plan = generate(seed)
    folder = tmp_path / f"s{seed}"
    live = run_live(plan, folder)
    rs = load_session(folder)
    recorded = [key(e) for e in rs.recorded_alarms()]
    assert recorded == [key(e) for e in live.engine.log], f"seed {seed}: the recording lost transitions"
    assert [e[0] for e in recorded] == sorted(e[0] for e in recorded), f"seed {seed}: log not in time order"
    headless = [key(e) for e in recompute(rs, session_limits(rs).thresholds)]
    assert headless == recorded, f"seed {seed}: headless differs from live"
    if replay:
        rc = ReplayController(
            ReplaySource(rs, speed=120.0), session_limits(rs).thresholds, clock=ManualClock(wall=T0, monotonic=0.0)
        )
        rc.play_to(rc.src.end)
        assert [key(e) for e in rc.session.engine.log] == recorded, f"seed {seed}: replay differs from live"


@pytest.mark.parametrize("seeds", [range(0, 20), pytest.param(range(20, 80), marks=pytest.mark.slow)])
def test_a_batch_as_columns_is_taken_as_the_same_rows_one_by_one(tmp_path, seeds):
    """A followed file's poll gives columns (monitor.core.readings.ReadingColumns), taken as arrays
    when its rows simply follow on and row by row otherwise: the recording, the store and the log
    are those the same batches give as a list of rows."""
    for seed in seeds:
        plan = generate(seed)
        runs = {}
        for columns in (True, False):
            folder = tmp_path / f"s{seed}-{columns}"
            s = run_live(plan, folder, columns)
            files = {name: (folder / name).read_text() for name in ("readings.csv", "events.jsonl")}
            store = s.store
            arrays = [store.t] + [store.column(v) for v in VITALS] + [store.artifacts(v) for v in VITALS]
            runs[columns] = (files, [key(e) for e in s.engine.log], arrays)
        (files, log, arrays), (files_rows, log_rows, arrays_rows) = runs[True], runs[False]
        assert files == files_rows, f"seed {seed}: the recording differs"
        assert log == log_rows, f"seed {seed}: the alarm log differs"
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(arrays, arrays_rows, strict=True)), seed


def check_seeds(seeds: range) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            check(seed, Path(tmp), replay=seed % 10 == 0)


# The two long runs need nothing but themselves: they run in the background from the start of the
# run (tests/support/head_start.py), on the core the other tests leave idle.
@pytest.mark.slow
@pytest.mark.head_start
def test_generated_sessions_give_the_same_log_live_headless_and_in_replay():
    check_seeds(range(FAST))


@pytest.mark.slow
@pytest.mark.head_start
def test_two_thousand_generated_sessions_give_the_same_log():
    # On every core: the sessions are independent.
    seeds = range(FAST, max(SESSIONS, FAST))
    workers = max(1, min(4, os.cpu_count() or 1))
    chunks = [seeds[k::workers] for k in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        for done in pool.map(check_seeds, chunks):
            assert done is None


@pytest.mark.slow  # (seconds: the full suite runs it, the fast loop does not)
def test_a_clean_bridge_gives_what_alarms_gives_over_its_own_file(tmp_path):
    # No keys and no clock problems: the file the bridge wrote is all there is to know.
    for seed in range(60):
        plan = generate(seed, keys=False, disorder=False, silent_end=False)
        live = run_live(plan, tmp_path / f"s{seed}")
        raw = tmp_path / f"bridge{seed}.csv"
        raw.write_text(csv_text(plan.rows))
        rs = load_session(raw)
        limits = session_limits(rs)
        if limits.notes:
            # A stream slower than its stale limit over the whole file: `alarms` fits the defaults
            # to it, while the live monitor fits them only to the readings it has on starting.
            continue
        headless = [key(e) for e in recompute(rs, limits.thresholds)]
        assert headless == [key(e) for e in live.engine.log], f"seed {seed}"


@pytest.mark.parametrize("seed", [3, 17])
def test_the_alarms_command_agrees_with_the_recording(tmp_path, capsys, seed):
    plan = generate(seed)
    folder = tmp_path / "rec"
    run_live(plan, folder)
    capsys.readouterr()
    assert cli.main(["alarms", str(folder), "--diff"]) == 0
    assert "no difference" in capsys.readouterr().out
