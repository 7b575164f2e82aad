"""A replay's seek from a checkpoint (monitor/session/checkpoints.py) leaves the alarm engine
exactly as a batch run from the first row does, and the seek's store is the recording's arrays.

Generated sessions (tests/session_gen.py rows: excursions, sensor gaps, cuff readings) get random
controls (doses, acknowledgements, audio pauses, technical raises and clears, clock ticks; placed
by `seq` or by time), checkpoints a few rows apart, and every row as a seek target: the engine from
the checkpoint is compared field by field with a fresh engine run over a copy of the rows before
the target. A recorded session (the live app, with keys) is then sought through `ReplayController`.
"""

from __future__ import annotations

import math
import random
from collections import deque

import numpy as np
import pytest

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import Control
from monitor.core.readings import VitalStore
from monitor.core.thresholds_loader import load_thresholds
from monitor.core.vitals import VITALS
from monitor.recording import load_session
from monitor.recording.alarm_source import session_limits
from monitor.session import ManualClock
from monitor.session.checkpoints import Checkpoints
from monitor.session.replay import ReplayController
from monitor.session.restore import restore_state
from monitor.sources.replay import ReplaySource
from tests.session_gen import T0, generate
from tests.support.replay_recording import key

TH = load_thresholds()


def dump(o, seen=None):
    """Everything an engine holds, as nested plain values (repr'd floats: NaN equals NaN)."""
    seen = set() if seen is None else seen
    if o is None or isinstance(o, (bool, int, str)):
        return o
    if isinstance(o, float):
        return repr(o)
    if isinstance(o, np.ndarray):
        return ("array", [dump(x, seen) for x in o.tolist()])
    if isinstance(o, dict):
        return {repr(k): dump(v, seen) for k, v in o.items()}
    if isinstance(o, (list, tuple, deque)):
        return [dump(x, seen) for x in o]
    if callable(o) or id(o) in seen:
        return "<ref>"
    seen.add(id(o))
    names = list(getattr(o, "__dict__", {})) + [n for c in type(o).__mro__ for n in getattr(c, "__slots__", ())]
    return {n: dump(getattr(o, n), seen) for n in names if n not in SKIP}


# Not state: the limits (shared), the listener, a snapshot's log length; and the engine's lower
# bound on when a pause end or silence may fall due (an earlier one only means one more look,
# which finds the same: the play-on below checks that).
SKIP = ("th", "_on_event", "log_length", "_global_due")


def rows_store(rows) -> VitalStore:
    store = VitalStore()
    if rows:
        store.extend(np.array([r.t for r in rows]), {v: np.array([getattr(r, v) for r in rows]) for v in VITALS})
    return store


def random_controls(rng: random.Random, store: VitalStore, by_seq: bool) -> list[Control]:
    """Doses, acks, pauses, technical alarms and clock ticks at random places among the rows."""
    t, n = store.t, len(store)
    out = []
    for _ in range(rng.randint(0, 14)):
        i = rng.randint(0, n)
        at = float(t[min(i, n - 1)]) + rng.choice([0.0, 0.4, 3.0, 40.0])
        kind = rng.choice(["dose", "dose", "ack", "ack", "pause", "technical", "technical", "clock"])
        data: dict = {}
        if kind == "dose":
            data = {"dose": rng.choice(["initial", "supplemental"])}
            if rng.random() < 0.3:
                data["given_at"] = at - rng.uniform(0, 120)
        elif kind == "pause":
            data = {"seconds": rng.choice([None, 30.0, 120.0])}
        elif kind == "technical":
            data = {
                "name": rng.choice(["feed", "disk"]),
                "action": rng.choice(["raise", "raise", "clear"]),
                "priority": rng.choice(["technical", "high"]),
                "message": "generated",
            }
        out.append(Control(at, kind, data, i if by_seq else None))
    out.sort(key=lambda c: (c.seq, c.t) if by_seq else c.t)
    if by_seq:  # times as live had them: never before the previous action's
        for k in range(1, len(out)):
            if out[k].t < out[k - 1].t:
                out[k] = Control(out[k - 1].t, out[k].kind, out[k].data, out[k].seq)
    return out


def due(c: Control, j: int, t: float) -> bool:
    """The controls a seek to row j and time t has applied (monitor/sources/replay.py `_due`)."""
    if c.seq is not None and c.seq < j:
        return True
    return c.t <= t and (c.seq is None or c.seq <= j)


def fresh(store: VitalStore, j: int, controls: list[Control], t: float) -> AlarmEngine:
    """The engine as a seek made it before checkpoints: a run from row 0 over a copy of the rows."""
    part = VitalStore()
    part.extend(store.t[:j], {v: store.column(v)[:j] for v in VITALS})
    e = AlarmEngine(TH)
    e.run(part, controls, end=t)
    return e


# The fast loop takes the first FAST sessions; the rest, and the recorded session (made by the live
# app under Pilot, as in tests/test_replay.py), are "slow".
FAST = 1
SESSIONS = 20  # each sought at every row, twice: 20 take about 45 s


@pytest.mark.parametrize("seed", range(FAST))
def test_a_seek_from_a_checkpoint_leaves_the_engine_as_a_run_from_the_start(seed):
    _seek_everywhere(seed)


