"""Run the benchmarks and rewrite the figures in docs/performance.md and README.md from them.

Each job below runs one benchmark script with `--json FILE` and takes its figures (each with its
peer figure, its target and the command that produced it); bench_engine.py has no `--json` yet, so
its printed output is read. The figures of every job are kept in benchmarks/figures.json, so that
`--only` reruns some jobs and the tables still show the others' last figures. The tables are
written between marker comments, the rest of each file untouched:

    docs/performance.md  <!-- figures:summary:start --> ... <!-- figures:summary:end -->
                         <!-- figures:scaling:start --> ... <!-- figures:scaling:end -->
    README.md            <!-- figures:readme:start --> ... <!-- figures:readme:end -->

    python benchmarks/regenerate_docs.py                  # every job, one at a time (about 15 min)
    python benchmarks/regenerate_docs.py --only engine scaling
    python benchmarks/regenerate_docs.py --render         # no run: rewrite the tables from figures.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import command_line  # noqa: E402

CACHE = HERE / "figures.json"
PERFORMANCE = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"


@dataclass(frozen=True)
class Job:
    name: str
    script: str
    args: tuple[str, ...] = ()


# In the order of the summary table.
JOBS = [
    Job("engine", "bench_engine.py"),
    Job("alarms-cli", "bench_alarms_cli.py"),
    Job("load", "bench_load.py"),
    Job("csv", "bench_csv.py", ("--runs", "5")),
    Job("live", "bench_live.py", ("--seconds", "30")),
    Job("live-large", "bench_live.py", ("--seconds", "30", "--size", "160x48")),
    Job("backlog", "bench_backlog.py"),
    Job("replay", "bench_replay.py", ("--rounds", "3")),
    Job("replay-day", "bench_replay.py", ("--day", "--rounds", "2", "--seeks", "10")),
    Job("report", "bench_report.py", ("--runs", "3")),
    Job("calibration", "bench_calibration.py"),
    Job("scaling", "bench_scaling.py"),
]
BY_NAME = {j.name: j for j in JOBS}

# README's short table: (job, figure key, what it says there).
README_ROWS = [
    ("alarms-cli", "alarms_cli_ratio", "`alarms` on an 8 h session, against a bare `pandas.read_csv` process"),
    ("load", "load_day", "`alarms`, `report` on 24 h at 10 Hz (864,000 readings)"),
    ("live", "live_cpu", "the live app at a 1 Hz feed: CPU"),
    ("replay-day", "replay_alone", "replay of 24 h at 10 Hz: peak memory; a seek to the end"),
    ("report", "report_8h", "report of an 8 h session, against a plain Plotly chart"),
    ("scaling", "scaling_per_row", "cost per row from 8 h to 240 h"),
]


class MarkerError(ValueError):
    pass


def markers(name: str) -> tuple[str, str]:
    return f"<!-- figures:{name}:start -->", f"<!-- figures:{name}:end -->"


def replace_between(text: str, name: str, body: str, where: str) -> str:
    """The text with what lies between the two markers of `name` replaced by body."""
    start, end = markers(name)
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if j < 0:
        missing = f"{start} marker" if i < 0 else f"{end} marker after its {start}"
        raise MarkerError(f"{where} has no {missing}: put the two markers where the table goes.")
    return text[: i + len(start)] + "\n" + body.rstrip("\n") + "\n" + text[j:]


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def update_files(changes: dict[Path, dict[str, str]]) -> None:
    """Rewrite each named section of each file, the rest untouched; nothing is written unless
    every marker is found."""
    texts = {}
    for path, sections in changes.items():
        text = path.read_text(encoding="utf-8")
        for name, body in sections.items():
            text = replace_between(text, name, body, shown(path))
        texts[path] = text
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")


def run_job(job: Job) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / job.script), *job.args]
    print(f"running {command_line(job.script, list(job.args))} ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figures.json"
        subprocess.run([*cmd, "--json", str(path)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return json.loads(path.read_text(encoding="utf-8"))


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def machine(runs: dict[str, dict[str, Any]]) -> str:
    """The conditions of the runs shown: when, on what, under which load."""
    stamps = [r[k] for r in runs.values() for k in ("before", "after")]
    dates = sorted(s["date"][:10] for s in stamps)
    loads = [s["load"][0] for s in stamps]
    pythons = sorted({s["python"] for s in stamps})
    cpus = sorted({str(s["cpus"]) for s in stamps})
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    low, high = f"{min(loads):.1f}", f"{max(loads):.1f}"
    load = f"was {low}" if low == high else f"was between {low} and {high}"
    return (
        f"on {when}, Python {', '.join(pythons)}, {', '.join(cpus)} cores; the load average (1 min) {load} "
        "at the starts and ends of the runs"
    )


def render_summary(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| what | command | figure | peer | target |",
        "|---|---|---|---|---|",
    ]
    for job in JOBS:
        run = runs.get(job.name)
        if run is None:
            continue
        for f in run["figures"]:
            cells = (f["what"], f"`{run['command']}`", f["figure"], f["peer"], f["target"])
            lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return (
        f"Each figure is from one run of its command {machine(runs)}. "
        "Regenerated by `benchmarks/regenerate_docs.py`.\n\n" + "\n".join(lines)
    )


def render_scaling(run: dict[str, Any]) -> str:
    sc = run["scaling"]
    measures = (
        ("`alarms`", "alarms_s", "alarms_mb"),
        ("`report`", "report_s", "report_mb"),
        ("replay open", "open_s", "open_mb"),
        ("replay seek to the end", "seek_end_s", "seek_mb"),
    )
    head = "| size | rows | " + " | ".join(f"{m}: s, MB | per row: µs, KB" for m, _, _ in measures) + " | worst seek |"
    lines = [head, "|---|" + "---:|" * (2 + 2 * len(measures))]
    for key, label in sc["sizes"].items():
        r = sc["results"][key]
        cells = [label, f"{r['rows']:,}"]
        for _, t, m in measures:
            cells.append(f"{r[t]:.3f} s, {r[m]:.0f} MB")
            cells.append(f"{r[t] * 1e6 / r['rows']:.2f} µs, {r[m] * 1024 / r['rows']:.3f} KB")
        cells.append(f"{r['seek_worst_s'] * 1000:.0f} ms")
        lines.append("| " + " | ".join(cells) + " |")
    checks = [
        f"- {c['what']}: not judged (at 8 h it cost no more than at 1 h: noise over the fixed costs)"
        if c["pass"] is None
        else f"- {c['what']}: **{'PASS' if c['pass'] else 'FAIL'}** ("
        + ", ".join(f"{size} {x:.2f}x" for size, x in c["ratios"].items())
        + ")"
        for c in sc["checks"]
    ]
    return (
        f"`{run['command']}`: each measure the median of {sc['runs']} runs, {machine({'scaling': run})}.\n\n"
        + "\n".join(lines)
        + "\n\nCost per row of each size from 8 h up against 8 h at 1 Hz (PASS: within 1.25x); "
        '"net" is the cost less the 1 h file\'s, the marginal cost of a row:\n\n' + "\n".join(checks)
    )


def render_readme(runs: dict[str, dict[str, Any]]) -> str:
    lines = ["| what | figure | target |", "|---|---|---|"]
    for job, key, what in README_ROWS:
        f = next((f for f in runs.get(job, {}).get("figures", []) if f["key"] == key), None)
        if f is not None:
            lines.append("| " + " | ".join(cell(c) for c in (what, f["figure"], f["target"])) + " |")
    return (
        "\n".join(lines) + "\n\nEvery figure with its command, its peer and the conditions: "
        "[docs/performance.md](docs/performance.md)."
    )


def render_all(runs: dict[str, dict[str, Any]]) -> None:
    missing = [j.name for j in JOBS if j.name not in runs]
    if missing:
        print(f"no figures yet for: {', '.join(missing)} (their rows are left out)", file=sys.stderr)
    sections = {"summary": render_summary(runs)}
    if "scaling" in runs:
        sections["scaling"] = render_scaling(runs["scaling"])
    update_files({PERFORMANCE: sections, README: {"readme": render_readme(runs)}})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=list(BY_NAME), metavar="JOB", help=f"jobs: {' '.join(BY_NAME)}")
    ap.add_argument("--render", action="store_true", help="run nothing: rewrite the tables from figures.json")
    args = ap.parse_args(argv)
    runs: dict[str, dict[str, Any]] = json.loads(CACHE.read_text(encoding="utf-8")) if CACHE.exists() else {}
    # Check the markers before a long run, not after it.
    for path, names in ((PERFORMANCE, ("summary", "scaling")), (README, ("readme",))):
        text = path.read_text(encoding="utf-8")
        for name in names:
            replace_between(text, name, "", shown(path))
    if not args.render:
        for name in args.only or list(BY_NAME):
            runs[name] = run_job(BY_NAME[name])
            CACHE.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    render_all(runs)
    print(f"rewrote the tables in {shown(PERFORMANCE)} and {shown(README)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MarkerError as e:
        sys.exit(str(e))
