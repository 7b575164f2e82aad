"""One PCD-01 ORU^R01 message (parsed by python-hl7) to readings, and what could not be used.

The profile (IHE PCD Technical Framework, Vol. 2, "PCD-01 Communicate PCD Data"): MSH, then per
patient PID (PID-3 the patient's identifiers) and PV1 (PV1-3 the bed), then one or more OBR (OBR-7
the observation time) each followed by OBX rows. An OBX with a value is one observation:
OBX-3 the MDC code, OBX-5 the value, OBX-6 its unit, OBX-11 its result status and OBX-14 the time
it was measured (a cuff reading is older than the message that brings it). OBX rows without a
value describe the device hierarchy (MDS, VMD, channel) and are passed over.

A message that cannot be used at all raises `MessageError` (the listener answers AE or AR with its
reason); one that can be used in part gives its readings and says, in `problems`, each observation
left out and why (the listener answers AE then, naming them, and takes the rest).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import hl7

from monitor.core.readings import Reading
from monitor.core.text import printable
from monitor.core.vitals import SHORT_NAMES, VITALS
from monitor.sources.hl7v2 import mdc

# OBX-11 (HL7 table 0085): values to take, and those that carry none.
TAKEN_STATUS = {"F", "R", "C", "P", "A", "S", ""}
NO_VALUE_STATUS = {"X", "I", "N", "U", "O"}  # cannot be obtained, pending, not asked, ...
WRONG_STATUS = {"D", "W"}  # deleted, or posted in error: a value taken before cannot be undone


class MessageError(Exception):
    """A message that cannot be used: `ack` AE (in error) or AR (refused), `code` from HL7 table
    0357 (message error condition codes), str() one sentence."""

    def __init__(self, reason: str, ack: str = "AE", code: str = "207"):
        super().__init__(reason)
        self.ack = ack
        self.code = code


@dataclass
class Parsed:
    control_id: str  # MSH-10
    sender: str  # MSH-3^MSH-4, as the log names it
    processing: str  # MSH-11: P production; T training and D debugging (a simulated sender)
    patient: str  # PID-3's first identifier ("" when none)
    bed: str  # PV1-3 as sent, trailing empty components dropped ("" when none)
    readings: list[Reading] = field(default_factory=list)
    sent: float | None = None  # MSH-7: when the message was made (a late observation has an older OBX-14)
    problems: list[str] = field(default_factory=list)  # one sentence per observation left out
    unknown: list[str] = field(default_factory=list)  # codes with a value that are no vital of ours


def _text(seg, n: int) -> str:
    if len(seg) <= n:
        return ""
    f = seg[n]
    # A plain field is a list of one string: str() of a container walks it recursively, which
    # for the dozen fields read per OBX cost as much as the parse itself.
    return f[0] if len(f) == 1 and type(f[0]) is str else str(f)


def _components(seg, n: int) -> list[str]:
    """The components of the first repetition of field n (python-hl7 gives a field with
    components as repetitions of components; a plain field as its one string)."""
    if len(seg) <= n:
        return []
    f = seg[n]
    if not f:
        return []
    rep = f[0]
    if isinstance(rep, str):
        return [str(f)]
    return [str(c) for c in rep]


def _first_component(seg, n: int) -> str:
    comps = _components(seg, n)
    return comps[0] if comps else ""


@functools.lru_cache(maxsize=256)  # a message repeats its time in MSH-7, OBR-7 and each OBX-14
def hl7_time(value: str, assume_tz: tzinfo) -> float:
    """An HL7 DTM (YYYYMMDDHHMMSS[.S...][+/-ZZZZ]) as epoch seconds; naive times are in assume_tz."""
    dt = hl7.parse_datetime(value.strip())
    if dt is None:
        raise ValueError("empty")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=assume_tz)
    return dt.timestamp()


def hl7_stamp(t: float) -> str:
    """Epoch seconds as an HL7 DTM in UTC, to the millisecond when not whole."""
    dt = datetime.fromtimestamp(t, UTC)
    whole = dt.strftime("%Y%m%d%H%M%S")
    frac = t - math.floor(t)
    return f"{whole}+0000" if frac == 0 else f"{whole}.{dt.microsecond // 1000:03d}+0000"


def message_type(msg) -> str:
    """MSH-9 as 'ORU^R01' (the message structure, a third component, left off)."""
    comps = _components(msg.segment("MSH"), 9)
    return "^".join(comps[:2])


def read_message(msg, assume_tz: tzinfo = UTC) -> Parsed:
    """The readings of one parsed message (see the module docstring)."""
    try:
        msh = msg.segment("MSH")
    except KeyError:
        raise MessageError("the message has no MSH segment", "AR", "100") from None
    kind = message_type(msg)
    if kind != "ORU^R01":
        raise MessageError(
            f"message type {printable(kind) or '(none)'} is not taken: only ORU^R01 (IHE PCD-01)", "AR", "200"
        )
    control = _text(msh, 10).strip()
    if not control:
        raise MessageError("MSH-10 (the message control id) is empty", "AE", "101")
    sender = "^".join(x for x in (_first_component(msh, 3), _first_component(msh, 4)) if x)
    out = Parsed(control, sender, _first_component(msh, 11).strip().upper(), "", "")
    msg_time: float | None = None
    stamp = _text(msh, 7)
    if stamp:
        try:
            msg_time = hl7_time(stamp, assume_tz)
        except (ValueError, OverflowError):
            raise MessageError(f"MSH-7 '{printable(stamp[:40])}' is not an HL7 time", "AE", "102") from None
    obr_time: float | None = None
    values: dict[float, dict[str, tuple[int, float]]] = {}  # time -> vital -> (rank, value)
    n_obx = 0
    for seg in msg:
        sid = _text(seg, 0)
        if sid == "PID" and not out.patient:
            out.patient = _first_component(seg, 3).strip()
        elif sid == "PV1" and not out.bed:
            out.bed = _text(seg, 3).rstrip("^").strip()
        elif sid == "OBR":
            obr_time = None
            stamp = _text(seg, 7)
            if stamp:
                try:
                    obr_time = hl7_time(stamp, assume_tz)
                except (ValueError, OverflowError):
                    out.problems.append(f"OBR-7 '{printable(stamp[:40])}' is not an HL7 time")
        elif sid == "OBX":
            n_obx += 1
            _observation(seg, n_obx, obr_time if obr_time is not None else msg_time, assume_tz, out, values)
    if n_obx == 0:
        raise MessageError("the message has no OBX segment: no observation to take", "AE", "101")
    if not values and out.problems:
        raise MessageError("; ".join(out.problems[:5]), "AE", "207")
    out.sent = msg_time
    for t in sorted(values):
        vals = {v: values[t][v][1] for v in values[t]}
        out.readings.append(Reading(t, *(vals.get(v, math.nan) for v in VITALS)))
    return out


def _observation(seg, n: int, default_t: float | None, assume_tz: tzinfo, out: Parsed, values: dict) -> None:
    """One OBX into `values` (or a problem, or an unknown code)."""
    value_text = _text(seg, 5).strip()
    status = _text(seg, 11).strip().upper()
    ident = _components(seg, 3)
    number = ident[0].strip() if ident else ""
    name = ident[1].strip() if len(ident) > 1 else ""
    where = f"OBX {printable(_text(seg, 1)) or n}"
    if not value_text:
        return  # a row of the device hierarchy (MDS, VMD, channel), or a value not measured
    code = mdc.lookup(number, name)
    if code is None:
        label = "^".join(x for x in (number, name) if x) or "(no code)"
        out.unknown.append(printable(label[:60]))
        return
    vital = code.vital
    short = SHORT_NAMES[vital]
    if status in NO_VALUE_STATUS:
        return
    if status in WRONG_STATUS:
        out.problems.append(f"{where}: {short} is marked {status} (deleted or wrong) in OBX-11 and was not taken")
        return
    if status not in TAKEN_STATUS:
        out.problems.append(f"{where}: {short} has an unknown result status '{printable(status[:8])}' in OBX-11")
        return
    try:
        value = float(value_text)
    except ValueError:
        out.problems.append(f"{where}: {short} value '{printable(value_text[:20])}' is not a number")
        return
    if not math.isfinite(value):
        out.problems.append(f"{where}: {short} value '{printable(value_text[:20])}' is not a number")
        return
    unit_comps = [c for c in _components(seg, 6) if c.strip()]
    if unit_comps:
        u = mdc.unit(unit_comps)
        if u is None:
            out.problems.append(f"{where}: {short} unit '{printable('^'.join(unit_comps)[:40])}' is not known")
            return
        if u.kind != mdc.KIND[vital]:
            out.problems.append(f"{where}: {short} cannot be in {u.name}")
            return
        value = u.to_canonical(value)
    stamp = _text(seg, 14)
    t = default_t
    if stamp:
        try:
            t = hl7_time(stamp, assume_tz)
        except (ValueError, OverflowError):
            out.problems.append(f"{where}: OBX-14 '{printable(stamp[:40])}' is not an HL7 time")
            return
    if t is None:
        out.problems.append(f"{where}: {short} has no time (no OBX-14, OBR-7 or MSH-7)")
        return
    at = values.setdefault(t, {})
    held = at.get(vital)
    if held is None or code.rank < held[0]:
        at[vital] = (code.rank, value)
