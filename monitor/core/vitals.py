"""Vital-sign names, units, plausible ranges, and values derived from them.

A value outside its plausible range cannot come from a living patient on a working sensor
(HR 0, SBP 11647), so it is an artifact: kept in the record, flagged, and never used for a
limit alarm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VitalSpec:
    name: str
    label: str
    unit: str
    low: float  # plausible range: outside it a value is an artifact
    high: float
    continuous: bool  # sampled continuously (HR, SpO2) rather than on demand (cuff BP)
    decimals: int


# The order of this tuple is the canonical CSV column order after `time`.
VITALS: tuple[str, ...] = ("hr", "sbp", "dbp", "map", "spo2", "temp", "rr")

# Plausible ranges follow the quirk ranges of the real ICU recordings we test against
# (shared/data/real/README.md), which in turn follow the MAP 30-200 artifact filter idea.
SPECS: dict[str, VitalSpec] = {
    "hr": VitalSpec("hr", "Heart rate", "bpm", 20, 250, True, 0),
    "sbp": VitalSpec("sbp", "Systolic BP", "mmHg", 40, 300, False, 0),
    "dbp": VitalSpec("dbp", "Diastolic BP", "mmHg", 10, 200, False, 0),
    "map": VitalSpec("map", "Mean arterial pressure", "mmHg", 20, 250, False, 0),
    "spo2": VitalSpec("spo2", "SpO2", "%", 50, 100, True, 0),
    "temp": VitalSpec("temp", "Temperature", "°C", 30, 43, False, 1),
    "rr": VitalSpec("rr", "Respiratory rate", "/min", 1, 80, True, 0),
}

# Derived vitals that can carry alarm rules of their own.
DERIVED: dict[str, VitalSpec] = {
    "si": VitalSpec("si", "Shock index", "HR/SBP", 0.0, 10.0, False, 2),
}

ALL_SPECS: dict[str, VitalSpec] = {**SPECS, **DERIVED}

NAN = float("nan")


def mean_arterial_pressure(sbp: float, dbp: float) -> float:
    """MAP = (SBP + 2·DBP) / 3, used only when the device gave no MAP of its own."""
    return (sbp + 2.0 * dbp) / 3.0


def pulse_pressure(sbp: float, dbp: float) -> float:
    return sbp - dbp


def shock_index(hr: float, sbp: float) -> float:
    """HR / SBP; normal 0.5-0.7 (Rady 1994), above 0.9 suggests a failing circulation."""
    return hr / sbp if sbp else NAN


def rate_pressure_product(hr: float, sbp: float) -> float:
    """HR × SBP; resting about 6,000-10,000, above 20,000 is high."""
    return hr * sbp


def is_artifact(name: str, value: float) -> bool:
    """True when a present value lies outside the vital's plausible range."""
    spec = ALL_SPECS[name]
    return not (spec.low <= value <= spec.high)


def artifact_flags(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Vectorised artifact flags for every vital column present in `columns`.

    NaN (not measured) is never an artifact. SBP at or below DBP on the same row is impossible,
    so both are flagged (MAP with them, since it came from the same measurement).
    """
    flags: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if name not in ALL_SPECS:
            continue
        spec = ALL_SPECS[name]
        with np.errstate(invalid="ignore"):
            flags[name] = ~np.isnan(values) & ((values < spec.low) | (values > spec.high))
    if "sbp" in columns and "dbp" in columns:
        with np.errstate(invalid="ignore"):
            inverted = columns["sbp"] <= columns["dbp"]
        for name in ("sbp", "dbp", "map"):
            if name in flags:
                flags[name] = flags[name] | (inverted & ~np.isnan(columns[name]))
    return flags


def row_artifacts(values: dict[str, float]) -> set[str]:
    """Scalar twin of `artifact_flags` for one row given as {vital: value} (NaN = absent)."""
    bad = {n for n, v in values.items() if v == v and n in ALL_SPECS and is_artifact(n, v)}
    sbp, dbp = values.get("sbp", NAN), values.get("dbp", NAN)
    if sbp == sbp and dbp == dbp and sbp <= dbp:
        bad.update(n for n in ("sbp", "dbp", "map") if values.get(n, NAN) == values.get(n, NAN))
    return bad


def format_value(name: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    return f"{value:.{ALL_SPECS[name].decimals}f}"
