"""The two per-vital tables of the page: the thresholds in force and the summary per vital sign
(baseline, extremes, peak change, time beyond limits, alarms by priority).
"""

from __future__ import annotations

from monitor.core.priority import DISPLAY_ORDER, PRIORITIES, priority_text
from monitor.core.thresholds import Thresholds
from monitor.core.timetext import format_duration
from monitor.core.vitals import ALL_SPECS, SPECS, format_value
from monitor.report.data import ReportData, vital_name
from monitor.report.html_text import esc, fmt_lim
from monitor.report.plotly_parts import VCOLOR


def thresholds_html(rd: ReportData) -> str:
    th: Thresholds = rd.src.thresholds
    out = [
        '<h2 id="thresholds">Thresholds in force</h2>\n',
        (
            f'<p class="small muted">From {esc(th.source or "the thresholds stored in the session")}. An alarm is '
            "raised when a value is at or beyond a limit (inclusive). Priorities: !!! high, !! medium, ! low.</p>\n"
        ),
        (
            '<div class="wrap"><table class="thresholds"><thead><tr><th>vital</th><th>direction</th>'
            "<th>! low</th><th>!! medium</th><th>!!! high</th><th>unit</th><th>delay</th><th>hysteresis</th>"
            "<th>mode</th></tr></thead><tbody>\n"
        ),
    ]
    for name, r in th.vitals.items():
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        for direction in ("upper", "lower"):
            lim = getattr(r, direction)
            if not lim:
                continue
            op = "≥" if direction == "upper" else "≤"
            cells = "".join(
                f'<td class="num">{esc(op + " " + fmt_lim(name, lim[p])) if p in lim else ""}</td>' for p in PRIORITIES
            )
            out.append(
                f"<tr><td>{esc(vital_name(name))}</td><td>{esc(direction)}</td>{cells}<td>{esc(unit)}</td>"
                f"<td>{esc(format_duration(r.delay_s) if r.continuous else '-')}</td>"
                f"<td>{esc(fmt_lim(name, r.hysteresis) if r.continuous else '-')}</td>"
                f"<td>{'continuous' if r.continuous else 'intermittent (each reading one event)'}</td></tr>\n"
            )
    for name in th.without_limits:
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        out.append(
            f'<tr><td>{esc(vital_name(name))}</td><td colspan="4" class="pr-high">no alarm limits '
            f"(without_limits)</td><td>{esc(unit)}</td><td>-</td><td>-</td><td>-</td></tr>\n"
        )
    out.append("</tbody></table></div>\n")
    if th.baseline:
        out.append(
            '<table class="thresholds"><thead><tr><th>baseline-relative rule</th><th>priority</th>'
            "<th>baseline window</th></tr></thead><tbody>\n"
        )
        for b in th.baseline:
            op = f"≥ baseline + {b.delta:g}" if b.direction == "upper" else f"≤ baseline − {b.delta:g}"
            out.append(
                f'<tr><td>{esc(vital_name(b.vital))} {esc(op)}</td><td class="pr-{esc(b.priority)}">'
                f"{esc(priority_text(b.priority))}</td><td>{esc(format_duration(b.window_s))} before "
                "the initial dose (median)</td></tr>\n"
            )
        out.append("</tbody></table>\n")
    stale = ", ".join(f"{s.stream}: {format_duration(s.after_s)}" for s in th.stale)
    if stale:
        out.append(f"<p class=\"small muted\">'No data' technical alarms after: {esc(stale)}.</p>\n")
    return "".join(out)


def _v(vital: str, v) -> str:
    return "" if v is None else format_value(vital, v)


