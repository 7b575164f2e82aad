"""Every rule of the alarm engine, one transition at a time."""

from monitor.core.alarm_engine import AlarmEngine
from monitor.core.readings import Reading
from tests.engine_helpers import hr_series, rules, states


def feed(values, engine=None, **kw):
    e = engine or AlarmEngine(rules(**kw))
    start = e.t + 1 if engine is not None else 0.0
    for r in hr_series(values, start=start):
        e.feed(r)
    return e


def test_condition_shorter_than_delay_is_cancelled():
    e = feed([80] * 5 + [115] * 5 + [80] * 9)
    assert [s for _, _, s, _ in states(e, "hr.upper")] == ["pending"]  # back inside: clear time runs
    feed([80] * 2, e)
    assert [(t, s) for t, _, s, _ in states(e, "hr.upper")] == [(5.0, "pending"), (20.0, "cancelled")]


def test_condition_held_for_delay_becomes_active_with_priority_and_limit():
    e = feed([80] * 5 + [115] * 15)
    ev = [x for x in e.log if x.alarm == "hr.upper"]
    assert [x.state for x in ev] == ["pending", "active"]
    assert ev[1].t == 15.0 and ev[1].priority == "medium" and ev[1].limit == 110 and ev[1].value == 115


def test_escalation_and_de_escalation_after_acknowledgement():
    e = feed([115] * 12 + [135] * 3)
    assert states(e, "hr.upper")[-1][2:] == ("active", "medium")  # escalation waits for the delay
    feed([135] * 8, e)
    assert states(e, "hr.upper")[-1][2:] == ("escalated", "high")
    # Unacknowledged high priority holds its priority while the value eases...
    feed([120] * 11, e)
    assert e.status()[0].priority == "high"
    # ...and follows the value once acknowledged.
    e.acknowledge(e.t, "therapist")
    assert [s[2:] for s in states(e, "hr.upper")][-2:] == [("acknowledged", "high"), ("de-escalated", "medium")]


def test_hysteresis_needs_value_back_inside_by_the_margin():
    e = feed([115] * 12 + [108] * 5)  # 108 is below 110 but within the 5 bpm margin
    assert states(e, "hr.upper")[-1][2] == "active"
    feed([104] * 10, e)
    assert states(e, "hr.upper")[-1][2] == "active"  # back inside, but not yet for the clear time
    feed([104], e)
    assert states(e, "hr.upper")[-1][2] == "cleared"


def test_medium_alarm_clears_by_itself():
    e = feed([115] * 12 + [90] * 11)
    assert [s[2] for s in states(e, "hr.upper")] == ["pending", "active", "cleared"]


def test_high_priority_latches_until_acknowledged():
    e = feed([135] * 12 + [90] * 11)
    assert [s[2] for s in states(e, "hr.upper")] == ["pending", "active", "latched"]
    assert e.status()[0].state == "latched" and e.audible_rank(e.t) == 3
    e.acknowledge(e.t)
    assert [s[2] for s in states(e, "hr.upper")][-2:] == ["acknowledged", "cleared"]
    assert e.status() == []


def test_acknowledged_alarm_clears_when_value_recovers():
    e = feed([115] * 12)
    e.acknowledge(e.t)
    feed([90] * 11, e)
    assert [s[2] for s in states(e, "hr.upper")] == ["pending", "active", "acknowledged", "cleared"]


def test_reminder_for_acknowledged_alarm_that_still_holds():
    e = AlarmEngine(rules())
    for r in hr_series([115] * 12):
        e.feed(r)
    e.acknowledge(11.0)
    for r in hr_series([115] * 400, start=12):
        e.feed(r)
    rem = [x.t for x in e.log if x.state == "reminder"]
    assert rem == [191.0, 371.0]


def test_escalation_after_acknowledgement_sounds_again():
    e = feed([115] * 12)
    e.acknowledge(e.t)
    assert e.audible_rank(e.t) == 0
    feed([135] * 10, e)
    assert e.status()[0].state == "acknowledged"  # one second of 135 escalates nothing
    feed([135], e)
    assert e.status()[0].state == "active" and e.audible_rank(e.t) == 3


def test_cuff_reading_is_one_event_without_delay_and_asks_for_a_repeat():
    e = AlarmEngine(rules())
    e.feed(Reading(0, sbp=165, dbp=90))
    kinds = [(x.alarm, x.state) for x in e.log]
    assert ("sbp.upper", "active") in kinds and ("bp.repeat", "repeat") in kinds
    e.feed(Reading(300, sbp=150, dbp=85))
    assert ("sbp.upper", "cleared") in [(x.alarm, x.state) for x in e.log]


