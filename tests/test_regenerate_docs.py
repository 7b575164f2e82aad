"""benchmarks/regenerate_docs.py writes the figure tables between their markers and nothing else.

Fed a small fake figures dict: no benchmark runs here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("regenerate_docs", ROOT / "benchmarks" / "regenerate_docs.py")
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = regen  # (its dataclasses look their module up there)
_spec.loader.exec_module(regen)

STAMP = {"date": "2026-12-01T20:00:00+00:00", "python": "3.11.7", "cpus": 2, "load": [1.5, 1.2, 1.0]}
LATER = {"date": "2026-12-01T20:30:00+00:00", "python": "3.11.7", "cpus": 2, "load": [3.3, 2.0, 1.0]}


def fig(key: str, what: str, figure: str, peer: str = "", target: str = "", met: bool | None = None) -> dict:
    return {"key": key, "what": what, "figure": figure, "peer": peer, "target": target, "met": met, "value": 1.0}


RESULT = {
    "rows": 28800,
    "alarms_s": 0.8,
    "alarms_mb": 81.0,
    "report_s": 0.9,
    "report_mb": 99.0,
    "open_s": 0.7,
    "open_mb": 85.0,
    "seek_end_s": 0.004,
    "seek_worst_s": 0.006,
    "seek_mb": 86.0,
}
RUNS = {
    "alarms-cli": {
        "script": "bench_alarms_cli.py",
        "command": "benchmarks/bench_alarms_cli.py --runs 3",
        "before": STAMP,
        "after": LATER,
        "figures": [
            fig(
                "alarms_cli_ratio",
                "`alarms` on 8 h | stress",
                "1.32x median",
                "`read_csv` 0.40 s",
                "≤ 1.15x (*not met*)",
                False,
            )
        ],
    },
    "scaling": {
        "script": "bench_scaling.py",
        "command": "benchmarks/bench_scaling.py --sizes 8h",
        "before": STAMP,
        "after": STAMP,
        "figures": [fig("scaling_per_row", "cost per row", "PASS for every measure", target="within 1.25x")],
        "scaling": {
            "sizes": {"8h": "8 h 1 Hz"},
            "results": {"8h": RESULT},
            "checks": [
                {"what": "alarms time per row", "pass": False, "ratios": {"24 h 1 Hz": 1.5}},
                {"what": "alarms time per row, net", "pass": None, "ratios": {}},
            ],
            "runs": 1,
        },
    },
}

PERF = """# Performance

Hand-written words before, kept as they are.

<!-- figures:summary:start -->
| an old | table |
<!-- figures:summary:end -->

More prose between the tables.

<!-- figures:scaling:start -->
old scaling
<!-- figures:scaling:end -->
And after, with no newline at the end"""

README = """# readme

<!-- figures:readme:start -->
<!-- figures:readme:end -->

