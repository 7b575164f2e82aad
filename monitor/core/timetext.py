"""Times as text, both ways, for every part of the monitor: the screen, the CLI and the report.

One rounding: a time is shown to the whole second, half a second up (`whole_seconds`), whether it
is a clock time ("10:53:46"), an elapsed time ("+1:02:03") or a duration ("2m05s"), so the
screen, the alarm log and the report never disagree about the same moment. One place for the sign
of a relative time, and one reader each for what people type: durations ("90m", "6h30m"), clock
times ("09:42") and times ago ("5m ago").
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo

import numpy as np

# -- rounding ------------------------------------------------------------------------------------


def whole_seconds(seconds: float) -> int:
    """The whole second a time is shown as: half a second up (-0.5 s shows as 0)."""
    return math.floor(seconds + 0.5)


def whole_seconds_array(seconds: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(seconds, dtype=float) + 0.5).astype(np.int64)


# -- elapsed times: "+1:02:03" -------------------------------------------------------------------


def hms(seconds: float) -> str:
    """H:MM:SS, with a leading minus for a negative time."""
    s = whole_seconds(seconds)
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def signed_hms(seconds: float) -> str:
    """+H:MM:SS or -H:MM:SS: a time relative to a start or a dose (never "+-0:00:10")."""
    text = hms(seconds)
    return text if text.startswith("-") else "+" + text


def signed_hms_array(seconds: np.ndarray) -> list[str]:
    """`signed_hms` of many times at once (the report's hover labels)."""
    rel = whole_seconds_array(seconds)
    sign = np.where(rel < 0, "-", "+").tolist()
    a = np.abs(rel)
    h, m, s = (a // 3600).tolist(), (a % 3600 // 60).tolist(), (a % 60).tolist()
    return [f"{g}{hh}:{mm:02d}:{ss:02d}" for g, hh, mm, ss in zip(sign, h, m, s, strict=True)]


# -- clock times: "10:53:46" -----------------------------------------------------------------------


def clock_of_day(t: float, tz: tzinfo | None = None, *, seconds: bool = True, date: bool = False) -> str:
    """The clock time of epoch seconds t in zone tz (None: the local zone): "10:53:46", "10:53"
    without seconds, "01 Dec 10:53:46" with the date."""
    fmt = ("%d %b " if date else "") + ("%H:%M:%S" if seconds else "%H:%M")
    return datetime.fromtimestamp(whole_seconds(t), tz).strftime(fmt)


def clock_of_day_array(t: np.ndarray, utc_offset_s: float, *, date: bool = False) -> list[str]:
    """`clock_of_day` of many times at once, in a zone with a fixed offset from UTC."""
    local = whole_seconds_array(np.asarray(t, dtype=float) + utc_offset_s)
    sod = local % 86400
    ch, cm, cs = (sod // 3600).tolist(), (sod % 3600 // 60).tolist(), (sod % 60).tolist()
    if date:
        days = local // 86400
        names = {d: (datetime(1970, 1, 1) + timedelta(days=d)).strftime("%d %b ") for d in np.unique(days).tolist()}
        day = [names[d] for d in days.tolist()]
    else:
        day = [""] * len(sod)
    return [f"{d}{a:02d}:{b:02d}:{c:02d}" for d, a, b, c in zip(day, ch, cm, cs, strict=True)]


def event_time(t: float | None, absolute: bool | None, tz: tzinfo | None = None, seconds: bool = True) -> str:
    """An event time as the screen writes it: the clock time when readings carry one, else the
    time since the start of the recording ("+0:12:30"); "--:--" for none."""
    if t is None or not math.isfinite(t):
        return "--:--"
    if absolute is False:
        return signed_hms(t)
    return clock_of_day(t, tz, seconds=seconds)


def utc_stamp(t: float) -> str:
    """ "2026-12-01 09:00:00": a full UTC date and time, for logs a program reads."""
    return datetime.fromtimestamp(whole_seconds(t), UTC).strftime("%Y-%m-%d %H:%M:%S")


def zone_stamp(t: float, tz: tzinfo) -> str:
    """ "2026-12-01 10:00:00 UTC+01:00": a full date and time with its zone."""
    return datetime.fromtimestamp(whole_seconds(t), tz).strftime("%Y-%m-%d %H:%M:%S") + f" {zone_name(tz)}"


def zone_name(tz: tzinfo) -> str:
    """ "UTC" or "UTC+01:00" (the zone's offset on 1 Jan 2000)."""
    total = int(utc_offset(tz))
    if not total:
        return "UTC"
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"UTC{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def utc_offset(tz: tzinfo) -> float:
    return (datetime(2000, 1, 1, tzinfo=tz).utcoffset() or timedelta(0)).total_seconds()


# -- durations: "2h05m", "12m30s", "45s" -----------------------------------------------------------


def format_duration(seconds: float) -> str:
    """Compact form for display: 2h05m, 12m30s, 45s; negative values get a leading minus."""
    s = whole_seconds(seconds)
    sign = "-" if s < 0 else ""
    h, rem = divmod(abs(s), 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{sign}{h}h{m:02d}m"
    if m:
        return f"{sign}{m}m{sec:02d}s"
    return f"{sign}{sec}s"


def rule_duration(seconds: float) -> str:
    """A duration as a thresholds file writes it: 10s, 2m, 35m, 1h30m, 2h, 0.5s (exact, not
    rounded: it names a configured value)."""
    s = round(seconds, 3)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = [f"{int(h)}h" if h else "", f"{int(m)}m" if m else "", f"{sec:g}s" if sec else ""]
    return "".join(parts) or "0s"


def hours_minutes(seconds: float) -> str:
    """2h05m, 45m, 0m: whole minutes elapsed, for the screen's header."""
    m = int(max(seconds, 0) // 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m}m"


def countdown(seconds: float) -> str:
    """ "1:42": minutes and seconds left, a started second counted whole."""
    s = int(math.ceil(max(0.0, seconds)))
    return f"{s // 60}:{s % 60:02d}"


# -- ages: "12 s ago" ------------------------------------------------------------------------------


def age_text(seconds: float) -> str:
    """How long ago: "12 s ago", "4 min ago", "1 h 05 min ago"."""
    s = max(0.0, seconds)
    if s < 60:
        return f"{int(s)} s ago"
    m = int(s // 60)
    if m < 60:
        return f"{m} min ago"
    return f"{m // 60} h {m % 60:02d} min ago"


def age_short(seconds: float) -> str:
    """Compact age for narrow tiles: "30s", "14m", "1h05"."""
    s = max(0.0, seconds)
    if s < 60:
        return f"{int(s)}s"
    m = int(s // 60)
    return f"{m}m" if m < 60 else f"{m // 60}h{m % 60:02d}"


# -- what people type ------------------------------------------------------------------------------

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}
_AGO = re.compile(r"^\s*-?\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)\s*(ago)?\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_REL = re.compile(r"^\s*\+?(\d+):(\d{2}):(\d{2})\s*$")


def parse_duration(text: str) -> float:
    """Seconds in "8h", "90m", "6h30m", "45s", "1h30m15s" or plain seconds; raises ValueError
    with a sentence saying what was expected."""
    s = str(text).strip().lower().replace(" ", "")
    try:
        return float(s)
    except ValueError:
        pass
    parts = _PART.findall(s)
    if not s or "".join(n + u for n, u in parts) != s or len({u for _, u in parts}) != len(parts):
        raise ValueError(f"'{text}' is not a duration; write it like 8h, 90m, 6h30m or 45s")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def parse_clock(text: str) -> tuple[int, int, int] | None:
    """(hours, minutes, seconds) of "14:32" or "14:32:10" (hours not checked against 23: a
    recording timed from its start reads "25:00" as 25 h in); None when it is not written so.
    Raises ValueError when minutes or seconds pass 59."""
    m = _CLOCK.match(text)
    if not m:
        return None
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mi > 59 or sec > 59:
        raise ValueError(f"'{text.strip()}' is not a time")
    return h, mi, sec


def parse_time_input(text: str, now: float, absolute: bool | None, tz: tzinfo | None = None) -> float:
    """The time a user typed for a dose: empty = now, "09:42", "09:42:30", "5m ago", "-5m",
    or "+1:02:03" in a session timed in seconds since its start. Raises ValueError (one sentence)."""
    s = (text or "").strip()
    if not s or s.lower() == "now":
        return now
    m = _AGO.match(s)
    if m:
        n = float(m.group(1)) * {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[m.group(2).lower()]
        return now - n
    if absolute is False:
        m = _REL.match(s)
        if m:
            return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        raise ValueError(f"'{s}' is not a time; write +H:MM:SS, '5m ago', or leave it empty for now")
    try:
        parts = parse_clock(s)
    except ValueError:
        raise ValueError(f"'{s}' is not a time of day") from None
    if parts is None:
        raise ValueError(f"'{s}' is not a time; write HH:MM, HH:MM:SS, '5m ago', or leave it empty for now")
    h, mi, sec = parts
    if h > 23:
        raise ValueError(f"'{s}' is not a time of day")
    ref = datetime.fromtimestamp(now, tz)
    cand = ref.replace(hour=h, minute=mi, second=sec, microsecond=0)
    if cand.timestamp() > now + 60:
        cand -= timedelta(days=1)  # "23:50" typed just after midnight means yesterday
    return cand.timestamp()