def summary_html(rd: ReportData) -> str:
    tb = rd.tb
    dose = tb.zero_kind == "dose"
    out = [
        '<h2 id="summary">Summary per vital sign</h2>\n',
        (
            '<div class="wrap"><table class="summary"><thead><tr><th>vital</th><th>readings</th>'
            "<th>pre-dose baseline</th><th>minimum (time)</th><th>maximum (time)</th><th>mean</th>"
            "<th>peak change from baseline</th><th>dose to peak</th><th>time beyond limits</th>"
            "<th>alarms by priority</th><th>artifacts excluded</th></tr></thead><tbody>\n"
        ),
    ]
    for s in rd.summaries:
        unit = f" {s.unit}"
        color = VCOLOR.get(s.vital, "#999")
        name = f'<span class="swatch" style="background:{color}"></span>{esc(s.label)}'
        if s.n == 0:
            alarms = _alarm_cell(s)
            out.append(
                f'<tr><td>{name}</td><td colspan="8" class="muted">derived at each cuff reading; '
                f"not drawn</td><td>{alarms}</td><td></td></tr>\n"
            )
            continue
        kind = "continuous" if s.continuous else "intermittent"
        if not dose:
            baseline = '<span class="muted">no dose logged</span>'
        elif s.baseline_off:
            baseline = '<strong class="pr-high">OFF: no pre-dose readings</strong>'
        elif s.baseline is None:
            baseline = '<span class="muted">no pre-dose readings</span>'
        else:
            baseline = (
                esc(f"{_v(s.vital, s.baseline)}{unit}") + f' <span class="muted small">(median of '
                f"{s.baseline_n})</span>"
            )
        assert s.tmin is not None and s.tmax is not None  # a vital with readings has both
        vmin = esc(f"{_v(s.vital, s.vmin)}{unit}") + f'<br><span class="small muted">{esc(tb.when(s.tmin))}</span>'
        vmax = esc(f"{_v(s.vital, s.vmax)}{unit}") + f'<br><span class="small muted">{esc(tb.when(s.tmax))}</span>'
        mean = esc(f"{s.mean:.{SPECS[s.vital].decimals + 1}f}{unit}") if s.mean is not None else ""
        if s.change is not None:
            word = "lowest" if s.peak_direction == "min" else "highest"
            change = (
                esc(f"{s.change:+.{SPECS[s.vital].decimals}f}{unit}")
                + f'<br><span class="small muted">{word} after dose: {esc(_v(s.vital, s.peak))}</span>'
            )
        else:
            change = '<span class="muted">-</span>'
        to_peak = (
            esc(format_duration(s.tpeak - tb.zero))
            if (dose and s.tpeak is not None)
            else '<span class="muted">-</span>'
        )
        beyond = _beyond_cell(s)
        out.append(
            f'<tr><td>{name}<br><span class="small muted">{kind}</span></td>'
            f'<td class="num">{s.n:,}</td><td>{baseline}</td><td>{vmin}</td><td>{vmax}</td>'
            f'<td class="num">{mean}</td><td>{change}</td><td>{to_peak}</td><td class="small">{beyond}</td>'
            f'<td>{_alarm_cell(s)}</td><td class="num">{s.artifacts:,}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    if any(s.vital in ("sbp", "dbp", "map") and s.alarms.get("technical") for s in rd.summaries):
        out.append("<p class=\"small muted\">A 'no BP data' technical alarm is counted in each BP row.</p>\n")
    return "".join(out)


def _beyond_cell(s) -> str:
    """Limits that were crossed, with their times; the others listed once, greyed."""
    hit = [b for b in s.beyond if b.seconds > 0 or b.readings > 0]
    clear = [b for b in s.beyond if not (b.seconds > 0 or b.readings > 0)]
    lines = [
        f'<span class="pr-{esc(b.priority)}">{esc(b.text)}</span>: {esc(format_duration(b.seconds))}'
        + (
            f' <span class="small muted">({b.readings} reading{"s" if b.readings != 1 else ""})</span>'
            if not s.continuous
            else ""
        )
        for b in hit
    ]
    if clear:
        lines.append(f'<span class="muted">never {esc(", ".join(b.text for b in clear))}</span>')
    return "<br>".join(lines) or '<span class="muted">no limits</span>'


def _alarm_cell(s) -> str:
    parts = [
        f'<span class="pr-{p}">{esc(priority_text(p))} {s.alarms[p]}</span>' for p in DISPLAY_ORDER if s.alarms.get(p)
    ]
    if s.repeats:
        parts.append(
            f'<span class="small muted">{s.repeats} repeat measurement request{"s" if s.repeats != 1 else ""}</span>'
        )
    return "<br>".join(parts) or '<span class="muted">none</span>'
