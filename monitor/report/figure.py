"""The report's chart as a plain Plotly figure dict: traces, one shapes list, axes, buttons.

Built as dicts (not graph_objects) so that hundreds of alarm spans and limit bands cost list
appends rather than one validated `add_shape` call each; `layout["shapes"]` is assigned once.
Numeric arrays go out as Plotly typed arrays (base64 float64: exact values, compact, fast to load).

Every piece of text that comes from the data or a person goes through `plotly_text`, which escapes
the pseudo-HTML Plotly renders, and the `%` and `$` that would start a Plotly template or LaTeX.
Hover templates are ours only; data text reaches the hover through `customdata`, which Plotly
substitutes without reading templates inside it.
"""

from __future__ import annotations

import base64

import numpy as np

from monitor.core.episodes import alarm_vitals
from monitor.core.priority import LOOK, PRIORITIES, marker
from monitor.core.vitals import SPECS, format_value
from monitor.report.data import ReportData

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

VCOLOR = {
    "hr": "#1a7f37",
    "sbp": "#b2182b",
    "dbp": "#e3635a",
    "map": "#555555",
    "spo2": "#2166ac",
    "temp": "#762a83",
    "rr": "#8c510a",
}
PRGB = {"high": (215, 25, 28), "medium": (230, 149, 0), "low": (28, 159, 191), "technical": (122, 122, 122)}
DOSE_COLOR = "#243c8f"
SHORT = {"hr": "HR", "sbp": "SBP", "dbp": "DBP", "map": "MAP", "spo2": "SpO₂", "temp": "Temp", "rr": "RR"}
BP_DASH = {"sbp": "solid", "dbp": "dash", "map": "dot"}


# -- escaping --------------------------------------------------------------------------------------

_PLOTLY_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "%": "&#37;", "$": "&#36;"}
_PLOTLY_TABLE = str.maketrans(_PLOTLY_ESCAPES)


def plotly_text(s) -> str:
    """Text shown as typed inside Plotly: no tags, no %{...} templates, no $LaTeX$.

    Plotly decodes numeric character references (&#37;) and &lt; &gt; &amp; after it has split
    the string on tags and substituted templates, so the escaped text displays verbatim.
    Line breaks become <br> (Plotly ignores raw newlines)."""
    text = str(s).translate(_PLOTLY_TABLE)
    return "<br>".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


# -- helpers ---------------------------------------------------------------------------------------


