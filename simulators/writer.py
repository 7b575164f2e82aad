"""Writing a simulated session: the canonical CSV and its side files, at once or as a live stream.

Next to `X.csv` go `X.session.json` (id, label, start, source "simulator", simulated: true, scenario,
seed, software version) and `X.events.jsonl` (one JSON object per line: doses and notes). Every file
is created owner-read/write only (health-data convention, even for simulated data).

Streaming writes the header first, then each row when its simulated time has come, each line with a
single write() of the whole line including its newline, so a follower never sees half a row that
ends in a newline. Events are appended to the events file at their times in the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np

from monitor.core.vitals import VITALS
from simulators.generate import SimSession

HEADER = "time," + ",".join(VITALS)
DEFAULT_START = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)
TIME_MODES = ("absolute", "relative")
_DECIMALS = {"temp": 1}


def software_version() -> str:
    """monitor.__version__, or the installed distribution's version (a stale editable install can
    leave `monitor` a namespace package without the attribute when run outside the work tree)."""
    import monitor

    version = getattr(monitor, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as dist_version

        return dist_version("vitals-monitor")
    except Exception:
        return "unknown"


def parse_start(text: str | None, now: Callable[[], float] = time.time) -> datetime:
    """An ISO 8601 start time (a missing offset means UTC), or "now"; whole seconds."""
    if text is None:
        return DEFAULT_START
    if text.strip().lower() == "now":
        return datetime.fromtimestamp(int(now()), tz=UTC)
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a start time; write it like 2026-11-28T09:00:00+00:00 or 'now'") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.replace(microsecond=0)


def _offset(dt: datetime) -> str:
    off = dt.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_times(t: np.ndarray, start: datetime, time_mode: str = "absolute") -> list[str]:
    """Row times as text: ISO 8601 with the start's UTC offset, or whole seconds since the start."""
    seconds = np.asarray(t, dtype=float).astype(np.int64)
    if time_mode == "relative":
        return [str(s) for s in seconds.tolist()]
    if time_mode != "absolute":
        raise ValueError(f"time must be one of {', '.join(TIME_MODES)}, not '{time_mode}'")
    local = np.datetime64(start.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]")
    suffix = _offset(start)
    return [s + suffix for s in np.datetime_as_string(local, unit="s").tolist()]


def format_time(t: float, start: datetime, time_mode: str = "absolute") -> str | float | int:
    """One event time, in the same form as the CSV's time column (a number when relative)."""
    if time_mode == "relative":
        return int(t) if float(t).is_integer() else float(t)
    return format_times(np.array([t]), start, time_mode)[0]


def _format_column(name: str, values: np.ndarray) -> list[str]:
    out = np.full(len(values), "", dtype=object)
    present = ~np.isnan(values)
    if present.any():
        decimals = _DECIMALS.get(name, 0)
        if decimals:
            out[present] = np.char.mod(f"%.{decimals}f", np.round(values[present], decimals))
        else:
            out[present] = np.char.mod("%d", np.rint(values[present]).astype(np.int64))
    return out.tolist()


def format_lines(session: SimSession, start: datetime = DEFAULT_START, time_mode: str = "absolute") -> list[str]:
    """Every data row of the canonical CSV, without newlines (vectorised per column)."""
    columns = [format_times(session.t, start, time_mode)]
    columns += [_format_column(name, session.columns[name]) for name in VITALS]
    return [",".join(row) for row in zip(*columns, strict=True)]


def side_paths(out: Path) -> tuple[Path, Path]:
    """(X.session.json, X.events.jsonl) next to X.csv."""
    out = Path(out)
    stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
    return stem.with_name(stem.name + ".session.json"), stem.with_name(stem.name + ".events.jsonl")


def session_info(session: SimSession, start: datetime, time_mode: str = "absolute") -> dict:
    sc = session.scenario
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    initial = next((d.mg for d in sc.doses if d.kind == "initial"), None)
    return {
        "id": f"sim-{sc.name}-seed{session.seed}-{stamp}",
        "label": f"SIMULATED: {sc.name} (seed {session.seed})",
        "start": start.isoformat(),
        "source": "simulator",
        "simulated": True,
        "scenario": sc.name,
        "seed": session.seed,
        "software_version": software_version(),
        "duration_s": session.duration_s,
        "time": time_mode,
        "initial_dose_mg": None if initial is None else (int(initial) if float(initial).is_integer() else initial),
        "expected_alarms": sorted([list(a) for a in sc.expected_alarms]),
    }


