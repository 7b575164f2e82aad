"""The malformed-input corpus (tests/data/bad/) through the real command line.

Every CSV goes through `vitals-monitor alarms FILE`, every thresholds file through
`vitals-monitor check-config FILE`, as a user would run them. What each file must do is written in
tests/data/bad/expected.toml: either it cannot be used (exit status 2, one clear sentence naming the
problem, line or key) or it loads with its bad lines rejected and reported by number (exit status 0).
Never a traceback, never a raw control character on the terminal, and nothing valid is lost: for
every file that loads, every valid row is in the store.

The corpus runs through the command's entry point inside the test process, its output encoded as a
process's would be (tests/support/cli.py): a hundred processes cost most of a minute, nearly all of
it starting Python and importing pandas. A file of each kind also runs in a real process, which must
give the same bytes and exit status.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from tests.support.cli import run_in_process, run_process

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
EXPECTED = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))
CSV_CASES = EXPECTED["csv"]
TOML_CASES = EXPECTED["toml"]

# Any C0/C1 control character except newline and tab: data must never reach the terminal raw.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _job(kind: str, name: str) -> list[str]:
    return ["alarms" if kind == "csv" else "check-config", str(BAD / kind / name)]


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every corpus file through the command once."""
    jobs = [("csv", n) for n in CSV_CASES] + [("toml", n) for n in TOML_CASES]
    return {job: run_in_process(_job(*job)) for job in jobs}


# One of each outcome: a CSV refused, a CSV loaded with rejected lines, a thresholds file refused.
IN_REAL_PROCESSES = [
    ("csv", next(n for n in sorted(CSV_CASES) if CSV_CASES[n]["exit"] == 2)),
    ("csv", next(n for n in sorted(CSV_CASES) if CSV_CASES[n]["exit"] == 0 and CSV_CASES[n]["rejected"])),
    ("toml", sorted(TOML_CASES)[0]),
]


@pytest.mark.slow
@pytest.mark.parametrize("job", IN_REAL_PROCESSES, ids="/".join)
def test_a_real_process_gives_what_the_corpus_run_saw(runs, job):
    real = run_process(_job(*job))
    assert (real.returncode, real.stdout, real.stderr) == (runs[job].returncode, runs[job].stdout, runs[job].stderr)


def _text(p: subprocess.CompletedProcess) -> tuple[str, str]:
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8")  # output is valid UTF-8 too
    for stream in (out, err):
        assert "Traceback" not in stream
        bad = RAW_CONTROL.search(stream)
        assert bad is None, f"raw control character {bad.group()!r} in the output: {stream[:300]!r}"
    return out, err


# -- the corpus itself --------------------------------------------------------------------------------


def test_corpus_is_large_and_every_file_has_an_expectation():
    csv_files = {p.name for p in (BAD / "csv").iterdir()}
    toml_files = {p.name for p in (BAD / "toml").iterdir()}
    assert len(csv_files) >= 40 and len(toml_files) >= 20
    assert csv_files == set(CSV_CASES)
    assert toml_files == set(TOML_CASES)


def test_corpus_files_are_exactly_what_make_corpus_writes(tmp_path):
    """Guards against an editor or a git setting (autocrlf) quietly 'repairing' a bad file."""
    sys.path.insert(0, str(BAD))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(BAD))
    make_corpus.main(tmp_path)
    for sub in ("csv", "toml"):
        for made in (tmp_path / sub).iterdir():
            kept = BAD / sub / made.name
            if made.is_dir():
                assert kept.is_dir(), kept
            else:
                assert kept.read_bytes() == made.read_bytes(), f"{kept} differs from make_corpus.py"


# -- CSV ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CSV_CASES))
def test_csv_gives_its_own_clear_message(runs, name):
    case = CSV_CASES[name]
    p = runs[("csv", name)]
    out, err = _text(p)
    assert p.returncode == case["exit"], (p.returncode, err, out[-500:])
    if case["exit"] == 2:
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err  # one sentence
        msg = lines[0]
        assert msg.startswith("vitals-monitor: ") and len(msg) < 700, msg
        assert str(BAD / "csv" / name) in msg  # names the file
        for fragment in case["message"]:
            assert fragment in msg, (fragment, msg)
        return
    # Loaded: the summary reports exactly the rejected lines, each by its number and reason.
    rejected = case["rejected"]
    assert f"rejected lines: {len(rejected)}\n" in out, out
    listed = [int(m) for m in re.findall(r"^    line (\d+): \S", out, re.M)]
    assert listed == rejected[:10]
    for fragment in case["message"]:
        assert fragment in out, (fragment, out)


def _seconds(values: list) -> list[float]:
    return [datetime.fromisoformat(v).timestamp() if isinstance(v, str) else float(v) for v in values]


def _same(got: np.ndarray, want: list) -> bool:
    return len(got) == len(want) and all(
        (math.isnan(g) and math.isnan(w)) or g == w for g, w in zip(got.tolist(), map(float, want), strict=True)
    )


@pytest.mark.parametrize("name", sorted(n for n, c in CSV_CASES.items() if c["exit"] == 0))
def test_csv_that_loads_keeps_every_valid_row(name):
    """The same loader the command uses: every valid row is there with its values; nothing invented."""
    from monitor.recording import load_session

    case = CSV_CASES[name]
    s = load_session(BAD / "csv" / name)
    assert [r.line for r in s.rejected] == case["rejected"]
    if "rows" in case:
        # rows() in make_corpus: time i, hr 70 + i % 50, one row per second from 0
        kept = [i for i in range(case["rows"]) if i not in case.get("lost", [])]
        assert list(s.store.t) == kept
        assert _same(s.store.column("hr"), [70 + i % 50 for i in kept])
    else:
        assert list(s.store.t) == _seconds(case["times"])
    for vital in ("hr", "sbp", "dbp"):
        if vital in case:
            assert _same(s.store.column(vital), case[vital]), (vital, s.store.column(vital))
    want_artifacts = case.get("artifacts", {})
    assert {v: n for v, n in s.artifacts.items() if n} == want_artifacts


# -- thresholds.toml ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TOML_CASES))
def test_toml_gives_its_own_clear_message_with_key_or_line(runs, name):
    case = TOML_CASES[name]
    path = str(BAD / "toml" / name)
    p = runs[("toml", name)]
    out, err = _text(p)
    assert p.returncode == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert lines and all(ln.startswith(f"{path}: ") for ln in lines), err
    text = "\n".join(lines)
    if "key" in case:
        assert any(ln.startswith(f"{path}: {case['key']}: ") for ln in lines), (case["key"], err)
    if "line" in case:
        assert f"line {case['line']}" in text, err
    for fragment in case["message"]:
        assert fragment in text, (fragment, err)


@pytest.mark.parametrize("name", sorted(TOML_CASES))
def test_toml_errors_are_config_errors_in_process_too(name):
    from monitor.core.thresholds_loader import ConfigError, load_thresholds

    with pytest.raises(ConfigError) as info:
        load_thresholds(BAD / "toml" / name)
    assert info.value.errors and all("\n" not in e for e in info.value.errors)


def test_bad_thresholds_given_to_alarms_are_exit_2_too():
    """A broken --thresholds file stops `alarms` with the same key-naming message, before any output."""
    good = str(BAD / "csv" / "times_backwards.csv")
    toml = str(BAD / "toml" / "medium_beyond_high_hr.toml")
    p = run_process(["alarms", good, "--thresholds", toml])
    out, err = _text(p)
    assert p.returncode == 2 and out == ""
    assert "vitals.hr.upper.medium: 140 must be below the high limit 130" in err
