"""Times and ages as the screen writes them, and the time a user types in the dose dialog.

Absolute event times are epoch seconds, shown in the monitor's time zone (`tz`, the local zone
unless a test fixes it); relative times (a file timed in seconds since its start) are shown as
+H:MM:SS.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo

from monitor.core.timetext import hms, signed_hms


def clock_text(t: float | None, absolute: bool | None, tz: tzinfo | None = None, seconds: bool = True) -> str:
    if t is None or not math.isfinite(t):
        return "--:--"
    if absolute is False:
        return signed_hms(t)
    fmt = "%H:%M:%S" if seconds else "%H:%M"
    return datetime.fromtimestamp(t, tz).strftime(fmt)




def hm(s: float) -> str:
    """2h05m, 45m, 0m: for elapsed times in the header."""
    m = int(max(s, 0) // 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m}m"


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


def countdown(seconds: float) -> str:
    s = int(math.ceil(max(0.0, seconds)))
    return f"{s // 60}:{s % 60:02d}"


_AGO = re.compile(r"^\s*-?\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)\s*(ago)?\s*$", re.I)
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_REL = re.compile(r"^\s*\+?(\d+):(\d{2}):(\d{2})\s*$")


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
    m = _CLOCK.match(s)
    if not m:
        raise ValueError(f"'{s}' is not a time; write HH:MM, HH:MM:SS, '5m ago', or leave it empty for now")
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or sec > 59:
        raise ValueError(f"'{s}' is not a time of day")
    ref = datetime.fromtimestamp(now, tz)
    cand = ref.replace(hour=h, minute=mi, second=sec, microsecond=0)
    if cand.timestamp() > now + 60:
        cand -= timedelta(days=1)  # "23:50" typed just after midnight means yesterday
    return cand.timestamp()


def parse_amount(text: str) -> float | None:
    """A dose in mg: empty = not given; raises ValueError for anything but a sensible number."""
    s = (text or "").strip().lower().removesuffix("mg").strip().replace(",", ".")
    if not s:
        return None
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not an amount in mg") from None
    if not (0 < v <= 1000) or not math.isfinite(v):
        raise ValueError(f"{v:g} mg is not a plausible dose (1-1000 mg)")
    return v
