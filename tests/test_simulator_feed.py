"""The live-feed adapter: readings and dose events when their (sped-up) time has come."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from monitor.core.readings import Reading, VitalStore
from monitor.sources.simulated import SimulatedFeed

START = datetime(2026, 11, 28, 9, tzinfo=UTC)


def test_poll_hands_out_due_readings_in_order_with_epoch_times():
    feed = SimulatedFeed("typical", seed=3, speed=60, start=START, duration_s=3600)
    assert feed.simulated is True and "SIMULATED" in feed.label
    first = feed.poll(100.0)  # anchors simulated second 0 at monotonic 100
    assert [r.t for r in first.readings] == [START.timestamp()]
    batch = feed.poll(101.0)  # one real second = 60 simulated seconds
    assert len(batch.readings) == 60
    assert all(isinstance(r, Reading) for r in batch.readings)
    assert batch.readings[-1].t == START.timestamp() + 60
    assert feed.poll(101.0).readings == []
    assert feed.next_due() == pytest.approx(101.0 + 1 / 60)


def test_dose_events_arrive_at_their_time():
    feed = SimulatedFeed("typical", seed=1, speed=600, start=START)
    feed.poll(0.0)
    before = feed.poll(1799 / 600)
    assert before.events == []
    at = feed.poll(1800 / 600)
    assert len(at.events) == 1
    ev = at.events[0]
    assert ev.kind == "dose" and ev.fields == {"dose": "initial", "amount_mg": 120}
    assert ev.t == START.timestamp() + 1800 and ev.simulated
    rec = ev.record()
    assert rec["t"] == "2026-11-28T09:30:00+00:00" and rec["source"] == "simulator"
    later = feed.poll((1800 + 7200) / 600)
    assert [e.fields["dose"] for e in later.events] == ["supplemental"]


def test_the_whole_session_matches_the_generator_and_fills_a_store():
    feed = SimulatedFeed("artifacts", seed=2, speed=1e9, start=START.timestamp(), duration_s=2 * 3600)
    feed.poll(0.0)
    batch = feed.poll(1.0)
    assert batch.finished and feed.finished
    readings = [feed.all_readings()[0], *batch.readings]
    store = VitalStore()
    store.extend(
        np.array([r.t for r in readings]),
        {name: np.array([r.as_dict()[name] for r in readings]) for name in ("hr", "sbp", "dbp", "map", "temp")},
    )
    session = feed.session
    assert len(store) == len(session)
    np.testing.assert_array_equal(store.t, START.timestamp() + session.t)
    np.testing.assert_array_equal(store.column("hr"), session.columns["hr"])
    assert store.artifact_count()["hr"] > 0  # simulated artifacts reach the store and are flagged


def test_speed_change_keeps_simulated_time_continuous():
    feed = SimulatedFeed("placebo", seed=1, speed=10, start=START, duration_s=600)
    feed.poll(0.0)
    assert feed.sim_time(5.0) == pytest.approx(50.0)
    feed.set_speed(100, 5.0)
    assert feed.sim_time(6.0) == pytest.approx(150.0)
    assert feed.next_due() is not None


def test_session_info_and_validation():
    feed = SimulatedFeed("hypertensive", seed=4, speed=1, start=START)
    info = feed.session_info()
    assert info["simulated"] is True and info["source"] == "simulator"
    assert info["scenario"] == "hypertensive" and info["start"] == "2026-11-28T09:00:00+00:00"
    notes = [e for e in feed.events() if e.kind == "note"]
    assert notes and "withheld" in notes[0].fields["text"]
    with pytest.raises(ValueError):
        SimulatedFeed("typical", speed=0)
    with pytest.raises(KeyError):
        SimulatedFeed("nope")
