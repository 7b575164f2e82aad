"""Calibration cohort and generation speed of the simulator (prints figures; not a timed test).

    python benchmarks/bench_calibration.py            # 500 subjects, seed 1, 75 and 125 mg
    python benchmarks/bench_calibration.py --n 2000 --seeds 1 2 3

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

from simulators.cohort import DEFAULT_DOSES, format_table, run_cohort
from simulators.generate import simulate
from simulators.writer import csv_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="subjects per dose (default 500)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="cohort seeds (default 1)")
    parser.add_argument("--dose", type=float, nargs="+", default=list(DEFAULT_DOSES), help="doses in mg")
    parser.add_argument("--repeat", type=int, default=5, help="8 h generations to time (default 5)")
    args = parser.parse_args(argv)

    for seed in args.seeds:
        t0 = time.perf_counter()
        results = [run_cohort(args.n, dose, seed) for dose in args.dose]
        elapsed = time.perf_counter() - t0
        print(format_table(results))
        print(f"cohort time: {elapsed:.2f} s for {args.n} subjects x {len(args.dose)} doses\n")

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
