"""Calibration cohort and generation speed of the simulator (prints figures; not a timed test).

    python benchmarks/bench_calibration.py            # 500 subjects, seed 1, 75 and 125 mg
    python benchmarks/bench_calibration.py --n 2000 --seeds 1 2 3
    python benchmarks/bench_calibration.py --json FILE   # also write the figures (for regenerate_docs.py)

Prints the calibration table (the same as `vitals-monitor simulate --cohort N`), how long the cohort
took, and how long an 8 h session takes to generate and to format as CSV.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Figures, verdict

from simulators.cohort import DEFAULT_DOSES, format_table, run_cohort
from simulators.generate import simulate
from simulators.writer import csv_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="subjects per dose (default 500)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="cohort seeds (default 1)")
    parser.add_argument("--dose", type=float, nargs="+", default=list(DEFAULT_DOSES), help="doses in mg")
    parser.add_argument("--repeat", type=int, default=5, help="8 h generations to time (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    args = parser.parse_args(argv)
    figures = Figures(__file__, argv)
    cohorts = []

    for seed in args.seeds:
        t0 = time.perf_counter()
        results = [run_cohort(args.n, dose, seed) for dose in args.dose]
        elapsed = time.perf_counter() - t0
        print(format_table(results))
        print(f"cohort time: {elapsed:.2f} s for {args.n} subjects x {len(args.dose)} doses\n")
        cohorts.append(elapsed)

    simulate("typical", 0)  # warm-up
    gen, fmt, rows = [], [], 0
    for i in range(args.repeat):
        t0 = time.perf_counter()
        session = simulate("artifacts", i + 1)
        t1 = time.perf_counter()
        csv_text(session)
        t2 = time.perf_counter()
        gen.append(t1 - t0)
        fmt.append(t2 - t1)
        rows = len(session)
    print(
        f"8 h session ({rows} rows, scenario 'artifacts'): generate median {1000 * statistics.median(gen):.0f} ms, "
        f"format CSV median {1000 * statistics.median(fmt):.0f} ms (over {args.repeat} runs)"
    )
    doses = " and ".join(f"{d:g}" for d in args.dose)
    figures.add(
        "calibration_cohort",
        f"simulator: calibration cohort ({args.n} subjects x {len(args.dose)} doses, {doses} mg)",
        ", ".join(f"{t:.1f} s" for t in cohorts),
        value=max(cohorts),
    )
    worst = max(statistics.median(gen), statistics.median(fmt))
    figures.add(
        "calibration_session",
        f"simulator: one 8 h session ({rows:,} rows) generated; formatted as CSV (median of {args.repeat})",
        f"{1000 * statistics.median(gen):.0f} ms; {1000 * statistics.median(fmt):.0f} ms",
        target="well under 1 s" + verdict(worst < 1),
        met=worst < 1,
        value=worst,
    )
    figures.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