def event_records(session: SimSession, start: datetime, time_mode: str = "absolute") -> list[tuple[float, dict]]:
    """(seconds since start, record) for every dose and note, in time order."""
    out = []
    for ev in session.events():
        t = ev["t"]
        out.append((t, {**ev, "t": format_time(t, start, time_mode)}))
    return out


def _json_line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _open_private(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with contextlib.suppress(OSError):  # e.g. a file system without modes
        os.fchmod(fd, 0o600)
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _write_text(path: Path, text: str) -> None:
    fd = _open_private(path)
    try:
        _write_all(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def write_side_files(out: Path, session: SimSession, start: datetime, time_mode: str = "absolute") -> tuple[Path, Path]:
    info_path, events_path = side_paths(out)
    _write_text(info_path, json.dumps(session_info(session, start, time_mode), indent=2) + "\n")
    _write_text(events_path, "".join(_json_line(rec) for _, rec in event_records(session, start, time_mode)))
    return info_path, events_path


def csv_text(session: SimSession, start: datetime = DEFAULT_START, time_mode: str = "absolute") -> str:
    return "\n".join([HEADER, *format_lines(session, start, time_mode)]) + "\n"


def write_session(out: Path | None, session: SimSession, start: datetime = DEFAULT_START, time_mode: str = "absolute",
                  stdout: TextIO | None = None) -> None:  # fmt: skip
    """Write the whole CSV (and side files) at once; `out=None` writes the CSV to standard output."""
    text = csv_text(session, start, time_mode)
    if out is None:
        (stdout or sys.stdout).write(text)
        return
    out = Path(out)
    _write_text(out, text)
    write_side_files(out, session, start, time_mode)


class _LineSink:
    """Appends whole lines: one os.write per line to a file, or write+flush to a text stream."""

    def __init__(self, path: Path | None, stream: TextIO | None = None) -> None:
        self.fd = _open_private(path) if path is not None else None
        self.stream = stream

    def line(self, text: str) -> None:
        if self.fd is not None:
            _write_all(self.fd, (text + "\n").encode("utf-8"))
        else:
            assert self.stream is not None
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def stream_session(
    out: Path | None,
    session: SimSession,
    start: datetime = DEFAULT_START,
    time_mode: str = "absolute",
    speed: float = 1.0,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    stdout: TextIO | None = None,
) -> int:
    """Write rows (and events) as their simulated time comes, `speed` simulated seconds per second.

    Returns the number of rows written. Sleeps until each row is due; never busy-waits.
    """
    if not speed > 0:
        raise ValueError("the speed must be more than 0")
    lines = format_lines(session, start, time_mode)
    times = session.t
    events = event_records(session, start, time_mode)
    csv_sink = _LineSink(Path(out) if out is not None else None, stdout or sys.stdout)
    ev_sink: _LineSink | None = None
    written = 0
    try:
        if out is not None:
            info_path, events_path = side_paths(Path(out))
            _write_text(info_path, json.dumps(session_info(session, start, time_mode), indent=2) + "\n")
            ev_sink = _LineSink(events_path)
        csv_sink.line(HEADER)
        origin = clock()
        e = 0
        for i, line in enumerate(lines):
            t = float(times[i])
            due = origin + t / speed
            now = clock()
            if due > now:
                sleep(due - now)
            while e < len(events) and events[e][0] <= t:
                if ev_sink is not None:
                    ev_sink.line(json.dumps(events[e][1], ensure_ascii=False))
                e += 1
            csv_sink.line(line)
            written += 1
        while e < len(events) and ev_sink is not None:
            ev_sink.line(json.dumps(events[e][1], ensure_ascii=False))
            e += 1
    finally:
        csv_sink.close()
        if ev_sink is not None:
            ev_sink.close()
    return written
