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

# Plausible ranges: what bedside monitors can measure at all. A value outside is a sensor or
# transmission artifact; anything inside can be a real patient and must reach the limit alarms
# (HR 18 in a collapse, SpO2 45 % in hypoxaemia, 43.4 °C in MDMA hyperthermia are all real).
# - HR 15-300 bpm: the ECG heart-rate range of bedside monitors (Philips IntelliVue, Mindray).
# - Cuff SBP 40-300, DBP 10-220, MAP 20-250 mmHg: an adult cuff's range is about SBP 40-270,
#   DBP 10-215, MAP 20-235 (Mindray NIBP); we keep a margin up to the cuff's 300 mmHg inflation.
# - SpO2 20-100 %: oximeters display 0-100 % but are calibrated only down to about 70 %; below
#   20 % no reading is credible (0 is what a lost signal reads). 45 % is a real hypoxaemia.
# - Temperature 25-45 °C: monitors measure 0-50 °C; below 25 °C or above 45 °C a body-temperature
#   probe is not on a living patient (MDMA hyperthermia reaches 43-44 °C).
# - Respiration 1-80 /min: beyond 80 a charted rate is an artifact (monitors count up to
#   120-150); 0 is a lost signal (apnoea has its own alarm on a monitor, not this one).
SPECS: dict[str, VitalSpec] = {
    "hr": VitalSpec("hr", "Heart rate", "bpm", 15, 300, True, 0),
    "sbp": VitalSpec("sbp", "Systolic BP", "mmHg", 40, 300, False, 0),
    "dbp": VitalSpec("dbp", "Diastolic BP", "mmHg", 10, 220, False, 0),
    "map": VitalSpec("map", "Mean arterial pressure", "mmHg", 20, 250, False, 0),
    "spo2": VitalSpec("spo2", "SpO2", "%", 20, 100, True, 0),
    "temp": VitalSpec("temp", "Temperature", "°C", 25, 45, False, 1),
    "rr": VitalSpec("rr", "Respiratory rate", "/min", 1, 80, True, 0),
}

# Short names, for tables, legends and chart labels ("SpO₂" where typography allows).
SHORT_NAMES: dict[str, str] = {
    "hr": "HR", "sbp": "SBP", "dbp": "DBP", "map": "MAP", "spo2": "SpO2", "temp": "Temp", "rr": "RR",
    "si": "SI", "bp": "BP",
}  # fmt: skip


def short_name(vital: str, *, subscript: bool = False) -> str:
    """ "SBP", "SpO2" (or "SpO₂" with `subscript`); an unknown name in capitals."""
    name = SHORT_NAMES.get(vital, str(vital).upper())
    return name.replace("O2", "O₂") if subscript else name


# A cuff reading whose systolic and diastolic are closer than this cannot be a measurement of a
# circulating patient (a pulse pressure below 10 mmHg: a damped or failed reading).
MIN_PULSE_PRESSURE = 10.0

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


def cuff_problem(sbp: float, dbp: float, map_: float) -> str | None:
    """Why one cuff reading cannot be right (then none of its values is used), or None.

    NaN means not measured. Any implausible value, SBP below (or too close to) DBP, or a MAP
    outside [DBP, SBP] condemns the whole reading: SBP, DBP and MAP come from one measurement."""
    for name, v in (("sbp", sbp), ("dbp", dbp), ("map", map_)):
        spec = SPECS[name]
        if v == v and not (spec.low <= v <= spec.high):
            return f"implausible {name.upper()} {v:.0f} (outside {spec.low:g}-{spec.high:g} mmHg)"
    if sbp == sbp and dbp == dbp:
        if sbp < dbp:
            return f"SBP {sbp:.0f} below DBP {dbp:.0f}"
        if sbp - dbp < MIN_PULSE_PRESSURE:
            return f"pulse pressure {sbp - dbp:.0f} mmHg ({sbp:.0f}/{dbp:.0f}) below {MIN_PULSE_PRESSURE:g}"
    # A given MAP lies between the two (either one alone already bounds it).
    if map_ == map_ and ((sbp == sbp and map_ > sbp) or (dbp == dbp and map_ < dbp)):
        lo = f"{dbp:.0f}" if dbp == dbp else "?"
        hi = f"{sbp:.0f}" if sbp == sbp else "?"
        return f"MAP {map_:.0f} outside DBP-SBP ({lo}-{hi})"
    return None


def artifact_flags(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Vectorised artifact flags for every vital column present in `columns`.

    NaN (not measured) is never an artifact. A cuff reading with any problem of `cuff_problem`
    is flagged as a whole (SBP, DBP and MAP of that row).
    """
    flags: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if name not in ALL_SPECS:
            continue
        spec = ALL_SPECS[name]
        with np.errstate(invalid="ignore"):
            flags[name] = ~np.isnan(values) & ((values < spec.low) | (values > spec.high))
    cuff = [n for n in ("sbp", "dbp", "map") if n in columns]
    if cuff:
        bad = np.zeros(len(columns[cuff[0]]), bool)
        for n in cuff:
            bad |= flags[n]
        if "sbp" in columns and "dbp" in columns:
            sbp, dbp = columns["sbp"], columns["dbp"]
            with np.errstate(invalid="ignore"):
                bad |= sbp - dbp < MIN_PULSE_PRESSURE  # (False where either is NaN)
        if "map" in columns:
            m = columns["map"]
            with np.errstate(invalid="ignore"):  # (comparisons with NaN are False)
                if "sbp" in columns:
                    bad |= m > columns["sbp"]
                if "dbp" in columns:
                    bad |= m < columns["dbp"]
        for n in cuff:
            flags[n] = bad & ~np.isnan(columns[n])
    return flags


def row_artifacts(values: dict[str, float]) -> set[str]:
    """Scalar twin of `artifact_flags` for one row given as {vital: value} (NaN = absent)."""
    bad = {n for n, v in values.items() if v == v and n in ALL_SPECS and is_artifact(n, v)}
    if cuff_problem(values.get("sbp", NAN), values.get("dbp", NAN), values.get("map", NAN)):
        bad.update(n for n in ("sbp", "dbp", "map") if values.get(n, NAN) == values.get(n, NAN))
    return bad


def format_value(name: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    return f"{value:.{ALL_SPECS[name].decimals}f}"