def typed(a) -> dict:
    """A Plotly typed array (base64 little-endian float64); NaN stays NaN (a gap in a line)."""
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {"dtype": "f8", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def rgba(priority: str, alpha: float) -> str:
    r, g, b = PRGB[priority]
    return f"rgba({r},{g},{b},{alpha:g})"


def _finite(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


def _nice_pad(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    pad = max(span * 0.07, 1.0 if span >= 5 else 0.2)
    return lo - pad, hi + pad


# -- the figure ------------------------------------------------------------------------------------


class _Legend:
    """Shapes in a legend group show one legend entry (the first one's)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, group: str) -> bool:
        if group in self.seen:
            return False
        self.seen.add(group)
        return True


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
    legend = _Legend()

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
        _event_row(rd, ids[0], data, layout_axes, domains[0])
        k = 1
    for (key, vitals, title, _h), yid, dom in zip(rows, ids[k:], domains[k:], strict=True):
        row_ids[key] = yid
        for v in vitals:
            row_ids[v] = yid
        y_range = _row_range(rd, vitals)
        _vital_traces(rd, vitals, yid, y_range, data)
        _limit_shapes(rd, key, vitals, yid, y_range, shapes, legend, x_hi)
        layout_axes[_axis_key(yid)] = {
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

    _alarm_shapes(rd, row_ids, shapes, legend)
    _dose_shapes(rd, shapes)

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


def _axis_key(yid: str) -> str:
    return "yaxis" + yid[1:]


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


# -- rows ------------------------------------------------------------------------------------------


def _row_range(rd: ReportData, vitals: tuple[str, ...]) -> tuple[float, float]:
    """Data extremes and the medium limits (so the limits are in view), padded."""
    vals: list[float] = []
    th = rd.src.thresholds
    for v in vitals:
        s = rd.summary(v)
        if s and s.vmin is not None and s.vmax is not None:
            vals += [s.vmin, s.vmax]
    for v in vitals:
        rule = th.vitals.get(v)
        if rule is None or v == "map":
            continue
        for direction in ("upper", "lower"):
            lim = getattr(rule, direction).get("medium")
            if lim is not None:
                vals.append(lim)
    vals = list(_finite(vals))
    if not vals:
        return (0.0, 1.0)
    lo, hi = min(vals), max(vals)
    return _nice_pad(lo, hi)


def _vital_traces(rd: ReportData, vitals, yid, y_range, data: list[dict]) -> None:
    for v in vitals:
        s = rd.series.get(v)
        if s is None or len(s.x) == 0:
            continue
        spec = SPECS[v]
        unit = plotly_text(spec.unit)
        name = f"{SHORT[v]}"
        if v == "map" and s.derived:
            name += " (computed)"
        trace = {
            "type": "scatter",
            "x": typed(s.x),
            "y": typed(s.y),
            "customdata": s.labels,
            "xaxis": "x",
            "yaxis": yid,
            "name": plotly_text(name),
            "legendgroup": v,
            "connectgaps": False,
            "hovertemplate": f"<b>{plotly_text(SHORT[v])} %{{y:.{spec.decimals}f}} {unit}</b><br>"
            "%{customdata}<extra></extra>",
        }
        color = VCOLOR[v]
        if s.continuous:
            trace["mode"] = "lines"
            trace["line"] = {"color": color, "width": 1.2 if v != "map" else 1, "dash": BP_DASH.get(v, "solid")}
        else:
            # One marker per reading (cuff BP, charted values), joined by a faint line.
            symbol = {"sbp": "triangle-down", "dbp": "triangle-up", "map": "diamond"}.get(v, "circle")
            trace["mode"] = "lines+markers"
            trace["line"] = {"color": color, "width": 0.8, "dash": "dot"}
            trace["marker"] = {"color": color, "size": 7 if v != "map" else 5, "symbol": symbol, "line": {"width": 0}}
        data.append(trace)
    # Artifacts: excluded from the lines and the statistics, shown as grey crosses at the bottom edge.
    xs, texts = [], []
    for v in vitals:
        a = rd.artifacts.get(v)
        if a is None:
            continue
        xs.append(a.x)
        spec = SPECS[v]
        texts += [
            f"<b>artifact (excluded): {plotly_text(SHORT[v])} {plotly_text(format_value(v, val))} "
            f"{plotly_text(spec.unit)}</b><br>{lab}"
            for val, lab in zip(a.y.tolist(), a.labels, strict=True)
        ]
    if xs:
        x = np.concatenate(xs)
        y0 = y_range[0] + 0.03 * (y_range[1] - y_range[0])
        data.append(
            {
                "type": "scatter",
                "x": typed(x),
                "y": typed(np.full(len(x), y0)),
                "customdata": texts,
                "xaxis": "x",
                "yaxis": yid,
                "mode": "markers",
                "name": "artifacts (excluded)",
                "legendgroup": "artifacts",
                "showlegend": not any(d.get("legendgroup") == "artifacts" for d in data),
                "marker": {
                    "symbol": "x-thin",
                    "size": 7,
                    "color": "#6b6b6b",
                    "line": {"width": 1.5, "color": "#6b6b6b"},
                },
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )


def _event_row(rd: ReportData, yid: str, data: list[dict], axes: dict, dom) -> None:
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
    axes[_axis_key(yid)] = {
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


# -- shapes ----------------------------------------------------------------------------------------


def _limit_shapes(
    rd: ReportData, key: str, vitals, yid: str, y_range, shapes: list, legend: _Legend, x_hi: float
) -> None:
    th = rd.src.thresholds
    lo_edge, hi_edge = y_range
    if key != "bp":
        v = vitals[0]
        rule = th.vitals.get(v)
        if rule is not None:
            for direction in ("upper", "lower"):
                limits = getattr(rule, direction)
                ordered = [(p, limits[p]) for p in PRIORITIES if p in limits]  # low, medium, high
                for i, (p, lim) in enumerate(ordered):
                    if not lo_edge < lim < hi_edge:
                        continue
                    # The zone of priority p runs from its limit to the next priority's limit (or the edge).
                    nxt = ordered[i + 1][1] if i + 1 < len(ordered) else (hi_edge if direction == "upper" else lo_edge)
                    a, b = (lim, max(nxt, lim)) if direction == "upper" else (min(nxt, lim), lim)
                    a, b = max(a, lo_edge), min(b, hi_edge)
                    group = f"limit-{p}"
                    shapes.append(
                        {
                            "type": "rect",
                            "xref": "x domain",
                            "yref": yid,
                            "x0": 0,
                            "x1": 1,
                            "y0": a,
                            "y1": b,
                            "fillcolor": rgba(p, 0.10),
                            "line": {"width": 0},
                            "layer": "below",
                            "legendgroup": group,
                            "showlegend": legend(group),
                            "name": f"{marker(p)} {p} limit",
                        }
                    )
                    shapes.append(
                        _hline(
                            yid,
                            lim,
                            p,
                            f"{SHORT[v]} {'≥' if direction == 'upper' else '≤'} {format_value(v, lim)} {marker(p)}",
                            "dash",
                            group,
                        )
                    )
    else:
        # Blood pressure: one line per limit value (SBP, DBP and MAP limits often coincide), drawn
        # only when inside the row's range; MAP limits start hidden (a legend click shows them).
        by_y: dict[tuple[float, bool], list[tuple[str, str, str]]] = {}
        for v in vitals:
            rule = th.vitals.get(v)
            if rule is None or v not in rd.series:
                continue
            for direction in ("upper", "lower"):
                for p, lim in getattr(rule, direction).items():
                    if not lo_edge < lim < hi_edge:
                        continue
                    by_y.setdefault((float(lim), v == "map"), []).append((v, direction, p))
        for (y, is_map), items in sorted(by_y.items()):
            top = max(items, key=lambda it: PRIORITIES.index(it[2]))[2]
            text = " · ".join(
                f"{SHORT[v]} {'≥' if d == 'upper' else '≤'} {format_value(v, y)} {marker(p)}" for v, d, p in items
            )
            group = "limit-map" if is_map else f"limit-{top}"
            shp = _hline(yid, y, top, text, "dot" if is_map else "dash", group)
            if is_map:
                shp["visible"] = "legendonly"
                shp["name"] = "MAP limits"
            else:
                shp["name"] = f"{marker(top)} {top} limit"
            shp["showlegend"] = legend(group)
            shapes.append(shp)
    # Baseline-relative limits, from the dose on.
    if rd.tb.zero_kind == "dose":
        for b in th.baseline:
            if b.vital not in vitals:
                continue
            s = rd.summary(b.vital)
            if s is None or s.baseline is None:
                continue
            lim = s.baseline + (b.delta if b.direction == "upper" else -b.delta)
            group = f"limit-{b.priority}"
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": yid,
                    "x0": 0,
                    "x1": x_hi,
                    "y0": lim,
                    "y1": lim,
                    "line": {"color": LOOK[b.priority].report, "width": 1.2, "dash": "dashdot"},
                    "layer": "above",
                    "legendgroup": group,
                    "showlegend": False,
                    "label": {
                        "text": f"{SHORT[b.vital]} baseline {'+' if b.direction == 'upper' else '−'}"
                        f"{b.delta:g} {marker(b.priority)}",
                        "textposition": "start",
                        "yanchor": "bottom",
                        "font": {"size": 10, "color": LOOK[b.priority].report},
                    },
                }
            )


def _hline(yid: str, y: float, priority: str, text: str, dash: str, group: str) -> dict:
    return {
        "type": "line",
        "xref": "x domain",
        "yref": yid,
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": LOOK[priority].report, "width": 1, "dash": dash},
        "layer": "below",
        "legendgroup": group,
        "showlegend": False,
        "label": {
            "text": text,
            "textposition": "end",
            "yanchor": "bottom",
            "padding": 1,
            "font": {"size": 10, "color": LOOK[priority].report},
        },
    }


# Alarm shading levels on a row: where alarms overlap, the highest level is drawn (one rect per
# stretch, so overlapping alarms never stack into darker colours).
_LEVELS = {1: ("held", 0.10), 2: ("low", 0.20), 3: ("medium", 0.22), 4: ("high", 0.22)}
_LEVEL_OF = {"held": 1, "low": 2, "medium": 3, "high": 4}
_LEVEL_NAME = {
    "held": "!!! held (recovered)",
    "low": "! low alarm",
    "medium": "!! medium alarm",
    "high": "!!! high alarm",
    "technical": "! technical alarm",
}


def highest_level_spans(intervals: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Non-overlapping (start, end, level) stretches carrying the highest level in force there."""
    if not intervals:
        return []
    events = []
    for x0, x1, lv in intervals:
        if x1 > x0:
            events.append((x0, 1, lv))
            events.append((x1, -1, lv))
    events.sort(key=lambda e: (e[0], e[1]))
    counts = [0] * 6
    out: list[list] = []
    i = 0
    cur_level, cur_start = 0, None
    while i < len(events):
        x = events[i][0]
        while i < len(events) and events[i][0] == x:
            counts[events[i][2]] += events[i][1]
            i += 1
        level = max((lv for lv in range(1, 6) if counts[lv] > 0), default=0)
        if level != cur_level:
            if cur_level and cur_start is not None and x > cur_start:
                if out and out[-1][1] == cur_start and out[-1][2] == cur_level:
                    out[-1][1] = x
                else:
                    out.append([cur_start, x, cur_level])
            cur_level, cur_start = level, x
    return [tuple(o) for o in out]


def _alarm_shapes(rd: ReportData, row_ids: dict[str, str], shapes: list, legend: _Legend) -> None:
    """Alarm periods (active until cleared) shaded on the rows of their vitals, coloured by the highest
    priority in force; paler where a high alarm was only held (latched) until acknowledged after the
    value had recovered. Technical alarms: a grey strip along the top of the row."""
    tb = rd.tb
    th = rd.src.thresholds
    min_w = 1 / 360  # draw at least 10 s wide so a one-reading alarm stays visible
    limit_iv: dict[str, list] = {}
    tech_iv: dict[str, list] = {}
    for ep in rd.episodes:
        technical = ep.alarm.endswith((".stale", ".artifact"))
        if not technical and ep.priority not in _LEVEL_OF:
            continue
        yids = {row_ids[v] for v in alarm_vitals(ep.alarm, ep.vital, th) if v in row_ids}
        if not yids and ep.vital == "si":
            yids = {row_ids[v] for v in ("bp", "hr") if v in row_ids}
            yids = set(sorted(yids)[:1])
        a, b = float(tb.hours(ep.start)), float(tb.hours(ep.end))
        b = max(b, a + min_w)
        for yid in yids:
            if technical:
                tech_iv.setdefault(yid, []).append((a, b, 5))
                continue
            for s0, s1, name in ep.segments:
                x0, x1 = float(tb.hours(s0)), float(tb.hours(s1))
                limit_iv.setdefault(yid, []).append((x0, max(x1, x0 + min_w), _LEVEL_OF[name]))
    for yid in sorted(limit_iv):
        for x0, x1, lv in highest_level_spans(limit_iv[yid]):
            name, alpha = _LEVELS[lv]
            pr = "high" if name == "held" else name
            group = f"alarm-{name}"
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": f"{yid} domain",
                    "x0": x0,
                    "x1": x1,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": rgba(pr, alpha),
                    "line": {"width": 0},
                    "layer": "below",
                    "legendgroup": group,
                    "showlegend": legend(group),
                    "name": _LEVEL_NAME[name],
                }
            )
    for yid in sorted(tech_iv):
        for x0, x1, _lv in highest_level_spans(tech_iv[yid]):
            group = "alarm-technical"
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": f"{yid} domain",
                    "x0": x0,
                    "x1": x1,
                    "y0": 0.92,
                    "y1": 1,
                    "fillcolor": rgba("technical", 0.55),
                    "line": {"width": 0},
                    "layer": "above",
                    "legendgroup": group,
                    "showlegend": legend(group),
                    "name": _LEVEL_NAME["technical"],
                }
            )


def _dose_shapes(rd: ReportData, shapes: list) -> None:
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


def figure_stats(fig: dict | None) -> dict:
    """Counts for tests and the benchmark: traces, shapes, points drawn."""
    if fig is None:
        return {"traces": 0, "shapes": 0, "points": 0}
    pts = 0
    for t in fig["data"]:
        x = t.get("x")
        if isinstance(x, dict):
            pts += len(base64.b64decode(x["bdata"])) // 8
        elif x is not None:
            pts += len(x)
    return {"traces": len(fig["data"]), "shapes": len(fig["layout"]["shapes"]), "points": pts}


def decode(arr) -> np.ndarray:
    """A typed array (or a plain list) back to numpy: for tests."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"].replace("f", "<f"))
    return np.asarray(arr, dtype=float)
