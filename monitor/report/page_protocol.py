"""The protocol section of the report: who the session was for (participant, session number,
site, staff), the discharge readiness at its end, the protocol-compliance line and the case report
form table (monitor.report.crf), typed readings marked as typed."""

from __future__ import annotations

from monitor.core.discharge import discharge_status
from monitor.core.protocol import protocol_from_stored
from monitor.report.crf import CRF_VITALS, protocol_view
from monitor.report.data import ReportData
from monitor.report.html_text import esc

NAMES = {"sbp": "SBP mmHg", "dbp": "DBP mmHg", "hr": "HR bpm", "temp": "Temp °C", "spo2": "SpO2 %"}


def protocol_html(rd: ReportData) -> str:
    s = rd.session
    meta = s.meta
    parts: list[str] = []
    details = [
        ("Participant", meta.get("participant")),
        ("Session number", meta.get("session_number")),
        ("Site", meta.get("site")),
        ("Staff on duty", meta.get("staff")),
    ]
    shown = [(k, v) for k, v in details if v not in (None, "")]
    proto = protocol_from_stored(meta.get("protocol"))
    typed_n = len(s.typed_times())
    if not shown and proto is None and not typed_n:
        return ""
    parts.append('<h2 id="protocol">Session and protocol</h2>\n<dl class="facts">\n')
    for k, v in shown:
        parts.append(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>\n")
    if meta.get("manual"):
        parts.append("<dt>Readings</dt><dd>typed at the bedside (no device)</dd>\n")
    elif typed_n:
        parts.append(f"<dt>Typed readings</dt><dd>{typed_n} (marked in the charts and the table)</dd>\n")
    view = protocol_view(s, rd.src.thresholds, proto) if proto is not None else None
    if proto is not None and proto.discharge.margins:
        end = s.end_time()
        dis = discharge_status(s.store, s.doses(), end or 0.0, proto.discharge, proto.schedule.baseline_window_s)
        since = f" (since {esc(rd.tb.when(dis.ready_at))})" if dis.ready_at is not None and dis.state == "ready" else ""
        cls = "ok" if dis.state == "ready" else "warn"
        parts.append(
            f'<dt>Discharge readiness</dt><dd class="{cls}">{esc(dis.text)}{since} at the end of the recording</dd>\n'
        )
    if view is not None:
        parts.append(
            f"<dt>Protocol compliance</dt><dd><strong>{esc(view.compliance.text())}</strong> "
            '<span class="muted">(each vital\'s timepoints counted apart)</span></dd>\n'
        )
    parts.append("</dl>\n")
    if view is None:
        if proto is None:
            parts.append('<p class="muted">This session ran without a protocol, so there is no CRF table.</p>\n')
        return "".join(parts)
    parts.append('<h3 id="crf">Case report form</h3>\n<table class="crf">\n<thead><tr>')
    heads = ["#", "Timepoint", "Nominal", "Actual", *(NAMES[v] for v in CRF_VITALS), "Source", "Flags", "Staff"]
    parts.append("".join(f"<th>{esc(h)}</th>" for h in heads))
    parts.append("</tr></thead>\n<tbody>\n")
    tb = rd.tb
    for n, r in enumerate(view.rows, 1):
        flags = []
        if r.late:
            flags.append("late: " + ", ".join(x.upper() for x in r.late))
        if r.missed:
            flags.append("missed: " + ", ".join(x.upper() for x in r.missed))
        if r.extra:
            flags.append("extra")
        vals = [
            "" if r.values.get(v) is None else (f"{r.values[v]:.1f}" if v == "temp" else f"{r.values[v]:.0f}")
            for v in CRF_VITALS
        ]
        source = r.source.replace("typed", "typed ✎")
        row_cls = (
            ' class="missed"' if r.missed and r.actual is None else (' class="typed"' if "typed" in r.sources else "")
        )
        cells = [
            str(n),
            r.label,
            tb.when(r.nominal) if r.nominal is not None else "",
            tb.when(r.actual) if r.actual is not None else "",
            *vals,
            source,
            "; ".join(flags),
            ", ".join(sorted(r.staff)),
        ]
        parts.append(f"<tr{row_cls}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>\n")
    parts.append("</tbody>\n</table>\n")
    if not view.stored:
        parts.append(
            '<p class="muted">Judged against a protocol given afterwards, not the one the session ran under.</p>\n'
        )
    return "".join(parts)
