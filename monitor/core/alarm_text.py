"""What the alarm log and the screen say about one alarm (monitor/core/alarm_state.py): its
priority word, its label and its description."""

from __future__ import annotations

import math

from monitor.core.alarm_state import Alarm, LimitAlarm, TechAlarm
from monitor.core.priority import RANK_NAME
from monitor.core.vitals import ALL_SPECS, format_value


def priority_of(a: Alarm) -> str:
    if isinstance(a, LimitAlarm):
        return RANK_NAME.get(a.rank, "")
    return a.priority if isinstance(a, TechAlarm) else "technical"


def kind_of(a: Alarm) -> str:
    """'a high-priority alarm', 'a technical alarm', ...: what broke through an audio pause."""
    priority = priority_of(a)
    if priority == "technical":
        return "a technical alarm"
    if isinstance(a, TechAlarm):
        return f"a {priority}-priority technical alarm"
    return f"a {priority}-priority alarm"


def implausible(name: str, v: float, low: float, high: float) -> str:
    return f"implausible {name} {format_value(name, v)} (outside {low:g}-{high:g} {ALL_SPECS[name].unit})"


def pending(a: LimitAlarm) -> str:
    return f"{label(a)} pending ({a.delay:g} s beyond the limit needed to sound)"


def alarming_again(a: LimitAlarm, level: int) -> str:
    """A latched high alarm whose value crossed a limit again before it was acknowledged."""
    op = ">=" if a.direction == "upper" else "<="
    return (
        f"{a.vital.upper()} {'high' if a.direction == 'upper' else 'low'} "
        f"{format_value(a.vital, a.value or math.nan)} ({op} {a.limit_for(level):g}, "
        f"{RANK_NAME[level]} limit): alarming again; the high alarm is still unacknowledged"
    )


def cancelled(a: LimitAlarm, why: str) -> str:
    """A pending alarm that never sounded: say so without a value that contradicts the limit."""
    word = "high" if a.direction == "upper" else "low"
    op = ">=" if a.direction == "upper" else "<="
    lim = f" {op} {a.limit:g}" if a.limit is not None else ""
    now = format_value(a.vital, a.value) if a.value is not None else "--"
    return (
        f"{a.vital.upper()} {word} ({lim.strip()}) cancelled before it sounded: {why} "
        f"(now {now}; {a.delay:g} s beyond the limit never added up)"
    )


def label(a: Alarm) -> str:
    """The alarm as its log messages name it: a limit alarm with its value and limit."""
    if isinstance(a, LimitAlarm):
        word = "high" if a.direction == "upper" else "low"
        why = a.sources.get(a.rank, "")
        lim = f"{'>=' if a.direction == 'upper' else '<='} {a.limit:g}" if a.limit is not None else ""
        val = format_value(a.vital, a.value) if a.value is not None else "--"
        return f"{a.vital.upper()} {word} {val} ({lim}{'; ' + why if why else ''})"
    return a.name


def describe(a: Alarm) -> str:
    """What the screen and a reminder say about the alarm as it is now."""
    if isinstance(a, LimitAlarm):
        if a.state == "latched":
            word = "high" if a.direction == "upper" else "low"
            sign = ">=" if a.direction == "upper" else "<="
            now = format_value(a.vital, a.value) if a.value is not None else "--"
            return f"{a.vital.upper()} {word}: was {sign} {a.limit:g}, now {now}; held until acknowledged"
        if (
            a.limit is not None
            and a.value is not None
            and (a.value < a.limit if a.direction == "upper" else a.value > a.limit)
        ):
            # An unacknowledged high alarm keeps its priority after the value eases: say so.
            word = "high" if a.direction == "upper" else "low"
            sign = ">=" if a.direction == "upper" else "<="
            return (
                f"{a.vital.upper()} {word} {format_value(a.vital, a.value)} "
                f"(was {sign} {a.limit:g}; {RANK_NAME[a.rank]} until acknowledged)"
            )
        return label(a)
    if isinstance(a, TechAlarm):
        return a.message
    if a.name.endswith(".stale"):
        return f"{a.vital.upper()}: no data"
    return f"{a.vital.upper()} implausible reading {format_value(a.vital, a.value) if a.value is not None else ''}"
