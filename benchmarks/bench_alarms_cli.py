"""`vitals-monitor alarms` against a bare `pandas.read_csv` process on the same 8-hour CSV
(HR 1 Hz, cuff BP every 5 min: about 28,900 readings), start-up included, side by side.

Run: python benchmarks/bench_alarms_cli.py [--runs 7] [--json FILE]
Target: alarms <= 1.15 x the bare read_csv process, byte-code cached as for an installed package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Figures, verdict
from bench_engine import session


def write_csv(path: Path) -> int:
    df = session()
    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC).timestamp()
    stamps = [datetime.fromtimestamp(start + t, UTC).isoformat() for t in df["time"]]
    with open(path, "w") as f:
        f.write("time,hr,sbp,dbp,map,spo2,temp,rr\n")
        for ts, hr, sbp, dbp in zip(stamps, df["hr"], df["sbp"], df["dbp"], strict=True):
            f.write(f"{ts},{hr:g},{'' if sbp != sbp else f'{sbp:g}'},{'' if dbp != dbp else f'{dbp:g}'},,,,\n")
    return len(df)


# An installed package has byte-code cached; this sandbox sets PYTHONDONTWRITEBYTECODE=1, which
# would make every run recompile our modules (about 40 ms) while pandas' own .pyc files are cached.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    args = ap.parse_args()
    runs = args.runs
    figures = Figures(__file__)
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "session.csv"
        n = write_csv(csv_path)
        bare = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(csv_path)!r})"]
        alarms = [sys.executable, "-m", "monitor", "alarms", str(csv_path)]
        timed(bare, root), timed(alarms, root)  # warm the file cache and byte-code
        a, b = [], []
        for _ in range(runs):  # interleaved, so background load hits both alike
            a.append(timed(bare, root))
            b.append(timed(alarms, root))
    print(f"file: {n:,} readings")
    print(f"bare pandas.read_csv process : best {min(a):.3f} s, median {statistics.median(a):.3f} s")
    print(f"vitals-monitor alarms        : best {min(b):.3f} s, median {statistics.median(b):.3f} s")
    print(
        f"alarms / read_csv process: {statistics.median(b) / statistics.median(a):.2f}x median, "
        f"{min(b) / min(a):.2f}x best (target 1.15x)"
    )
    ratio = statistics.median(b) / statistics.median(a)
    figures.add(
        "alarms_cli_ratio",
        f"`vitals-monitor alarms` on an 8 h CSV (the stress session, {n:,} readings) against a bare "
        "`pandas.read_csv` process, start-up included",
        f"{ratio:.2f}x median ({min(b) / min(a):.2f}x best); {statistics.median(b):.3f} s",
        peer=f"`read_csv` process {statistics.median(a):.3f} s",
        target="≤ 1.15x" + verdict(ratio <= 1.15),
        met=ratio <= 1.15,
        value=ratio,
    )
    figures.write(args.json)


if __name__ == "__main__":
    main()
