"""Discharge readiness at the end of a session, as the supplement's readiness is judged before
the half-dose: each vital of `[discharge.margins]` back within its margin of the pre-dose
baseline, and held there for `hold`, and not before `earliest` after the initial dose.

A vital is "back" from its first reading after the last one outside its margin; the session is
ready once every such vital has been back for `hold`. A vital with no baseline (never measured
before the dose) cannot be judged and is named, never taken as ready.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.dosing import Dose
from monitor.core.protocol import DischargeRules
from monitor.core.readings import VitalStore
from monitor.core.timetext import hours_minutes
from monitor.core.vitals import format_value, short_name


@dataclass(frozen=True)
class DischargeStatus:
    state: str  # "no-dose" | "not-ready" | "waiting" (vitals ready, too early) | "ready" | "off"
    text: str
    ready_at: float | None = None  # when the vitals became ready (the hold completed)


def baseline_of(store: VitalStore, vital: str, dose_t: float, window_s: float) -> float | None:
    vals = store.valid_between(vital, dose_t - window_s, dose_t)
    return float(np.median(vals)) if len(vals) else None


def discharge_status(
    store: VitalStore, doses: list[Dose], now: float, rules: DischargeRules, baseline_window_s: float
) -> DischargeStatus:
    if not rules.margins:
        return DischargeStatus("off", "discharge check: no margins in the protocol")
    initial = next((d for d in doses if d.dose == "initial"), None)
    if initial is None:
        return DischargeStatus("no-dose", "discharge: no initial dose yet")
    t = store.t
    holds: list[str] = []
    back_since: list[float] = []
    for vital, margin in rules.margins.items():
        if not store.holds(vital):
            continue  # never measured in this session: not a reason to wait
        base = baseline_of(store, vital, initial.t, baseline_window_s)
        name = short_name(vital)
        if base is None:
            holds.append(f"no pre-dose {name} baseline")
            continue
        col = store.column(vital)
        ok = ~np.isnan(col) & ~store.artifacts(vital) & (t > initial.t) & (t <= now)
        idx = np.flatnonzero(ok)
        if not len(idx):
            holds.append(f"no {name} after the dose")
            continue
        vals = col[idx]
        outside = np.abs(vals - base) > margin
        if outside[-1]:
            holds.append(
                f"{name} {format_value(vital, float(vals[-1]))} vs baseline {format_value(vital, base)} (±{margin:g})"
            )
            continue
        bad = np.flatnonzero(outside)
        first_back = float(t[idx[bad[-1] + 1]]) if len(bad) else float(t[idx[0]])
        back_since.append(first_back)
        if now - first_back < rules.hold_s:
            holds.append(
                f"{name} back near baseline for {hours_minutes(now - first_back)} of {hours_minutes(rules.hold_s)}"
            )
    if holds:
        return DischargeStatus("not-ready", "discharge: NOT ready: " + "; ".join(holds))
    if not back_since:
        return DischargeStatus("not-ready", "discharge: NOT ready: no vital of the check was measured")
    ready_at = max(back_since) + rules.hold_s
    earliest = initial.t + rules.earliest_s
    if now < earliest:
        return DischargeStatus(
            "waiting",
            f"discharge: vitals back near baseline; monitoring continues until +{hours_minutes(rules.earliest_s)}",
            ready_at,
        )
    return DischargeStatus("ready", "discharge: READY: vitals back near baseline", max(ready_at, earliest))
