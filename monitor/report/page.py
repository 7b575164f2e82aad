"""The report page: header, summary, chart, alarm and event logs, method note; and `write_report`.

One self-contained HTML file. plotly.js is embedded by default (works offline); `plotlyjs="cdn"`
links it instead for a small file to share. All text from the data or the user is escaped for HTML
(`esc`) in the page and for Plotly (`plotly_text`) in the chart, and the figure JSON is written so
that nothing in it can close the <script> element. A Content-Security-Policy forbids the page from
loading or sending anything (only the plotly.js CDN script when asked for).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from monitor import __version__
from monitor.core.priority import DISPLAY_ORDER, LOOK, PRIORITIES, priority_text
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import format_duration
from monitor.core.vitals import ALL_SPECS, SPECS, format_value
from monitor.report.data import (
    DEFAULT_BASELINE_WINDOW,
    ReportData,
    baseline_notes,
    build_report_data,
    vital_name,
)
from monitor.report.figure import VCOLOR, build_figure, figure_stats

PLOTLYJS_CHOICES = ("inline", "cdn")


class ReportError(Exception):
    """A report that cannot be written; str() is one clear sentence."""


def esc(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def script_json(obj) -> str:
    """JSON safe inside <script>: no '</script>', '<!--', or JS line separators can appear."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def _cdn_url() -> str:
    return f"https://cdn.plot.ly/plotly-{_plotly_version()}.min.js"


# -- the page ------------------------------------------------------------------------------------


# The priority colours come from the one table (monitor/core/priority.py); the medium and low text
# colours are darker shades of theirs, for contrast on white.
CSS = (
    (
        ":root { "
        + " ".join(f"--{'tech' if p == 'technical' else p}:{LOOK[p].report};" for p in DISPLAY_ORDER)
        + " --ink:#1d1d1f; --mute:#5f6368; }"
    )
    + """
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; padding: 0 24px 48px; max-width: 1500px; margin-inline: auto; }
h1 { font-size: 24px; margin: 18px 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: var(--mute); margin: 0 0 12px; }
.banner { background: repeating-linear-gradient(45deg,#ffde59,#ffde59 14px,#ffe98f 14px,#ffe98f 28px);
          border: 2px solid #8a6d00; color: #3d2f00; font-weight: 700; padding: 10px 14px; margin: 14px 0 6px;
          font-size: 16px; letter-spacing: .02em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 10px 0; }
.facts dt { color: var(--mute); } .facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d9d9d9; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.wrap { overflow-x: auto; }
.pr-high { color: var(--high); font-weight: 700; } .pr-medium { color: #a86d00; font-weight: 700; }
.pr-low { color: #0f7891; font-weight: 600; } .pr-technical { color: var(--tech); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px;
          vertical-align: middle; }
.muted { color: var(--mute); } .small { font-size: 12px; }
.notices { margin: 12px 0; }
.notices .alert { background: #fdecea; border: 2px solid var(--high); color: #5f0d0e; font-weight: 700;
                  padding: 8px 12px; margin: 6px 0; }
.notices .info { background: #eef5fb; border-left: 4px solid #2166ac; padding: 6px 12px; margin: 6px 0; }
.note { background: #f7f7f9; border-left: 4px solid #c7c7d1; padding: 8px 12px; margin: 8px 0; }
.note li { margin: 3px 0; }
#chart { width: 100%; min-height: 400px; }
.chart-help { color: var(--mute); font-size: 12px; margin: 2px 0 0; }
.log { font-size: 13px; }
.log td.msg, .events td.msg { max-width: 560px; overflow-wrap: anywhere; }
.usertext { white-space: pre-wrap; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: var(--mute); }
@media print { body { padding: 0 8px; } .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
               #chart { break-inside: avoid; } }
"""
)


