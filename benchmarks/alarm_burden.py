"""Alarm burden on the real recordings in tests/data: alarms per hour by priority, for an earlier
revision and this tree, side by side (the figure issue 11 asks for before and after).

Run: python benchmarks/alarm_burden.py [--base REV]
An alarm is counted when it starts sounding (an `active` transition: a new episode, or a latched
alarm crossing a limit again); escalations are counted apart. Technical alarms are counted apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = sorted((ROOT / "tests" / "data").glob("*.csv"))


def burden(tree: Path, path: Path) -> tuple[float, Counter]:
    code = (
        "import json,sys\n"
        "from monitor.recording import load_session\n"
        "from monitor.recording.alarm_source import recompute, session_limits\n"
        "rs = load_session(sys.argv[1]); lim = session_limits(rs)\n"
        "log = recompute(rs, lim.thresholds)\n"
        "span = rs.store.span()\n"
        "print(json.dumps({'hours': (span[1] - span[0]) / 3600 if span else 0,\n"
        "  'events': [(e.alarm, e.priority, e.state) for e in log]}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    d = json.loads(out.stdout)
    c: Counter = Counter()
    for _alarm, priority, state in d["events"]:
        if state == "active":
            c["technical" if priority == "technical" else priority] += 1
        elif state == "escalated":
            c["escalated"] += 1
    return d["hours"], c


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="HEAD~1")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), args.base], check=True)
        try:
            cols = ("high", "medium", "low", "escalated", "technical")
            print(f"alarms per hour on tests/data: {args.base} -> this tree")
            print(f"{'file':34} {'hours':>6}  " + "  ".join(f"{c:>15}" for c in cols))
            tot = {"base": Counter(), "now": Counter()}
            hours_all = 0.0
            for path in DATA:
                hours, b = burden(base, path)
                _, n = burden(ROOT, path)
                hours_all += hours
                tot["base"].update(b)
                tot["now"].update(n)
                cells = [f"{b[c] / hours:6.2f} -> {n[c] / hours:6.2f}" for c in cols]
                print(f"{path.name:34} {hours:6.1f}  " + "  ".join(f"{x:>15}" for x in cells))
            cells = [f"{tot['base'][c] / hours_all:6.2f} -> {tot['now'][c] / hours_all:6.2f}" for c in cols]
            print(f"{'all':34} {hours_all:6.1f}  " + "  ".join(f"{x:>15}" for x in cells))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
