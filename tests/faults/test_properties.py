"""Property tests (hypothesis) for everything a user or a device can hand the monitor.

The plain "arbitrary bytes / arbitrary text never crash" properties live beside their modules
(tests/test_csvfile_properties.py, tests/test_thresholds.py). These ones build *structured* inputs:
CSV documents that mix valid rows with every kind of broken line, valid files hit by byte-level
damage, thresholds documents made from the default file with one targeted edit, and arbitrary
session side files. In every case only the project's own errors (CsvError, ConfigError,
SessionError) ever come out, each message is one line with no raw control character, nothing
valid is lost, and nothing inconsistent is ever accepted.

FAULT_EXAMPLES=2000 pytest tests/faults/test_properties.py   for a longer hunt.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.thresholds import Thresholds
from monitor.core.thresholds_loader import ConfigError, load_thresholds
from monitor.core.vitals import ALL_SPECS, SPECS
from monitor.sources.csv.errors import CsvError
from monitor.sources.csv.load import LoadResult, load_csv
from tests.conftest import examples

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOML = ROOT / "thresholds.toml"
DEFAULT_TEXT = DEFAULT_TOML.read_text(encoding="utf-8")
DEFAULT_DOC = tomllib.loads(DEFAULT_TEXT)

EXAMPLES = int(os.environ.get("FAULT_EXAMPLES", str(examples(120))))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean_message(msg: str) -> None:
    assert msg and "\n" not in msg and "Traceback" not in msg
    assert not RAW_CONTROL.search(msg), msg


def _load_csv_bytes(data: bytes, **kw) -> LoadResult | CsvError:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "f.csv"
        p.write_bytes(data)
        try:
            r = load_csv(p, **kw)
        except CsvError as exc:
            _clean_message(str(exc))
            return exc
    assert isinstance(r, LoadResult)
    assert np.all(np.isfinite(r.store.t)) and np.all(np.diff(r.store.t) > 0)
    for note in r.notes:
        _clean_message(note)
    for rej in r.rejected:
        _clean_message(str(rej))
    return r


# ================================================================================== CSV documents

SEPARATORS = [",", ";", "\t", "|"]
# Broken lines, each on a line of its own; {s} is the separator. None of them can be read as a
# valid row, and none of them reaches into its neighbours (the reader works line by line).
JUNK = [
    "x",
    "{s}{s}{s}abc",
    "1{s}2{s}3{s}4{s}5{s}6{s}7{s}8{s}9",
    "seventy{s}70",
    "5{s}seventy",
    "7{s}inf",
    "7{s}-inf",
    "7{s}1e999",
    "7{s}" + "9" * 400,
    "nan{s}70",
    "inf{s}70",
    "2026-13-45T09:00:00+00:00{s}70",
    "12:61:99{s}70",
    "yesterday{s}70",
    "{s}70",
    '"unclosed{s}70',
    '7{s}"7',
    "\x00\x00\x00",
    "7{s}7\x000",
    "\x1b[2J{s}70",
    "7{s}\x1b]0;t\x07",
    "=cmd|' /C calc'!A0{s}70",
    "\u202e7{s}70",
    "7{s}80 bpm",
    "0x10{s}70",
    "7{s}1,2,3",
    "time{s}hr",
    "\ufeff",
    "é{s}ü",
    "7{s}\u2028",
]


@st.composite
def csv_document(draw):
    """(bytes, {time: hr} of the valid rows): valid rows mixed with broken lines, any encoding."""
    sep = draw(st.sampled_from(SEPARATORS))
    header = draw(
        st.sampled_from(
            ["time{s}hr", "Time{s}HR", "timestamp{s}heart_rate", "t{s}pulse", '"time"{s}"hr"', "time (s){s}HR (bpm)"]
        )
    ).format(s=sep)
    times = draw(st.lists(st.integers(0, 10_000), min_size=2, max_size=30, unique=True))
    valid = {float(t): float(draw(st.integers(30, 220))) for t in times}
    lines = [f"{t:g}{sep}{hr:g}" for t, hr in valid.items()]
    junk = draw(st.lists(st.sampled_from(JUNK), max_size=len(lines) - 1))
    for j in junk:  # fewer broken lines than valid ones: the file stays plainly a text file
        lines.insert(draw(st.integers(0, len(lines))), j.format(s=sep))
    blank = draw(st.lists(st.integers(0, len(lines)), max_size=3))
    for b in blank:
        lines.insert(b, draw(st.sampled_from(["", " ", sep * 3])))
    eols = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3))
    text = header + eols[0]
    for i, ln in enumerate(lines):
        text += ln + eols[i % len(eols)]
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no newline at the end
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    if enc == "cp1252":
        data = text.encode("cp1252", errors="replace")
    elif enc == "utf-16":
        data = text.encode("utf-16", errors="surrogatepass")
    else:
        data = text.encode(enc)
    return data, valid


@SETTINGS
@given(csv_document())
def test_broken_lines_never_cost_a_valid_row(doc):
    data, valid = doc
    r = _load_csv_bytes(data)
    assert isinstance(r, LoadResult), r
    got = dict(zip(r.store.t.tolist(), r.store.column("hr").tolist(), strict=True))
    for t, hr in valid.items():  # every valid row is there, with its own value
        assert got.get(t) == hr, (t, hr, got.get(t), r.rejected)
    assert set(got) == set(valid)  # and no broken line became a reading
    assert r.time_kind == "relative"


CLEAN = (
    "time,hr,sbp,dbp\n"
    + "".join(f"{i},{60 + i % 40},{'' if i % 5 else 110 + i % 30},{'' if i % 5 else 70 + i % 10}\n" for i in range(60))
).encode()


HEADER_LEN = len(b"time,hr,sbp,dbp\n")


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete", "truncate"]),
            st.integers(HEADER_LEN, len(CLEAN) - 1),
            st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_byte_damage_to_a_valid_file_costs_only_the_damaged_lines(edits):
    """Bytes flipped, inserted, deleted or the file cut short (the header intact): the file loads,
    and every line the damage did not touch is still a reading."""
    data = bytearray(CLEAN)
    for op, pos, payload in edits:
        pos = min(pos, len(data) - 1)
        if pos < HEADER_LEN:
            continue  # the header stays intact
        if op == "flip":
            data[pos : pos + len(payload)] = payload
        elif op == "insert":
            data[pos:pos] = payload
        elif op == "delete":
            del data[pos : pos + len(payload)]
        else:
            del data[pos:]
    r = _load_csv_bytes(bytes(data))
    assert isinstance(r, LoadResult), r
    original = {ln: float(ln.split(b",")[0]) for ln in CLEAN.split(b"\n")[1:] if ln}
    intact = [original[ln] for ln in re.split(rb"\r\n|\r|\n", bytes(data)) if ln in original]
    assert len(intact) >= 60 - 3 * len(edits) or any(op == "truncate" for op, _, _ in edits)
    present = set(r.store.t.tolist())
    for t in intact:
        assert t in present, (t, r.rejected[:5])


@SETTINGS
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(["time", "hr", "sbp", "HR", " spo2 "]), st.text(max_size=6)),
        st.one_of(st.sampled_from(["time", "hr", "HR", "x", ""]), st.text(max_size=6)),
        max_size=4,
    ),
    st.one_of(st.sampled_from(["UTC", "Europe/Berlin", "Mars/Olympus", "", "../../etc/passwd"]), st.text(max_size=12)),
)
def test_user_column_mapping_and_time_zone_only_raise_csv_error(column_map, zone):
    data = b"time,hr,x\n2026-11-28T09:00:00,70,1\n2026-11-28T09:00:01,71,2\n"
    _load_csv_bytes(data, column_map=column_map or None, assume_tz=zone)


# ========================================================================= session side files

JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=8),
        st.sampled_from(
            ["initial", "supplemental", "dose", "pause", "ack", "note", "alarm", "2026-11-28T09:00:00+00:00", "1e999"]
        ),
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "t",
                    "kind",
                    "dose",
                    "amount_mg",
                    "seconds",
                    "who",
                    "text",
                    "label",
                    "thresholds",
                    "simulated",
                    "start",
                    "alarm",
                    "state",
                ]
            ),
            c,
            max_size=5,
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.binary(max_size=200), JSONISH.map(lambda v: json.dumps(v).encode())),
    st.lists(
        st.one_of(
            st.binary(max_size=60),
            JSONISH.map(lambda v: json.dumps(v).encode()),
            st.sampled_from(
                [
                    b'{"t": 1' + b"0" * 400 + b', "kind": "note"}',
                    b"[" * 5000,
                    b'{"t": 5, "kind": "pause", "seconds": "x"}',
                ]
            ),
        ),
        max_size=6,
    ),
)
def test_arbitrary_session_side_files_only_raise_project_errors(meta, events):
    """session.json and events.jsonl of any content: the session loads (bad events skipped and
    said) or a SessionError/ConfigError names the file; the alarm engine then replays it."""
    from monitor.core.alarm_engine import AlarmEngine
    from monitor.core.alarm_log import alarm_summary
    from monitor.recording import SessionError, load_session

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "s.csv"
        csv.write_bytes(b"time,hr,sbp,dbp\n0,70,120,80\n5,140,170,105\n20,141,,\n60,70,118,79\n")
        (Path(tmp) / "s.session.json").write_bytes(meta)
        (Path(tmp) / "s.events.jsonl").write_bytes(b"\n".join(events))
        try:
            s = load_session(csv)
            th = s.stored_thresholds() or load_thresholds(DEFAULT_TOML)
        except (SessionError, ConfigError) as exc:
            for line in str(exc).splitlines():
                _clean_message(line)
            return
        log = AlarmEngine(th).run(s.store, s.controls())
        alarm_summary(log, s, th)
        for note in s.notes:
            assert "\n" not in note


# ====================================================================== thresholds documents


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(doc: dict, prefix: tuple = ()) -> str:
    """A small TOML writer (the project has none): tables as [a.b] headers, values inline."""
    out = []
    scalars = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in doc.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        out.append("[" + ".".join(_key(p) for p in prefix) + "]")
    out += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for k, v in tables.items():
        out.append(to_toml(v, prefix + (k,)))
    return "\n".join(out) + "\n"


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    else:
        yield path, node


def _tables(node, path=()):
    if isinstance(node, dict):
        yield path
        for k, v in node.items():
            yield from _tables(v, path + (k,))


def _set(doc: dict, path: tuple, value) -> dict:
    doc = json.loads(json.dumps(doc))
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


def _path_text(path: tuple) -> str:
    return ".".join(_key(p) for p in path)


def _load_text(text: str) -> tuple[Thresholds | None, list[str], str]:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "t.toml"
        p.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        try:
            return load_thresholds(p), [], str(p)
        except ConfigError as exc:
            assert exc.errors
            for e in exc.errors:
                assert e.startswith(f"{p}: "), e
                _clean_message(e)
            return None, exc.errors, str(p)


def test_the_small_toml_writer_round_trips_the_default_file():
    assert tomllib.loads(to_toml(DEFAULT_DOC)) == DEFAULT_DOC
    th, errors, _ = _load_text(to_toml(DEFAULT_DOC))
    assert errors == [] and th.vitals == load_thresholds(DEFAULT_TOML).vitals


LEAVES = list(_leaves(DEFAULT_DOC))
WHEN = datetime(1979, 5, 27, 7, 32, tzinfo=UTC)


def _wrong_types(v) -> list:
    if isinstance(v, bool):
        return [1, "yes", [True], {"a": 1}, WHEN]
    if isinstance(v, (int, float)):
        return [True, "110", [110], {"v": 110}, WHEN]
    if isinstance(v, str):  # a duration: numbers are fine, these are not
        return [True, [10], {"s": 10}, WHEN]
    return [5, "hr", True, {"a": "hr"}, WHEN]  # an array of vital names


@SETTINGS
@given(st.data())
def test_a_value_of_the_wrong_type_anywhere_is_named_by_its_key(data):
    path, value = data.draw(st.sampled_from(LEAVES))
    wrong = data.draw(st.sampled_from(_wrong_types(value)))
    th, errors, p = _load_text(to_toml(_set(DEFAULT_DOC, path, wrong)))
    assert th is None
    assert any(e.startswith(f"{p}: {_path_text(path)}: ") for e in errors), (path, wrong, errors)


TABLES = [t for t in _tables(DEFAULT_DOC)]


@SETTINGS
@given(
    st.sampled_from(TABLES),
    st.from_regex(r"zz[a-z0-9_]{0,6}", fullmatch=True),
    st.one_of(st.integers(0, 200), st.text(max_size=5), st.booleans()),
)
def test_an_unknown_key_anywhere_is_named_by_its_key(table, key, value):
    th, errors, p = _load_text(to_toml(_set(DEFAULT_DOC, table + (key,), value)))
    assert th is None
    assert any(e.startswith(f"{p}: {_path_text(table + (key,))}: ") for e in errors), errors


def _edit(data, doc: dict) -> dict:
    leaves = list(_leaves(doc))
    path, value = data.draw(st.sampled_from(leaves))
    op = data.draw(st.sampled_from(["delete", "scale", "negate", "swap", "value", "rename"]))
    doc = json.loads(json.dumps(doc))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if op == "delete":
        del parent[path[-1]]
    elif op == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
        parent[path[-1]] = value * data.draw(st.sampled_from([0, 0.5, 0.99, 1.01, 2, 10, 1e6]))
    elif op == "negate" and isinstance(value, (int, float)) and not isinstance(value, bool):
        parent[path[-1]] = -value
    elif op == "swap":
        other, ov = data.draw(st.sampled_from(leaves))
        parent[path[-1]] = ov
    elif op == "value":
        parent[path[-1]] = data.draw(
            st.one_of(
                st.integers(-10, 400),
                st.floats(allow_nan=True, allow_infinity=True),
                st.sampled_from(["0s", "10s", "61s", "2m", "-1s", "1h30m", "", "hr", "sbp", "si"]),
                st.lists(st.sampled_from(["hr", "sbp", "dbp", "map", "si", "x"]), max_size=3),
            )
        )
    elif op == "rename":
        parent[
            data.draw(
                st.sampled_from(
                    ["low", "medium", "high", "delay", "after", "grace", "interval", "window", "hr", "sbp", "si"]
                )
            )
        ] = parent.pop(path[-1])
    return doc


def _check_consistent(th: Thresholds) -> None:
    """What the loader promises about anything it accepts."""
    for name, r in th.vitals.items():
        spec = ALL_SPECS[name]
        up = [r.upper[p] for p in ("low", "medium", "high") if p in r.upper]
        lo = [r.lower[p] for p in ("low", "medium", "high") if p in r.lower]
        assert up or lo
        assert all(math.isfinite(v) and spec.low <= v <= spec.high for v in up + lo)
        assert up == sorted(up) and len(set(up)) == len(up)  # more urgent = more extreme
        assert lo == sorted(lo, reverse=True) and len(set(lo)) == len(lo)
        assert 0 <= r.delay_s <= 60 and r.hysteresis >= 0
        if not r.continuous:
            assert r.delay_s == 0 and r.hysteresis == 0
        if up and lo:
            assert min(up) > max(lo) and r.hysteresis < min(up) - max(lo)
    for b in th.baseline:
        assert b.delta > 0 and b.window_s > 0 and getattr(th.vitals[b.vital], b.direction)
    watched = [v for s in th.stale for v in s.vitals]
    assert len(watched) == len(set(watched)) and set(watched) <= set(SPECS)
    assert all(s.after_s > 0 and s.vitals for s in th.stale)
    a = th.audio
    assert 0 < a.pause_s <= a.max_pause_s and a.reminder_s > 0
    s = th.supplement
    assert 0 <= s.window_start_s < s.window_end_s
    assert all(math.isfinite(v) for v in s.max_values.values())


@SETTINGS
@given(st.data())
def test_random_edits_of_the_default_file_are_rejected_or_consistent(data):
    doc = DEFAULT_DOC
    for _ in range(data.draw(st.integers(1, 4))):
        doc = _edit(data, doc)
    th, errors, _ = _load_text(to_toml(doc))
    if th is not None:
        _check_consistent(th)


GARBAGE_LINES = [
    "= 5",
    "[vitals.hr",
    "key =",
    "key = 1 2",
    "[]",
    "a.=1",
    "x = 1979-13-45",
    "x = 'unterminated",
    'x = "bad \\q escape"',
    "x = [1,,2]",
    "x = {a = 1",
    "]]",
    "x = 0x",
    "x = 1__0",
    "x = tru",
    "\x01",
    "x = 1\x7f",
]
DEFAULT_LINES = DEFAULT_TEXT.split("\n")


@SETTINGS
@given(st.integers(0, len(DEFAULT_LINES)), st.sampled_from(GARBAGE_LINES))
def test_a_syntax_error_is_reported_at_its_line(at, garbage):
    lines = list(DEFAULT_LINES)
    lines.insert(at, garbage)
    th, errors, p = _load_text("\n".join(lines))
    assert th is None and len(errors) == 1
    # tomllib reports a literal string left open at the end of the file when no later ' closes it.
    at_end = (garbage == "x = 'unterminated" or at >= len(DEFAULT_LINES) - 1) and "at the end of the file" in errors[0]
    assert f"invalid TOML at line {at + 1}," in errors[0] or at_end, (at, garbage, errors)


@SETTINGS
@given(
    st.integers(0, len(DEFAULT_TEXT.encode()) - 1),
    st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"]),
)
def test_bytes_that_are_not_utf8_are_reported_at_their_line(pos, bad):
    raw = DEFAULT_TEXT.encode()
    # Insert at a character boundary so the bytes before stay valid UTF-8.
    while pos and (raw[pos] & 0xC0) == 0x80:
        pos -= 1
    data = raw[:pos] + bad + raw[pos:]
    th, errors, p = _load_text(data)
    assert th is None and len(errors) == 1
    line = raw[:pos].count(b"\n") + 1
    assert f"at line {line} cannot be decoded" in errors[0], errors


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_thresholds_only_raise_config_error(data):
    _load_text(data)
