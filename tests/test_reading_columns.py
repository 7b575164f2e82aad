"""A feed's batch as columns (monitor.core.readings.ReadingColumns): the same readings as the rows
it stands for, and written to readings.csv as those rows are."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.readings import Reading, ReadingColumns, rows_of
from monitor.core.vitals import VITALS
from monitor.recording.files import format_time, format_times
from monitor.recording.recorder import csv_line, csv_lines

T0 = 1_795_856_400.0

value = st.one_of(
    st.just(math.nan),
    st.just(0.0),
    st.just(-0.0),
    st.integers(20, 250).map(float),
    st.floats(-1e7, 1e7, allow_nan=False),
    st.floats(30, 45).map(lambda x: round(x, 2)),
)


@st.composite
def batches(draw) -> tuple[list[Reading], bool]:
    absolute = draw(st.booleans())
    n = draw(st.integers(1, 30))
    base = T0 if absolute else 0.0
    steps = draw(st.lists(st.one_of(st.just(0.1), st.just(1.0), st.floats(0, 100)), min_size=n, max_size=n))
    given_vitals = draw(st.sets(st.sampled_from(VITALS)))
    rows, t = [], base + draw(st.floats(0, 1e6))
    for step in steps:
        t += step
        rows.append(Reading(t, **{v: draw(value) for v in given_vitals}))
    return rows, absolute


def same(a: Reading, b: Reading) -> bool:
    return all(x == y or (x != x and y != y) for x, y in zip((a.t, *a.values()), (b.t, *b.values()), strict=True))


@given(batches())
def test_columns_stand_for_their_rows(batch):
    rows, _ = batch
    cols = rows_of(rows)
    assert len(cols) == len(rows)
    assert all(same(a, b) for a, b in zip(cols, rows, strict=True))
    assert all(same(cols[i], rows[i]) for i in range(len(rows)))
    k = len(rows) // 2
    assert all(same(a, b) for a, b in zip(cols[k:], rows[k:], strict=True))


@given(batches())
def test_columns_are_written_as_their_rows(batch):
    rows, absolute = batch
    # As a followed file gives them: only the columns it has.
    present = {v: np.array([getattr(r, v) for r in rows]) for v in VITALS}
    present = {v: c for v, c in present.items() if not np.isnan(c).all()}
    cols = ReadingColumns(np.array([r.t for r in rows]), present)
    assert csv_lines(cols, absolute) == "".join(csv_line(r, absolute) for r in rows)


@given(
    st.lists(
        st.one_of(
            st.floats(0, 4e9),
            st.floats(T0, T0 + 86_400).map(lambda x: round(x, 1)),
            st.integers(0, 10**6).map(lambda k: T0 + k - 5e-7),  # a hair below a whole second
            st.integers(0, 10**6).map(lambda k: T0 + k + 0.0005),  # a millisecond's half
            st.floats(-1e6, 0),
            st.floats(2.5e11, 3e11),  # beyond the year 9999: formatted one by one
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_times_of_a_batch_are_written_as_one_by_one(times, absolute):
    try:
        expected = [format_time(t, absolute) for t in times]
    except (OverflowError, ValueError, OSError):
        return  # a time datetime itself cannot write (the store never holds one)
    assert format_times(times, absolute) == expected
