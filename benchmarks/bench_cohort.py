"""The cohort at trial scale: N simulated 8 h sessions (500: 14.4 M readings) into Parquet, then every
cohort table, beside pandas over the same Parquet, in one run. Prints figures; asserts nothing.

Targets (issue 18): ingest under 2 minutes; every table under 10 s once ingested; peak memory
reported. Each phase runs in a fresh process of its own, so its time and peak memory are its own:
the ingest (with its worker processes, `--jobs`), the DuckDB tables, and the peer: pandas reading
the same Parquet (readings, sessions) and computing what it can of the same tables (per-session
peaks after the dose and the incidence of SBP > 160 and T > 38 °C).

    python benchmarks/bench_cohort.py                       # 500 sessions of 8 h (14.4 M readings)
    python benchmarks/bench_cohort.py --sessions 20 --hours 2   # a quick look
    python benchmarks/bench_cohort.py --work /tmp/cohort    # keep (and reuse) the simulated sessions
    python benchmarks/bench_cohort.py --json FILE           # also write the figures
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import Figures, peak_mb, verdict  # noqa: E402

INGEST_TARGET_S = 120.0
TABLE_TARGET_S = 10.0


def phase_ingest(sessions: Path, db: Path, jobs: int) -> dict:
    from monitor.cohort.ingest import find_sessions, ingest

    t0 = time.perf_counter()
    report = ingest(find_sessions([sessions]), db, jobs=jobs)
    took = time.perf_counter() - t0
    readings = sum(o.readings for o in report.outcomes)
    t1 = time.perf_counter()
    again = ingest(find_sessions([sessions]), db, jobs=jobs)  # incremental: nothing new
    rerun = time.perf_counter() - t1
    return {
        "seconds": took,
        "readings": readings,
        "added": len(report.of("added")),
        "skipped": len(report.of("skipped")),
        "rerun_seconds": rerun,
        "rerun_added": len(again.of("added")),
        "peak_mb": peak_mb(),
        "workers_peak_mb": max([o.peak_mb for o in report.outcomes], default=0.0),
    }


def phase_whatif(sessions: Path, db: Path, jobs: int) -> dict:
    """Another thresholds file (HR alarm at 100 instead of 110) added to every session already in."""
    from monitor.cohort.ingest import find_sessions, ingest, what_if

    toml = db.parent / "what-if-hr100.toml"
    text = (ROOT / "thresholds.toml").read_text(encoding="utf-8")
    toml.write_text(text.replace("medium = 110      # Vizeli", "medium = 100      # Vizeli", 1), encoding="utf-8")
    t0 = time.perf_counter()
    report = ingest(find_sessions([sessions]), db, jobs=jobs, whatifs=(what_if(toml),))
    return {"seconds": time.perf_counter() - t0, "variant": len(report.of("variant")), "peak_mb": peak_mb()}


def phase_tables(db: Path, scan: bool = False) -> dict:
    from monitor.cohort.queries import TABLE_QUERIES, Cohort

    t0 = time.perf_counter()
    c = Cohort(db, scan=scan)
    out: dict = {"open_seconds": time.perf_counter() - t0, "tables": {}}
    for name, _title in TABLE_QUERIES:
        t = time.perf_counter()
        df = getattr(c, name)()
        out["tables"][name] = {"seconds": time.perf_counter() - t, "rows": len(df)}
    out["peak_mb"] = peak_mb()
    return out


def phase_pandas(db: Path) -> dict:
    """The peer: pandas over the same Parquet, per-session peaks after the dose and the incidence."""
    import pandas as pd

    t0 = time.perf_counter()
    r = pd.read_parquet(db / "readings", columns=["site", "session", "since_dose_s", "hr", "sbp", "dbp", "temp"])
    s = pd.read_parquet(db / "sessions", columns=["site", "session", "duration_s"])
    read = time.perf_counter() - t0
    t1 = time.perf_counter()
    post = r[r["since_dose_s"] >= 0]
    peaks = post.groupby(["site", "session"], observed=True)[["sbp", "dbp", "temp"]].max()
    peak_t = {
        v: post.loc[post.dropna(subset=[v]).groupby(["site", "session"], observed=True)[v].idxmax(), "since_dose_s"]
        for v in ("sbp", "dbp", "temp")
    }
    minutes = post.dropna(subset=["hr"]).assign(minute=lambda d: d["since_dose_s"] // 60)
    hr_peak = minutes.groupby(["site", "session", "minute"], observed=True)["hr"].median().groupby(
        level=[0, 1], observed=True).max()  # fmt: skip
    per_session = time.perf_counter() - t1
    t2 = time.perf_counter()
    inc = {"sbp_gt_160": float((peaks["sbp"] > 160).mean()), "temp_gt_38": float((peaks["temp"] > 38).mean())}
    incidence = time.perf_counter() - t2
    return {
        "read_seconds": read,
        "per_session_seconds": per_session,
        "incidence_seconds": incidence,
        "sessions": len(s),
        "rows": len(r),
        "check": {**inc, "hr_peaks": len(hr_peak), "peak_times": sum(len(v) for v in peak_t.values())},
        "peak_mb": peak_mb(),
    }


def _child(phase: str, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"the {phase} phase failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=500, help="simulated sessions (default: 500)")
    ap.add_argument("--hours", type=float, default=8.0, help="length of each session (default: 8)")
    ap.add_argument("--jobs", type=int, default=2, help="ingest worker processes (default: 2)")
    ap.add_argument("--work", type=Path, default=None, help="keep the simulated sessions and Parquet here")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--scan", action="store_true",
                    help="also time the per-session tables computed from every reading again (no facts)")  # fmt: skip
    ap.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        a = [Path(p) for p in args.paths]
        result = {"ingest": lambda: phase_ingest(a[0], a[1], args.jobs), "tables": lambda: phase_tables(a[0]),
                  "whatif": lambda: phase_whatif(a[0], a[1], args.jobs),
                  "scan": lambda: phase_tables(a[0], scan=True),
                  "pandas": lambda: phase_pandas(a[0])}[args.phase]()  # fmt: skip
        print(json.dumps(result))
        return 0

    figs = Figures(__file__)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-cohort-"))
    sessions, db = work / "sessions", work / "db"
    from monitor.cohort.simulated import CohortPlan, write_cohort

    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    write_cohort(sessions, CohortPlan(args.sessions, 1, args.hours * 3600.0), jobs=args.jobs)
    print(f"simulated {args.sessions} sessions of {args.hours:g} h in {time.perf_counter() - t0:.0f} s "
          f"(not a target; kept ones are reused)")  # fmt: skip
    shutil.rmtree(db, ignore_errors=True)
    ing = _child("ingest", str(sessions), str(db), "--jobs", str(args.jobs))
    wif = _child("whatif", str(sessions), str(db), "--jobs", str(args.jobs))
    tab = _child("tables", str(db))
    pdx = _child("pandas", str(db))
    scan = _child("scan", str(db)) if args.scan else None

    n = ing["readings"]
    print(f"\nCohort of {ing['added']} sessions, {n / 1e6:.1f} M readings ({ing['skipped']} skipped)\n")
    print(f"{'measure':<44} {'ours':>12} {'peer (pandas)':>14} {'target':>10}")
    ok = ing["seconds"] < INGEST_TARGET_S
    print(f"{'ingest (load, alarm engine, Parquet)':<44} {ing['seconds']:>10.1f} s {'-':>14} {'< 120 s':>10}"
          f"{verdict(ok)}")  # fmt: skip
    figs.add("cohort_ingest", f"cohort ingest of {ing['added']} sessions ({n / 1e6:.1f} M readings)",
             f"{ing['seconds']:.1f} s", target="< 120 s", met=ok, value=ing["seconds"])  # fmt: skip
    print(f"{'re-run over the same folder (adds nothing)':<44} {ing['rerun_seconds']:>10.1f} s {'-':>14} {'':>10}"
          f"  ({ing['rerun_added']} added)")  # fmt: skip
    print(f"{'what-if: another thresholds file, every session':<44} {wif['seconds']:>10.1f} s {'-':>14} {'':>10}"
          f"  ({wif['variant']} sessions)")  # fmt: skip
    figs.add("cohort_whatif", "cohort what-if over every session (alarm engine again)", f"{wif['seconds']:.1f} s",
             value=wif["seconds"])  # fmt: skip
    print(f"{'open the Parquet in DuckDB':<44} {tab['open_seconds']:>10.2f} s {'':>14} {'':>10}")
    peer = {"per_session": pdx["read_seconds"] + pdx["per_session_seconds"],
            "incidence": pdx["read_seconds"] + pdx["incidence_seconds"]}  # fmt: skip
    worst = 0.0
    for name, t in tab["tables"].items():
        s = t["seconds"]
        worst = max(worst, s)
        p = f"{peer[name]:.2f} s" if name in peer else "-"
        print(f"{'table ' + name + ' (' + str(t['rows']) + ' rows)':<44} {s:>10.2f} s {p:>14} {'< 10 s':>10}"
              f"{verdict(s < TABLE_TARGET_S)}")  # fmt: skip
        figs.add(f"cohort_table_{name}", f"cohort table {name}", f"{s:.2f} s", peer=p, target="< 10 s",
                 met=s < TABLE_TARGET_S, value=s)  # fmt: skip
    if scan is not None:
        print("the per-session tables again from every reading (the SQL the ingest runs per session, over all):")
        for name in ("per_session", "time_beyond", "incidence", "time_to_peak", "data_quality"):
            s = scan["tables"][name]["seconds"]
            print(f"{'  ' + name + ' over every reading':<44} {s:>10.2f} s")
            figs.add(f"cohort_scan_{name}", f"cohort table {name} from every reading", f"{s:.2f} s", value=s)
        print(f"{'  peak memory':<44} {scan['peak_mb']:>9.0f} MB")
    print(
        f"{'peak memory: ingest (main / each worker)':<44} {ing['peak_mb']:>7.0f} MB / {ing['workers_peak_mb']:.0f} MB"
    )
    print(f"{'peak memory: every table':<44} {tab['peak_mb']:>9.0f} MB {pdx['peak_mb']:>11.0f} MB")
    figs.add("cohort_memory", "cohort peak memory (tables; pandas peer)", f"{tab['peak_mb']:.0f} MB",
             peer=f"{pdx['peak_mb']:.0f} MB", value=tab["peak_mb"])  # fmt: skip
    print(f"\npandas read the Parquet ({pdx['rows'] / 1e6:.1f} M rows) in {pdx['read_seconds']:.2f} s; its "
          f"per-session peaks took {pdx['per_session_seconds']:.2f} s after that "
          "(its peer figure counts both).")  # fmt: skip
    print(f"slowest table {worst:.2f} s; load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figs.write(args.json, sessions=ing["added"], readings=n)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
