"""What the benchmark scripts share: their figures written as JSON (`--json FILE`, read by
regenerate_docs.py) and the replay opened without a screen (bench_replay.py, bench_scaling.py).

A figures file holds, for one run of one script: the command that ran it (without its `--json`
option, which changes nothing measured), the conditions (date, Python, cores, load average before
and after), and each figure with its peer figure and its target, as the summary table shows them.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def command_line(script: str, argv: list[str]) -> str:
    """The command as a reader would type it from the clone, `--json FILE` left out."""
    kept: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--json":
            skip = True
        elif not a.startswith("--json="):
            kept.append(a)
    return " ".join(["benchmarks/" + Path(script).name, *kept])


def conditions() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": list(os.getloadavg()),
    }


class Figures:
    """The figures of one run, added as they are printed and written at the end."""

    def __init__(self, script: str, argv: list[str] | None = None):
        self.doc: dict[str, Any] = {
            "script": Path(script).name,
            "command": command_line(script, sys.argv[1:] if argv is None else argv),
            "before": conditions(),
            "figures": [],
        }

    def add(
        self,
        key: str,
        what: str,
        figure: str,
        *,
        peer: str = "",
        target: str = "",
        met: bool | None = None,
        value: float | None = None,
    ) -> None:
        if value is not None and not math.isfinite(value):
            value = None  # (JSON has no NaN: a figure that could not be measured)
        self.doc["figures"].append(
            {"key": key, "what": what, "figure": figure, "peer": peer, "target": target, "met": met, "value": value}
        )

    def merge(self, path: Path) -> None:
        """Take in the figures a child process of this run wrote."""
        self.doc["figures"].extend(json.loads(path.read_text(encoding="utf-8"))["figures"])

    def write(self, path: Path | None, **extra: Any) -> None:
        if path is None:
            return
        self.doc["after"] = conditions()
        self.doc.update(extra)
        path.write_text(json.dumps(self.doc, indent=1, allow_nan=False, ensure_ascii=False) + "\n", encoding="utf-8")


def verdict(met: bool) -> str:
    return "" if met else " (*not met*)"


def open_replay(csv: Path):
    """The recording opened for replay as `vitals-monitor replay` opens it, without a screen: the
    session loaded, its limits chosen, and the full alarm log and engine checkpoints made.
    Returns the controller, its clock, and the seconds the controller took (after loading)."""
    from monitor.recording import load_session
    from monitor.recording.alarm_source import session_limits
    from monitor.session import ManualClock
    from monitor.session.replay import ReplayController
    from monitor.sources.replay import ReplaySource

    rs = load_session(csv)
    th = session_limits(rs).thresholds  # as `replay` and `alarms` choose them
    clock = ManualClock()
    t0 = time.perf_counter()
    s = ReplayController(ReplaySource(rs, speed=math.inf), th, clock=clock)
    return s, clock, time.perf_counter() - t0


def seek_times(s, targets: list[float]) -> list[float]:
    """Seconds each seek takes to rebuild the state (no screen) at each target time in turn."""
    times = []
    for t in targets:
        a = time.perf_counter()
        s.seek(t)
        times.append(time.perf_counter() - a)
    return times


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Its own since it started (VmHWM): Linux's ru_maxrss of a process also counts the resident
    memory of the parent it was forked from, so a child of a large benchmark would report at
    least the parent's size."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kb) / 1024


class KeyTimer:
    """Latency of keys posted to a running app: `press(due)` posts `w` (the trend window), as the
    terminal driver posts it, due at `due` (a key due while the app holds the event loop waits,
    and that wait counts); the app's own handler notes when it ran. One key at a time."""

    def __init__(self, app) -> None:
        from textual import events

        self._app, self._key = app, events.Key("w", "w")
        self.latencies: list[float] = []
        self.pressed: list[float] = []
        original = app.action_window

        def window() -> None:
            if self.pressed:
                self.latencies.append(time.perf_counter() - self.pressed.pop())
            original()

        app.action_window = window

    def waiting(self) -> bool:
        return bool(self.pressed)

    def press(self, due: float) -> None:
        self.pressed.append(due)
        self._app.post_message(self._key)
