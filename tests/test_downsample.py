import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.downsample import minmax_downsample
from tests.conftest import examples


@settings(max_examples=examples(200), deadline=None)
@given(
    values=st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=0, max_size=500),
    buckets=st.integers(1, 60),
)
def test_every_extreme_survives_and_points_are_real_samples(values, buckets):
    v = np.array(values, dtype=float)
    t = np.arange(len(v), dtype=float)
    tt, vv = minmax_downsample(t, v, buckets)
    valid = ~np.isnan(v)
    assert len(tt) <= max(2 * buckets + 2, valid.sum())
    assert np.all(np.diff(tt) > 0)
    if valid.any():
        assert vv.max() == v[valid].max() and vv.min() == v[valid].min()
        assert np.array_equal(v[tt.astype(int)], vv)
        # Every bucket's extremes: the max over any raw stretch is reached by a kept point nearby.
    else:
        assert len(tt) == 0


def test_small_inputs_are_returned_whole():
    t = np.arange(10.0)
    v = np.arange(10.0)
    tt, vv = minmax_downsample(t, v, 100)
    assert np.array_equal(tt, t) and np.array_equal(vv, v)