def _csp(plotlyjs: str) -> str:
    script = "'unsafe-inline'" + (" https://cdn.plot.ly" if plotlyjs == "cdn" else "")
    return (
        f"default-src 'none'; script-src {script}; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )


def render_html(rd: ReportData, title: str | None = None, plotlyjs: str = "inline") -> str:
    if plotlyjs not in PLOTLYJS_CHOICES:
        raise ReportError(f"--plotlyjs must be one of {', '.join(PLOTLYJS_CHOICES)}, not '{plotlyjs}'")
    s = rd.session
    fig = build_figure(rd)
    heading = title if title else s.label
    simulated = s.simulated
    parts: list[str] = []
    add = parts.append
    add('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    add(f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp(plotlyjs))}">\n')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    add('<meta name="referrer" content="no-referrer">\n')
    add(f'<meta name="generator" content="vitals-monitor {esc(__version__)}">\n')
    add(f"<title>{'SIMULATED - ' if simulated else ''}{esc(heading)} - session report</title>\n")
    add(f"<style>{CSS}</style>\n")
    if plotlyjs == "inline":
        from plotly.offline import get_plotlyjs

        # plotly.min.js contains no "</script" (it is embedded this way by plotly itself).
        add("<script>")
        add(get_plotlyjs())
        add("</script>\n")
    else:
        add(f'<script src="{esc(_cdn_url())}" charset="utf-8" crossorigin="anonymous"></script>\n')
    add("</head>\n<body>\n")
    if simulated:
        add(
            '<div class="banner" role="alert">SIMULATED SESSION: these readings come from the simulator, '
            "not from a patient.</div>\n"
        )
    add(f"<h1>{esc(heading)}</h1>\n")
    add(f'<p class="sub">Post-session vital-signs report{" (SIMULATED)" if simulated else ""}</p>\n')
    add(_header(rd, title))
    add(_notices_html(rd))
    add(_thresholds_html(rd))
    add(_summary_html(rd))
    add('<h2 id="charts">Charts</h2>\n')
    add(f'<p class="chart-help">{esc(_chart_help(rd))}</p>\n')
    add('<div id="chart"></div>\n' if fig is not None else "<p><strong>No readings to draw.</strong></p>\n")
    add(_alarm_log_html(rd))
    add(_event_log_html(rd))
    add(_method_html(rd, fig))
    add(_data_notes_html(rd))
    if fig is not None:
        add(_chart_script(fig))
    add("</body>\n</html>\n")
    return "".join(parts)


def _chart_script(fig: dict) -> str:
    parts: list[str] = []
    add = parts.append
    add("<script>\n(function () {\n")
    add(f"  var fig = {script_json(fig)};\n")
    add(
        "  var el = document.getElementById('chart');\n"
        "  if (typeof Plotly === 'undefined') {\n"
        "    el.textContent = 'The charts could not be drawn: plotly.js did not load. This report was written "
        "with --plotlyjs cdn and needs the network; write it again without that option to embed plotly.js.';\n"
        "    el.style.color = '#b00'; return;\n  }\n"
        "  Plotly.newPlot(el, fig.data, fig.layout, fig.config);\n"
        "})();\n</script>\n"
    )
    return "".join(parts)


def _chart_help(rd: ReportData) -> str:
    zero = "the initial dose" if rd.tb.zero_kind == "dose" else "the start of the recording (no dose was logged)"
    hover = (
        "Hover a point for its value, clock time and time since " + zero.split(" (")[0] + "."
        if rd.tb.absolute
        else "Hover a point for its value and time (this recording has no clock time)."
    )
    return (
        f"Time axis: hours since {zero}. {hover} Drag to zoom, double-click to reset; "
        "1 h / 2 h show the first hour(s) from 0 h and the range slider below moves the window; "
        "click a legend entry to hide or show it. Shaded columns: alarm periods by priority "
        "(paler: a high alarm held until acknowledged after the value had recovered). "
        "Shaded bands and lines: alarm limits by priority."
    )


def _dl(items: list[tuple[str, str]]) -> str:
    return '<dl class="facts">\n' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>\n" for k, v in items) + "</dl>\n"


def _header(rd: ReportData, title: str | None) -> str:
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
                + f"report by vitals-monitor {__version__} with plotly.js {_plotly_version()}"
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


def _notices_html(rd: ReportData) -> str:
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
            infos.append(f"Pre-dose baseline {name} {_fmt_lim(b.vital, b.value)}{' ' + unit if unit else ''}{n}.")
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


def _fmt_lim(vital: str, v) -> str:
    if v is None:
        return ""
    return format_value(vital, v) if vital in ALL_SPECS else f"{v:g}"


def _thresholds_html(rd: ReportData) -> str:
    th: Thresholds = rd.src.thresholds
    out = [
        '<h2 id="thresholds">Thresholds in force</h2>\n',
        (
            f'<p class="small muted">From {esc(th.source or "the thresholds stored in the session")}. An alarm is '
            "raised when a value is at or beyond a limit (inclusive). Priorities: !!! high, !! medium, ! low.</p>\n"
        ),
        (
            '<div class="wrap"><table class="thresholds"><thead><tr><th>vital</th><th>direction</th>'
            "<th>! low</th><th>!! medium</th><th>!!! high</th><th>unit</th><th>delay</th><th>hysteresis</th>"
            "<th>mode</th></tr></thead><tbody>\n"
        ),
    ]
    for name, r in th.vitals.items():
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        for direction in ("upper", "lower"):
            lim = getattr(r, direction)
            if not lim:
                continue
            op = "≥" if direction == "upper" else "≤"
            cells = "".join(
                f'<td class="num">{esc(op + " " + _fmt_lim(name, lim[p])) if p in lim else ""}</td>' for p in PRIORITIES
            )
            out.append(
                f"<tr><td>{esc(vital_name(name))}</td><td>{esc(direction)}</td>{cells}<td>{esc(unit)}</td>"
                f"<td>{esc(format_duration(r.delay_s) if r.continuous else '-')}</td>"
                f"<td>{esc(_fmt_lim(name, r.hysteresis) if r.continuous else '-')}</td>"
                f"<td>{'continuous' if r.continuous else 'intermittent (each reading one event)'}</td></tr>\n"
            )
    for name in th.without_limits:
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        out.append(
            f'<tr><td>{esc(vital_name(name))}</td><td colspan="4" class="pr-high">no alarm limits '
            f"(without_limits)</td><td>{esc(unit)}</td><td>-</td><td>-</td><td>-</td></tr>\n"
        )
    out.append("</tbody></table></div>\n")
    if th.baseline:
        out.append(
            '<table class="thresholds"><thead><tr><th>baseline-relative rule</th><th>priority</th>'
            "<th>baseline window</th></tr></thead><tbody>\n"
        )
        for b in th.baseline:
            op = f"≥ baseline + {b.delta:g}" if b.direction == "upper" else f"≤ baseline − {b.delta:g}"
            out.append(
                f'<tr><td>{esc(vital_name(b.vital))} {esc(op)}</td><td class="pr-{esc(b.priority)}">'
                f"{esc(priority_text(b.priority))}</td><td>{esc(format_duration(b.window_s))} before "
                "the initial dose (median)</td></tr>\n"
            )
        out.append("</tbody></table>\n")
    stale = ", ".join(f"{s.stream}: {format_duration(s.after_s)}" for s in th.stale)
    if stale:
        out.append(f"<p class=\"small muted\">'No data' technical alarms after: {esc(stale)}.</p>\n")
    return "".join(out)


_SHORT = {
    "hr": "HR",
    "sbp": "SBP",
    "dbp": "DBP",
    "map": "MAP",
    "spo2": "SpO2",
    "temp": "Temp",
    "rr": "RR",
    "si": "SI",
    "bp": "BP",
}


def short_name(vital: str) -> str:
    return _SHORT.get(vital, str(vital).upper())


def _v(vital: str, v) -> str:
    return "" if v is None else format_value(vital, v)


def _summary_html(rd: ReportData) -> str:
    tb = rd.tb
    dose = tb.zero_kind == "dose"
    out = [
        '<h2 id="summary">Summary per vital sign</h2>\n',
        (
            '<div class="wrap"><table class="summary"><thead><tr><th>vital</th><th>readings</th>'
            "<th>pre-dose baseline</th><th>minimum (time)</th><th>maximum (time)</th><th>mean</th>"
            "<th>peak change from baseline</th><th>dose to peak</th><th>time beyond limits</th>"
            "<th>alarms by priority</th><th>artifacts excluded</th></tr></thead><tbody>\n"
        ),
    ]
    for s in rd.summaries:
        unit = f" {s.unit}"
        color = VCOLOR.get(s.vital, "#999")
        name = f'<span class="swatch" style="background:{color}"></span>{esc(s.label)}'
        if s.n == 0:
            alarms = _alarm_cell(s)
            out.append(
                f'<tr><td>{name}</td><td colspan="8" class="muted">derived at each cuff reading; '
                f"not drawn</td><td>{alarms}</td><td></td></tr>\n"
            )
            continue
        kind = "continuous" if s.continuous else "intermittent"
        if not dose:
            baseline = '<span class="muted">no dose logged</span>'
        elif s.baseline_off:
            baseline = '<strong class="pr-high">OFF: no pre-dose readings</strong>'
        elif s.baseline is None:
            baseline = '<span class="muted">no pre-dose readings</span>'
        else:
            baseline = (
                esc(f"{_v(s.vital, s.baseline)}{unit}") + f' <span class="muted small">(median of '
                f"{s.baseline_n})</span>"
            )
        assert s.tmin is not None and s.tmax is not None  # a vital with readings has both
        vmin = esc(f"{_v(s.vital, s.vmin)}{unit}") + f'<br><span class="small muted">{esc(tb.when(s.tmin))}</span>'
        vmax = esc(f"{_v(s.vital, s.vmax)}{unit}") + f'<br><span class="small muted">{esc(tb.when(s.tmax))}</span>'
        mean = esc(f"{s.mean:.{SPECS[s.vital].decimals + 1}f}{unit}") if s.mean is not None else ""
        if s.change is not None:
            word = "lowest" if s.peak_direction == "min" else "highest"
            change = (
                esc(f"{s.change:+.{SPECS[s.vital].decimals}f}{unit}")
                + f'<br><span class="small muted">{word} after dose: {esc(_v(s.vital, s.peak))}</span>'
            )
        else:
            change = '<span class="muted">-</span>'
        to_peak = (
            esc(format_duration(s.tpeak - tb.zero))
            if (dose and s.tpeak is not None)
            else '<span class="muted">-</span>'
        )
        beyond = _beyond_cell(s)
        out.append(
            f'<tr><td>{name}<br><span class="small muted">{kind}</span></td>'
            f'<td class="num">{s.n:,}</td><td>{baseline}</td><td>{vmin}</td><td>{vmax}</td>'
            f'<td class="num">{mean}</td><td>{change}</td><td>{to_peak}</td><td class="small">{beyond}</td>'
            f'<td>{_alarm_cell(s)}</td><td class="num">{s.artifacts:,}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    if any(s.vital in ("sbp", "dbp", "map") and s.alarms.get("technical") for s in rd.summaries):
        out.append("<p class=\"small muted\">A 'no BP data' technical alarm is counted in each BP row.</p>\n")
    return "".join(out)


def _beyond_cell(s) -> str:
    """Limits that were crossed, with their times; the others listed once, greyed."""
    hit = [b for b in s.beyond if b.seconds > 0 or b.readings > 0]
    clear = [b for b in s.beyond if not (b.seconds > 0 or b.readings > 0)]
    lines = [
        f'<span class="pr-{esc(b.priority)}">{esc(b.text)}</span>: {esc(format_duration(b.seconds))}'
        + (
            f' <span class="small muted">({b.readings} reading{"s" if b.readings != 1 else ""})</span>'
            if not s.continuous
            else ""
        )
        for b in hit
    ]
    if clear:
        lines.append(f'<span class="muted">never {esc(", ".join(b.text for b in clear))}</span>')
    return "<br>".join(lines) or '<span class="muted">no limits</span>'


def _alarm_cell(s) -> str:
    parts = [
        f'<span class="pr-{p}">{esc(priority_text(p))} {s.alarms[p]}</span>' for p in DISPLAY_ORDER if s.alarms.get(p)
    ]
    if s.repeats:
        parts.append(
            f'<span class="small muted">{s.repeats} repeat measurement request{"s" if s.repeats != 1 else ""}</span>'
        )
    return "<br>".join(parts) or '<span class="muted">none</span>'


def _alarm_log_html(rd: ReportData) -> str:
    rows = rd.alarm_rows
    since = "since dose" if rd.tb.zero_kind == "dose" else "since start"
    head = "time (since dose)" if rd.tb.absolute else f"time ({since})"
    out = [
        (
            f'<h2 id="alarm-log">Alarm log <span class="small muted">({len(rows):,} entries, '
            f"{esc(rd.src.origin)}; the alarm delay's pending/cancelled transitions are left out)</span></h2>\n"
        )
    ]
    if not rows:
        out.append("<p>No alarms.</p>\n")
        return "".join(out)
    out.append(
        f'<div class="wrap"><table class="log"><thead><tr><th>{esc(head)}</th><th>vital</th>'
        "<th>priority</th><th>state</th><th>value</th><th>limit</th><th>message</th>"
        "<th>acknowledged by</th></tr></thead><tbody>\n"
    )
    for r in rows:
        pr = esc(r.priority)
        out.append(
            f'<tr><td class="num">{esc(r.when)}</td><td>{esc(short_name(r.vital))}</td>'
            f'<td class="pr-{pr}">{esc(priority_text(r.priority))}</td><td>{esc(r.state)}</td>'
            f'<td class="num">{esc(r.value)}</td><td class="num">{esc(r.limit)}</td>'
            f'<td class="msg">{esc(r.message)}</td><td>{esc(r.ack)}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    return "".join(out)


def _event_log_html(rd: ReportData) -> str:
    rows = rd.event_rows
    since = "since dose" if rd.tb.zero_kind == "dose" else "since start"
    out = [
        (
            f'<h2 id="event-log">Event log <span class="small muted">({len(rows):,} entries: doses, notes, '
            "acknowledgements, audio pauses, feed events)</span></h2>\n"
        )
    ]
    if not rows:
        out.append("<p>No events were logged.</p>\n")
        return "".join(out)
    out.append(
        f'<div class="wrap"><table class="events"><thead><tr><th>time ({esc(since)})</th>'
        "<th>event</th><th>details</th></tr></thead><tbody>\n"
    )
    for r in rows:
        text = f'<div class="usertext">{esc(r.text)}</div>' if r.text else ""
        out.append(
            f'<tr><td class="num">{esc(r.when)}</td><td>{esc(r.kind)}</td>'
            f'<td class="msg">{esc(r.detail)}{text}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    return "".join(out)


def _method_html(rd: ReportData, fig: dict | None) -> str:
    th = rd.src.thresholds
    s = rd.session
    window = format_duration(max((r.window_s for r in th.baseline), default=DEFAULT_BASELINE_WINDOW))
    ranges = ", ".join(
        f"{SPECS[v].label} {SPECS[v].low:g}–{SPECS[v].high:g} {SPECS[v].unit}" for v in rd.session.store.present()
    )
    arts = ", ".join(f"{short_name(k)} {n}" for k, n in s.artifacts.items() if n) or "none"
    stats = figure_stats(fig)
    reduced = "; ".join(
        f"{short_name(v)} {ser.n_raw:,} → {sum(1 for x in ser.labels if x):,} points"
        for v, ser in rd.series.items()
        if ser.n_raw > 2 * rd.buckets
    )
    holds = ", ".join(f"{short_name(x.vital)} {format_duration(x.hold_s)}" for x in rd.summaries if x.n)
    items = [
        (
            "Artifacts",
            (
                f"A value outside its plausible range ({ranges}), and a cuff reading whose systolic is "
                "not above its diastolic, cannot come from a living patient on a working sensor: it is kept in the "
                "record, flagged as an artifact, left out of the drawn lines, the summary statistics and the limit "
                "alarms, and drawn as a grey × at the bottom of its chart (hover it for the value). "
                f"Artifacts in this session: {arts}."
            ),
        ),
        (
            "Downsampling",
            f"Series longer than {2 * rd.buckets:,} points are drawn with min/max bucketing: the "
            f"readings are split into {rd.buckets:,} buckets of consecutive readings and each bucket keeps its "
            "lowest and its highest reading at their own times, so every peak and trough is drawn at its true "
            "value however far you zoom out. Statistics, limits and alarms use every reading. "
            + (f"Downsampled here: {reduced}." if reduced else "No series needed downsampling.")
            + f" The chart holds {stats['points']:,} points and {stats['shapes']:,} shapes.",
        ),
        (
            "Gaps",
            f"A line is broken where readings stop for longer than their 'no data' limit ({holds})." if holds else "",
        ),
        (
            "Baseline and peak",
            (
                f"The baseline is the median of each vital's plausible readings in the {window} "
                "before the initial dose (the alarm engine's own baseline where it computed one). The peak is the "
                "highest reading after the initial dose (the lowest for SpO2); peak change = peak − baseline; dose to "
                "peak = its time after the initial dose."
            ),
        ),
        (
            "Time beyond a limit",
            (
                "Each reading is taken to stand until the next one, for at most the stream's "
                "'no data' limit; limits are inclusive (at or beyond), as in the alarm engine. For intermittent "
                "readings (cuff BP, temperature) the number of readings beyond the limit is given as well."
            ),
        ),
        (
            "Alarms by priority",
            (
                "The number of alarm episodes (active until cleared) per vital, counted at the "
                "highest priority each reached; technical alarms are 'no data' and implausible-reading alarms. In the "
                "charts a held high alarm (condition over, not yet acknowledged) is paler; it is active again from "
                "when the alarm engine sounds it again (the value back beyond its limit for the alarm's delay), as "
                "in the alarm log."
            ),
        ),
    ]
    if any(ser.derived for ser in rd.series.values()):
        items.append(
            ("MAP", ("Where the device gave none it is computed as (SBP + 2·DBP) / 3 (drawn as 'MAP (computed)')."))
        )
    if rd.tb.absolute:
        items.append(("Clock", f"Clock times are given in {rd.tb.tz_name}."))
    else:
        items.append(
            (
                "Clock",
                "This recording has no clock time: times are given relative to "
                + ("the initial dose." if rd.tb.zero_kind == "dose" else "the start of the recording."),
            )
        )
    out = ['<h2 id="method">Method</h2>\n<div class="note"><ul>\n']
    out += [f"<li><b>{esc(title)}.</b> {esc(text)}</li>\n" for title, text in items if text]
    out.append("</ul></div>\n")
    return "".join(out)


def _data_notes_html(rd: ReportData) -> str:
    s = rd.session
    notes = list(s.notes) + list(rd.src.notes)
    if not notes and not s.rejected:
        return ""
    out = ['<h2 id="data-notes">Notes on the input</h2>\n<ul class="small">\n']
    out += [f"<li>{esc(n)}</li>\n" for n in notes]
    if s.rejected:
        out.append(
            f"<li>{len(s.rejected):,} line{'s' if len(s.rejected) != 1 else ''} could not be read and "
            "were left out:<ul>\n"
        )
        out += [f"<li>line {esc(r.line)}: {esc(r.reason)}</li>\n" for r in s.rejected[:50]]
        if len(s.rejected) > 50:
            out.append(f"<li>... and {len(s.rejected) - 50:,} more</li>\n")
        out.append("</ul></li>\n")
    out.append("</ul>\n")
    return "".join(out)


# -- writing -------------------------------------------------------------------------------------


def default_output(input_path: str | os.PathLike) -> Path:
    """session folder -> folder/report.html; X.csv -> X.report.html beside it."""
    p = Path(input_path)
    if p.is_dir():
        return p / "report.html"
    return p.with_name(p.stem + ".report.html")


def _write_private(path: Path, text: str) -> None:
    """Write atomically (temporary file, then rename), owner read/write only (health data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_report(
    session,
    path=None,
    thresholds: Thresholds | str | os.PathLike | None = None,
    title: str | None = None,
    plotlyjs: str = "inline",
) -> Path:
    """Write the report of `session` (a RecordedSession, or a path to load) to `path` and return it.

    `thresholds`: limits (or a thresholds.toml path) to recompute the alarms with (default: the alarm
    log recorded in the session if it has one, else the stored thresholds, else ./thresholds.toml).
    `path` defaults to beside the input. Raises ReportError (one sentence) when the file cannot be
    written; SessionError/CsvError/ConfigError from loading pass through."""
    if plotlyjs not in PLOTLYJS_CHOICES:
        raise ReportError(f"plotlyjs must be one of {', '.join(PLOTLYJS_CHOICES)}, not '{plotlyjs}'")
    if isinstance(session, (str, os.PathLike)):
        from monitor.recording import load_session

        session = load_session(Path(session))
    if isinstance(thresholds, (str, os.PathLike)):
        from monitor.core.thresholds_loader import load_thresholds

        thresholds = load_thresholds(Path(thresholds))
    out = Path(path) if path is not None else default_output(session.path)
    rd = build_report_data(session, thresholds)
    text = render_html(rd, title=title, plotlyjs=plotlyjs)
    try:
        _write_private(out, text)
    except OSError as exc:
        raise ReportError(f"cannot write the report to '{out}': {exc.strerror or exc}") from exc
    return out
