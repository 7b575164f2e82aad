"""Why a loaded input holds no readings, in the one sentence `alarms` and `report` fail with."""

from __future__ import annotations

from pathlib import Path

# How many of the reader's per-line rejection reasons a "no readings" failure repeats.
NO_READINGS_REASONS = 5


def no_readings_message(session, source) -> str | None:
    """None when the session holds readings; else what to print: "no readings could be loaded from
    FILE" and the first few reasons the reader gave (rejected lines, else its notes)."""
    if len(session.store):
        return None
    reasons = []
    rejected = list(session.rejected)
    for r in rejected[:NO_READINGS_REASONS]:
        reasons.append(f"line {r.line}: {r.reason}")
    if len(rejected) > NO_READINGS_REASONS:
        more = len(rejected) - NO_READINGS_REASONS
        reasons.append(f"and {more:,} more rejected line{'s' if more != 1 else ''}")
    if not rejected:
        why = [n.rstrip(".") for n in session.notes if "No readings were loaded" not in n and "skipped" in n]
        reasons += why[:NO_READINGS_REASONS]
        if not why:
            where = "its readings.csv holds" if Path(source).is_dir() else "it holds"
            reasons.append(f"{where} no data lines (a header at most)")
    # One sentence (the house rule for bad input): the place, then the reasons.
    return f"no readings could be loaded from {source}: " + "; ".join(reasons)