def test_stale_stream_is_a_technical_alarm_that_never_latches():
    e = feed([80] * 5)
    e.tick(20.0)
    st = [x for x in e.log if x.alarm == "hr.stale"]
    assert st[0].state == "active" and st[0].priority == "technical" and st[0].t == 14.0
    e.feed(Reading(21, hr=80))
    assert [x.state for x in e.log if x.alarm == "hr.stale"] == ["active", "cleared"]


def test_stale_from_gap_in_event_time():
    e = AlarmEngine(rules())
    e.feed(Reading(0, hr=80))
    e.feed(Reading(60, hr=80))
    assert [(x.t, x.state) for x in e.log if x.alarm == "hr.stale"] == [(10.0, "active"), (60.0, "cleared")]


def test_artifact_is_flagged_not_used_for_limits():
    e = AlarmEngine(rules())
    e.feed(Reading(0, hr=80))
    e.feed(Reading(1, hr=0))
    e.feed(Reading(2, sbp=11647, dbp=80))
    art = [(x.alarm, x.state) for x in e.log]
    assert ("hr.artifact", "active") in art and ("sbp.artifact", "active") in art
    assert not any(x.alarm.startswith(("hr.lower", "sbp.upper")) for x in e.log)


def test_sbp_below_dbp_is_an_artifact():
    e = AlarmEngine(rules())
    e.feed(Reading(0, sbp=70, dbp=90))
    assert {x.alarm for x in e.log} >= {"sbp.artifact", "dbp.artifact"}
    assert not any(x.alarm == "sbp.lower" for x in e.log)


def test_audio_pause_counts_down_and_resumes():
    e = feed([115] * 12)
    until = e.pause_audio(e.t)
    assert until == e.t + 120 and e.audible_rank(e.t) == 0
    feed([115] * 200, e)
    resumed = [x for x in e.log if x.state == "resumed"]
    assert resumed and resumed[0].t == until


def test_audio_pause_is_capped_by_the_maximum():
    e = feed([80])
    assert e.pause_audio(0, 10_000) == 300


def test_higher_priority_breaks_through_a_pause():
    e = feed([115] * 12)
    e.pause_audio(e.t)
    e.feed(Reading(e.t + 1, sbp=185, dbp=90))
    assert any(x.state == "resumed" and "broken through" in x.message for x in e.log)
    assert e.audible_rank(e.t) == 3


def test_same_priority_does_not_break_through():
    e = feed([115] * 12)
    e.pause_audio(e.t)
    e.feed(Reading(e.t + 1, sbp=165, dbp=90))
    assert not any(x.state == "resumed" for x in e.log)


def test_baseline_rule_after_initial_dose():
    e = AlarmEngine(rules())
    for i in range(6):
        e.feed(Reading(i * 300.0, sbp=110, dbp=70))
    e.dose(1500.0, "initial")
    assert e.baseline["sbp"] == 110
    e.feed(Reading(1800, sbp=155, dbp=80))  # below 160 but more than 40 above baseline 110
    ev = [x for x in e.log if x.alarm == "sbp.upper"]
    assert ev[0].state == "active" and ev[0].limit == 150 and "baseline" in ev[0].message


def test_shock_index_alarm_from_hr_and_cuff_sbp():
    e = AlarmEngine(rules())
    for r in hr_series([105] * 5):
        e.feed(r)
    e.feed(Reading(5, hr=105, sbp=101, dbp=60))
    assert any(x.alarm == "si.upper" and x.state == "active" and x.priority == "high" for x in e.log)


def test_low_priority_lower_limit():
    e = AlarmEngine(rules())
    for i in range(15):
        e.feed(Reading(i, spo2=95))
    ev = [x for x in e.log if x.alarm == "spo2.lower"]
    assert ev[-1].state == "active" and ev[-1].priority == "low"


def test_every_event_carries_time_vital_priority_value_limit_state_message():
    e = feed([115] * 12)
    for x in e.log:
        d = x.to_dict()
        assert set(d) == {"t", "alarm", "vital", "priority", "state", "value", "limit", "message"}
        assert x.message


# -- regressions found in review -------------------------------------------------------------


