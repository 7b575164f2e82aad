"""The cohort report: one self-contained HTML page of the cohort tables (monitor/cohort/views.py)
with their Plotly figures (cohort_figures.py), written privately like the session report."""

from __future__ import annotations

from pathlib import Path

from monitor import __version__
from monitor.report import cohort_figures as figs
from monitor.report.html_text import esc, script_json
from monitor.report.page import ReportError
from monitor.report.page_head import CSS, PLOTLYJS_CHOICES, cdn_url, csp
from monitor.report.writer import _write_private

_EXTRA_CSS = (
    ".wide { overflow-x: auto; } table.cohort td, table.cohort th { white-space: nowrap; padding: 2px 8px; }"
    " table.cohort { border-collapse: collapse; font-size: 13px; }"
    " table.cohort tr:nth-child(even) { background: #f4f4f4; }"
    " .fig { margin: 8px 0 24px; } .note { color: #555; font-size: 13px; max-width: 70em; }"
)


def _table(view) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in view.headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>\n" for row in view.rows)
    if not view.rows:
        body = f'<tr><td colspan="{len(view.headers)}">(none)</td></tr>'
    notes = "".join(f'<p class="note">{esc(n)}</p>\n' for n in view.notes)
    return (
        f'<h2 id="{esc(view.key)}">{esc(view.title)}</h2>\n{notes}'
        f'<div class="wide"><table class="cohort"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table></div>\n'
    )


def _figure(fig_id: str, fig: dict | None) -> tuple[str, str]:
    if fig is None:
        return "", ""
    div = f'<div class="fig" id="{fig_id}"></div>\n'
    script = f"draw({script_json(fig_id)}, {script_json(fig)});\n"
    return div, script


def render_cohort_html(views: dict, n_sessions: int, simulated: bool, plotlyjs: str = "inline") -> str:
    if plotlyjs not in PLOTLYJS_CHOICES:
        raise ReportError(f"--plotlyjs must be one of {', '.join(PLOTLYJS_CHOICES)}, not '{plotlyjs}'")
    per = views["per-session"].numbers
    figures: dict[str, list[tuple[str, dict | None]]] = {
        "incidence": [("fig-incidence", figs.incidence(views["incidence"].numbers))],
        "time-to-peak": [("fig-peak-time", figs.time_to_peak(per)), ("fig-peaks", figs.peaks(per))],
        "alarms": [("fig-alarms", figs.alarm_burden(views["alarms"].numbers))],
        "what-if": [("fig-what-if", figs.what_if(views["what-if"].numbers))],
    }
    parts: list[str] = []
    scripts: list[str] = []
    add = parts.append
    add('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    add(f'<meta http-equiv="Content-Security-Policy" content="{esc(csp(plotlyjs))}">\n')
    add(
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
    )
    add(f'<meta name="generator" content="vitals-monitor {esc(__version__)}">\n')
    add(f"<title>{'SIMULATED - ' if simulated else ''}Cohort report ({n_sessions} sessions)</title>\n")
    add(f"<style>{CSS}{_EXTRA_CSS}</style>\n")
    if plotlyjs == "inline":
        from plotly.offline import get_plotlyjs

        add("<script>" + get_plotlyjs() + "</script>\n")
    else:
        add(f'<script src="{esc(cdn_url())}" charset="utf-8" crossorigin="anonymous"></script>\n')
    add("</head>\n<body>\n")
    if simulated:
        add(
            '<div class="banner" role="alert">SIMULATED SESSIONS: some or all of these sessions come from the '
            "simulator, not from patients.</div>\n"
        )
    add(f"<h1>Cohort report: {n_sessions} session{'s' if n_sessions != 1 else ''}</h1>\n")
    add(
        '<p class="sub">Across sessions: every table is a DuckDB query over the cohort\'s Parquet files. '
        "Contents: " + ", ".join(f'<a href="#{esc(v.key)}">{esc(v.title)}</a>' for v in views.values()) + "</p>\n"
    )
    order = ["incidence", "time-to-peak", "per-session", "alarms", "time-in-alarm", "what-if", "quality"]
    for name in order:
        if name not in views:
            continue
        add(_table(views[name]))
        for fig_id, fig in figures.get(name, []):
            div, script = _figure(fig_id, fig)
            add(div)
            scripts.append(script)
    add(
        "<script>\n(function () {\n  function draw(id, fig) {\n    var el = document.getElementById(id);\n"
        "    if (typeof Plotly === 'undefined') { el.textContent = 'The charts could not be drawn: plotly.js did "
        "not load (a report written with --plotlyjs cdn needs the network).'; el.style.color = '#b00'; return; }\n"
        "    Plotly.newPlot(el, fig.data, fig.layout, fig.config);\n  }\n"
    )
    add("".join("  " + s for s in scripts))
    add("})();\n</script>\n</body>\n</html>\n")
    return "".join(parts)


def write_cohort_report(path: Path, views: dict, n_sessions: int, simulated: bool, plotlyjs: str = "inline") -> Path:
    text = render_cohort_html(views, n_sessions, simulated, plotlyjs)
    try:
        _write_private(Path(path), text)
    except OSError as exc:
        raise ReportError(f"cannot write the report to '{path}': {exc.strerror or exc}") from exc
    return Path(path)
