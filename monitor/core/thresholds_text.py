"""Thresholds as text: a limit as the user wrote it, and the effective rules as a table (for
`vitals-monitor check-config`)."""

from __future__ import annotations

from monitor.core.priority import PRIORITIES
from monitor.core.thresholds import DIRECTIONS, Thresholds
from monitor.core.timetext import rule_duration
from monitor.core.vitals import ALL_SPECS


def num_text(v: float) -> str:
    """A limit for a message: 160, 38.5, 0.9 (no trailing .0 noise)."""
    v = v + 0.0  # -0.0 shows as 0, not "-0"
    return f"{v:g}" if abs(v) < 1e15 else repr(v)


def limit_text(vital: str, v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1e15:  # "1e+29", not the 30 digits of the nearest float
        return num_text(v)
    decimals = ALL_SPECS[vital].decimals if vital in ALL_SPECS else 0
    text = f"{v:.{decimals}f}"
    if float(text) != v:  # keep precision the user wrote (e.g. 0.91 on a 0-decimal vital)
        text = f"{v:g}"
    return text


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_rules(th: Thresholds) -> str:
    """The effective rules as a plain-text table (for `vitals-monitor check-config`)."""
    out: list[str] = []
    if th.source:
        out.append(f"Thresholds from {th.source}")
        out.append("")
    out.append("Limit alarms (raised when value >= an upper limit or value <= a lower limit)")
    rows = []
    for name, r in th.vitals.items():
        unit = ALL_SPECS[name].unit if name in ALL_SPECS else ""
        for direction in DIRECTIONS:
            lim = getattr(r, direction)
            if not lim:
                continue
            rows.append(
                [
                    name,
                    direction,
                    *(limit_text(name, lim.get(p)) for p in PRIORITIES),
                    unit,
                    rule_duration(r.delay_s) if r.continuous else "-",
                    limit_text(name, r.hysteresis) if r.continuous else "-",
                    rule_duration(r.clear_time_s) if r.continuous else "-",
                    "continuous" if r.continuous else "intermittent",
                ]
            )
    out += _table(["vital", "direction", "low", "medium", "high", "unit", "delay", "hysteresis", "clear", "mode"], rows)
    if any(not r.continuous for r in th.vitals.values()):
        out.append("(intermittent: each reading is one event, with no delay and no hysteresis)")
    if th.without_limits:
        out.append(f"NO LIMITS (on purpose, without_limits): {', '.join(v.upper() for v in th.without_limits)}")
    out.append("")
    if th.baseline:
        window = sorted({b.window_s for b in th.baseline})
        out.append(
            "Baseline-relative alarms (baseline = median of the readings in the "
            f"{', '.join(rule_duration(w) for w in window)} before the initial dose)"
        )
        rows = []
        for b in th.baseline:
            sign = "+" if b.direction == "upper" else "-"
            op = ">=" if b.direction == "upper" else "<="
            rows.append(
                [
                    b.vital,
                    b.direction,
                    b.priority,
                    f"{op} baseline {sign} {limit_text(b.vital, b.delta)}",
                    rule_duration(b.window_s),
                ]
            )
        out += _table(["vital", "direction", "priority", "alarm when", "window"], rows)
    else:
        out.append("Baseline-relative alarms: none")
    out.append("")
    if th.stale:
        out.append("Stale data (technical alarm when a stream has no reading for)")
        rows = [[s.stream, ", ".join(s.vitals), rule_duration(s.after_s)] for s in th.stale]
        out += _table(["stream", "vitals", "after"], rows)
    else:
        out.append("Stale data: no rules")
    out.append("")
    a = th.audio
    out.append(
        f"Audio: pause {rule_duration(a.pause_s)} (at most {rule_duration(a.max_pause_s)}), "
        f"reminder for acknowledged alarms every {rule_duration(a.reminder_s)}"
    )
    out.append("")
    s = th.supplement
    out.append(
        f"Supplemental dose readiness: {rule_duration(s.window_start_s)} to "
        f"{rule_duration(s.window_end_s)} after the initial dose"
    )
    if s.max_values:
        conds = ", ".join(f"{v} < {limit_text(v, x)}" for v, x in s.max_values.items())
        out.append(f"  latest readings must be: {conds}")
    else:
        out.append("  no vital-sign conditions")
    return "\n".join(out)
