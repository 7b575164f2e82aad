"""Property tests for the CSV reader: whatever the bytes, a LoadResult or a CsvError, never a crash;
and valid rows are never lost whatever is mixed in with them."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.vitals import VITALS
from monitor.sources.csv.errors import CsvError
from monitor.sources.csv.load import LoadResult, load_csv
from tests.conftest import examples

# CSV_EXAMPLES=3000 pytest tests/test_csvfile_properties.py for a longer hunt.
SETTINGS = settings(
    max_examples=int(os.environ.get("CSV_EXAMPLES", str(examples(200)))),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _load_bytes(data: bytes, **kw):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "f.csv"
        p.write_bytes(data)
        try:
            return load_csv(p, **kw)
        except CsvError as exc:
            msg = str(exc)
            assert msg and "\n" not in msg and str(p) in msg
            return exc


def _check_result(r: LoadResult) -> None:
    assert isinstance(r, LoadResult)
    assert r.rows == len(r.store)
    t = r.store.t
    assert np.all(np.isfinite(t))
    assert np.all(np.diff(t) > 0)  # sorted, duplicates merged
    assert r.time_kind in ("absolute", "relative")
    lines = [x.line for x in r.rejected]
    assert lines == sorted(lines) and len(set(lines)) == len(lines)
    assert all(x.line >= 2 and x.reason for x in r.rejected)
    assert r.artifacts == r.store.artifact_count()
    assert all(isinstance(n, str) and n for n in r.notes)


@SETTINGS
@given(st.binary(max_size=600))
def test_arbitrary_bytes_load_or_raise_csv_error(data):
    out = _load_bytes(data)
    if isinstance(out, LoadResult):
        _check_result(out)


CSVISH = st.text(alphabet=st.sampled_from(list('0123456789,;\t|.-+:TZ "\r\nabcxeE\ufeff\x00é')), max_size=300)
HEADERS = st.sampled_from(
    [
        "time,hr,sbp,dbp,map,spo2,temp,rr\n",
        "time;HR;NBP-S;NBP-D\r\n",
        "timestamp\tSpO2\tRR\n",
        "\ufefft|pulse|Temp\n",
        '"time","hr"\n',
    ]
)


@SETTINGS
@given(HEADERS, CSVISH)
def test_csv_like_text_after_a_real_header_loads_or_raises(header, body):
    for encoding in ("utf-8", "utf-16"):
        out = _load_bytes((header + body).encode(encoding, "surrogatepass"))
        if isinstance(out, LoadResult):
            _check_result(out)


value = st.one_of(
    st.none(), st.integers(0, 250).map(float), st.floats(0, 250, allow_nan=False).map(lambda x: round(x, 1))
)
row = st.tuples(st.integers(0, 40), *[value] * len(VITALS))
JUNK = st.sampled_from(
    [
        "1,2",
        "abc,70,,,,,,",
        "x",
        ",,,,,,,,,,",
        "1,2,3,4,5,6,7,8,9",
        "2024-13-45,70,,,,,,",
        "5,seventy,,,,,,",
        '"unclosed,70,,,,,,',
    ]
)


@SETTINGS
@given(
    st.lists(row, max_size=40),
    st.lists(st.tuples(st.integers(0, 45), JUNK), max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_valid_rows_are_never_lost(rows, junk, sep, eol, bom):
    """Whatever junk lines are mixed in, every valid row is loaded (merged as documented) and
    every junk line that is not blank is rejected with its own line number."""

    def cell(v):
        if v is None:
            return ""
        s = f"{v:g}"
        return s.replace(".", ",") if sep != "," and v * 10 % 2 else s

    lines = ["time" + sep + sep.join(VITALS)]
    kinds = ["header"]
    for r in rows:
        lines.append(sep.join([str(r[0])] + [cell(v) for v in r[1:]]))
        kinds.append(r)
    for pos, text in sorted(junk, reverse=True):
        text = text.replace(",", sep)
        at = min(1 + pos, len(lines))
        lines.insert(at, text)
        kinds.insert(at, "junk")
    data = (("\ufeff" if bom else "") + eol.join(lines) + eol).encode("utf-8")
    out = _load_bytes(data)
    assert isinstance(out, LoadResult), out
    _check_result(out)

    # The model: rows with any vital, in file order, merged per time with the first value winning.
    expected: dict[float, dict[str, float]] = {}
    for r in kinds[1:]:
        if r == "junk" or all(v is None for v in r[1:]):
            continue
        slot = expected.setdefault(float(r[0]), {})
        for name, v in zip(VITALS, r[1:], strict=False):  # a short row leaves the last vitals empty
            if v is not None and name not in slot:
                slot[name] = v
    junk_lines = {i + 1 for i, k in enumerate(kinds) if k == "junk" and lines[i].replace(sep, "").strip()}
    assert {x.line for x in out.rejected} == junk_lines
    assert sorted(expected) == list(out.store.t)
    for i, t in enumerate(out.store.t):
        for name in VITALS:
            got = out.store.column(name)[i]
            want = expected[t].get(name)
            if name == "map" and want is None:
                continue  # the store may derive MAP from SBP and DBP
            if want is None:
                assert math.isnan(got)
            else:
                assert got == want
