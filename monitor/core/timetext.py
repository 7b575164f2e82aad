"""Elapsed times as every part of the monitor writes them: "+1:02:03", "-0:00:10".

One rounding (half a second up) and one place for the sign, so the screen, the CLI and the report
never disagree about the same moment.
"""

from __future__ import annotations

import math


def hms(seconds: float) -> str:
    """H:MM:SS, with a leading minus for a negative time."""
    s = math.floor(seconds + 0.5)
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def signed_hms(seconds: float) -> str:
    """+H:MM:SS or -H:MM:SS: a time relative to a start or a dose (never "+-0:00:10")."""
    text = hms(seconds)
    return text if text.startswith("-") else "+" + text
