"""The logged events on the chart: the event strip above the vitals (doses, notes, the rest) and
one vertical line per dose across all rows.
"""

from __future__ import annotations

from monitor.report.data import ReportData
from monitor.report.plotly_parts import DOSE_COLOR, axis_key, plotly_text, typed


def event_row(rd: ReportData, yid: str, data: list[dict], axes: dict, dom) -> None:
    """Doses, notes and other logged events as markers on a strip above the vitals."""
    tb = rd.tb
    groups: dict[str, tuple[list, list, list]] = {"dose": ([], [], []), "note": ([], [], []), "other": ([], [], [])}
    for r in rd.event_rows:
        g = r.kind if r.kind in ("dose", "note") else "other"
        xs, texts, labels = groups[g]
        # A dose is drawn when it was given (a dose keyed in late is not drawn at the key press).
        xs.append(float(tb.hours(r.x_t)))
        body = plotly_text(r.detail)
        if r.text:
            body += ":<br>" + plotly_text(_wrap(r.text))
        when = f"keyed in at {r.when}" if r.keyed_late else r.when
        texts.append(f"<b>{body}</b><br>{plotly_text(when)}")
        labels.append(plotly_text(r.short) if g == "dose" else "")
    style = {
        "dose": (2, "triangle-down", DOSE_COLOR, 12, "doses"),
        "note": (1, "circle", "#444444", 8, "notes"),
        "other": (0, "diamond", "#8a8a8a", 7, "other events (acknowledgements, pauses, feed)"),
    }
    for g, (xs, texts, labels) in groups.items():
        if not xs:
            continue
        y, symbol, color, size, name = style[g]
        trace = {
            "type": "scatter",
            "x": typed(xs),
            "y": typed([y] * len(xs)),
            "customdata": texts,
            "xaxis": "x",
            "yaxis": yid,
            "name": name,
            "legendgroup": f"ev-{g}",
            "mode": "markers+text" if g == "dose" else "markers",
            "marker": {"symbol": symbol, "size": size, "color": color},
            "hovertemplate": "%{customdata}<extra></extra>",
        }
        if g == "dose":
            trace["text"] = labels
            trace["textposition"] = "middle right"
            trace["textfont"] = {"color": DOSE_COLOR, "size": 11}
        data.append(trace)
    axes[axis_key(yid)] = {
        "domain": list(dom),
        "anchor": "x",
        "range": [-0.7, 2.7],
        "fixedrange": True,
        "tickmode": "array",
        "tickvals": [0, 1, 2],
        "ticktext": ["other", "notes", "doses"],
        "showgrid": True,
        "gridcolor": "#f0f0f0",
        "zeroline": False,
        "showline": True,
        "mirror": True,
        "linecolor": "#999",
        "title": {"text": "Events", "font": {"size": 12}, "standoff": 6},
    }


def _wrap(text: str, width: int = 60) -> str:
    import textwrap

    lines = []
    for para in str(text).splitlines() or [""]:
        lines += textwrap.wrap(para, width) or [""]
    if len(lines) > 12:
        lines = lines[:12] + ["…"]
    return "\n".join(lines)


def dose_shapes(rd: ReportData, shapes: list) -> None:
    """One vertical line per dose, at the time it was given (hour 0 is the initial dose's)."""
    for r in rd.event_rows:
        if r.kind != "dose":
            continue
        x = float(rd.tb.hours(r.x_t))
        initial = "initial" in r.detail
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": DOSE_COLOR, "width": 1.6 if initial else 1.2, "dash": "solid" if initial else "dash"},
                "layer": "above",
                "opacity": 0.8,
            }
        )
