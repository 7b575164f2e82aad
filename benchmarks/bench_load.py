"""Load: a 24-hour session with HR at 10 Hz (864,000 readings) and cuff BP every 15 min, through
`alarms` and `report`, each in its own process: wall time and peak memory (target: within 1 GB).

Run: python benchmarks/bench_load.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_csv(path: Path, hours: float = 24.0, hz: int = 10, seed: int = 5) -> int:
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * hz)
    t = np.arange(n) / hz
    effect = np.clip(np.sin(np.clip((t - 1800) / (6 * 3600), 0, 1) * np.pi), 0, None)
    hr = np.round(70 + 40 * effect + rng.normal(0, 2, n))
    cuff = np.zeros(n, bool)
    cuff[:: 900 * hz] = True
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


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of `cmd`, run under a small parent of its own so that
    the peak is that command's alone."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, int(out.stdout.strip()) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "day.csv"
        n = write_csv(csv_path)
        print(f"24 h session, HR 10 Hz: {n:,} readings, {csv_path.stat().st_size / 1e6:.1f} MB CSV")
        py = sys.executable
        for name, cmd in [
            ("alarms", [py, "-m", "monitor", "alarms", str(csv_path)]),
            ("report", [py, "-m", "monitor", "report", str(csv_path), "-o", str(Path(tmp) / "day.html")]),
        ]:
            wall, peak = measure(cmd)
            extra = f", file {(Path(tmp) / 'day.html').stat().st_size / 1e6:.1f} MB" if name == "report" else ""
            print(f"{name:<7}: {wall:6.2f} s, peak {peak:6.0f} MB{extra}   (target: within 1 GB)")


if __name__ == "__main__":
    main()
