"""Differences between two alarm logs of one session, episode by episode."""

from monitor.core.alarm_diff import diff_logs
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.thresholds import VitalRule
from tests.engine_helpers import hr_series, rules, store_of


def log_with(hr_upper):
    th = rules()
    vitals = dict(th.vitals)
    vitals["hr"] = VitalRule("hr", hr_upper, {"medium": 50, "high": 40}, 10, 5, True)
    from dataclasses import replace

    return AlarmEngine(replace(th, vitals=vitals)).run(store_of(hr_series([80] * 20 + [120] * 60 + [80] * 20)))


def test_same_limits_no_difference():
    a = log_with({"medium": 110, "high": 130})
    assert diff_logs(a, a, 100.0) == []


def test_added_removed_and_changed():
    base = log_with({"medium": 110, "high": 130})
    none = log_with({"medium": 140, "high": 150})
    higher = log_with({"medium": 100, "high": 115})
    assert [d.kind for d in diff_logs(base, none, 100.0)] == ["removed"]
    assert [d.kind for d in diff_logs(none, base, 100.0)] == ["added"]
    changed = diff_logs(base, higher, 100.0)
    assert [d.kind for d in changed] == ["changed"] and changed[0].new.priority == "high"
