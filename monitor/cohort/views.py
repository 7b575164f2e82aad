"""The cohort tables as people read them: titles, headers, units and cells of text, from the
DataFrames of monitor/cohort/queries.py. The terminal (`text`) and the HTML report show these.

Every string that came from a recording (labels, sites, ids) goes through `printable`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitor.cohort.queries import PUBLISHED_N, Cohort
from monitor.core.text import printable
from monitor.core.timetext import format_duration

_SHORT = {"hr": "HR", "sbp": "SBP", "dbp": "DBP", "map": "MAP", "spo2": "SpO2", "temp": "T", "rr": "RR"}
_UNIT = {"hr": "", "sbp": "", "dbp": "", "map": "", "spo2": " %", "temp": " °C", "rr": ""}


@dataclass
class View:
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    numbers: object = None  # the DataFrame behind it (the report draws from it)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (hasattr(v, "__class__") and str(v) == "<NA>")


def num(v, digits: int = 0, unit: str = "") -> str:
    if _missing(v):
        return "-"
    return f"{float(v):.{digits}f}{unit}"


def pct(v, digits: int = 0) -> str:
    return "-" if _missing(v) else f"{100 * float(v):.{digits}f} %"


def hours(v) -> str:
    return "-" if _missing(v) else f"{float(v):.2f} h"


def dur(v) -> str:
    return "-" if _missing(v) else format_duration(float(v))


def _vital_value(vital: str, v) -> str:
    return num(v, 1 if vital == "temp" else 0, _UNIT[vital])


def _mg(v) -> str:
    if _missing(v):
        return ""
    return f"{float(v):g}"


def per_session(c: Cohort) -> View:
    df = c.per_session()
    beyond = c.time_beyond()
    by_session: dict[tuple[str, str], list[str]] = {}
    for r in beyond.itertuples(index=False):
        if r.seconds > 0:
            op = "≥" if r.direction == "upper" else "≤"
            text = f"{_SHORT.get(r.vital, r.vital)}{op}{r.limit_value:g} {format_duration(r.seconds)} ({r.readings})"
            by_session.setdefault((r.site, r.session), []).append(text)
    headers = ["site", "session", "hours", "doses (mg)"]
    headers += [f"{_SHORT[v]} peak @ h" for v in ("hr", "sbp", "dbp", "temp")]
    headers += ["baseline HR/SBP/DBP/T", "cuff", "missing HR/BP", "time beyond limits (readings)"]
    rows = []
    for r in df.itertuples(index=False):
        doses = _mg(r.initial_mg) + (f" + {_mg(r.supplemental_mg)}" if not _missing(r.supplemental_mg) else "")
        doses = f"{r.doses}: {doses}" if r.doses else "none"
        peaks = [
            f"{_vital_value(v, getattr(r, f'{v}_peak'))} @ {num(getattr(r, f'{v}_peak_h'), 2)}"
            for v in ("hr", "sbp", "dbp", "temp")
        ]
        base = "/".join(_vital_value(v, getattr(r, f"{v}_baseline")) for v in ("hr", "sbp", "dbp", "temp"))
        rows.append(
            [printable(r.site), printable(r.session), num(r.hours, 1), doses, *peaks, base, str(r.cuff_readings),
             f"{pct(r.hr_missing, 1)} / {pct(r.bp_missing, 1)}",
             "; ".join(by_session.get((r.site, r.session), [])) or "none"]
        )  # fmt: skip
    notes = [
        "Peak: the highest plausible reading after the initial dose and its time after the dose (h); "
        "for HR the highest 1-minute median. "
        "Baseline: median of the 30 min before the dose. Missing: share of the session no reading covers "
        "(each reading stands for at most its stream's no-data limit). Time beyond: at or beyond each "
        "limit in force (inclusive, as the alarms), each reading standing until the next."
    ]
    return View("per_session", "Per session", headers, rows, notes, df)


def incidence(c: Cohort) -> View:
    df = c.incidence()
    rows = []
    for r in df.itertuples(index=False):
        pub = "-" if _missing(r.published) else f"{pct(r.published)} ({pct(r.published_lo)}-{pct(r.published_hi)})"
        rows.append(
            [
                r.what,
                f"{r.sessions_with} / {r.sessions}",
                pct(r.share, 1),
                f"{pct(r.ci_lo, 1)} - {pct(r.ci_hi, 1)}",
                pub,
            ]
        )
    notes = [
        "After the initial dose; published definitions (strictly above). HR at cuff readings: the HR shown "
        "when each blood pressure was taken (at most 10 s older), as the trials measured it. 95 % Wilson "
        f"intervals; the published interval is Wilson's for n = {PUBLISHED_N} (Vizeli & Liechti 2017, "
        "pooled 75/125 mg)."
    ]
    headers = ["after the dose", "sessions", "share", "95 % CI", "Vizeli & Liechti 2017 (95 % CI)"]
    return View("incidence", "Incidence across sessions", headers, rows, notes, df)


def time_to_peak(c: Cohort) -> View:
    df = c.time_to_peak()
    rows = [
        [r.vital.replace("TEMP", "T"), str(r.sessions), hours(r.min_h), hours(r.p25_h), hours(r.median_h),
         hours(r.p75_h), hours(r.max_h), pct(r.share_1_2h), "1-2 h"]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    headers = ["vital", "sessions", "min", "25 %", "median", "75 %", "max", "within 1-2 h", "Kolbrich 2008"]
    notes = ["Time of the highest reading after the initial dose. Kolbrich 2008: peak effects 1-2 h after the dose."]
    return View("time_to_peak", "Time to peak", headers, rows, notes, df)


def alarm_burden(c: Cohort) -> View:
    df = c.alarm_burden()
    rows = [
        [r.priority, r.vital or "", str(r.alarms), num(r.per_hour, 2), pct(r.acknowledged), dur(r.ack_median_s),
         dur(r.ack_p90_s), str(r.under_10s), num(r.reminders), dur(r.median_duration_s)]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    headers = ["priority", "vital", "alarms", "per hour", "acknowledged", "to ack (median)", "to ack (90 %)",
               "shorter than 10 s", "reminders", "median length"]  # fmt: skip
    notes = [
        "An alarm is an episode from active until cleared (its highest priority); per hour of recording. "
        "Time to acknowledge: from the start of the episode to its first acknowledgement. Reminders: an "
        "acknowledged alarm that still held, announced again."
    ]
    return View("alarm_burden", "Alarm burden", headers, rows, notes, df)


def time_in_alarm(c: Cohort) -> View:
    df = c.time_in_alarm()
    rows = [
        [r.priority, pct(r.share_of_time, 1), pct(r.median_session_share, 1), pct(r.max_session_share, 1),
         str(r.sessions_with)]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    headers = ["alarms", "share of recorded time", "median session", "worst session", "sessions with any"]
    return View("time_in_alarm", "Share of time in alarm", headers, rows, ["Overlapping alarms counted once."], df)


def what_if(c: Cohort) -> View:
    df = c.what_if()
    rows = [
        [printable(r.variant), r.priority, r.vital, str(r.alarms_in_force), str(r.alarms_what_if),
         f"{r.alarms_what_if - r.alarms_in_force:+d}", num(r.per_hour_in_force, 2), num(r.per_hour_what_if, 2),
         str(r.added), str(r.removed), str(r.changed)]
        for r in df.itertuples(index=False)
    ]  # fmt: skip
    headers = ["thresholds", "priority", "vital", "alarms now", "alarms then", "change", "per hour now",
               "per hour then", "added", "removed", "changed"]  # fmt: skip
    notes = [
        "Every session's readings and recorded actions through the alarm engine again with the other file, "
        "compared alarm by alarm with the log in force (as `alarms --diff` does for one session)."
        if rows
        else "No other thresholds file given (--what-if FILE)."
    ]
    return View("what_if", "What if: other thresholds", headers, rows, notes, df)


def data_quality(c: Cohort) -> View:
    df = c.data_quality()
    art_cols = [col for col in df.columns if col.endswith("_artifacts")]
    rows = []
    for r in df.to_dict("records"):
        arts = ", ".join(f"{_SHORT[k.removesuffix('_artifacts')]} {r[k]}" for k in art_cols if r[k]) or "none"
        rows.append(
            [printable(r["site"]), printable(r["session"]), f"{r['readings']:,}", str(r["rejected_lines"]), arts,
             f"{r['hr_gaps']}" + (f" (longest {dur(r['hr_longest_gap_s'])})" if r["hr_gaps"] else ""),
             f"{r['bp_gaps']}" + (f" (longest {dur(r['bp_longest_gap_s'])})" if r["bp_gaps"] else ""),
             str(r["loader_notes"])]
        )  # fmt: skip
    headers = ["site", "session", "readings", "rejected lines", "artifacts", "HR gaps", "BP gaps", "loader notes"]
    notes = ["Gaps: longer than the stream's no-data limit. Artifacts: implausible values, flagged and not used."]
    return View("data_quality", "Data quality", headers, rows, notes, df)


VIEWS = {
    "per-session": per_session,
    "incidence": incidence,
    "time-to-peak": time_to_peak,
    "alarms": alarm_burden,
    "time-in-alarm": time_in_alarm,
    "what-if": what_if,
    "quality": data_quality,
}


def text(v: View) -> str:
    """A view as a fixed-width text table with its title and notes."""
    widths = [len(h) for h in v.headers]
    for row in v.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    out = [v.title, "=" * len(v.title), line(v.headers), line(["-" * w for w in widths])]
    out += [line(row) for row in v.rows] or ["(none)"]
    out += [""] + [f"  {n}" for n in v.notes]
    return "\n".join(out) + "\n"
