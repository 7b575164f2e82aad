"""Time beyond limits: how long, and in how many readings, a vital was at or beyond each of its limits.

Counted from the readings themselves (not from the alarms, which wait for their delay), with each
reading taken to stand until the next one for at most its stream's "no data" limit, so that a gap
in the recording is not counted as time beyond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.priority import PRIORITIES
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import format_value


@dataclass
class Beyond:
    text: str  # "≥ 160" or "≥ baseline + 40 (= 157)"
    priority: str
    seconds: float
    readings: int


def median_interval(t: np.ndarray) -> float:
    """The median time between readings (0 for fewer than two)."""
    return float(np.median(np.diff(t))) if len(t) > 1 else 0.0


def hold_seconds(vital: str, t: np.ndarray, th: Thresholds) -> float:
    """How long one reading stands for: its stream's stale limit (fitted to the recording), else
    three times the median interval. Used for gaps in lines and time beyond limits."""
    for s in th.stale:
        if vital in s.vitals:
            return float(s.after_s)
    md = median_interval(t)
    return max(3.0 * md, 10.0) if md else 10.0


def _durations(t: np.ndarray, hold: float) -> np.ndarray:
    """Each reading holds until the next one, for at most `hold` seconds (the last one: 0)."""
    if len(t) == 0:
        return np.zeros(0)
    d = np.empty(len(t))
    d[:-1] = np.minimum(np.diff(t), hold)
    d[-1] = 0.0
    return d


def time_beyond_limits(
    vital: str, t: np.ndarray, v: np.ndarray, th: Thresholds, hold: float, baseline: float | None, dose_t: float | None
) -> list[Beyond]:
    """One entry per limit of the vital (high first, upper before lower), then per baseline-relative
    rule (counted after the dose only). `t`, `v`: the plausible readings; `hold`: `hold_seconds`."""
    rule = th.vitals.get(vital)
    out: list[Beyond] = []
    if len(v) == 0:
        return out
    d = _durations(t, hold)
    if rule is not None:
        for direction, op in (("upper", "≥"), ("lower", "≤")):
            limits = getattr(rule, direction)
            for pr in reversed(PRIORITIES):  # high first
                if pr not in limits:
                    continue
                lim = limits[pr]
                mask = v >= lim if direction == "upper" else v <= lim
                out.append(Beyond(f"{op} {format_value(vital, lim)}", pr, float(d[mask].sum()), int(mask.sum())))
    if dose_t is not None and baseline is not None:
        for b in th.baseline:
            if b.vital != vital:
                continue
            lim = baseline + (b.delta if b.direction == "upper" else -b.delta)
            post = t >= dose_t
            mask = post & ((v >= lim) if b.direction == "upper" else (v <= lim))
            sign, op = ("+", "≥") if b.direction == "upper" else ("−", "≤")
            out.append(
                Beyond(
                    f"{op} baseline {sign} {b.delta:g} (= {format_value(vital, lim)}, after dose)",
                    b.priority,
                    float(d[mask].sum()),
                    int(mask.sum()),
                )
            )
    return out