@pytest.mark.slow
@pytest.mark.head_start
def test_a_seek_from_a_checkpoint_leaves_the_engine_as_a_run_from_the_start_in_19_more_sessions():
    # One test, no parameters: it runs in the background from the start (tests/support/head_start.py).
    for seed in range(FAST, SESSIONS):
        _seek_everywhere(seed)


def _seek_everywhere(seed: int) -> None:
    rng = random.Random(seed)
    plan = generate(seed, keys=False, disorder=False)
    store = rows_store(plan.rows)
    if not len(store):
        return
    controls = random_controls(rng, store, by_seq=seed % 3 != 0)
    end = float(store.t[-1]) + rng.choice([0.0, 200.0])
    every = rng.choice([3.0, 7.0, 13.0])
    cp = Checkpoints(TH, store, controls, end, every_s=every)
    assert len(cp.rows) >= 2  # the seeks below start from checkpoints, not only row 0
    whole = AlarmEngine(TH)
    whole.run(store, controls, end=end)
    assert [key(e) for e in cp.log] == [key(e) for e in whole.log]
    t = store.t
    for j in range(len(store) + 1):
        for at in {float(t[j - 1]) if j else float(t[0]) - 1, float(t[j - 1]) + 0.5 if j else float(t[0]) - 1}:
            if j < len(store) and at >= t[j]:
                continue
            mine = [c for c in controls if due(c, j, at)]
            got = cp.engine_at(j, mine, at)
            want = fresh(store, j, mine, at)
            assert [key(e) for e in got.log] == [key(e) for e in want.log], (seed, j, at)
            assert dump(got) == dump(want), (seed, j, at)
            if j % 7 == 0:  # and each takes the rows after as live
                for i in range(j, min(j + 40, len(store))):
                    row = [float(store.column(v)[i]) for v in VITALS]
                    got.row(float(t[i]), list(row))  # (the handler appends to it)
                    want.row(float(t[i]), list(row))
                got.tick(float(t[-1]) + 100)
                want.tick(float(t[-1]) + 100)
                assert [key(e) for e in got.log] == [key(e) for e in want.log], (seed, j, at, "playing on")


def test_checkpoints_are_small_and_the_log_is_kept_once():
    plan = generate(3, keys=False, disorder=False)
    store = rows_store(plan.rows)
    cp = Checkpoints(TH, store, [], float(store.t[-1]), every_s=10.0)
    assert all(s.log == [] for s in cp.snaps)
    assert [s.log_length for s in cp.snaps] == sorted(s.log_length for s in cp.snaps)
    # The limits are shared, not copied into each.
    assert all(s.th is TH for s in cp.snaps)


@pytest.mark.slow
def test_a_seeks_store_shares_the_recordings_arrays_and_holds_its_rows(recorded):
    rs = load_session(recorded)
    src = ReplaySource(rs)
    for j in (0, 1, len(src.times) // 3, len(src.times)):
        view = src.store_upto(j)
        copy = VitalStore()
        copy.extend(*src.store_slice(0, j))
        assert len(view) == len(copy) == j
        assert np.array_equal(view.t, copy.t)
        for v in VITALS:
            assert np.array_equal(view.column(v), copy.column(v), equal_nan=True)
            assert np.array_equal(view.artifacts(v), copy.artifacts(v))
            assert view.last_valid(v) == copy.last_valid(v)
        assert np.array_equal(view.map_derived(), copy.map_derived())
        assert np.shares_memory(view.t, rs.store.t) or j == 0


@pytest.mark.slow
def test_seeking_a_recorded_session_anywhere_gives_a_run_from_the_start(recorded):
    rs = load_session(recorded)
    th = session_limits(rs).thresholds
    clock = ManualClock(wall=T0, monotonic=1000.0)
    s = ReplayController(ReplaySource(rs, speed=math.inf), th, clock=clock)
    s.session.start()
    src = s.src
    assert len(s.checkpoints.rows) > 10 and s.checkpoints.applied[-1] > 0  # the actions come among them
    rng = random.Random(5)
    action_times = [a.t for a in src.actions]
    targets = [src.start, src.end, *action_times, *(t + 0.5 for t in action_times)]
    targets += [rng.uniform(src.start, src.end) for _ in range(40)]
    for target in targets:
        t = s.seek(target)
        j = src.rows_upto(t)
        events = src.events_upto(src.actions_upto_row(j, t))
        copy = VitalStore()
        copy.extend(*src.store_slice(0, j))
        want = restore_state(th, copy, events, None, t, s.session.fmt)
        got = s.session.engine
        assert [key(e) for e in got.log] == [key(e) for e in want.engine.log], target
        assert dump(got._alarms()) == dump(want.engine._alarms()), target
        assert (got.baseline, got.paused_until, got.t) == (
            want.engine.baseline,
            want.engine.paused_until,
            want.engine.t,
        )
        assert [x.text for x in s.session.log] == [x.text for x in want.log]
    # Playing on from a seek gives the whole log.
    s.seek(src.start + (src.end - src.start) / 2)
    src.play(True)
    while not src.at_end:
        s.poll()
        clock.advance(0.1)
    assert [key(e) for e in s.session.engine.log] == [key(e) for e in s.full_log]
