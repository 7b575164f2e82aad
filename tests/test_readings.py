"""The columnar store: appends, windows, newest values, and one-by-one == batch."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.readings import OutOfOrderError, Reading, VitalStore
from monitor.core.vitals import VITALS
from tests.conftest import examples

NAN = math.nan


def test_append_grows_and_windows_by_time():
    s = VitalStore()
    for i in range(5000):
        s.append(Reading(float(i), hr=60.0 + i % 10))
    assert len(s) == 5000
    w = s.window(100.0, 109.0)
    assert list(w.t) == [float(x) for x in range(100, 110)]
    assert s.last_valid("hr") == (4999.0, 69.0)
    assert s.previous_valid("hr") == (4998.0, 68.0)
    assert s.last_valid("sbp") is None


def test_map_derived_and_artifacts_flagged_not_newest():
    s = VitalStore()
    s.append(Reading(0, hr=80, sbp=120, dbp=60))
    s.append(Reading(1, hr=0, sbp=11647, dbp=80))
    assert s.column("map")[0] == pytest.approx(80.0) and s.map_derived()[0]
    assert s.artifacts("hr")[1] and s.artifacts("sbp")[1]
    assert s.last_valid("hr") == (0.0, 80.0)  # the artifact is kept but is not the current value
    assert s.artifact_count()["hr"] == 1


def test_out_of_order_append_is_refused():
    s = VitalStore()
    s.append(Reading(10, hr=80))
    with pytest.raises(OutOfOrderError):
        s.append(Reading(5, hr=80))


values = st.one_of(st.just(NAN), st.floats(0, 400, allow_nan=False))


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10, allow_nan=False), values, values, values, values), max_size=60))
def test_append_one_by_one_equals_extend(rows):
    t = np.cumsum([r[0] for r in rows]) if rows else np.array([])
    a, b = VitalStore(), VitalStore()
    cols = {n: np.array([r[k] for r in rows], dtype=float) for k, n in enumerate(("hr", "sbp", "dbp", "spo2"), 1)}
    b.extend(t, cols)
    for i, r in enumerate(rows):
        a.append(Reading(float(t[i]), hr=r[1], sbp=r[2], dbp=r[3], spo2=r[4]))
    assert np.array_equal(a.t, b.t)
    for n in VITALS:
        assert np.array_equal(a.column(n), b.column(n), equal_nan=True)
        assert np.array_equal(a.artifacts(n), b.artifacts(n))
        assert a.last_valid(n) == b.last_valid(n)


def test_a_vital_never_given_takes_no_memory_until_it_is():
    import tracemalloc

    n = 100_000
    t, hr = np.arange(n, dtype=float), np.full(n, 70.0)
    tracemalloc.start()
    try:
        s = VitalStore()
        s.extend(t, {"hr": hr, "spo2": np.full(n, NAN)})
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The times and HR (8 bytes a row each), HR's artifact flags and the derived-MAP flags (1 each);
    # an array per vital would be 72 bytes a row.
    assert held < 20 * n
    for v in VITALS:
        if v != "hr":
            assert len(s.column(v)) == n and np.isnan(s.column(v)).all() and not s.artifacts(v).any()
    assert s.present() == ["hr"] and s.valid_between("spo2", 0, n).size == 0
    s.append(Reading(float(n), spo2=97.0, temp=50.0))
    assert np.isnan(s.column("spo2")[:n]).all() and s.column("spo2")[n] == 97.0
    assert s.artifacts("temp")[n] and not s.artifacts("temp")[:n].any()
    assert s.last_valid("spo2") == (float(n), 97.0) and s.present() == ["hr", "spo2", "temp"]
    r = s.pop_last()
    assert (r.t, r.spo2, r.temp) == (float(n), 97.0, 50.0) and math.isnan(r.hr)
    with pytest.raises(KeyError):
        s.column("pulse")
