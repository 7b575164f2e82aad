"""The case report form table of a recorded session: one row per protocol timepoint (nominal and
actual time, SBP, DBP, HR, temperature, SpO2, source, late / missed / extra, staff), judged by
monitor.core.schedule against the protocol the session ran under (session.json), or one given.

The report shows it (page_protocol), `vitals-monitor export --crf` writes it as CSV, and the SDTM
VS export (monitor.report.sdtm) is built from the same timepoints.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from monitor.core.protocol import STREAM_VITALS, Protocol, protocol_from_stored
from monitor.core.schedule import LATE, MISSED, PENDING, TAKEN, UPCOMING, Compliance, Timepoint, compliance
from monitor.core.schedule import stream_timepoints as _stream_timepoints
from monitor.core.schedule_inputs import stream_readings
from monitor.core.thresholds import Thresholds

CRF_VITALS: tuple[str, ...] = ("sbp", "dbp", "hr", "temp", "spo2")
CRF_COLUMNS: tuple[str, ...] = (
    "timepoint",
    "timepoint_number",
    "nominal_time",
    "nominal_elapsed",
    "actual_time",
    "actual_elapsed",
    "sbp_mmhg",
    "dbp_mmhg",
    "hr_bpm",
    "temp_c",
    "spo2_pct",
    "source",
    "late",
    "missed",
    "extra",
    "staff",
)


@dataclass
class CrfRow:
    label: str
    number: float
    kind: str  # baseline | scheduled | supplement | repeat | extra
    nominal: float | None
    actual: float | None
    values: dict[str, float] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)  # "typed" | "device"
    late: list[str] = field(default_factory=list)  # streams taken late
    missed: list[str] = field(default_factory=list)  # streams not taken
    staff: set[str] = field(default_factory=set)

    @property
    def extra(self) -> bool:
        return self.kind == "extra"

    @property
    def source(self) -> str:
        return "+".join(sorted(self.sources))


@dataclass
class ProtocolView:
    """What the report and the exports know of a session against its protocol."""

    protocol: Protocol
    stored: bool  # the protocol is the session's own (session.json), not one given afterwards
    points: dict[str, list[Timepoint]]
    rows: list[CrfRow]
    compliance: Compliance
    dose_t: float | None


def session_protocol(rs) -> Protocol | None:
    return protocol_from_stored(rs.meta.get("protocol"))


def protocol_view(rs, thresholds: Thresholds, protocol: Protocol | None = None) -> ProtocolView | None:
    """The session judged by `protocol` (default: its own); None when it has none."""
    own = session_protocol(rs)
    proto = protocol or own
    if proto is None or not proto.schedule.streams:
        return None
    store = rs.store
    typed_t = rs.typed_times()
    staff_of = rs.typed_staff()
    doses = rs.doses()
    initial = next((d for d in doses if d.dose == "initial"), None)
    supp = next((d for d in doses if d.dose == "supplemental"), None)
    end = rs.end_time()
    now = end if end is not None else 0.0
    stopped = any(e["kind"] == "stop" for e in rs.events)
    window = (thresholds.supplement.window_start_s, thresholds.supplement.window_end_s)
    points: dict[str, list[Timepoint]] = {}
    used: dict[str, set[float]] = {}
    for ss in proto.schedule.streams:
        r = stream_readings(store, ss.vitals, thresholds, typed_t)
        pts = _stream_timepoints(
            proto.schedule, ss, r, now, initial.t if initial else None, supp.t if supp else None, window, False
        )
        kept = []
        for p in pts:
            if p.status == UPCOMING:
                continue  # after the end of the recording
            if p.status in PENDING and stopped:
                p = _as_missed(p)
            kept.append(p)
        points[ss.stream] = kept
        used[ss.stream] = {p.actual for p in kept if p.actual is not None}
    rows = _rows(rs, proto, thresholds, points, used, typed_t, staff_of)
    every = [p for pts in points.values() for p in pts]
    return ProtocolView(proto, proto == own, points, rows, compliance(every), initial.t if initial else None)


def _as_missed(p: Timepoint) -> Timepoint:
    from dataclasses import replace

    return replace(p, status=MISSED)


def _rows(
    rs, proto: Protocol, th: Thresholds, points, used, typed_t: np.ndarray, staff_of: dict[float, str]
) -> list[CrfRow]:
    store = rs.store
    rows: dict[tuple, CrfRow] = {}
    for stream, pts in points.items():
        for p in pts:
            key = (p.kind, round(p.nominal, 3) if p.nominal is not None else None, p.after)
            row = rows.get(key)
            if row is None:
                row = rows[key] = CrfRow(p.label, p.number, p.kind, p.nominal, p.actual)
            if p.actual is not None:
                row.actual = p.actual if row.actual is None else min(row.actual, p.actual)
                _fill(row, store, p.actual, _row_vitals(proto, stream, p.actual, used), typed_t, staff_of)
                if p.status == LATE:
                    row.late.append(stream)
            elif p.status == MISSED or p.status in PENDING:
                row.missed.append(stream)
    # Readings no timepoint took: of intermittent streams, and every typed one.
    taken = {t for s in used.values() for t in s}
    for stream in points:
        for v in STREAM_VITALS[stream]:
            if not store.holds(v):
                continue
            col = store.column(v)
            ok = ~np.isnan(col) & ~store.artifacts(v)
            times = store.t[ok]
            if _continuous(rs, th, v):
                times = times[np.isin(times, typed_t)] if len(typed_t) else times[:0]
            for t in times:
                t = float(t)
                if t in taken:
                    continue
                row = rows.setdefault(("extra", round(t, 3), None), CrfRow("UNSCHEDULED", math.inf, "extra", None, t))
                _fill(row, store, t, CRF_VITALS, typed_t, staff_of)
    out = sorted(rows.values(), key=lambda r: (_sort_t(r), r.number))
    return out


def _row_vitals(proto: Protocol, stream: str, t: float, used: dict[str, set[float]]) -> tuple[str, ...]:
    """The vitals a timepoint's row shows of the reading at t: its stream's, and those measured
    with them that no timepoint of their own stream took (the HR typed with a repeat BP)."""
    own = proto.schedule.stream(stream)
    out = list(own.vitals if own is not None else ())
    for ss in proto.schedule.streams:
        if ss.stream != stream and t not in used.get(ss.stream, set()):
            out += [v for v in ss.vitals if v in CRF_VITALS]
    return tuple(out)


def _continuous(rs, th: Thresholds, vital: str) -> bool:
    """A device's continuous stream (HR at 1 Hz): its samples are not CRF rows of their own."""
    rule = th.vitals.get(vital)
    return bool(rule and rule.continuous) and not rs.meta.get("manual")