def test_pause_taken_while_an_alarm_is_only_pending_does_not_hide_it():
    e = feed([140])  # pending at high
    e.pause_audio(e.t)
    feed([140] * 12, e)
    assert e.status()[0].state == "active" and e.audible_rank(e.t) == 3
    assert any(x.state == "resumed" and "broken through" in x.message for x in e.log)


def test_pause_after_acknowledging_does_not_hide_a_new_alarm():
    e = feed([140] * 12)
    e.acknowledge(e.t)
    e.pause_audio(e.t)
    for _ in range(12):
        e.feed(Reading(e.t + 1, hr=140, spo2=85))
    assert e.audible_rank(e.t) == 3


def test_pause_end_is_logged_when_a_reading_lands_exactly_on_it():
    e = AlarmEngine(rules())
    e.feed(Reading(0, spo2=97))
    e.pause_audio(0, 30)
    for i in range(1, 40):
        e.feed(Reading(float(i), spo2=97))
    assert [x.t for x in e.log if x.state == "resumed"] == [30.0]


def test_a_pending_condition_must_hold_without_hysteresis():
    e = feed([80, 110] + [107] * 15)  # touches 110 once, then sits inside the margin
    assert [s[2] for s in states(e, "hr.upper")] == ["pending"]  # 1 s beyond is far from 10 s
    feed([104] * 11, e)  # back inside by the margin for the clear time
    assert [s[2] for s in states(e, "hr.upper")] == ["pending", "cancelled"]


def test_silence_cancels_a_pending_alarm_instead_of_freezing_it():
    e = feed([150])
    e.tick(e.t + 3600)
    assert [s[2] for s in states(e, "hr.upper")] == ["pending", "cancelled"]
    assert {s.alarm for s in e.status()} == {"hr.stale"}


def test_cuff_reminder_comes_on_time_not_at_the_next_cuff_reading():
    e = AlarmEngine(rules())
    e.feed(Reading(0, hr=80, sbp=165, dbp=80))
    e.acknowledge(0)
    for i in range(1, 400):
        e.feed(Reading(float(i), hr=80))
    assert [x.t for x in e.log if x.state == "reminder" and x.alarm == "sbp.upper"] == [180.0, 360.0]


def test_acknowledged_technical_alarm_is_reminded():
    e = feed([80])
    e.tick(20)
    e.acknowledge(20)
    for t in range(21, 401):
        e.tick(t)
    assert [x.t for x in e.log if x.alarm == "hr.stale" and x.state == "reminder"] == [200.0, 380.0]


def test_repeat_request_names_the_worst_cuff_value():
    e = AlarmEngine(rules())
    e.feed(Reading(0, sbp=165, dbp=115))
    rep = [x for x in e.log if x.state == "repeat"]
    assert rep[0].priority == "high" and "dbp" in rep[0].message


def test_batch_then_live_keeps_the_pre_dose_history_for_the_baseline():
    from tests.engine_helpers import store_of

    e = AlarmEngine(rules())
    e.run(store_of([Reading(i * 300.0, sbp=100, dbp=70) for i in range(4)]))
    e.dose(1500.0, "initial")
    e.feed(Reading(1600, sbp=145, dbp=70))
    assert e.baseline["sbp"] == 100
    assert any(x.alarm == "sbp.upper" and x.state == "active" for x in e.log)


def test_baseline_rule_on_the_shock_index_runs_in_batch():
    from dataclasses import replace

    from monitor.core.thresholds import BaselineRule
    from tests.engine_helpers import store_of

    th = replace(rules(), baseline=(BaselineRule("si", "upper", 0.2, "medium", 1800),))
    rs = [
        Reading(float(i), hr=70, sbp=120 if i % 60 == 0 else float("nan"), dbp=80 if i % 60 == 0 else float("nan"))
        for i in range(600)
    ]
    log = AlarmEngine(th).run(
        store_of(rs),
        [__import__("monitor.core.alarm_types", fromlist=["Control"]).Control(300, "dose", {"dose": "initial"})],
    )
    assert any(x.alarm == "baseline" and x.vital == "si" for x in log)


def test_a_high_alarm_held_while_the_value_eases_says_so():
    e = feed([135] * 12 + [120] * 3)
    msg = e.status()[0].message
    assert e.status()[0].priority == "high" and "120" in msg and "was >= 130" in msg


def test_the_engine_keeps_the_shock_index_it_judged():
    e = feed([105] * 5)
    e.feed(Reading(e.t + 1, hr=105, sbp=100, dbp=60))
    assert e.last_si == (e.t, 1.05)
