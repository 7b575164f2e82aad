"""The names, version and time stamps of a recorded-session folder.

A recorded session is a folder:
- `readings.csv`  canonical columns `time,hr,sbp,dbp,map,spo2,temp,rr`, one line per reading;
- `events.jsonl`  one JSON object per line: doses, notes, acknowledgements, audio pauses, alarm
                  transitions (kind "alarm"), technical alarms raised and cleared, feed lost/restored,
                  clock ticks that fired a deadline, start and stop;
- `session.json`  format_version, id, label, start, source, simulated flag, thresholds in force,
                  software version;
- `monitor.log`   what went wrong with the feed or the disk, for whoever looks into it.
A plain CSV with side files `X.session.json` / `X.events.jsonl` (what the simulator writes) and a
plain device CSV with no side files are read the same way.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from monitor.core.vitals import VITALS

READINGS = "readings.csv"
EVENTS = "events.jsonl"
META = "session.json"
LOG_FILE = "monitor.log"
HEADER = "time," + ",".join(VITALS) + "\n"
# 1: the first recordings (no version written). 2: controls carry `seq` (readings taken before
# them), technical alarms and clock ticks are recorded as controls. 3: typed readings (a `reading`
# event with `source: manual` marks its row of readings.csv), low-priority technical alarms
# (a reading overdue by the schedule), the protocol and the session's participant, session number,
# site and staff in session.json, `staff` initials on doses and acknowledgements. Versions 1 and 2
# load unchanged: they have none of these.
FORMAT_VERSION = 3


class SessionError(Exception):
    """A session folder or file that cannot be read or written; str() is one clear sentence."""


def format_time(t: float, absolute: bool) -> str:
    if not absolute:
        return f"{t:.3f}".rstrip("0").rstrip(".")  # %g would round past 27 hours
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds" if t % 1 else "seconds")


_LAST_SECOND = 253_402_300_800.0  # 10000-01-01: a 4-digit year before it


def format_times(ts: list[float], absolute: bool) -> list[str]:
    """format_time of each time of a batch: for absolute times, the date and the minute are made
    once per minute (datetime made and formatted for every row cost most of writing a backlog)."""
    if not absolute:
        return [format_time(t, False) for t in ts]
    out = []
    minute, head = -1, ""
    for t in ts:
        if not 0.0 <= t < _LAST_SECOND:
            out.append(format_time(t, True))
            continue
        # As datetime.fromtimestamp rounds: the fraction to the nearest microsecond, half to even.
        frac, whole = math.modf(t)
        us = round(frac * 1e6)
        if us >= 1_000_000:
            whole += 1.0
            us -= 1_000_000
        m, sec = divmod(int(whole), 60)
        if m != minute:
            minute, head = m, datetime.fromtimestamp(m * 60, UTC).isoformat()[:17]  # YYYY-MM-DDTHH:MM:
        out.append(f"{head}{sec:02d}.{us // 1000:03d}+00:00" if frac else f"{head}{sec:02d}+00:00")
    return out


def parse_time(value) -> float:
    """Seconds (a number) or an ISO 8601 string (epoch seconds; no offset means UTC)."""
    if isinstance(value, bool):
        raise TypeError("a time is not true or false")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def session_paths(path: str | Path) -> tuple[Path, Path, Path]:
    """(readings, session.json, events.jsonl) of a session folder or of a CSV with side files."""
    p = Path(path)
    if p.is_dir():
        return p / READINGS, p / META, p / EVENTS
    return p, p.with_name(p.stem + ".session.json"), p.with_name(p.stem + ".events.jsonl")


def is_session_folder(p: Path) -> bool:
    return p.is_dir() and ((p / META).exists() or (p / READINGS).exists())


# Bounds on what is read of a side file: far beyond any real session (a day of events is a few MB).
EVENTS_LIMIT = 256 * 1024 * 1024
META_LIMIT = 16 * 1024 * 1024


def read_side_text(path: Path, limit: int) -> str:
    """The text of session.json or events.jsonl; SessionError (one sentence) when it is not a
    regular file (a FIFO would hang every command), is larger than `limit`, or cannot be read."""
    from monitor.core.text import printable
    from monitor.core.textfile import NotRegularFile, TooLarge, is_link_loop, read_limited, size_text

    name = printable(path)
    try:
        data = read_limited(path, limit)
    except NotRegularFile as exc:
        raise SessionError(f"cannot read '{name}': it is {exc.what}, not a regular file") from None
    except TooLarge as exc:
        raise SessionError(
            f"cannot read '{name}': it is {exc.how_large()} than the {size_text(limit)} such a file may be"
        ) from None
    except OSError as exc:
        why = "it is a symbolic link loop" if is_link_loop(exc) else (exc.strerror or str(exc))
        raise SessionError(f"cannot read '{name}': {why}") from exc
    return data.decode("utf-8", errors="replace")
