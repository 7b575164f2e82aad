"""A reading typed at the bedside: the natural form `142/88 76 37.2` or one field per vital,
checked before it goes anywhere (plausible ranges, SBP above DBP, units named), and the time it
was taken (now, or a typed time within the last hour).

Every problem is one sentence naming the value and the reason (ValueError), so the dialog can
show it and keep what was typed.

The natural form, any subset in any order:
- `142/88` (or `142/88mmHg`, `bp 142/88`): systolic/diastolic blood pressure in mmHg;
- `76` (or `76bpm`, `hr 76`, `p 76`): heart rate in bpm (a whole number without a unit);
- `37.2` (or `37.2C`, `37.2°C`, `t 37.2`): temperature in °C (a number with a decimal point);
- `97%` (or `spo2 97`): SpO2 in %;
- `rr 16` (or `16/min`): respiratory rate in /min.
"""

from __future__ import annotations

import math
import re
from datetime import tzinfo

from monitor.core.timetext import parse_time_input
from monitor.core.vitals import MIN_PULSE_PRESSURE, SPECS

MAX_TYPED_AGO_S = 3600.0  # a reading may be typed up to an hour after it was taken
TYPED_VITALS: tuple[str, ...] = ("sbp", "dbp", "hr", "temp", "spo2", "rr")
EXAMPLE = "e.g. 142/88 76 37.2 (BP mmHg, HR bpm, temperature °C; 97% for SpO2)"

_NUM = r"(\d+(?:[.,]\d+)?)"
_BP = re.compile(rf"^{_NUM}/{_NUM}(?:mmhg)?$")
_UNIT = re.compile(rf"^{_NUM}(bpm|/min|%|°c|c|°|mmhg)?$")
_LABELS = {
    "bp": "bp",
    "nibp": "bp",
    "sbp": "sbp",
    "sys": "sbp",
    "dbp": "dbp",
    "dia": "dbp",
    "hr": "hr",
    "p": "hr",
    "pulse": "hr",
    "t": "temp",
    "temp": "temp",
    "spo2": "spo2",
    "sat": "spo2",
    "o2": "spo2",
    "rr": "rr",
    "resp": "rr",
}
_UNIT_VITAL = {"bpm": "hr", "/min": "rr", "%": "spo2", "°c": "temp", "c": "temp", "°": "temp"}
NAMES = {"sbp": "SBP", "dbp": "DBP", "hr": "HR", "temp": "temperature", "spo2": "SpO2", "rr": "respiratory rate"}


def _number(text: str, vital: str) -> float:
    s = text.strip().replace(",", ".")
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"{NAMES[vital]} '{text.strip()}' is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{NAMES[vital]} '{text.strip()}' is not a number")
    return v


def _put(values: dict[str, float], vital: str, v: float) -> None:
    if vital in values and values[vital] != v:
        raise ValueError(f"{NAMES[vital]} is given twice ({values[vital]:g} and {v:g}): give it once")
    values[vital] = v


def parse_natural(text: str) -> dict[str, float]:
    """The values of the natural form (unchecked ranges); ValueError for what it cannot read."""
    tokens = (text or "").lower().replace("=", " ").replace(":", " ").split()
    values: dict[str, float] = {}
    pending: str | None = None  # a label waiting for its value
    plain_ints: list[str] = []
    for tok in tokens:
        if tok in _LABELS:
            if pending is not None:
                raise ValueError(f"'{pending}' has no value: write e.g. {pending} 76")
            pending = tok
            continue
        label = _LABELS.get(pending) if pending else None
        word, pending = pending, None
        m = _BP.match(tok)
        if m:
            if label not in (None, "bp"):
                raise ValueError(f"'{word} {tok}' is a blood pressure: write bp {tok}")
            _put(values, "sbp", _number(m.group(1), "sbp"))
            _put(values, "dbp", _number(m.group(2), "dbp"))
            continue
        if "/" in tok and not tok.endswith("/min"):
            raise ValueError(f"'{tok}' is not a blood pressure: write systolic/diastolic, e.g. 142/88")
        m = _UNIT.match(tok)
        if not m:
            raise ValueError(f"'{tok}' is not a reading: write it {EXAMPLE}")
        number, unit = m.group(1), m.group(2)
        vital = _UNIT_VITAL.get(unit or "")
        if unit == "mmhg":
            raise ValueError(f"'{tok}' is a pressure without its pair: write systolic/diastolic, e.g. 142/88")
        if label is not None:
            if label == "bp":
                raise ValueError(f"'{word} {tok}' needs both values: write bp 142/88")
            if vital is not None and vital != label:
                raise ValueError(f"'{word} {tok}': the unit does not fit {NAMES[label]}")
            vital = label
        if vital is None:
            if "." in number or "," in number:
                vital = "temp"
            else:
                plain_ints.append(number)
                continue
        _put(values, vital, _number(number, vital))
    if pending is not None:
        raise ValueError(f"'{pending}' has no value: write e.g. {pending} 76")
    if plain_ints:
        if len(plain_ints) > 1 or "hr" in values:
            raise ValueError(
                f"'{' '.join(plain_ints)}': a number without a unit is read as HR only once; "
                "write 97% for SpO2, rr 16 for respiration, or hr 76"
            )
        _put(values, "hr", _number(plain_ints[0], "hr"))
    return values


