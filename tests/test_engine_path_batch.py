"""Many readings committed at once (a backlog's slice) reach the engine by a batch run over the
store's newest rows (monitor/session/engine_path.py): the alarm log must be the one feeding each
reading gives, whatever the slice sizes, gaps, artifacts and cuff readings before the slice."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.readings import Reading, VitalStore
from monitor.session import engine_path
from monitor.session.engine_path import EnginePath
from tests.conftest import examples
from tests.engine_helpers import rules
from tests.test_alarm_properties import as_tuples

NAN = math.nan


def _session(seed: int, n: int) -> list[Reading]:
    """HR near its limits at 1–10 Hz with gaps and artifacts, a cuff every few hundred rows
    (some inconsistent), SpO2 in stretches."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.1, 0.1, 0.1, 1.0, 1.0, 4.0, 12.0, 400.0], n, p=[0.3, 0.2, 0.1, 0.2, 0.1, 0.05, 0.04, 0.01])
    t = np.round(np.cumsum(steps), 1)
    hr = np.round(rng.choice([112.0, 128.0, 48.0]) + rng.normal(0, 4, n))
    hr[rng.random(n) < 0.01] = 400.0  # implausible: an artifact
    hr[rng.random(n) < 0.05] = NAN
    sbp = np.full(n, NAN)
    dbp = np.full(n, NAN)
    cuff = np.flatnonzero(rng.random(n) < 1 / 300)
    sbp[cuff] = np.round(rng.normal(150, 20, len(cuff)))
    dbp[cuff] = np.round(rng.normal(85, 15, len(cuff)))
    spo2 = np.where((np.arange(n) // 500) % 2 == 0, np.round(93 + rng.normal(0, 2, n)), NAN)
    return [
        Reading(float(t[i]), hr=float(hr[i]), sbp=float(sbp[i]), dbp=float(dbp[i]), spo2=float(spo2[i]))
        for i in range(n)
    ]


def _in_slices(readings: list[Reading], cuts: list[int]) -> list[tuple]:
    store = VitalStore()
    engine = AlarmEngine(rules())
    path = EnginePath(engine, lambda *a, **k: None)
    engine.history_from(lambda v, t0, t1: store.valid_between(v, t0, t1))
    a = 0
    for b in [*sorted(set(cuts)), len(readings)]:
        chunk = readings[a:b]
        if chunk:
            for r in chunk:
                store.append(r)
            path.feed(chunk, store, len(store))
        a = b
    return as_tuples(engine.log)


def _one_by_one(readings: list[Reading]) -> list[tuple]:
    engine = AlarmEngine(rules())
    for r in readings:
        engine.feed(r)
    return as_tuples(engine.log)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(600, 5000), cuts=st.lists(st.integers(0, 5000), max_size=8))
@pytest.mark.slow
def test_slices_by_batch_run_give_the_log_of_each_reading_fed(seed, n, cuts):
    readings = _session(seed, n)
    assert _in_slices(readings, cuts) == _one_by_one(readings)


def test_a_large_commit_is_taken_by_a_batch_run_over_a_window(monkeypatch):
    """The batch path is taken (not the row path), over rows from shortly before the slice."""
    readings = _session(7, 6000)
    runs: list[tuple[int, int, int]] = []
    real = AlarmEngine.run_batch

    def spy(self, batch, lo=0, hi=None, end=None, final=True):
        runs.append((batch.n, lo, hi))
        return real(self, batch, lo, hi, end, final)

    monkeypatch.setattr(AlarmEngine, "run_batch", spy)
    assert _in_slices(readings, [3000, 3600]) == _one_by_one(readings)
    assert len(runs) == 3 and runs[0] == (3000, 0, 3000)
    assert all(n < 6000 and lo > 0 for n, lo, _ in runs[1:])  # a window, not the whole store
    assert engine_path.BATCH_FROM <= 600
