"""Stale limits fitted to a recording whose streams come slower than a bedside monitor's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from monitor.core.readings import VitalStore
from monitor.core.thresholds import StaleRule, Thresholds
from monitor.core.timetext import format_duration
from monitor.core.vitals import VITALS


def slow_streams(th: Thresholds, store: VitalStore) -> list[tuple[StaleRule, float]]:
    """The stale rules whose stream comes slower in the store than its limit, with the median
    interval between its readings (a stream needs three readings to say)."""
    out = []
    t = store.t
    for rule in th.stale:
        mask = np.zeros(len(t), bool)
        for v in rule.vitals:
            if v in VITALS:
                mask |= ~np.isnan(store.column(v))
        ts = t[mask]
        median = float(np.median(np.diff(ts))) if len(ts) > 2 else 0.0
        if median > rule.after_s:
            out.append((rule, median))
    return out


def fit_stale_rules(th: Thresholds, store: VitalStore) -> tuple[Thresholds, list[str]]:
    """Stale limits that make sense for a recording whose streams are slower than a monitor's.

    A chart of hourly nurse-validated vitals would otherwise raise "no HR for 10 s" on every row.
    A stream whose median interval exceeds its stale limit is judged against three times that
    interval instead, and the change is said. Streams sampled as configured keep their limits, so
    a session recorded live gives the same alarms as it did live.
    """
    fitted, notes = {}, []
    for rule, median in slow_streams(th, store):
        new = 3 * median
        fitted[rule.stream] = replace(rule, after_s=new)
        notes.append(
            f"{rule.stream} readings in this recording come every {format_duration(median)} "
            f"(median), so 'no data' is judged after {format_duration(new)} instead of "
            f"{format_duration(rule.after_s)}"
        )
    return replace(th, stale=tuple(fitted.get(r.stream, r) for r in th.stale)), notes
