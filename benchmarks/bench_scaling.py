"""How the costs grow with a recording's length: `alarms`, `report`, opening a replay and seeking
in it, on sessions of 1 h to 240 h at 1 Hz and a day at 10 Hz. Prints figures; asserts nothing.

Each size is written by bench_load.py's `write_csv` (a dosing-day shape: HR and BP rise from
30 min and fade by 6.5 h, baseline after that); at 1 Hz HR comes every second and the cuff every
5 min, at 10 Hz HR ten times a second and the cuff every 15 min. For each size, each in a process
of its own (so that each peak is its own), median of --runs:

- `vitals-monitor alarms FILE` and `vitals-monitor report FILE -o X.html`: wall time of the whole
  process (start-up included) and its peak resident memory, as bench_load.py measures them;
- replay open: the recording opened for replay without a screen, as `replay` opens it (the session
  loaded, its full alarm log and engine checkpoints made; benchmarks/_common.py `open_replay`),
  timed in the process from reading the file to the replay ready, and the process's peak memory;
- replay seek: then a seek to the end (state rebuilt, no screen), and the worst of it and 6 more
  (the start, 4 random places, the end again); the peak memory of the process after them.

Then the cost per row (µs and KB) and a check that it does not grow with size: for each measure,
every size from 8 h up against 8 h at 1 Hz, PASS when within 25 % (no more than 1.25 times). The
1 h file is left out of the check because fixed costs (start-up, imports: about 0.7 s and 90 MB)
make small files look dear per row; for the same reason the per-row figures of the larger files
are a weak check, so the same check is also made on the cost net of the 1 h file's (the marginal
cost of a row). A seek should not grow with length at all: its time is also compared as it is, at
the same rate (the 10 Hz file has ten times the rows between two checkpoints). It is a report, not
a test: the exit code is 0 whatever the verdicts.

    python benchmarks/bench_scaling.py [--sizes 8h 24h 24h10hz] [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import Figures, open_replay, peak_mb, seek_times, verdict
from bench_load import ENV, ROOT, measure, write_csv


@dataclass(frozen=True)
class Size:
    label: str
    hours: float
    hz: int
    cuff_s: int


SIZES = {
    "1h": Size("1 h 1 Hz", 1, 1, 300),
    "8h": Size("8 h 1 Hz", 8, 1, 300),
    "24h": Size("24 h 1 Hz", 24, 1, 300),
    "72h": Size("72 h 1 Hz", 72, 1, 300),
    "240h": Size("240 h 1 Hz", 240, 1, 300),
    "24h10hz": Size("24 h 10 Hz", 24, 10, 900),
}
BASE, SMALL = "8h", "1h"
WITHIN = 1.25
SEEKS = 4  # random places, besides the start and the end (twice)

# Each measure: its time and memory figures in a run's result, and the time's unit in the table.
MEASURES = {
    "alarms": ("alarms_s", "alarms_mb"),
    "report": ("report_s", "report_mb"),
    "replay open": ("open_s", "open_mb"),
    "replay seek": ("seek_end_s", "seek_mb"),
}


def replay_child(csv: Path) -> None:
    """(In a process of its own.) Open the replay, seek; print the figures as JSON."""
    t0 = time.perf_counter()
    s, _clock, _ready = open_replay(csv)
    open_s = time.perf_counter() - t0
    opened = peak_mb()
    src = s.src
    rnd = random.Random(1)
    targets = [src.end, src.start, *(rnd.uniform(src.start, src.end) for _ in range(SEEKS)), src.end]
    times = seek_times(s, targets)
    print(
        json.dumps(
            {
                "open_s": open_s,
                "open_mb": opened,
                "seek_end_s": times[0],
                "seek_worst_s": max(times),
                "seek_mb": peak_mb(),
            }
        )
    )


def replay_measure(csv: Path) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--replay-child", str(csv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    d = json.loads(out.stdout.strip().splitlines()[-1])
    d["replay_process_s"] = time.perf_counter() - t0
    return d


def one_run(csv: Path, html: Path) -> dict:
    py = sys.executable
    r: dict = {}
    r["alarms_s"], r["alarms_mb"] = measure([py, "-m", "monitor", "alarms", str(csv)])
    r["report_s"], r["report_mb"] = measure([py, "-m", "monitor", "report", str(csv), "-o", str(html)])
    r.update(replay_measure(csv))
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        nargs="+",
        choices=list(SIZES),
        default=list(SIZES),
        metavar="SIZE",
        help=f"which sizes (default all: {' '.join(SIZES)})",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs of each measure, median reported (default 3)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file (for regenerate_docs.py)")
    ap.add_argument("--replay-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.replay_child:
        replay_child(args.replay_child)
        return 0
    figures = Figures(__file__)
    keys = [k for k in SIZES if k in args.sizes]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for k in keys:
            z = SIZES[k]
            files[k] = Path(tmp) / f"{k}.csv"
            rows = write_csv(files[k], hours=z.hours, hz=z.hz, cuff_s=z.cuff_s)
            results[k] = {"rows": rows, "mb": files[k].stat().st_size / 1e6}
        html = Path(tmp) / "report.html"
        one_run(files[keys[0]], html)  # warm the byte-code (the files are in the file cache already)
        runs: dict[str, list[dict]] = {k: [] for k in keys}
        for _ in range(args.runs):  # sizes interleaved, so background load hits each alike
            for k in keys:
                runs[k].append(one_run(files[k], html))
    for k in keys:
        for name in runs[k][0]:
            if name != "rows":
                results[k][name] = statistics.median(r[name] for r in runs[k])
    table = render(keys, results)
    print(table)
    checks = check(keys, results)
    for line in checks["lines"]:
        print(line)
    failed = [v["what"] for v in checks["verdicts"] if v["pass"] is False]
    if checks["verdicts"]:
        figures.add(
            "scaling_per_row",
            f"cost per row from 8 h up to {max(results[k]['rows'] for k in keys):,} rows (`alarms`, `report`, "
            "replay open and seek; time and peak memory), against 8 h at 1 Hz: the table below",
            "; ".join(
                summary(checks["verdicts"], kind)
                for kind in KINDS
                if any(v["kind"] == kind for v in checks["verdicts"])
            ),
            target=f"within {WITHIN:.2f}x of 8 h's" + verdict(not failed),
            met=not failed,
            value=len(failed),
        )
    figures.write(
        args.json,
        scaling={
            "sizes": {k: SIZES[k].label for k in keys},
            "results": results,
            "checks": checks["verdicts"],
            "runs": args.runs,
        },
    )
    return 0


KINDS = {"per row": "per row", "net": "net of the 1 h file", "seek": "a seek's time as it is"}


def summary(verdicts: list[dict], kind: str) -> str:
    """One kind of check in a few words: PASS, or FAIL and for which measures."""
    mine = [v for v in verdicts if v["kind"] == kind]
    failed = [v["what"].replace(", net", "") for v in mine if v["pass"] is False]
    judged = sum(v["pass"] is not None for v in mine)
    if not failed:
        return f"{KINDS[kind]}: PASS ({judged} of {len(mine)} judged)"
    worst = max(max(v["ratios"].values()) for v in mine if v["pass"] is False)
    return f"{KINDS[kind]}: FAIL for {', '.join(failed)} (up to {worst:.2f}x)"


def per_row(results: dict, k: str, name: str) -> float:
    """µs per row for a time (s), KB per row for a memory (MB)."""
    scale = 1e6 if name.endswith("_s") else 1024
    return results[k][name] * scale / results[k]["rows"]


def render(keys: list[str], results: dict) -> str:
    head1 = f"{'':12} {'':>9} " + " ".join(f"{m:^31}" for m in MEASURES)
    head2 = f"{'size':12} {'rows':>9} " + " ".join(f"{'s':>7} {'MB':>5} {'µs/row':>8} {'KB/row':>7} " for _ in MEASURES)
    lines = [head1, head2.rstrip()]
    for k in keys:
        cells = []
        for t, m in MEASURES.values():
            r = results[k]
            cells.append(f"{r[t]:7.3f} {r[m]:5.0f} {per_row(results, k, t):8.2f} {per_row(results, k, m):7.3f}")
        lines.append(f"{SIZES[k].label:12} {results[k]['rows']:>9,} " + "  ".join(cells))
    worst = ", ".join(f"{SIZES[k].label} {results[k]['seek_worst_s'] * 1000:.0f} ms" for k in keys)
    lines.append(f"replay seek: the time is the seek to the end; the worst of {SEEKS + 3} seeks: {worst}")
    lines.append(
        "alarms, report: the whole process, start-up included; replay open: in the process, from reading "
        "the file to the replay ready; replay seek MB: the peak of that process after opening and seeking"
    )
    return "\n".join(lines)


def check(keys: list[str], results: dict) -> dict:
    """Per-row costs of the sizes from 8 h up against 8 h at 1 Hz (raw, and net of the 1 h file)."""
    if BASE not in keys:
        return {"lines": ["per-row check: not made (it compares with 8 h at 1 Hz: add 8h to --sizes)"], "verdicts": []}
    big = [k for k in keys if results[k]["rows"] > results[BASE]["rows"]]
    lines = [
        f"cost per row against {SIZES[BASE].label} (PASS: every larger size within {WITHIN:.2f}x; the 1 h file is "
        "left out, its fixed start-up cost makes it look dear per row):"
    ]
    verdicts = []

    def judge(what: str, ratios: dict[str, float] | None, kind: str) -> None:
        if ratios is None:
            lines.append(f"  {what:34} not judged: at 8 h it cost no more than at 1 h (noise over fixed costs)")
            verdicts.append({"what": what, "kind": kind, "pass": None, "ratios": {}})
            return
        ok = all(v <= WITHIN for v in ratios.values())
        text = ", ".join(f"{SIZES[k].label} {v:.2f}x" for k, v in ratios.items())
        lines.append(f"  {what:34} {'PASS' if ok else 'FAIL'}  {text}")
        verdicts.append(
            {"what": what, "kind": kind, "pass": ok, "ratios": {SIZES[k].label: v for k, v in ratios.items()}}
        )

    for m, names in MEASURES.items():
        for name in names:
            unit = "time" if name.endswith("_s") else "memory"
            judge(
                f"{m} {unit} per row",
                {k: per_row(results, k, name) / per_row(results, BASE, name) for k in big},
                "per row",
            )
    if SMALL in keys:
        lines.append(f"the same, net of the {SIZES[SMALL].label} file's cost (the marginal cost of a row):")

        def net(k: str, name: str) -> float:
            return (results[k][name] - results[SMALL][name]) / (results[k]["rows"] - results[SMALL]["rows"])

        for m, names in MEASURES.items():
            for name in names:
                if name == "seek_end_s":
                    continue  # (a seek's time hardly depends on the rows: its net is noise; see below)
                unit = "time" if name.endswith("_s") else "memory"
                base = net(BASE, name)
                judge(f"{m} {unit} per row, net", {k: net(k, name) / base for k in big} if base > 0 else None, "net")
    same_rate = [k for k in big if SIZES[k].hz == SIZES[BASE].hz]
    if same_rate:
        lines.append("a seek should not grow with length at all (same rate, time as it is):")
        for name, what in (("seek_end_s", "replay seek to the end"), ("seek_worst_s", "replay seek, worst")):
            judge(what, {k: results[k][name] / results[BASE][name] for k in same_rate}, "seek")
    lines.append("(a report, not a test: the exit code is 0 whatever the verdicts)")
    return {"lines": lines, "verdicts": verdicts}


if __name__ == "__main__":
    sys.exit(main())
