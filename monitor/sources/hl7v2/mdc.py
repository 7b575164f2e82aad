"""IEEE 11073-10101 (MDC) codes of the vitals in PCD-01 messages, and the units they come in.

OBX-3 of a PCD-01 observation is `code^MDC_NAME^MDC` (IHE PCD Technical Framework, Vol. 2,
OBX-3 "Observation Identifier"); OBX-6 its unit, `code^MDC_DIM_NAME^MDC`, or a UCUM unit
(`mm[Hg]^mm[Hg]^UCUM`). The codes are the partition-expanded codes of the Rosetta Terminology
Mapping (partition x 65536 + term code): 147842 is MDC_ECG_HEART_RATE (partition 2, term 16770).

Two cuff families are accepted: MDC_PRESS_CUFF_* (150301-150303), what current PCD-01 senders
use, and the older MDC_PRESS_BLD_NONINV_* (150021-150023) that some gateways still send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    vital: str
    name: str  # the MDC reference id
    rank: int = 0  # when a message gives a vital twice (ECG HR and a pulse rate): the lower wins


_CODES = [
    # Heart rate: the ECG's own count first; a pulse rate stands in when there is no ECG.
    Code("hr", "MDC_ECG_HEART_RATE", 0),
    Code("hr", "MDC_PULS_OXIM_PULS_RATE", 1),
    Code("hr", "MDC_PULS_RATE_NON_INV", 2),
    Code("hr", "MDC_PULS_RATE", 2),
    Code("hr", "MDC_BLD_PULS_RATE_INV", 2),
    Code("sbp", "MDC_PRESS_CUFF_SYS"),
    Code("dbp", "MDC_PRESS_CUFF_DIA"),
    Code("map", "MDC_PRESS_CUFF_MEAN"),
    Code("sbp", "MDC_PRESS_BLD_NONINV_SYS"),
    Code("dbp", "MDC_PRESS_BLD_NONINV_DIA"),
    Code("map", "MDC_PRESS_BLD_NONINV_MEAN"),
    Code("spo2", "MDC_PULS_OXIM_SAT_O2"),
    # Temperature: the unspecified site first, then the sites a body temperature is taken at.
    Code("temp", "MDC_TEMP", 0),
    Code("temp", "MDC_TEMP_BODY", 0),
    Code("temp", "MDC_TEMP_CORE", 1),
    Code("temp", "MDC_TEMP_ORAL", 1),
    Code("temp", "MDC_TEMP_TYMP", 1),
    Code("temp", "MDC_TEMP_EAR", 1),
    Code("temp", "MDC_TEMP_RECT", 1),
    Code("temp", "MDC_TEMP_AXILLA", 2),
    Code("temp", "MDC_TEMP_SKIN", 3),
    Code("rr", "MDC_RESP_RATE", 0),
    Code("rr", "MDC_TTHOR_RESP_RATE", 1),
    Code("rr", "MDC_AWAY_RESP_RATE", 1),
    Code("rr", "MDC_CO2_RESP_RATE", 1),
    Code("rr", "MDC_RESP", 1),
]
_NUMBERS = {
    "MDC_ECG_HEART_RATE": 147842,
    "MDC_PULS_OXIM_PULS_RATE": 149530,
    "MDC_PULS_RATE_NON_INV": 149546,
    "MDC_PULS_RATE": 149514,
    "MDC_BLD_PULS_RATE_INV": 149522,
    "MDC_PRESS_CUFF_SYS": 150301,
    "MDC_PRESS_CUFF_DIA": 150302,
    "MDC_PRESS_CUFF_MEAN": 150303,
    "MDC_PRESS_BLD_NONINV_SYS": 150021,
    "MDC_PRESS_BLD_NONINV_DIA": 150022,
    "MDC_PRESS_BLD_NONINV_MEAN": 150023,
    "MDC_PULS_OXIM_SAT_O2": 150456,
    "MDC_TEMP": 150344,
    "MDC_TEMP_BODY": 150364,
    "MDC_TEMP_CORE": 150368,
    "MDC_TEMP_SKIN": 150388,
    "MDC_TEMP_TYMP": 150392,
    "MDC_TEMP_RECT": 188420,
    "MDC_TEMP_ORAL": 188424,
    "MDC_TEMP_EAR": 188428,
    "MDC_TEMP_AXILLA": 188452,
    "MDC_RESP_RATE": 151562,
    "MDC_AWAY_RESP_RATE": 151570,
    "MDC_TTHOR_RESP_RATE": 151578,
    "MDC_CO2_RESP_RATE": 151594,
    # The Philips Efficia CM's "Resp" (MDIL 0002-5000; Efficia CM Series Data Export Guide, OBX examples).
    "MDC_RESP": 151552,
}
BY_NUMBER: dict[str, Code] = {str(_NUMBERS[c.name]): c for c in _CODES}
BY_NAME: dict[str, Code] = {c.name: c for c in _CODES}

# What the sender writes for each vital (the current names, as PCD-01 senders use them).
SEND: dict[str, tuple[int, str]] = {
    v: (_NUMBERS[n], n)
    for v, n in {
        "hr": "MDC_ECG_HEART_RATE",
        "sbp": "MDC_PRESS_CUFF_SYS",
        "dbp": "MDC_PRESS_CUFF_DIA",
        "map": "MDC_PRESS_CUFF_MEAN",
        "spo2": "MDC_PULS_OXIM_SAT_O2",
        "temp": "MDC_TEMP",
        "rr": "MDC_RESP_RATE",
    }.items()
}


_HEX = set("0123456789abcdefABCDEF")


def mdil(code: str) -> str:
    """A Philips MDIL code ("0002-4182": partition and term in hex) as the MDC number ("147842");
    any other code as it is."""
    p, sep, t = code.partition("-")
    if sep and len(p) == 4 and len(t) == 4 and set(p) <= _HEX and set(t) <= _HEX:
        return str(int(p, 16) * 65536 + int(t, 16))
    return code


def lookup(number: str, name: str) -> Code | None:
    """The vital of an OBX-3 (its code and its MDC name), or None when it is none of ours.

    The number decides when both are given; some senders give the name alone (`^MDC_TEMP^MDC`)."""
    if number:
        return BY_NUMBER.get(mdil(number.strip()))
    return BY_NAME.get(name.strip().upper()) if name else None


# -- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    kind: str  # "rate" | "pressure" | "temperature" | "percent"
    name: str  # as the log names it
    to_canonical: Callable[[float], float]


def _same(x: float) -> float:
    return x


_KPA_TO_MMHG = 760.0 / 101.325  # 1 kPa = 7.50062 mmHg (the standard atmosphere's definition)

BPM = Unit("rate", "bpm", _same)
RESP = Unit("rate", "/min", _same)
MMHG = Unit("pressure", "mmHg", _same)
KPA = Unit("pressure", "kPa", lambda x: x * _KPA_TO_MMHG)
DEGC = Unit("temperature", "°C", _same)
DEGF = Unit("temperature", "°F", lambda x: (x - 32.0) * 5.0 / 9.0)
PERCENT = Unit("percent", "%", _same)

# MDC_DIM codes (partition 4: 262144 + term code) and names, UCUM codes, and what devices print.
UNITS: dict[str, Unit] = {
    "264864": BPM,  # MDC_DIM_BEAT_PER_MIN
    "MDC_DIM_BEAT_PER_MIN": BPM,
    "/MIN": BPM,
    "{BEATS}/MIN": BPM,
    "{BEAT}/MIN": BPM,
    "BPM": BPM,
    "264928": RESP,  # MDC_DIM_RESP_PER_MIN
    "MDC_DIM_RESP_PER_MIN": RESP,
    "{BREATHS}/MIN": RESP,
    "{RESP}/MIN": RESP,
    "RPM": RESP,
    "BRPM": RESP,
    "266016": MMHG,  # MDC_DIM_MMHG
    "MDC_DIM_MMHG": MMHG,
    "MM[HG]": MMHG,
    "MMHG": MMHG,
    "265987": KPA,  # MDC_DIM_KILO_PASCAL
    "MDC_DIM_KILO_PASCAL": KPA,
    "KPA": KPA,
    "268192": DEGC,  # MDC_DIM_DEGC
    "MDC_DIM_DEGC": DEGC,
    "CEL": DEGC,
    "DEGC": DEGC,
    "°C": DEGC,
    "C": DEGC,  # the Efficia CM's text component (0004-1710^C^MDIL)
    "266560": DEGF,  # MDC_DIM_FAHR
    "MDC_DIM_FAHR": DEGF,
    "[DEGF]": DEGF,
    "DEGF": DEGF,
    "°F": DEGF,
    "F": DEGF,  # the Efficia CM's (0004-1140^F^MDIL)
    "262688": PERCENT,  # MDC_DIM_PERCENT
    "MDC_DIM_PERCENT": PERCENT,
    "%": PERCENT,
}

# The kind of unit each vital must come in.
KIND: dict[str, str] = {
    "hr": "rate",
    "rr": "rate",
    "sbp": "pressure",
    "dbp": "pressure",
    "map": "pressure",
    "temp": "temperature",
    "spo2": "percent",
}

# What the sender writes in OBX-6.
SEND_UNIT: dict[str, str] = {
    "hr": "264864^MDC_DIM_BEAT_PER_MIN^MDC",
    "rr": "264928^MDC_DIM_RESP_PER_MIN^MDC",
    "sbp": "266016^MDC_DIM_MMHG^MDC",
    "dbp": "266016^MDC_DIM_MMHG^MDC",
    "map": "266016^MDC_DIM_MMHG^MDC",
    "temp": "268192^MDC_DIM_DEGC^MDC",
    "spo2": "262688^MDC_DIM_PERCENT^MDC",
}


def unit(components: list[str]) -> Unit | None:
    """The unit of an OBX-6 (its components), or None when none is recognised."""
    for c in components:
        u = UNITS.get(mdil(c.strip()).upper())
        if u is not None:
            return u
    return None
