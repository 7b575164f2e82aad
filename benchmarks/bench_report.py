"""The report against a plain `plotly.express.line`, side by side in one run. Prints figures; asserts nothing.

The target (issue 6): on an 8-hour 1 Hz session the report takes no longer than a plain
`px.line` of the raw HR, SBP and DBP columns written with `write_html`, and its file is smaller.
Both are timed as a user meets them: a fresh `python` process from start to exit (imports, reading
the CSV, building, writing), runs interleaved, median reported. The work alone (after imports, in
this process) is timed too. A 32-hour real recording (MIMIC-II numerics) is reported on as well.

    python benchmarks/bench_report.py              # 5 interleaved runs of each
    python benchmarks/bench_report.py --runs 9 --keep /tmp/bench   # keep the HTML files to look at
    python benchmarks/bench_report.py --json FILE   # also write the figures (for regenerate_docs.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import Figures, verdict  # noqa: E402

REAL_NAME = "mimic2wdb_s00001_numerics.csv"

BASELINE = """
import sys
import pandas as pd
import plotly.express as px
df = pd.read_csv(sys.argv[1])
px.line(df, x="time", y=["hr", "sbp", "dbp"]).write_html(sys.argv[2])
"""


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return dt


def baseline_cmd(csv: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", BASELINE, str(csv), str(out)]


def report_cmd(csv: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "report", str(csv), "-o", str(out), *extra]


def side_by_side(csv: Path, folder: Path, runs: int, tag: str) -> dict:
    base_out, rep_out = folder / f"{tag}.px_line.html", folder / f"{tag}.report.html"
    tb, tr = [], []
    for _ in range(runs):  # interleaved, so both see the same machine state
        tb.append(wall(baseline_cmd(csv, base_out)))
        tr.append(wall(report_cmd(csv, rep_out)))
    cdn_out = folder / f"{tag}.report-cdn.html"
    wall(report_cmd(csv, cdn_out, "--plotlyjs", "cdn"))
    return {
        "baseline_s": statistics.median(tb),
        "report_s": statistics.median(tr),
        "baseline_runs": tb,
        "report_runs": tr,
        "baseline_bytes": base_out.stat().st_size,
        "report_bytes": rep_out.stat().st_size,
        "cdn_bytes": cdn_out.stat().st_size,
    }


def in_process(csv: Path, folder: Path, runs: int) -> tuple[float, float, dict]:
    """The work alone, imports already paid: read + build + write, median of `runs`."""
    import pandas as pd
    import plotly.express as px

    from monitor.recording import load_session
    from monitor.report.data import build_report_data
    from monitor.report.figure import build_figure
    from monitor.report.plotly_parts import figure_stats
    from monitor.report.writer import write_report

    tb, tr = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        df = pd.read_csv(csv)
        px.line(df, x="time", y=["hr", "sbp", "dbp"]).write_html(folder / "inproc.px_line.html")
        tb.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        write_report(load_session(csv), folder / "inproc.report.html")
        tr.append(time.perf_counter() - t0)
    stats = figure_stats(build_figure(build_report_data(load_session(csv))))
    return statistics.median(tb), statistics.median(tr), stats


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    ap.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    args = ap.parse_args(argv)
    figures = Figures(__file__, argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)

    import plotly

    from monitor import __version__

    sim = folder / "typical-8h.csv"
    wall(
        [
            sys.executable,
            "-m",
            "monitor",
            "simulate",
            "--scenario",
            "typical",
            "--seed",
            "7",
            "--duration",
            "8h",
            "--out",
            str(sim),
        ]
    )
    with open(sim, encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    print(
        f"vitals-monitor {__version__}, plotly {plotly.__version__}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"8-hour session: {sim.name}, {rows:,} rows at 1 Hz (simulator, typical, seed 7)\n")

    r = side_by_side(sim, folder, args.runs, "8h")
    print(f"Fresh process, start to exit, median of {args.runs} interleaved runs")
    print(f"  {'':32} {'time':>8} {'file':>10}")
    print(f"  {'plain px.line(hr, sbp, dbp)':32} {r['baseline_s']:7.2f}s {mb(r['baseline_bytes']):>10}")
    print(f"  {'vitals-monitor report':32} {r['report_s']:7.2f}s {mb(r['report_bytes']):>10}")
    print(f"  {'vitals-monitor report --plotlyjs cdn':32} {'':8} {mb(r['cdn_bytes']):>10}")
    print(
        f"  runs: px.line {', '.join(f'{x:.2f}' for x in r['baseline_runs'])}; "
        f"report {', '.join(f'{x:.2f}' for x in r['report_runs'])}"
    )
    ok_time = r["report_s"] <= r["baseline_s"]
    ok_size = r["report_bytes"] < r["baseline_bytes"]
    print(
        f"  report/px.line: time x{r['report_s'] / r['baseline_s']:.2f}, size x"
        f"{r['report_bytes'] / r['baseline_bytes']:.2f}  ->  "
        f"{'OK' if ok_time and ok_size else 'MISSED'} (target: no slower, smaller)\n"
    )

    tb, tr, stats = in_process(sim, folder, args.runs)
    print("In this process, imports already paid (read + build + write)")
    print(
        f"  plain px.line {tb:.2f}s, report {tr:.2f}s "
        f"(chart: {stats['traces']} traces, {stats['points']:,} points, {stats['shapes']} shapes)\n"
    )

    real = ROOT.parent / "shared" / "data" / "real" / REAL_NAME
    if not real.exists():
        real = ROOT / "tests" / "data" / REAL_NAME
    from monitor.recording import load_session

    s = load_session(real)
    span = s.store.span()
    rr = side_by_side(real, folder, max(3, args.runs // 2), "32h")
    print(f"32-hour real recording: {real.name} ({len(s.store):,} rows over {(span[1] - span[0]) / 3600:.1f} h)")
    print(
        f"  plain px.line {rr['baseline_s']:.2f}s {mb(rr['baseline_bytes'])}; "
        f"report {rr['report_s']:.2f}s {mb(rr['report_bytes'])} (cdn {mb(rr['cdn_bytes'])})"
    )
    print(f"\nfiles in {folder}" + ("" if args.keep else " (temporary)"))
    figures.add(
        "report_8h",
        f"report of an 8 h 1 Hz session ({rows:,} rows) against a plain `plotly.express.line(...).write_html`, "
        f"fresh processes (median of {args.runs})",
        f"{r['report_s']:.1f} s and {mb(r['report_bytes'])} (`--plotlyjs cdn`: {mb(r['cdn_bytes'])})",
        peer=f"{r['baseline_s']:.1f} s and {mb(r['baseline_bytes'])}; "
        f"in process: report {tr:.2f} s, px.line {tb:.2f} s",
        target="no slower, smaller" + verdict(ok_time and ok_size),
        met=ok_time and ok_size,
        value=r["report_s"] / r["baseline_s"],
    )
    figures.add(
        "report_real",
        f"report of the {(span[1] - span[0]) / 3600:.0f} h MIMIC-II recording ({len(s.store):,} rows), same comparison",
        f"{rr['report_s']:.1f} s and {mb(rr['report_bytes'])} (cdn: {mb(rr['cdn_bytes'])})",
        peer=f"{rr['baseline_s']:.1f} s and {mb(rr['baseline_bytes'])}",
        value=rr["report_s"] / rr["baseline_s"],
    )
    figures.write(Path(args.json) if args.json else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
