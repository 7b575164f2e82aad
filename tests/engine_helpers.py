"""Small builders shared by the alarm-engine tests."""

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.readings import Reading, VitalStore
from monitor.core.thresholds import AudioRules, BaselineRule, StaleRule, SupplementRules, Thresholds, VitalRule


def rules(**overrides) -> Thresholds:
    vitals = {
        "hr": VitalRule("hr", {"medium": 110, "high": 130}, {"medium": 50, "high": 40}, 10, 5, True),
        "sbp": VitalRule("sbp", {"medium": 160, "high": 180}, {"medium": 100, "high": 90}, 0, 0, False),
        "dbp": VitalRule("dbp", {"medium": 100, "high": 110}, {"medium": 50, "high": 40}, 0, 0, False),
        "spo2": VitalRule("spo2", {}, {"low": 95, "medium": 94, "high": 90}, 10, 2, True),
        "si": VitalRule("si", {"medium": 0.9, "high": 1.0}, {}, 0, 0, False),
    }
    kw = dict(
        vitals=vitals,
        baseline=(BaselineRule("sbp", "upper", 40, "medium", 1800),),
        stale=(StaleRule("hr", ("hr",), 10), StaleRule("bp", ("sbp", "dbp", "map"), 2100)),
        audio=AudioRules(120, 300, 180),
        supplement=SupplementRules(5400, 9000, {"sbp": 160, "hr": 110}),
    )
    kw.update(overrides)
    return Thresholds(**kw)


def hr_series(values, start=0.0, step=1.0):
    return [Reading(start + i * step, hr=float(v)) for i, v in enumerate(values)]


def store_of(readings) -> VitalStore:
    s = VitalStore()
    for r in readings:
        s.append(r)
    return s


def states(engine: AlarmEngine, alarm: str | None = None):
    return [(e.t, e.alarm, e.state, e.priority) for e in engine.log if alarm is None or e.alarm == alarm]
