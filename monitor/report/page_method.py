"""The method note at the foot of the page: how artifacts, downsampling, gaps, baselines, time
beyond a limit and alarm counts were worked out for this session.
"""

from __future__ import annotations

from monitor.core.timetext import format_duration
from monitor.core.vitals import SPECS, short_name
from monitor.report.data import DEFAULT_BASELINE_WINDOW, ReportData
from monitor.report.html_text import esc
from monitor.report.plotly_parts import figure_stats


def method_html(rd: ReportData, fig: dict | None) -> str:
    th = rd.src.thresholds
    s = rd.session
    window = format_duration(max((r.window_s for r in th.baseline), default=DEFAULT_BASELINE_WINDOW))
    ranges = ", ".join(
        f"{SPECS[v].label} {SPECS[v].low:g}–{SPECS[v].high:g} {SPECS[v].unit}" for v in rd.session.store.present()
    )
    arts = ", ".join(f"{short_name(k)} {n}" for k, n in s.artifacts.items() if n) or "none"
    stats = figure_stats(fig)
    reduced = "; ".join(
        f"{short_name(v)} {ser.n_raw:,} → {sum(1 for x in ser.labels if x):,} points"
        for v, ser in rd.series.items()
        if ser.n_raw > 2 * rd.buckets
    )
    holds = ", ".join(f"{short_name(x.vital)} {format_duration(x.hold_s)}" for x in rd.summaries if x.n)
    items = [
        (
            "Artifacts",
            (
                f"A value outside its plausible range ({ranges}), and a cuff reading whose systolic is "
                "not above its diastolic, cannot come from a living patient on a working sensor: it is kept in the "
                "record, flagged as an artifact, left out of the drawn lines, the summary statistics and the limit "
                "alarms, and drawn as a grey × at the bottom of its chart (hover it for the value). "
                f"Artifacts in this session: {arts}."
            ),
        ),
        (
            "Downsampling",
            f"Series longer than {2 * rd.buckets:,} points are drawn with min/max bucketing: the "
            f"readings are split into {rd.buckets:,} buckets of consecutive readings and each bucket keeps its "
            "lowest and its highest reading at their own times, so every peak and trough is drawn at its true "
            "value however far you zoom out. Statistics, limits and alarms use every reading. "
            + (f"Downsampled here: {reduced}." if reduced else "No series needed downsampling.")
            + f" The chart holds {stats['points']:,} points and {stats['shapes']:,} shapes.",
        ),
        (
            "Gaps",
            f"A line is broken where readings stop for longer than their 'no data' limit ({holds})." if holds else "",
        ),
        (
            "Baseline and peak",
            (
                f"The baseline is the median of each vital's plausible readings in the {window} "
                "before the initial dose (the alarm engine's own baseline where it computed one). The peak is the "
                "highest reading after the initial dose (the lowest for SpO2); peak change = peak − baseline; dose to "
                "peak = its time after the initial dose."
            ),
        ),
        (
            "Time beyond a limit",
            (
                "Each reading is taken to stand until the next one, for at most the stream's "
                "'no data' limit; limits are inclusive (at or beyond), as in the alarm engine. For intermittent "
                "readings (cuff BP, temperature) the number of readings beyond the limit is given as well."
            ),
        ),
        (
            "Alarms by priority",
            (
                "The number of alarm episodes (active until cleared) per vital, counted at the "
                "highest priority each reached; technical alarms are 'no data' and implausible-reading alarms. In the "
                "charts a held high alarm (condition over, not yet acknowledged) is paler; it is active again from "
                "when the alarm engine sounds it again (the value back beyond its limit for the alarm's delay), as "
                "in the alarm log."
            ),
        ),
    ]
    if any(ser.derived for ser in rd.series.values()):
        items.append(
            ("MAP", ("Where the device gave none it is computed as (SBP + 2·DBP) / 3 (drawn as 'MAP (computed)')."))
        )
    if rd.tb.absolute:
        items.append(("Clock", f"Clock times are given in {rd.tb.tz_name}."))
    else:
        items.append(
            (
                "Clock",
                "This recording has no clock time: times are given relative to "
                + ("the initial dose." if rd.tb.zero_kind == "dose" else "the start of the recording."),
            )
        )
    out = ['<h2 id="method">Method</h2>\n<div class="note"><ul>\n']
    out += [f"<li><b>{esc(title)}.</b> {esc(text)}</li>\n" for title, text in items if text]
    out.append("</ul></div>\n")
    return "".join(out)
