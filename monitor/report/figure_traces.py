"""The traces of a vital row: one line (or markers) per vital, the artifacts as grey crosses, and
the row's y range.
"""

from __future__ import annotations

import numpy as np

from monitor.core.vitals import SPECS, format_value
from monitor.report.data import ReportData
from monitor.report.figure_typed import typed_traces
from monitor.report.plotly_parts import VCOLOR, chart_name, plotly_text, typed

BP_DASH = {"sbp": "solid", "dbp": "dash", "map": "dot"}


def _finite(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


def _nice_pad(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    pad = max(span * 0.07, 1.0 if span >= 5 else 0.2)
    return lo - pad, hi + pad


def row_range(rd: ReportData, vitals: tuple[str, ...]) -> tuple[float, float]:
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


def vital_traces(rd: ReportData, vitals, yid, y_range, data: list[dict]) -> None:
    for v in vitals:
        s = rd.series.get(v)
        if s is None or len(s.x) == 0:
            continue
        spec = SPECS[v]
        unit = plotly_text(spec.unit)
        name = f"{chart_name(v)}"
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
            "hovertemplate": f"<b>{plotly_text(chart_name(v))} %{{y:.{spec.decimals}f}} {unit}</b><br>"
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
    typed_traces(rd, vitals, yid, data)
    # Artifacts: excluded from the lines and the statistics, shown as grey crosses at the bottom edge.
    xs, texts = [], []
    for v in vitals:
        a = rd.artifacts.get(v)
        if a is None:
            continue
        xs.append(a.x)
        spec = SPECS[v]
        texts += [
            f"<b>artifact (excluded): {plotly_text(chart_name(v))} {plotly_text(format_value(v, val))} "
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
