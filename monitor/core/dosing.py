"""Dosing rules: doses, notes, and where the supplemental half-dose window stands."""

from __future__ import annotations

import math
from dataclasses import dataclass

from monitor.core.thresholds import SupplementRules
from monitor.core.vitals import format_value

# A dose may be keyed in at most this long after it was given (the dose dialog refuses earlier
# times; the alarm engine keeps pre-dose readings this long for its baseline).
MAX_BACKDATE_S = 12 * 3600.0


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


# -- doses and the supplemental window ---------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    t: float
    dose: str  # "initial" | "supplemental"
    amount_mg: float | None = None


@dataclass(frozen=True)
class Note:
    t: float
    text: str


@dataclass(frozen=True)
class SupplementStatus:
    state: str  # "no-dose" | "waiting" | "open-ok" | "open-hold" | "closed" | "given"
    text: str


def supplement_status(
    doses: list[Dose], now: float, rules: SupplementRules, latest: dict[str, float | None]
) -> SupplementStatus:
    """Where the supplemental half-dose window stands, and whether the vitals allow it.

    `latest` maps vital -> its newest current (not stale) value, or None when it has gone stale;
    a vital left out of `latest` (never measured in this session) does not hold the window.
    """
    initial = next((d for d in doses if d.dose == "initial"), None)
    if initial is None:
        return SupplementStatus("no-dose", "supplement: no initial dose yet")
    if any(d.dose == "supplemental" for d in doses):
        given = next(d for d in doses if d.dose == "supplemental")
        return SupplementStatus("given", f"supplement given at +{_hm(given.t - initial.t)}")
    since = now - initial.t
    if since < rules.window_start_s:
        return SupplementStatus("waiting", f"supplement window opens in {_hm(rules.window_start_s - since)}")
    if since > rules.window_end_s:
        return SupplementStatus("closed", f"supplement window closed {_hm(since - rules.window_end_s)} ago")
    # The vitals must be STRICTLY below their limits: a value at the limit holds the dose (">=").
    holds = []
    for vital, limit in rules.max_values.items():
        if vital not in latest:
            continue
        v = latest[vital]
        if v is None or math.isnan(v):
            holds.append(f"no current {vital.upper()}")
        elif v >= limit:
            holds.append(f"{vital.upper()} {format_value(vital, v)} >= {limit:g}")
    if holds:
        return SupplementStatus("open-hold", "supplement window: NOT ready: " + "; ".join(holds))
    return SupplementStatus("open-ok", "supplement window open: vitals allow it")


def _hm(seconds: float) -> str:
    m = int(max(seconds, 0) // 60)
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m} min"
