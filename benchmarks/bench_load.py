"""Load: a 24-hour session with HR at 10 Hz (864,000 readings) and cuff BP every 15 min, through
`alarms` and `report`, each in its own process, beside a bare `pandas.read_csv` process on the
same file: wall time, peak memory and peak memory per row.

Run: python benchmarks/bench_load.py [--runs 3] [--json FILE]
Targets: alarms <= 1.5 x the bare read_csv process; alarms <= 0.25 KB of peak memory per row;
report within 1 GB.
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

import numpy as np
from _common import Figures, verdict

ROOT = Path(__file__).resolve().parents[1]


def write_csv(path: Path, hours: float = 24.0, hz: int = 10, seed: int = 5, cuff_s: int = 900) -> int:
    """A dosing-day shape (HR and BP rise from 30 min, fade by 6.5 h, then baseline) with HR at
    `hz` readings a second and a cuff every `cuff_s` seconds; returns the readings written."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * hz)
    t = np.arange(n) / hz
    effect = np.clip(np.sin(np.clip((t - 1800) / (6 * 3600), 0, 1) * np.pi), 0, None)
    hr = np.round(70 + 40 * effect + rng.normal(0, 2, n))
    cuff = np.zeros(n, bool)
    cuff[:: cuff_s * hz] = True
    sbp = np.where(cuff, np.round(120 + 50 * effect + rng.normal(0, 5, n)), np.nan)
    dbp = np.where(cuff, np.round(76 + 22 * effect + rng.normal(0, 4, n)), np.nan)

    def cell(v):
        return np.where(np.isnan(v), "", np.char.mod("%d", np.nan_to_num(v).astype(int)))

    times = np.char.mod("%.1f", t)
    lines = np.char.add(
        np.char.add(np.char.add(np.char.add(times, ","), np.char.mod("%d", hr.astype(int))), ","),
        np.char.add(np.char.add(cell(sbp), ","), cell(dbp)),
    )
    with open(path, "w") as f:
        f.write("time,hr,sbp,dbp\n")
        f.write("\n".join(lines.tolist()))
        f.write("\n")
    return n


PEAK = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


# Byte-code cached, as for an installed package (this sandbox sets PYTHONDONTWRITEBYTECODE=1).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds of `cmd` and its peak resident MB, run under a small parent of its own so
    that the peak is that command's alone (the parent's start-up is timed too, alike for all)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PEAK, *cmd], cwd=ROOT, capture_output=True, text=True, check=True, env=ENV
    )
    return time.perf_counter() - t0, int(out.stdout.strip()) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    args = ap.parse_args()
    runs = args.runs
    figures = Figures(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "day.csv"
        html = Path(tmp) / "day.html"
        n = write_csv(csv_path)
        print(f"24 h session, HR 10 Hz: {n:,} readings, {csv_path.stat().st_size / 1e6:.1f} MB CSV")
        py = sys.executable
        cmds = {
            "read_csv": [py, "-c", f"import pandas; pandas.read_csv({str(csv_path)!r})"],
            "alarms": [py, "-m", "monitor", "alarms", str(csv_path)],
            "report": [py, "-m", "monitor", "report", str(csv_path), "-o", str(html)],
        }
        for cmd in cmds.values():  # warm the file cache and the byte-code
            measure(cmd)
        walls: dict[str, list[float]] = {k: [] for k in cmds}
        peaks: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(runs):  # interleaved, so background load hits each alike
            for name, cmd in cmds.items():
                wall, peak = measure(cmd)
                walls[name].append(wall)
                peaks[name].append(peak)
        for name in cmds:
            w, p = statistics.median(walls[name]), max(peaks[name])
            extra = f", file {html.stat().st_size / 1e6:.1f} MB" if name == "report" else ""
            print(
                f"{name:<9}: median {w:6.2f} s (best {min(walls[name]):.2f}), "
                f"peak {p:6.0f} MB = {p * 1024 / n:.2f} KB per row{extra}"
            )
        bare, ours = walls["read_csv"], walls["alarms"]
        print(
            f"alarms / read_csv process: {statistics.median(ours) / statistics.median(bare):.2f}x median, "
            f"{min(ours) / min(bare):.2f}x best (target 1.50x)"
        )
        kb = {k: max(v) * 1024 / n for k, v in peaks.items()}
        print(
            f"peak memory per row: alarms {kb['alarms']:.2f} KB, read_csv {kb['read_csv']:.2f} KB "
            "(target alarms 0.25 KB)"
        )
        print(f"report peak {max(peaks['report']):.0f} MB (target: within 1 GB)")
        day = "a 24 h session with HR at 10 Hz (864,000 readings)"
        med = {k: statistics.median(v) for k, v in walls.items()}
        ratio = med["alarms"] / med["read_csv"]
        figures.add(
            "load_alarms_ratio",
            f"`alarms` on {day} against a bare `pandas.read_csv` process",
            f"{ratio:.2f}x median ({min(ours) / min(bare):.2f}x best)",
            peer=f"`read_csv` process {med['read_csv']:.2f} s, `alarms` {med['alarms']:.2f} s",
            target="≤ 1.5x" + verdict(ratio <= 1.5),
            met=ratio <= 1.5,
            value=ratio,
        )
        figures.add(
            "load_alarms_kb",
            "peak memory per row of `alarms` on that session (peak resident memory / rows)",
            f"{kb['alarms']:.2f} KB, {max(peaks['alarms']):.0f} MB",
            peer=f"a bare `read_csv`: {kb['read_csv']:.2f} KB, {max(peaks['read_csv']):.0f} MB",
            target="≤ 0.25 KB" + verdict(kb["alarms"] <= 0.25),
            met=kb["alarms"] <= 0.25,
            value=kb["alarms"],
        )
        top = max(max(peaks["alarms"]), max(peaks["report"]))
        figures.add(
            "load_day",
            f"{day}: `alarms`, `report` (wall time, peak memory)",
            f"{med['alarms']:.1f} s, {max(peaks['alarms']):.0f} MB peak; "
            f"{med['report']:.1f} s, {max(peaks['report']):.0f} MB peak",
            target="within 1 GB" + verdict(top <= 1024),
            met=top <= 1024,
            value=top,
        )
        figures.write(args.json)


if __name__ == "__main__":
    main()
