"""The CDISC SDTM VS (vital signs) domain of a recorded session, from the same protocol
timepoints as the CRF table (monitor.report.crf), so a data manager loads it without retyping.

One row per vital per timepoint: VSTESTCD SYSBP / DIABP / PULSE / TEMP / OXYSAT / RESP, the value
as measured (VSORRES, VSORRESU) and standardised (VSSTRESC, VSSTRESN, VSSTRESU: the same units),
VSTPT / VSTPTNUM the planned timepoint, VSELTM its planned time after the initial dose (ISO 8601
duration, e.g. PT1H15M), VSTPTREF "INITIAL DOSE" and VSRFTDTC its time, VSDTC the actual time
(ISO 8601, the session's local time as recorded). A timepoint not taken is a row with VSSTAT
"NOT DONE"; readings no timepoint took are VSTPT "UNSCHEDULED".
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from monitor.core.protocol import STREAM_VITALS
from monitor.core.schedule import MISSED, PENDING
from monitor.report.crf import ProtocolView

VS_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "VSSEQ",
    "VSTESTCD",
    "VSTEST",
    "VSORRES",
    "VSORRESU",
    "VSSTRESC",
    "VSSTRESN",
    "VSSTRESU",
    "VSSTAT",
    "VSREASND",
    "VISITNUM",
    "VISIT",
    "VSDTC",
    "VSTPT",
    "VSTPTNUM",
    "VSELTM",
    "VSTPTREF",
    "VSRFTDTC",
)
# CDISC controlled terminology (VSTESTCD, VSTEST, units).
TESTS: dict[str, tuple[str, str, str, int]] = {
    "sbp": ("SYSBP", "Systolic Blood Pressure", "mmHg", 0),
    "dbp": ("DIABP", "Diastolic Blood Pressure", "mmHg", 0),
    "hr": ("PULSE", "Pulse Rate", "beats/min", 0),
    "temp": ("TEMP", "Temperature", "C", 1),
    "spo2": ("OXYSAT", "Oxygen Saturation", "%", 0),
    "rr": ("RESP", "Respiratory Rate", "breaths/min", 0),
}


def iso_duration(seconds: float) -> str:
    """PT1H15M, PT30M, PT0M; -PT10M before the reference."""
    sign = "-" if seconds < 0 else ""
    m = int(round(abs(seconds) / 60.0))
    h, m = divmod(m, 60)
    return f"{sign}PT{h}H{m}M" if h and m else (f"{sign}PT{h}H" if h else f"{sign}PT{m}M")


def tpt_text(label: str, kind: str, offset_s: float | None) -> str:
    if kind == "baseline":
        return "PRE-DOSE"
    if kind == "supplement":
        return "PRE-SUPPLEMENT"
    if kind == "repeat":
        return "UNSCHEDULED REPEAT"
    if kind == "extra" or offset_s is None:
        return "UNSCHEDULED"
    m = int(round(offset_s / 60.0))
    h, m = divmod(m, 60)
    return (f"{h} H " if h else "") + (f"{m} MIN " if m or not h else "") + "POST-DOSE"


def sdtm_vs_rows(view: ProtocolView, rs, tb, study_id: str = "") -> list[dict[str, str]]:
    meta = rs.meta
    study = study_id or view.protocol.study_id or str(meta.get("study_id") or "")
    subject = "-".join(str(x) for x in (study, meta.get("site"), meta.get("participant")) if x) or str(
        meta.get("id", "")
    )
    visitnum = str(meta.get("session_number") or "")
    visit = f"DOSING SESSION {visitnum}" if visitnum else "DOSING SESSION"

    def dtc(t: float | None) -> str:
        if t is None:
            return ""
        if not tb.absolute:
            return ""  # a recording timed from its start has no date: VSELTM still places it
        return datetime.fromtimestamp(t, tb.tz).replace(tzinfo=None).isoformat(timespec="seconds")

    store = rs.store
    planned = sorted(
        {(p.number, p.kind, p.offset_s) for pts in view.points.values() for p in pts if p.kind != "repeat"},
        key=lambda x: x[0],
    )
    tptnum = {(k, off): str(i) for i, (_, k, off) in enumerate(planned, 1)}
    rows: list[dict[str, str]] = []

    def add(
        vital: str, kind: str, offset_s: float | None, label: str, t: float | None, missed: bool, nominal: float | None
    ) -> None:
        code, name, unit, dec = TESTS[vital]
        value = ""
        if not missed and t is not None:
            import numpy as np

            i = int(np.searchsorted(store.t, t))
            x = float(store.column(vital)[i]) if i < len(store) and store.t[i] == t else float("nan")
            if x != x:
                return  # this reading did not measure the vital
            value = f"{x:.{dec}f}"
        rows.append(
            {
                "STUDYID": study,
                "DOMAIN": "VS",
                "USUBJID": subject,
                "VSSEQ": "",
                "VSTESTCD": code,
                "VSTEST": name,
                "VSORRES": value,
                "VSORRESU": unit if value else "",
                "VSSTRESC": value,
                "VSSTRESN": value,
                "VSSTRESU": unit if value else "",
                "VSSTAT": "NOT DONE" if missed else "",
                "VSREASND": "NOT TAKEN AT THE PROTOCOL TIMEPOINT" if missed else "",
                "VISITNUM": visitnum,
                "VISIT": visit,
                "VSDTC": dtc(t) if not missed else "",
                "VSTPT": tpt_text(label, kind, offset_s),
                "VSTPTNUM": tptnum.get((kind, offset_s), ""),
                "VSELTM": iso_duration(offset_s) if offset_s is not None and kind != "baseline" else "",
                "VSTPTREF": "INITIAL DOSE" if view.dose_t is not None else "",
                "VSRFTDTC": dtc(view.dose_t),
                "_when": f"{nominal if nominal is not None else (t if t is not None else -1e18):.3f}",
            }
        )

    for stream, pts in view.points.items():
        for p in pts:
            missed = p.actual is None and (p.status == MISSED or p.status in PENDING)
            for v in STREAM_VITALS[stream]:
                add(v, p.kind, p.offset_s, p.label, p.actual, missed, p.nominal if p.nominal is not None else p.actual)
    # Values no timepoint of their own vital took (readings off the schedule, the HR typed with a
    # repeat BP): unscheduled rows, so nothing measured is left out.
    done = {(d["VSTESTCD"], d["VSDTC"]) for d in rows}
    for r in view.rows:
        for v in r.values:
            if v in TESTS and r.actual is not None and (TESTS[v][0], dtc(r.actual)) not in done:
                add(v, "extra", None, "UNSCHEDULED", r.actual, False, r.actual)
    order = list(TESTS)
    rows.sort(key=lambda d: (float(d["_when"]), order.index(_vital_of(d["VSTESTCD"]))))
    for k, d in enumerate(rows, 1):
        d["VSSEQ"] = str(k)
        del d["_when"]
    return rows


def _vital_of(code: str) -> str:
    return next(v for v, t in TESTS.items() if t[0] == code)


def sdtm_vs_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(VS_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
