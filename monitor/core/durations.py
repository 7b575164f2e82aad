"""Durations as people write them: "8h", "90m", "6h30m", "45s", "1h30m15s", or plain seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> float:
    """Seconds in `text`; raises ValueError with a sentence saying what was expected."""
    s = str(text).strip().lower().replace(" ", "")
    try:
        return float(s)
    except ValueError:
        pass
    parts = _PART.findall(s)
    if not s or "".join(n + u for n, u in parts) != s or len({u for _, u in parts}) != len(parts):
        raise ValueError(f"'{text}' is not a duration; write it like 8h, 90m, 6h30m or 45s")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """Compact form for display: 2h05m, 12m30s, 45s; negative values get a leading minus."""
    sign = "-" if seconds < 0 else ""
    s = int(round(abs(seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{sign}{h}h{m:02d}m"
    if m:
        return f"{sign}{m}m{sec:02d}s"
    return f"{sign}{sec}s"
