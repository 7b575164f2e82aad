"""The alarm limits on the chart: shaded bands and lines by priority, one line per limit value on
the blood-pressure row, and the baseline-relative limits from the dose on.
"""

from __future__ import annotations

from monitor.core.priority import LOOK, PRIORITIES, marker
from monitor.core.vitals import format_value
from monitor.report.data import ReportData
from monitor.report.plotly_parts import Legend, chart_name, rgba


def limit_shapes(
    rd: ReportData, key: str, vitals, yid: str, y_range, shapes: list, legend: Legend, x_hi: float
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
                            f"{chart_name(v)} {'≥' if direction == 'upper' else '≤'} "
                            f"{format_value(v, lim)} {marker(p)}",
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
                f"{chart_name(v)} {'≥' if d == 'upper' else '≤'} {format_value(v, y)} {marker(p)}" for v, d, p in items
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
                        "text": f"{chart_name(b.vital)} baseline {'+' if b.direction == 'upper' else '−'}"
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
