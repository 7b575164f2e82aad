"""A recorded session with known numbers, for the report's tests (in process and in a browser)."""

from __future__ import annotations

import math

from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import SessionRecorder

T0 = 1_764_320_400.0  # 2025-11-28 09:00:00 UTC
DOSE = T0 + 1800  # the initial dose after a 30-minute baseline
PAYLOAD = "<script>alert(1)</script>"


def make_session(
    folder,
    *,
    label="P-007 session 2",
    note="patient calm",
    hours=2.0,
    dose=True,
    simulated=False,
    who="therapist A",
    amount=120,
    dose_extra=None,
):
    """A session folder with known numbers.

    HR 70 at 1 Hz; 120 from +30 min to +40 min after the dose (600 s beyond the 110 limit), one
    reading of 140 at +35 min (the peak). Cuff BP every 5 min: 120/80, with 165/95 at +60 min.
    Temperature every 30 min: 36.8. One artifact: HR 0 at +50 min.
    """
    th = load_thresholds()
    rec = SessionRecorder(folder, label=label, source="test bridge", simulated=simulated, thresholds=th, start=T0)
    n = int(hours * 3600)
    readings = []
    for i in range(n):
        t = T0 + i
        since = t - DOSE
        hr = 70.0
        if 1800 <= since < 2400:
            hr = 120.0
        if since == 2100:
            hr = 140.0
        if since == 3000:
            hr = 0.0  # artifact
        sbp = dbp = temp = math.nan
        if i % 300 == 0:
            sbp, dbp = (165.0, 95.0) if since == 3600 else (120.0, 80.0)
        if i % 1800 == 0:
            temp = 36.8
        readings.append(Reading(t, hr=hr, sbp=sbp, dbp=dbp, temp=temp))
    rec.readings(readings[: 1800 if dose else n])
    if dose:
        rec.event(DOSE, "dose", dose="initial", amount_mg=amount, **(dose_extra or {}))
        rec.readings(readings[1800 : 1800 + 1820])
        rec.event(DOSE + 1820, "ack", who=who)
        rec.readings(readings[1800 + 1820 :])
        rec.event(DOSE + 3000, "note", text=note)
    rec.close()
    return folder
