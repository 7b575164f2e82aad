"""Alarm episodes (monitor/core/episodes.py): one reading of the alarm log for the `alarms`
summary, `alarms --diff` and the report."""

import pytest

from monitor.core.alarm_diff import diff_logs
from monitor.core.alarm_engine import AlarmEngine
from monitor.core.alarm_types import AlarmEvent
from monitor.core.episodes import Episode, episodes, time_in_alarm
from tests.engine_helpers import hr_series, rules, store_of


def ev(t, alarm, state, priority="medium"):
    return AlarmEvent(t, alarm, alarm.split(".")[0], priority, state, None, None, "")


def test_an_episode_runs_from_active_to_cleared_at_its_highest_priority():
    log = [
        ev(10, "hr.upper", "active"),
        ev(15, "sbp.upper", "active"),
        ev(20, "hr.upper", "escalated", "high"),
        ev(30, "hr.upper", "de-escalated"),
        ev(40, "hr.upper", "cleared"),
    ]
    assert episodes(log, 100.0) == [
        Episode("hr.upper", "hr", 10, 40, "high", None, ((10, 20, "medium"), (20, 30, "high"), (30, 40, "medium"))),
        Episode("sbp.upper", "sbp", 15, 100, "medium", None, ((15, 100, "medium"),)),  # still on at the end
    ]


def test_a_latched_alarm_is_held_until_its_next_logged_transition():
    log = [
        ev(10, "hr.upper", "active", "high"),
        ev(20, "hr.upper", "latched", "high"),
        ev(50, "hr.upper", "acknowledged", "high"),
        ev(50, "hr.upper", "cleared", "high"),
    ]
    (held,) = episodes(log, 100.0)
    assert held.latched_at == 20 and held.segments == ((10, 20, "high"), (20, 50, "held"))


@pytest.mark.parametrize(
    "back_for, segments",
    [
        (3, ((30.0, 60.0, "high"), (60.0, 122.0, "held"))),  # shorter than the 10 s delay: still held
        (15, ((30.0, 60.0, "high"), (60.0, 100.0, "held"), (100.0, 115.0, "high"), (115.0, 134.0, "held"))),
    ],
)
def test_a_held_alarm_is_drawn_active_again_only_when_the_engine_sounds_it_again(back_for, segments):
    """The report and the alarm log agree: a latched HR alarm whose value touches its limit for less
    than the delay stays held; one back beyond it for the delay is active from when the engine says."""
    values = [80] * 20 + [140] * 30 + [80] * 40 + [131] * back_for + [80] * 30
    store = store_of(hr_series(values))
    log = AlarmEngine(rules()).run(store)
    returns = [e.t for e in log if e.alarm == "hr.upper" and e.state == "active"]
    assert returns == ([30.0] if back_for < 10 else [30.0, 100.0])
    (ep,) = episodes(log, float(store.t[-1]))
    assert ep.segments == segments


def test_time_in_alarm_counts_overlaps_once_and_keeps_the_order_episodes_ended():
    log = [
        ev(0, "sbp.upper", "active"),
        ev(5, "sbp.upper", "cleared"),
        ev(10, "hr.upper", "active"),
        ev(30, "hr.lower", "active"),
        ev(40, "hr.upper", "cleared"),
        ev(45, "hr.stale", "active", "technical"),
        ev(50, "hr.lower", "cleared"),
        ev(60, "dbp.upper", "active"),
    ]
    assert list(time_in_alarm(log, 65.0).items()) == [("sbp", 5.0), ("hr", 40.0), ("dbp", 5.0)]


def test_the_diff_reads_the_same_episodes():
    th = rules()
    log = AlarmEngine(th).run(store_of(hr_series([80] * 20 + [120] * 60 + [80] * 20 + [140] * 40 + [80] * 30)))
    eps = episodes(log, 170.0)
    assert len(eps) == 2
    assert [d.new for d in diff_logs([], log, 170.0)] == eps
    assert [d.old for d in diff_logs(log, [], 170.0)] == eps


@pytest.mark.parametrize("end", [None, 10.0])
def test_an_alarm_on_at_the_end_ends_there_or_where_it_started(end):
    (ep,) = episodes([ev(20, "hr.upper", "active")], end)
    assert (ep.start, ep.end) == (20, 20)
