"""The cohort report's Plotly figures, as figure dicts, from the cohort views' numbers
(monitor/cohort/views.py): incidence beside the published shares, time to peak beside the
published 1-2 h, peaks per session, alarm burden, and what other thresholds would have done."""

from __future__ import annotations

import math

from monitor.report.plotly_parts import PRGB, VCOLOR, plotly_text, rgba

_CONFIG = {"displaylogo": False, "responsive": True}
_PUB = "#6b6b6b"


def _layout(title: str, **extra) -> dict:
    out = {
        "title": {"text": plotly_text(title), "x": 0.01},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 360,
        "legend": {"orientation": "h", "y": -0.2},
        "plot_bgcolor": "#fff",
    }
    out.update(extra)
    return out


def _f(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def incidence(df) -> dict:
    labels = [plotly_text(w) for w in df["what"]]
    ours = [_f(v) for v in df["share"]]
    up = [(_f(h) or 0) - (s or 0) if s is not None else 0 for h, s in zip(df["ci_hi"], ours, strict=True)]
    down = [(s or 0) - (_f(lo) or 0) if s is not None else 0 for lo, s in zip(df["ci_lo"], ours, strict=True)]
    pub = [_f(v) for v in df["published"]]
    pup = [(_f(h) or 0) - p if p is not None else 0 for h, p in zip(df["published_hi"], pub, strict=True)]
    pdown = [p - (_f(lo) or 0) if p is not None else 0 for lo, p in zip(df["published_lo"], pub, strict=True)]
    data = [
        {"type": "bar", "name": "this cohort (95 % CI)", "x": labels, "y": ours, "marker": {"color": "#2166ac"},
         "error_y": {"type": "data", "array": up, "arrayminus": down, "visible": True},
         "hovertemplate": "%{x}: %{y:.1%}<extra>this cohort</extra>"},
        {"type": "bar", "name": "Vizeli & Liechti 2017, n = 166 (95 % CI)", "x": labels, "y": pub,
         "marker": {"color": _PUB}, "error_y": {"type": "data", "array": pup, "arrayminus": pdown, "visible": True},
         "hovertemplate": "%{x}: %{y:.0%}<extra>Vizeli & Liechti 2017</extra>"},
    ]  # fmt: skip
    return {
        "data": data,
        "layout": _layout(
            "Incidence after the dose", barmode="group", yaxis={"tickformat": ".0%", "rangemode": "tozero"}
        ),
        "config": _CONFIG,
    }


def time_to_peak(per_session) -> dict:
    data = []
    for v, name in (("hr", "HR"), ("sbp", "SBP"), ("dbp", "DBP"), ("temp", "T")):
        ys = [_f(x) for x in per_session[f"{v}_peak_h"]]
        data.append(
            {"type": "box", "name": name, "y": ys, "boxpoints": "all", "jitter": 0.4, "pointpos": 0,
             "marker": {"color": VCOLOR[v], "size": 4}, "line": {"color": VCOLOR[v]},
             "customdata": [plotly_text(s) for s in per_session["session"]],
             "hovertemplate": "%{customdata}: peak %{y:.2f} h after the dose<extra>" + name + "</extra>"}
        )  # fmt: skip
    band = {
        "type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 1, "y1": 2,
        "fillcolor": "rgba(107,107,107,0.15)", "line": {"width": 0}, "layer": "below",
    }  # fmt: skip
    layout = _layout(
        "Time to peak after the dose, each point a session; grey band: Kolbrich 2008, peak effects 1-2 h",
        shapes=[band],
        yaxis={"title": {"text": "hours after the dose"}, "rangemode": "tozero"},
        showlegend=False,
    )
    return {"data": data, "layout": layout, "config": _CONFIG}


def peaks(per_session) -> dict:
    sessions = [plotly_text(s) for s in per_session["session"]]
    data = [
        {"type": "scatter", "mode": "markers", "name": "sessions", "x": [_f(v) for v in per_session["hr_peak"]],
         "y": [_f(v) for v in per_session["sbp_peak"]], "customdata": sessions,
         "marker": {"color": VCOLOR["sbp"], "size": 6, "opacity": 0.7},
         "hovertemplate": "%{customdata}<br>peak HR %{x:.0f}, peak SBP %{y:.0f}<extra></extra>"}
    ]  # fmt: skip
    lines = [
        {"type": "line", "xref": "x", "x0": 100, "x1": 100, "yref": "paper", "y0": 0, "y1": 1,
         "line": {"color": _PUB, "dash": "dot"}},
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 160, "y1": 160,
         "line": {"color": _PUB, "dash": "dot"}},
    ]  # fmt: skip
    layout = _layout(
        "Peak HR and peak SBP after the dose (dotted: HR 100, SBP 160)",
        shapes=lines,
        xaxis={"title": {"text": "peak HR (bpm)"}},
        yaxis={"title": {"text": "peak SBP (mmHg)"}},
        showlegend=False,
    )
    return {"data": data, "layout": layout, "config": _CONFIG}


def alarm_burden(df) -> dict:
    rows = df[(df["vital"] != "all") & (df["priority"] != "all")]
    data = []
    for pr in ("high", "medium", "low", "technical"):
        part = rows[rows["priority"] == pr]
        if len(part) == 0:
            continue
        data.append(
            {"type": "bar", "name": pr, "x": [plotly_text(v.upper()) for v in part["vital"]],
             "y": [_f(v) for v in part["per_hour"]], "marker": {"color": rgba(pr, 1.0) if pr in PRGB else "#888"},
             "hovertemplate": "%{x}: %{y:.2f} alarms per hour<extra>" + pr + "</extra>"}
        )  # fmt: skip
    layout = _layout("Alarms per hour of recording, by vital and priority", barmode="stack",
                     yaxis={"title": {"text": "alarms per hour"}})  # fmt: skip
    return {"data": data, "layout": layout, "config": _CONFIG}


def what_if(df) -> dict | None:
    if len(df) == 0:
        return None
    data = []
    for variant in dict.fromkeys(df["variant"]):
        part = df[df["variant"] == variant]
        groups = part.groupby("priority", sort=False)[["alarms_in_force", "alarms_what_if"]].sum()
        x = [plotly_text(p) for p in groups.index]
        data.append({"type": "bar", "name": "in force", "x": x, "y": groups["alarms_in_force"].tolist(),
                     "marker": {"color": "#2166ac"}})  # fmt: skip
        data.append({"type": "bar", "name": plotly_text(f"with {variant}"), "x": x,
                     "y": groups["alarms_what_if"].tolist(), "marker": {"color": "#e69500"}})  # fmt: skip
    layout = _layout("What if: alarms across the cohort under other thresholds", barmode="group",
                     yaxis={"title": {"text": "alarms"}})  # fmt: skip
    return {"data": data, "layout": layout, "config": _CONFIG}
