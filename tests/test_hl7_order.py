"""Readings of several messages into time order (monitor.sources.hl7v2.order): late cuff readings,
repeats of the last cuff reading, and `--hl7-hold`."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from monitor.core.readings import Reading
from monitor.core.thresholds_loader import load_thresholds
from monitor.recording import load_session
from monitor.session import ManualClock, Session
from monitor.sources.hl7v2.feed import Hl7Feed
from monitor.sources.hl7v2.order import Ordered, Orderer
from tests.hl7_support import message, obx

T0 = 1_795_856_400.0


def hr(t: float, v: float = 70.0) -> Reading:
    return Reading(t, hr=v)


def cuff(t: float, sbp: float = 120.0) -> Reading:
    return Reading(t, sbp=sbp, dbp=80.0)


def test_without_a_hold_a_late_cuff_reading_is_named_with_the_hold_it_needs():
    o = Orderer()
    got = Ordered()
    o.add(1, T0 + 100, [hr(T0 + 100)], 0.0, got)
    assert [r.t for r in o.take(0.0)] == [T0 + 100]
    o.add(2, T0 + 105, [cuff(T0 + 60), hr(T0 + 105)], 0.25, got)  # OBX-14 40 s before the newest
    assert [r.t for r in o.take(0.25)] == [T0 + 105]
    (rej,) = got.rejected
    assert rej.line == 2 and "came 40 s after newer readings" in rej.reason and "--hl7-hold 41" in rej.reason


def test_within_one_poll_a_cuff_reading_older_than_its_message_takes_its_place():
    o = Orderer()
    got = Ordered()
    o.add(1, T0 + 100, [hr(T0 + 100)], 0.0, got)
    o.add(2, T0 + 105, [cuff(T0 + 90), hr(T0 + 105)], 0.0, got)
    assert [r.t for r in o.take(0.0)] == [T0 + 90, T0 + 100, T0 + 105] and not got.rejected


def test_the_last_cuff_reading_repeated_in_each_message_is_let_go_silently():
    o = Orderer()
    got = Ordered()
    o.add(1, T0 + 60, [cuff(T0 + 30), hr(T0 + 60)], 0.0, got)
    o.take(0.0)
    for k in range(2, 5):  # the gateway's next messages repeat the cuff pane with its old time
        o.add(k, T0 + 60 * k, [cuff(T0 + 30), hr(T0 + 60 * k)], 0.25 * k, got)
        assert [r.t for r in o.take(0.25 * k)] == [T0 + 60 * k]
    assert not got.rejected


def test_with_a_hold_the_late_cuff_reading_is_placed_and_nothing_waits_past_a_quiet_hold():
    o = Orderer(hold_s=60)
    got = Ordered()
    for i in range(0, 50, 5):
        o.add(i, T0 + i, [hr(T0 + i)], float(i), got)
        assert o.take(float(i)) == []  # nothing 60 s older than the newest yet
    o.add(99, T0 + 50, [cuff(T0 + 12), hr(T0 + 50)], 50.0, got)  # 38 s late
    assert o.take(55.0) == [] and not got.rejected
    out = o.take(111.0)  # no message for the hold: all of it
    assert [r.t for r in out] == sorted(r.t for r in out) and T0 + 12 in [r.t for r in out] and o.held == 0


def test_a_message_whose_own_clock_went_back_is_handed_on_for_the_session_to_judge():
    o = Orderer()
    got = Ordered()
    o.add(1, T0 + 3600, [hr(T0 + 3600)], 0.0, got)
    o.take(0.0)
    o.add(2, T0 + 5, [hr(T0 + 5)], 0.25, got)  # MSH-7 back an hour too: the device's clock
    assert [r.t for r in o.take(0.25)] == [T0 + 5] and not got.rejected


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y%m%d%H%M%S+0000")


def test_a_held_session_records_every_reading_in_order_even_those_held_at_the_stop(tmp_path):
    clock = ManualClock(wall=T0 + 200, monotonic=1000.0)
    feed = Hl7Feed("127.0.0.1", 0, hold_s=60)
    s = Session(feed, load_thresholds(), folder=tmp_path / "rec", clock=clock)
    s.start()
    try:
        for i in range(0, 100, 5):
            rows = [obx(1, "147842^MDC_ECG_HEART_RATE^MDC", "70", "264864")]
            if i == 45:  # the cuff measured at 12 s is sent with this message, 33 s late
                rows += [
                    obx(2, "150301^MDC_PRESS_CUFF_SYS^MDC", "150", "266016", at=_stamp(T0 + 12)),
                    obx(3, "150302^MDC_PRESS_CUFF_DIA^MDC", "90", "266016", at=_stamp(T0 + 12)),
                ]
            feed.listener.answer(message(f"O{i}", rows, time=_stamp(T0 + i)).encode())
            clock.advance(5)
            s.poll()
        assert len(s.store) < 21  # the newest minute is still held back
    finally:
        s.stop()
    rs = load_session(tmp_path / "rec")
    t = rs.store.t.tolist()
    assert t == sorted(t) and len(t) == 21 and T0 + 12 in t
    assert rs.store.column("sbp")[t.index(T0 + 12)] == 150
    assert not math.isnan(rs.store.column("hr")[-1])
