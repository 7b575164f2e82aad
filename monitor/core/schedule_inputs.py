"""A schedule stream's readings out of a store (monitor.core.schedule.StreamReadings): which rows
carry the stream, which were over a limit of thresholds.toml, which may ask for a repeat."""

from __future__ import annotations

import numpy as np

from monitor.core.readings import VitalStore
from monitor.core.schedule import StreamReadings
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import SPECS


def over_limit(th: Thresholds, vital: str, values: np.ndarray) -> np.ndarray:
    """Where values reach any limit of the vital (inclusive, as the engine compares)."""
    rule = th.vitals.get(vital)
    out = np.zeros(len(values), bool)
    if rule is None:
        return out
    with np.errstate(invalid="ignore"):
        for limit in rule.upper.values():
            out |= values >= limit
        for limit in rule.lower.values():
            out |= values <= limit
    return out


def stream_readings(
    store: VitalStore, vitals: tuple[str, ...], th: Thresholds, typed_t: np.ndarray, rows: int | None = None
) -> StreamReadings:
    """The rows (of the first `rows`) where any of `vitals` has a plausible value. `typed_t`: the
    sorted times of typed readings."""
    n = len(store) if rows is None else rows
    present = [v for v in vitals if v in SPECS and store.holds(v)]
    if not present or not n:
        return StreamReadings.empty()
    given = np.zeros(n, bool)
    over = np.zeros(n, bool)
    for v in present:
        col = store.column(v)[:n]
        ok = ~np.isnan(col) & ~store.artifacts(v)[:n]
        given |= ok
        over |= ok & over_limit(th, v, col)
    idx = np.flatnonzero(given)
    t = store.t[:n][idx]
    typed = np.isin(t, typed_t) if len(typed_t) else np.zeros(len(t), bool)
    intermittent = all(not (th.vitals.get(v) and th.vitals[v].continuous) for v in present)
    repeatable = typed | intermittent
    return StreamReadings(t, over[idx], repeatable)


UNSCHEDULED_TYPED_STALE_S = 3600.0  # Philips: a cuff value is invalid after 1 h


def schedule_stale_rules(th: Thresholds, schedule, all_typed: bool = True) -> Thresholds:
    """The limits of a session whose readings are all typed: a stream goes stale after its
    schedule's longest interval plus the grace period (not 10 s after the last HR, as a streaming
    device would); a stream the schedule does not name, after an hour.

    With a device (`all_typed` False) only the intermittent streams (cuff BP, temperature, which
    may be typed) follow the schedule, and never sooner than before; a continuous stream keeps its
    rule (a device's HR is stale after 10 s)."""
    from dataclasses import replace

    rules = []
    for rule in th.stale:
        continuous = any(th.vitals.get(v) is not None and th.vitals[v].continuous for v in rule.vitals)
        if not all_typed and continuous:
            rules.append(rule)
            continue
        after = max(rule.after_s, UNSCHEDULED_TYPED_STALE_S) if all_typed else rule.after_s
        for ss in schedule.streams:
            if set(ss.vitals) & set(rule.vitals) and ss.phases:
                scheduled = ss.longest_interval_s + schedule.grace_s
                after = scheduled if all_typed else max(rule.after_s, scheduled)
                break
        rules.append(replace(rule, after_s=after))
    return replace(th, stale=tuple(rules))
