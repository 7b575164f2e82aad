"""Typed readings in the report's charts: each one ringed by an open square, so a reading typed
at the bedside reads apart from a device's (the issue's "marked differently")."""

from __future__ import annotations

import numpy as np

from monitor.core.vitals import SPECS, format_value
from monitor.report.plotly_parts import chart_name, plotly_text, typed


def typed_traces(rd, vitals, yid, data: list[dict]) -> None:
    times = rd.session.typed_times()
    if not len(times):
        return
    store = rd.session.store
    idx = np.searchsorted(store.t, times)
    idx = idx[(idx < len(store)) & (store.t[np.minimum(idx, len(store) - 1)] == times)]
    xs, ys, texts = [], [], []
    for v in vitals:
        if v not in SPECS or not store.holds(v):
            continue
        vals = store.column(v)[idx]
        ok = ~np.isnan(vals)
        for t, val in zip(store.t[idx][ok], vals[ok], strict=True):
            xs.append(float(rd.tb.hours(t)))
            ys.append(float(val))
            texts.append(
                f"<b>typed {plotly_text(chart_name(v))} {plotly_text(format_value(v, float(val)))} "
                f"{plotly_text(SPECS[v].unit)}</b><br>{plotly_text(rd.tb.when(float(t)))}"
            )
    if not xs:
        return
    data.append(
        {
            "type": "scatter",
            "x": typed(np.array(xs)),
            "y": typed(np.array(ys)),
            "customdata": texts,
            "xaxis": "x",
            "yaxis": yid,
            "mode": "markers",
            "name": "typed at the bedside",
            "legendgroup": "typed",
            "showlegend": not any(d.get("legendgroup") == "typed" for d in data),
            "marker": {"symbol": "square-open", "size": 12, "color": "#222222", "line": {"width": 1.5}},
            "hovertemplate": "%{customdata}<extra></extra>",
        }
    )
