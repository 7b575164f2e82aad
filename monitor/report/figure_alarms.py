"""The alarm periods on the chart: shaded columns on the rows of their vitals, at the highest
priority in force, and technical alarms as a grey strip along the top of a row.
"""

from __future__ import annotations

from monitor.core.episodes import alarm_vitals
from monitor.report.data import ReportData
from monitor.report.plotly_parts import Legend, rgba

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


def alarm_shapes(rd: ReportData, row_ids: dict[str, str], shapes: list, legend: Legend) -> None:
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
