"""The report's chart as a plain Plotly figure dict: the rows, the axes, the window buttons, the layout.

Built as dicts (not graph_objects) so that hundreds of alarm spans and limit bands cost list
appends rather than one validated `add_shape` call each; `layout["shapes"]` is assigned once. The
traces come from figure_traces and figure_events, the shapes from figure_limits, figure_alarms and
figure_events.
"""

from __future__ import annotations

from monitor.report.data import ReportData
from monitor.report.figure_alarms import alarm_shapes
from monitor.report.figure_events import dose_shapes, event_row
from monitor.report.figure_limits import limit_shapes
from monitor.report.figure_traces import row_range, vital_traces
from monitor.report.plotly_parts import Legend, axis_key

# Rows of the chart, top to bottom (the event strip, when there are events, goes above them).
ROWS: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("hr", ("hr",), "Heart rate<br>(bpm)", 230),
    ("bp", ("sbp", "dbp", "map"), "Blood pressure<br>(mmHg)", 280),
    ("spo2", ("spo2",), "SpO₂<br>(&#37;)", 150),
    ("temp", ("temp",), "Temperature<br>(°C)", 150),
    ("rr", ("rr",), "Resp. rate<br>(/min)", 150),
)
EVENT_ROW_HEIGHT = 70
ROW_GAP = 28  # px between rows
MARGIN = {"l": 84, "r": 190, "t": 48, "b": 56}
RANGESLIDER_PX = 58


def build_figure(rd: ReportData) -> dict | None:
    """The chart: {"data": [...], "layout": {...}, "config": {...}}; None when there is nothing to draw."""
    store = rd.session.store
    present = set(store.present())
    rows = [r for r in ROWS if present & set(r[1])]
    has_events = bool(rd.event_rows)
    n_rows = len(rows) + (1 if has_events else 0)
    if n_rows == 0:
        return None
    heights = ([EVENT_ROW_HEIGHT] if has_events else []) + [r[3] for r in rows]
    plot_px = sum(heights) + ROW_GAP * max(n_rows - 1, 0)
    total_px = plot_px + MARGIN["t"] + MARGIN["b"] + RANGESLIDER_PX + 40

    # y axis ids top to bottom: y, y2, ...; the x axis is anchored to the bottom one.
    ids = ["y" if i == 0 else f"y{i + 1}" for i in range(n_rows)]
    domains = []
    top = 1.0
    for h in heights:
        d = h / plot_px
        domains.append((max(top - d, 0.0), top))
        top = top - d - ROW_GAP / plot_px
    layout_axes: dict[str, dict] = {}
    data: list[dict] = []
    shapes: list[dict] = []
    legend = Legend()

    span = rd.span
    tb = rd.tb
    if span:
        x_lo, x_hi = float(tb.hours(span[0])), float(tb.hours(span[1]))
    else:
        x_lo, x_hi = 0.0, 1.0
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0 / 60

    row_ids: dict[str, str] = {}
    k = 0
    if has_events:
        event_row(rd, ids[0], data, layout_axes, domains[0])
        k = 1
    for (key, vitals, title, _h), yid, dom in zip(rows, ids[k:], domains[k:], strict=True):
        row_ids[key] = yid
        for v in vitals:
            row_ids[v] = yid
        y_range = row_range(rd, vitals)
        vital_traces(rd, vitals, yid, y_range, data)
        limit_shapes(rd, key, vitals, yid, y_range, shapes, legend, x_hi)
        layout_axes[axis_key(yid)] = {
            "domain": list(dom),
            "anchor": "x",
            "range": list(y_range),
            "fixedrange": True,
            "title": {"text": title, "font": {"size": 12}, "standoff": 6},
            "showgrid": True,
            "gridcolor": "#e8e8e8",
            "zeroline": False,
            "ticks": "outside",
            "ticklen": 3,
            "linecolor": "#999",
            "showline": True,
            "mirror": True,
        }

    alarm_shapes(rd, row_ids, shapes, legend)
    dose_shapes(rd, shapes)

    zero_note = _zero_note(rd)
    bottom = ids[-1]
    xaxis = {
        "anchor": bottom,
        "domain": [0, 1],
        "range": [x_lo, x_hi],
        "title": {"text": zero_note, "font": {"size": 12}},
        # Hour 0 at a dose is marked by that dose's own line (one line per dose, never two).
        "ticksuffix": " h",
        "showgrid": True,
        "gridcolor": "#e8e8e8",
        "zeroline": tb.zero_kind != "dose",
        "zerolinecolor": "#bbb",
        "zerolinewidth": 1,
        "showspikes": True,
        "spikemode": "across",
        "spikesnap": "cursor",
        "spikethickness": 1,
        "spikedash": "dot",
        "spikecolor": "#555",
        "ticks": "outside",
        "linecolor": "#999",
        "showline": True,
        "hoverformat": ".2f",
        "rangeslider": {
            "visible": True,
            "thickness": RANGESLIDER_PX / plot_px,
            "bgcolor": "#f6f6f6",
            "autorange": False,
            "range": [x_lo, x_hi],
            "bordercolor": "#bbb",
            "borderwidth": 1,
        },
    }
    layout = {
        "height": total_px,
        "margin": MARGIN,
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12, "color": "#222"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "hoverdistance": 30,
        "hoverlabel": {"align": "left", "namelength": -1},
        "dragmode": "zoom",
        "showlegend": True,
        "legend": {
            "orientation": "v",
            "x": 1.01,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "traceorder": "normal",
            "tracegroupgap": 4,
            "font": {"size": 11},
            "itemclick": "toggle",
            "itemdoubleclick": "toggleothers",
            "bgcolor": "rgba(255,255,255,0.8)",
        },
        "xaxis": xaxis,
        **layout_axes,
        "shapes": shapes,
        "updatemenus": [_window_buttons(x_lo, x_hi)],
    }
    config = {
        "responsive": True,
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
        "toImageButtonOptions": {"format": "png", "filename": "session-report", "scale": 2},
    }
    return {"data": data, "layout": layout, "config": config}


def _zero_note(rd: ReportData) -> str:
    tb = rd.tb
    if tb.zero_kind == "dose":
        where = f" (0 h = {tb.clock(tb.zero)} {tb.tz_name})" if tb.absolute else ""
        return f"Hours since the initial dose{where}"
    if tb.absolute:
        return f"Hours since the start of the recording (no dose logged; 0 h = {tb.clock(tb.zero)} {tb.tz_name})"
    return "Hours since the start of the recording (no dose logged; no clock time in this recording)"


def _window_buttons(x_lo: float, x_hi: float) -> dict:
    """1 h / 2 h windows from time zero (drag the range slider to move them) and the whole session."""
    start = 0.0 if x_lo <= 0.0 < x_hi else x_lo

    def window(h: float) -> list[float]:
        return [start, min(start + h, max(x_hi, start + h))]

    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0,
        "xanchor": "left",
        "y": 1,
        "yanchor": "bottom",
        "pad": {"b": 8, "t": 0, "l": 0, "r": 0},
        "bgcolor": "#f2f2f2",
        "bordercolor": "#999",
        "font": {"size": 12},
        "buttons": [
            {"label": "1 h", "method": "relayout", "args": [{"xaxis.range": window(1.0)}]},
            {"label": "2 h", "method": "relayout", "args": [{"xaxis.range": window(2.0)}]},
            {"label": "all", "method": "relayout", "args": [{"xaxis.range": [x_lo, x_hi]}]},
        ],
    }