def _sort_t(r: CrfRow) -> float:
    if r.nominal is not None:
        return r.nominal
    return r.actual if r.actual is not None else -math.inf


def _fill(row: CrfRow, store, t: float, vitals, typed_t: np.ndarray, staff_of: dict[float, str]) -> None:
    i = int(np.searchsorted(store.t, t))
    if i >= len(store) or store.t[i] != t:
        return
    for v in vitals:
        x = float(store.column(v)[i])
        if x == x and v not in row.values:
            row.values[v] = x
    typed = bool(len(typed_t)) and bool(np.isin(t, typed_t))
    row.sources.add("typed" if typed else "device")
    if typed and staff_of.get(t):
        row.staff.add(staff_of[t])


def crf_csv(view: ProtocolView, tb) -> str:
    """The CRF table as CSV (times in ISO 8601 with the session's offset, elapsed since the dose)."""
    from datetime import datetime

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CRF_COLUMNS)

    def iso(t: float | None) -> str:
        if t is None:
            return ""
        return datetime.fromtimestamp(t, tb.tz).isoformat(timespec="seconds") if tb.absolute else f"{t:g}"

    def elapsed(t: float | None) -> str:
        return "" if t is None or view.dose_t is None else tb.elapsed(t)

    for k, r in enumerate(view.rows, 1):
        vals = [_num(r.values.get(v), 1 if v == "temp" else 0) for v in CRF_VITALS]
        w.writerow(
            [
                r.label,
                k,
                iso(r.nominal),
                elapsed(r.nominal),
                iso(r.actual),
                elapsed(r.actual),
                *vals,
                r.source,
                ";".join(r.late),
                ";".join(r.missed),
                "Y" if r.extra else "",
                ";".join(sorted(r.staff)),
            ]
        )
    return buf.getvalue()


def _num(v: float | None, decimals: int) -> str:
    return "" if v is None else f"{v:.{decimals}f}"


__all__ = ["CRF_COLUMNS", "TAKEN", "CrfRow", "ProtocolView", "crf_csv", "protocol_view"]