rest
"""


@pytest.fixture
def files(tmp_path, monkeypatch):
    perf, readme = tmp_path / "performance.md", tmp_path / "README.md"
    perf.write_text(PERF, encoding="utf-8")
    readme.write_text(README, encoding="utf-8")
    monkeypatch.setattr(regen, "PERFORMANCE", perf)
    monkeypatch.setattr(regen, "README", readme)
    monkeypatch.setattr(regen, "CACHE", tmp_path / "figures.json")
    return perf, readme


def between(text: str, name: str) -> tuple[str, str, str]:
    start, end = regen.markers(name)
    head, rest = text.split(start + "\n")
    body, tail = rest.split(end)
    return head, body, end + tail


def test_tables_are_written_between_the_markers_and_the_rest_is_untouched(files):
    perf, readme = files
    regen.render_all(RUNS)
    text = perf.read_text(encoding="utf-8")
    head, summary, rest = between(text, "summary")
    assert head == PERF.split("<!-- figures:summary:start -->")[0]
    assert "an old" not in summary
    assert "| `alarms` on 8 h \\| stress | `benchmarks/bench_alarms_cli.py --runs 3` | 1.32x median |" in summary
    assert "≤ 1.15x (*not met*)" in summary
    assert "on 2026-12-01, Python 3.11.7, 2 cores" in summary
    assert "between 1.5 and 3.3" in summary  # the 1-min load averages at the starts and ends
    middle, scaling, tail = between(rest, "scaling")
    assert middle == "<!-- figures:summary:end -->\n\nMore prose between the tables.\n\n"
    assert tail == "<!-- figures:scaling:end -->\nAnd after, with no newline at the end"
    assert "old scaling" not in scaling
    assert "| 8 h 1 Hz | 28,800 | 0.800 s, 81 MB | 27.78 µs, 2.880 KB |" in scaling
    assert "- alarms time per row: **FAIL** (24 h 1 Hz 1.50x)\n" in scaling
    assert "- alarms time per row, net: not judged (at 8 h it cost no more than at 1 h" in scaling
    assert "each measure the median of 1 runs, on 2026-12-01" in scaling
    head, table, tail = between(readme.read_text(encoding="utf-8"), "readme")
    assert (head, tail) == ("# readme\n\n", "<!-- figures:readme:end -->\n\nrest\n")
    assert "| `alarms` on an 8 h session, against a bare `pandas.read_csv` process | 1.32x median |" in table
    assert "[docs/performance.md](docs/performance.md)" in table


def test_writing_twice_gives_the_same_files(files):
    perf, readme = files
    regen.render_all(RUNS)
    once = perf.read_text(encoding="utf-8"), readme.read_text(encoding="utf-8")
    regen.render_all(RUNS)
    assert (perf.read_text(encoding="utf-8"), readme.read_text(encoding="utf-8")) == once


@pytest.mark.parametrize("drop", ["<!-- figures:summary:start -->", "<!-- figures:scaling:end -->"])
def test_a_missing_marker_is_one_clear_sentence_and_nothing_is_written(files, drop):
    perf, _ = files
    perf.write_text(PERF.replace(drop, ""), encoding="utf-8")
    before = perf.read_text(encoding="utf-8")
    with pytest.raises(regen.MarkerError) as e:
        regen.render_all(RUNS)
    message = str(e.value)
    assert message == (
        f"{perf} has no "
        + (f"{drop} marker" if "start" in drop else f"{drop} marker after its <!-- figures:scaling:start -->")
        + ": put the two markers where the table goes."
    )
    assert perf.read_text(encoding="utf-8") == before


def test_markers_are_checked_before_any_benchmark_runs(files, monkeypatch):
    perf, readme = files
    readme.write_text("# no markers\n", encoding="utf-8")
    ran = []
    monkeypatch.setattr(regen, "run_job", lambda job: ran.append(job) or {})
    with pytest.raises(regen.MarkerError, match="README.md has no <!-- figures:readme:start --> marker"):
        regen.main(["--only", "calibration"])
    assert ran == []
    assert perf.read_text(encoding="utf-8") == PERF


def test_only_reruns_some_jobs_and_keeps_the_others_figures(files, monkeypatch):
    perf, _ = files
    regen.CACHE.write_text(json.dumps(RUNS), encoding="utf-8")
    new = dict(
        RUNS["alarms-cli"], figures=[fig("alarms_cli_ratio", "`alarms` again", "1.10x median", target="≤ 1.15x")]
    )
    monkeypatch.setattr(regen, "run_job", lambda job: new)
    regen.main(["--only", "alarms-cli"])
    text = perf.read_text(encoding="utf-8")
    assert "1.10x median" in text and "1.32x median" not in text
    assert "| 8 h 1 Hz | 28,800 |" in text  # the scaling job's figures, from the cache
    assert json.loads(regen.CACHE.read_text(encoding="utf-8"))["alarms-cli"] == new
