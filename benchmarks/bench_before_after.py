"""The engine benchmark and `alarms` on an 8 h session, for an earlier revision and this tree, in
one run and interleaved (so background load hits both alike): a change must not cost more than
10 % of either figure.

Run: python benchmarks/bench_before_after.py [--base REV] [--rounds 3]
The earlier revision is checked out into a temporary git worktree (removed afterwards).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "engine run (readings/s)": ("bench_engine.py", r"recorded session \(run\)\s*:\s*([\d,]+)"),
    "engine feed (readings/s)": ("bench_engine.py", r"live stream \(feed\)\s*:\s*([\d,]+)"),
    "alarms, 8 h CSV (best s)": ("bench_alarms_cli.py", r"vitals-monitor alarms\s*: best ([\d.]+) s"),
}


def run(tree: Path, script: str) -> str:
    args = [sys.executable, str(tree / "benchmarks" / script)] + (["--runs", "3"] if "cli" in script else [])
    return subprocess.run(args, cwd=tree, capture_output=True, text=True, check=True).stdout


def figures(tree: Path) -> dict[str, float]:
    out = {}
    texts = {script: run(tree, script) for script in {s for s, _ in FIGURES.values()}}
    for name, (script, pattern) in FIGURES.items():
        m = re.search(pattern, texts[script])
        out[name] = float(m.group(1).replace(",", "")) if m else float("nan")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="HEAD~1", help="the earlier revision (default HEAD~1)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), a.base], cwd=ROOT, check=True, capture_output=True
        )
        try:
            rows: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in FIGURES}
            for _ in range(a.rounds):
                for k, v in figures(base).items():
                    rows[k][0].append(v)
                for k, v in figures(ROOT).items():
                    rows[k][1].append(v)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)
    print(f"{'figure':<28} {a.base:>14} {'this tree':>14} {'change':>8}")
    for k, (old, new) in rows.items():
        o, n = statistics.median(old), statistics.median(new)
        print(f"{k:<28} {o:>14,.3f} {n:>14,.3f} {(n - o) / o * 100:>+7.1f}%")
    print("target: within 10 % (readings/s higher is better; seconds lower is better)")


if __name__ == "__main__":
    main()
