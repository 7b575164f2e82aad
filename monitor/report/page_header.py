"""The top of the page: the facts about the session (dates, source, doses, time axis, software)
and the notices a reader must not miss (vitals without limits, baseline rules that were off).
"""

from __future__ import annotations

from datetime import UTC, datetime

from monitor import __version__
from monitor.core.priority import DISPLAY_ORDER, priority_text
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import format_duration
from monitor.core.vitals import ALL_SPECS, short_name
from monitor.report.data import ReportData, baseline_notes
from monitor.report.html_text import esc, fmt_lim
from monitor.report.page_head import plotly_version


def _dl(items: list[tuple[str, str]]) -> str:
    return '<dl class="facts">\n' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>\n" for k, v in items) + "</dl>\n"


def header_html(rd: ReportData, title: str | None) -> str:
    s = rd.session
    tb = rd.tb
    meta = s.meta
    items: list[tuple[str, str]] = []
    if title:
        items.append(("Session label", esc(s.label)))
    if meta.get("id"):
        items.append(("Session id", esc(meta.get("id"))))
    span = rd.span
    if span:
        if tb.absolute:
            items.append(("Date", esc(datetime.fromtimestamp(span[0], tb.tz).strftime("%A %d %B %Y"))))
            items.append(("Start", esc(tb.stamp(span[0]))))
            items.append(("End", esc(tb.stamp(span[1]))))
        else:
            items.append(
                (
                    "Date",
                    (
                        '<span class="muted">unknown: this recording has no clock time (its times '
                        "are seconds since the start), so no clock times are shown</span>"
                    ),
                )
            )
            items.append(("Start", "0 s (start of the recording)"))
            items.append(("End", esc(f"{format_duration(span[1] - span[0])} after the start")))
        items.append(("Duration", esc(format_duration(span[1] - span[0]))))
        items.append(("Readings", esc(f"{len(s.store):,} rows")))
    else:
        items.append(("Readings", "none"))
    source = str(meta.get("source", ""))
    extra = []
    for k in ("scenario", "seed", "device"):
        if k in meta:
            extra.append(f"{k} {meta[k]}")
    items.append(("Source", esc(source + (f" ({', '.join(map(str, extra))})" if extra else ""))))
    items.append(("Input", esc(str(s.path))))
    items.append(("Simulated", "<strong>YES (simulator)</strong>" if s.simulated else "no"))
    doses = [r for r in rd.event_rows if r.kind == "dose"]
    if doses:
        items.append(("Doses", "<br>".join(esc(_dose_line(r, tb)) for r in sorted(doses, key=lambda r: r.x_t))))
    else:
        items.append(("Doses", "<strong>none logged</strong>"))
    if tb.zero_kind == "dose":
        axis = f"hours since the initial dose ({tb.when(tb.zero)})" if tb.absolute else "hours since the initial dose"
    else:
        axis = (
            "hours since the start of the recording: no dose was logged, so baselines, peak changes and "
            "time to peak are not given"
        )
    items.append(("Time axis", esc(axis)))
    if tb.absolute:
        items.append(
            (
                "Clock times",
                esc(f"{tb.tz_name}" + (" (the offset the session was recorded in)" if tb.tz_name != "UTC" else "")),
            )
        )
    else:
        items.append(
            (
                "Clock times",
                "<strong>none</strong>: this is a plain CSV with relative times "
                "(seconds since the start); times are shown as time since "
                + ("the dose" if tb.zero_kind == "dose" else "the start"),
            )
        )
    items.append(("Alarm log", esc(rd.src.origin)))
    eps = rd.episodes
    by_pr = {p: sum(1 for e in eps if _ep_priority(e) == p) for p in DISPLAY_ORDER}
    items.append(("Alarms", esc(", ".join(f"{priority_text(p)} {n}" for p, n in by_pr.items() if n) or "none")))
    rec_version = meta.get("software_version")
    items.append(
        (
            "Software",
            esc(
                (f"recorded with vitals-monitor {rec_version}; " if rec_version else "")
                + f"report by vitals-monitor {__version__} with plotly.js {plotly_version()}"
            ),
        )
    )
    items.append(("Report written", esc(datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))))
    return _dl(items)


def _dose_line(r, tb) -> str:
    """'initial dose 120 mg at 09:30:00 (+0:00:00), keyed in at 10:24:00 (+0:54:00)'."""
    what = r.what or r.detail
    line = f"{what} at {tb.when(r.x_t)}"
    if r.keyed_late:
        line += f", keyed in at {r.when}"
    if r.reason:
        line += f" — confirmed although: {r.reason}"
    return line


def notices_html(rd: ReportData) -> str:
    """What a reader must not miss, for the whole session: vitals without alarm limits and
    baseline rules that were off; and the baselines the engine took."""
    th: Thresholds = rd.src.thresholds
    alerts: list[str] = []
    infos: list[str] = []
    if th.without_limits:
        names = ", ".join(short_name(v) for v in th.without_limits)
        alerts.append(
            f"No alarm limits for: {names}. The thresholds in force left {names} without alarm "
            f"limits on purpose (without_limits): no {names} limit alarm could sound in this session."
        )
    notes = baseline_notes(rd.src.log)
    for b in notes:
        name = short_name(b.vital)
        if b.off:
            alerts.append(
                f"Baseline rules were OFF for {name}: no pre-dose readings. With no {name} reading "
                f"before the initial dose there was no baseline, so the baseline-relative {name} "
                "alarms were off for the whole session (the absolute limits applied)."
            )
        else:
            unit = ALL_SPECS[b.vital].unit if b.vital in ALL_SPECS else ""
            n = f" (median of {b.n} reading{'s' if b.n != 1 else ''})" if b.n is not None else ""
            infos.append(f"Pre-dose baseline {name} {fmt_lim(b.vital, b.value)}{' ' + unit if unit else ''}{n}.")
    doses = rd.session.doses()
    if th.baseline and doses and not any(d.dose == "initial" for d in doses):
        # (With no dose at all the header says that baselines are not given.)
        alerts.append(
            "Baseline rules were OFF for the whole session: no initial dose was logged, so no "
            "pre-dose baseline was taken."
        )
    if not alerts and not infos:
        return ""
    out = ['<div class="notices" id="notices">\n']
    out += [f'<p class="alert" role="alert">{esc(a)}</p>\n' for a in alerts]
    out += [f'<p class="info">{esc(i)}</p>\n' for i in infos]
    out.append("</div>\n")
    return "".join(out)


def _ep_priority(e) -> str:
    return "technical" if e.alarm.endswith((".stale", ".artifact")) else e.priority