def parse_fields(fields: dict[str, str]) -> dict[str, float]:
    """One text per vital (empty: not measured)."""
    values: dict[str, float] = {}
    for vital, text in fields.items():
        s = (text or "").strip().lower()
        for unit in ("mmhg", "bpm", "°c", "c", "%", "/min"):
            s = s.removesuffix(unit).strip()
        if s:
            values[vital] = _number(s, vital)
    return values


def combine(natural: dict[str, float], fields: dict[str, float]) -> dict[str, float]:
    out = dict(natural)
    for v, x in fields.items():
        _put(out, v, x)
    return out


def check_values(values: dict[str, float]) -> dict[str, float]:
    """Plausible ranges, and a blood pressure whole and in order; returns the values."""
    if not values:
        raise ValueError(f"nothing to record: type at least one value, {EXAMPLE}")
    for vital in TYPED_VITALS:
        if vital not in values:
            continue
        v, spec = values[vital], SPECS[vital]
        if not spec.low <= v <= spec.high:
            hint = " (give it in °C)" if vital == "temp" and 90 <= v <= 110 else ""
            rng = f"{spec.low:g}-{spec.high:g} {spec.unit}"
            raise ValueError(f"{NAMES[vital]} {v:g} {spec.unit} is outside the plausible {rng}{hint}")
    if ("sbp" in values) != ("dbp" in values):
        have = "SBP" if "sbp" in values else "DBP"
        raise ValueError(f"{have} alone is not a blood pressure: give both, e.g. 142/88")
    if "sbp" in values:
        sbp, dbp = values["sbp"], values["dbp"]
        if sbp <= dbp:
            raise ValueError(f"SBP {sbp:g} must be above DBP {dbp:g} mmHg: write systolic/diastolic, e.g. 142/88")
        if sbp - dbp < MIN_PULSE_PRESSURE:
            raise ValueError(
                f"{sbp:g}/{dbp:g} mmHg has a pulse pressure below {MIN_PULSE_PRESSURE:g} mmHg: measure it again"
            )
    return values


def parse_reading(text: str, fields: dict[str, str] | None = None) -> dict[str, float]:
    """The typed reading of the dialog, checked; ValueError (one sentence) otherwise."""
    return check_values(combine(parse_natural(text), parse_fields(fields or {})))


def reading_time(text: str, now: float, absolute: bool | None, tz: tzinfo | None = None) -> float:
    """When the reading was taken: empty = now, else a time within the last hour."""
    at = parse_time_input(text, now, absolute, tz)
    if at > now + 1:
        raise ValueError("that time is in the future: a reading is typed after it was taken")
    if now - at > MAX_TYPED_AGO_S:
        raise ValueError("that time is more than an hour ago: type a reading within the hour it was taken")
    return min(at, now)


def describe(values: dict[str, float]) -> str:
    """ "BP 142/88, HR 76, T 37.2 °C": a typed reading in the event log."""
    parts = []
    if "sbp" in values and "dbp" in values:
        parts.append(f"BP {values['sbp']:g}/{values['dbp']:g}")
    if "hr" in values:
        parts.append(f"HR {values['hr']:g}")
    if "temp" in values:
        parts.append(f"T {values['temp']:.1f} °C")
    if "spo2" in values:
        parts.append(f"SpO2 {values['spo2']:g} %")
    if "rr" in values:
        parts.append(f"RR {values['rr']:g}")
    return ", ".join(parts)


def parse_initials(text: str, mode: str) -> str:
    """Staff initials for an acknowledgement or a dose: 1-4 letters, upper-cased; "" when none
    were given and the protocol allows that. ValueError says why not."""
    s = (text or "").strip().upper()
    if not s:
        if mode == "required":
            raise ValueError("initials are required here (the protocol says staff_initials = required)")
        return ""
    if not re.fullmatch(r"[A-Z][A-Z.\-]{0,5}", s) or sum(c.isalpha() for c in s) > 4:
        raise ValueError(f"'{text.strip()}' is not initials: give 1-4 letters, e.g. AB")
    return s
