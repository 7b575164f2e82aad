"""Readings as PCD-01 ORU^R01 messages (what `vitals-monitor hl7-send` sends).

Shaped on the IHE PCD Technical Framework, Vol. 2, PCD-01 ("Communicate PCD Data") message
examples: MSH with MSH-21 the PCD-01 profile id, PID, PV1, one OBR (the monitoring order, OBR-7
the observation time), one OBX per vital with its MDC code, value, MDC unit, status R (a device's
value, not verified by a clinician) and OBX-14 its measurement time. A simulated session is marked
MSH-11 "T" (training): the listener labels it SIMULATED.
"""

from __future__ import annotations

import math

from monitor.core.readings import Reading
from monitor.core.vitals import VITALS
from monitor.sources.hl7v2 import mdc
from monitor.sources.hl7v2.pcd01 import hl7_stamp

PROFILE = "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"  # the PCD-01 profile's OID (MSH-21)


def _number(v: float) -> str:
    """The shortest text that reads back as the same float (75.0 -> 75)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def oru_r01(
    r: Reading,
    control_id: str,
    *,
    simulated: bool,
    patient: str = "SIM-0001",
    bed: str = "SIM^1^1",
    sender: str = "VITALS-MONITOR",
) -> str | None:
    """One reading as one message (None when it has no value at all)."""
    stamp = hl7_stamp(r.t)
    obx: list[str] = []
    for v in VITALS:
        x = getattr(r, v)
        if x != x or not math.isfinite(x):
            continue
        number, name = mdc.SEND[v]
        obx.append(
            f"OBX|{len(obx) + 1}|NM|{number}^{name}^MDC|1.1.1.{len(obx) + 1}|{_number(x)}|{mdc.SEND_UNIT[v]}"
            f"|||||R|||{stamp}"
        )
    if not obx:
        return None
    head = [
        f"MSH|^~\\&|{sender}||||{stamp}||ORU^R01^ORU_R01|{control_id}|{'T' if simulated else 'P'}|2.6"
        f"|||NE|AL||UNICODE UTF-8|||{PROFILE}",
        f"PID|||{patient}^^^{sender}^PI",
        f"PV1||I|{bed}",
        f"OBR|1|{control_id}^{sender}|{control_id}^{sender}|182777000^monitoring of patient^SCT|||{stamp}",
    ]
    return "\r".join(head + obx) + "\r"
