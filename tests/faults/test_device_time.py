"""A device's times that cannot be taken at their word: a row stamped far in the future, a device
clock set back, CR-only line ends. End to end through the follower, the session and the recording,
on a manual clock (tests/support/bed.py).

Each case used to stop monitoring without a word: a 2099 row made every later one "older than the
newest" and left out; a clock set back an hour dropped every row until it caught up; a CR-only file
was never read by `live` while `alarms` read it.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.recording import load_session
from monitor.sources.csv.load import load_csv
from tests.support.bed import HEADER, T0, Bed, line, values


def _active(bed: Bed) -> dict[str, str]:
    return {a.alarm: a.message for a in bed.s.alarms() if a.state != "cleared"}


def _recorded(bed: Bed):
    bed.s.stop()
    rs = load_session(bed.rec)
    assert not rs.rejected, rs.rejected
    return rs


def test_a_row_stamped_in_2099_is_rejected_and_monitoring_goes_on(tmp_path):
    bed = Bed(tmp_path)
    bed.run(0, 30)
    bed.append("2099-11-28T09:00:00+00:00,80,,,,97,,\n")
    bed.tick()
    bed.run(30, 10)
    active = _active(bed)
    assert "feed.future" in active, active
    assert "2099-11-28" in active["feed.future"]
    bed.run(40, 50)
    # The rows after it are shown as current, alarmed as usual and recorded.
    assert bed.s.store.last_valid("hr") == (T0 + 89, values(89)["hr"])
    assert bed.s.store.span()[1] == T0 + 89
    bed.check()  # exactly the rows the bridge wrote in order: the 2099 one is not among them


def test_a_resume_after_a_2099_row_does_not_inherit_its_cut_off(tmp_path):
    bed = Bed(tmp_path)
    bed.run(0, 20)
    bed.append("2099-11-28T09:00:00+00:00,80,,,,97,,\n")
    bed.tick()
    bed.run(20, 5)
    bed.s.stop()
    again = Bed.resume(bed)
    again.run(25, 20)
    assert again.s.store.last_valid("hr") == (T0 + 44, values(44)["hr"])
    again.check()


def _hr150(i: int, back: float) -> str:
    return f"{T0 + i - back:.0f},150,,,,97,,\n"


def test_a_device_clock_set_back_an_hour_is_taken_and_alarmed(tmp_path):
    bed = Bed(tmp_path)
    bed.run(0, 120)
    # The device clock goes back an hour: 60 rows of HR 150 stamped an hour before the newest.
    for i in range(120, 180):
        bed.append(_hr150(i, 3600))
        bed.tick()
    active = _active(bed)
    assert "feed.clock" in active, active
    assert "went back" in active["feed.clock"] and "1:00:00" in active["feed.clock"]
    assert "feed.order" not in active
    assert "hr.upper" in active  # HR 150 for a minute is alarmed
    newest = bed.s.store.last_valid("hr")
    assert newest is not None and newest[1] == 150 and newest[0] > T0 + 119
    rs = _recorded(bed)
    hr = rs.store.column("hr")
    assert int(np.sum(hr == 150)) == 60  # every one of them recorded, once
    assert np.all(np.diff(rs.store.t) > 0)
    # Said once for the episode, not once a poll.
    log = (bed.rec / "monitor.log").read_text()
    assert log.count("feed.clock") == 1, log
    assert "feed.order" not in log


def test_the_clock_set_right_again_ends_the_episode(tmp_path):
    bed = Bed(tmp_path)
    bed.run(0, 60)
    for i in range(60, 70):
        bed.append(_hr150(i, 3600))
        bed.tick()
    assert "feed.clock" in _active(bed)
    # Set right again: the device's own times follow on from where the session is.
    for i in range(70, 90):
        bed.append(line(i))
        bed.tick()
    assert "feed.clock" not in _active(bed)
    rs = _recorded(bed)
    assert np.all(np.diff(rs.store.t) > 0)
    assert rs.store.t[-1] == T0 + 89
    assert int(np.sum(rs.store.column("hr") == 150)) == 10


def test_a_row_a_few_seconds_out_of_order_is_still_left_out_as_before(tmp_path):
    """A small disorder is not a clock step: the row is left out with feed.order, and the
    device's times are not shifted."""
    bed = Bed(tmp_path)
    bed.run(0, 20)
    bed.append(f"{T0 + 15},70,,,,97,,\n")
    bed.tick()
    bed.run(20, 5)
    active = _active(bed)
    assert "feed.order" in active and "feed.clock" not in active
    bed.check()


def _cr_bed(tmp_path, ends: str) -> Bed:
    bed = Bed(tmp_path, header=HEADER.replace("\n", ends))
    return bed


def test_a_feed_with_cr_only_line_ends_is_read_live_as_alarms_reads_it(tmp_path):
    bed = _cr_bed(tmp_path, "\r")
    for i in range(30):
        bed.append(line(i).replace("\n", "\r"), [i])
        bed.tick()
    assert bed.s.store.last_valid("hr") == (T0 + 29, values(29)["hr"])
    whole = load_csv(bed.path)
    np.testing.assert_array_equal(whole.store.t, bed.s.store.t[: len(whole.store.t)])
    bed.check()


def test_crlf_split_across_two_polls_is_one_line_end(tmp_path):
    bed = _cr_bed(tmp_path, "\r\n")
    for i in range(20):
        text = line(i).replace("\n", "\r\n")
        bed.append(text[:-1], [i])  # the CR now, its LF with the next poll
        bed.tick(0.25)
        bed.append("\n")
        bed.tick(0.25)
    assert "feed.data" not in _active(bed)
    bed.check()


def test_a_half_written_cr_only_line_is_never_a_value(tmp_path):
    bed = _cr_bed(tmp_path, "\r")
    for i in range(5):
        bed.append(line(i).replace("\n", "\r"), [i])
        bed.tick()
    cut = line(5)[: len(f"{T0 + 5},") + 1]
    bed.append(cut)
    for _ in range(4):
        bed.tick(0.25)
        assert len(bed.s.store) == 5
    bed.append(line(5)[len(cut) :].replace("\n", "\r"), [5])
    bed.tick()
    hr = bed.s.store.last_valid("hr")
    assert hr == (T0 + 5, values(5)["hr"]) and not math.isnan(hr[1])
    bed.check()


def test_a_clock_step_inside_one_batch_keeps_the_rows_in_the_order_written(tmp_path):
    """The rows before and after the step arrive in one poll: they are not sorted in among the
    readings of an hour ago."""
    bed = Bed(tmp_path)
    bed.run(0, 60)
    bed.append("".join(line(i) for i in range(60, 65)) + "".join(_hr150(i, 3600) for i in range(65, 75)))
    bed.tick()
    bed.run(75, 0)
    assert "feed.clock" in _active(bed)
    rs = _recorded(bed)
    t, hr = rs.store.t, rs.store.column("hr")
    assert np.all(np.diff(t) > 0)
    np.testing.assert_array_equal(t[:65], T0 + np.arange(65.0))
    assert list(hr[65:]) == [150.0] * 10 and t[65] > T0 + 64


def test_a_row_stamped_in_the_future_is_said_once_in_monitor_log(tmp_path):
    bed = Bed(tmp_path)
    bed.append(line(0) + "2099-11-28T09:00:00+00:00,80,,,,97,,\n" + line(1), [0, 1])
    bed.tick()
    bed.run(2, 3)
    bed.s.stop()
    log = (bed.rec / "monitor.log").read_text()
    assert log.count("feed.future") == 1, log
    assert "2099-11-28T09:00:00+00:00" in log
