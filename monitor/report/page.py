"""The report page: one self-contained HTML document, its sections in order, and the chart script.

The sections come from page_header, page_tables, page_logs and page_method; the figure from
figure.py. The figure JSON is written with `script_json`, so that nothing in it can close the
<script> element.
"""

from __future__ import annotations

from monitor import __version__
from monitor.report.data import ReportData
from monitor.report.figure import build_figure
from monitor.report.html_text import esc, script_json
from monitor.report.page_head import CSS, PLOTLYJS_CHOICES, cdn_url, csp
from monitor.report.page_header import header_html, notices_html
from monitor.report.page_logs import alarm_log_html, data_notes_html, event_log_html
from monitor.report.page_method import method_html
from monitor.report.page_protocol import protocol_html
from monitor.report.page_tables import summary_html, thresholds_html


class ReportError(Exception):
    """A report that cannot be written; str() is one clear sentence."""


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
    add(f'<meta http-equiv="Content-Security-Policy" content="{esc(csp(plotlyjs))}">\n')
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
        add(f'<script src="{esc(cdn_url())}" charset="utf-8" crossorigin="anonymous"></script>\n')
    add("</head>\n<body>\n")
    if simulated:
        add(
            '<div class="banner" role="alert">SIMULATED SESSION: these readings come from the simulator, '
            "not from a patient.</div>\n"
        )
    add(f"<h1>{esc(heading)}</h1>\n")
    add(f'<p class="sub">Post-session vital-signs report{" (SIMULATED)" if simulated else ""}</p>\n')
    add(header_html(rd, title))
    add(notices_html(rd))
    add(protocol_html(rd))
    add(thresholds_html(rd))
    add(summary_html(rd))
    add('<h2 id="charts">Charts</h2>\n')
    add(f'<p class="chart-help">{esc(_chart_help(rd))}</p>\n')
    add('<div id="chart"></div>\n' if fig is not None else "<p><strong>No readings to draw.</strong></p>\n")
    add(alarm_log_html(rd))
    add(event_log_html(rd))
    add(method_html(rd, fig))
    add(data_notes_html(rd))
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
