"""The followed CSV misbehaves under a running, recording session: end to end through the
follower (`FileFeed`), `Session` and the recorder, on a manual clock.

`tests/test_follow.py` proves each case for the follower alone (what one poll returns). Here a
bridge writes a 1 Hz file while the session polls it, the file is truncated, rotated, deleted and
re-created, changes its header, keeps a half-written line, or receives 10,000 lines at once; then
the recording (`readings.csv`, read back) and the live store must hold every reading the bridge
wrote, once, at its own time, with its own values.
"""

from __future__ import annotations

import os

import pytest

from monitor.recording import load_session
from tests.support.bed import HEADER, T0, Bed, line, values


@pytest.fixture
def bed(tmp_path):
    return Bed(tmp_path)


def test_truncated_and_rewritten_from_its_start_nothing_doubled(bed):
    bed.run(0, 30)
    # The bridge restarts and writes its whole buffer again into the emptied file, then goes on.
    with open(bed.path, "w", encoding="utf-8") as f:
        f.write(HEADER + "".join(line(i) for i in range(30)))
    bed.tick()
    bed.run(30, 30)
    # Truncated to nothing but the header, then only new rows.
    bed.path.write_text(HEADER)
    bed.tick()
    bed.run(60, 20)
    assert not bed.system() & {"feed.order", "feed.data", "feed.lost"}
    bed.check()


def test_rotated_with_unread_rows_in_the_old_file(bed, tmp_path):
    bed.run(0, 20)
    # Rows land in the old file after the last poll, then logrotate moves it and creates a new one.
    bed.write(20)
    bed.write(21)
    os.rename(bed.path, tmp_path / "bed.csv.1")
    bed.path.write_text(HEADER + line(22))
    bed.written.add(22)
    bed.tick()
    bed.run(23, 20)
    # A second rotation whose new file starts with a row already delivered (an overlap).
    os.rename(bed.path, tmp_path / "bed.csv.2")
    bed.path.write_text(HEADER + line(42) + line(43))
    bed.written.add(43)
    bed.tick()
    bed.run(44, 10)
    bed.check()


def test_deleted_then_recreated_raises_and_clears_feed_lost(bed):
    bed.run(0, 20)
    bed.write(20)  # written, then the file is removed before the next poll
    os.remove(bed.path)
    bed.tick()
    assert "feed.lost" in bed.system()
    for _ in range(5):
        bed.tick()
    assert "feed.lost" in bed.system()
    # Re-created with the old rows again and new ones.
    bed.path.write_text(HEADER + "".join(line(i) for i in range(21)) + line(26))
    bed.written.add(26)
    bed.tick()
    assert "feed.lost" not in bed.system()
    bed.run(27, 10)
    # Deleted and re-created empty (a new bridge), then new rows.
    os.remove(bed.path)
    bed.tick()
    bed.path.write_text(HEADER)
    bed.tick()
    bed.run(37, 10)
    assert "feed.lost" not in bed.system()
    bed.check()


def test_a_changed_header_keeps_every_value_in_its_own_column(bed):
    bed.run(0, 10)
    # Another column order, fewer columns and a semicolon: HR must not become SpO2.
    bed.append("time;spo2;hr\n")
    for i in range(10, 20):
        v = values(i)
        bed.append(f"{T0 + i};{v['spo2']:g};{v['hr']:g}\n", [i])
        bed.tick()
    # Back to the full header.
    bed.append(HEADER)
    bed.run(20, 10)
    assert "feed.data" not in bed.system()  # a header is not a bad line
    # Rows 10-19 had no cuff column: the values there must be NaN, which `values` says only when
    # i % 60 != 0 (true for 10-19).
    bed.check()


def test_a_partial_last_line_is_never_a_value_while_it_waits(bed):
    bed.run(0, 10)
    cut = line(10)[: len(f"{T0 + 10},") + 1]  # "8" of HR 85: must not show as HR 8
    bed.append(cut)
    for _ in range(6):  # 1.5 s of polls, four a second (within the file's 2 s lag)
        bed.tick(0.25)
        assert bed.s.store.last_valid("hr")[1] != 8.0
        assert len(bed.s.store) == 10
    bed.append(line(10)[len(cut) :], [10])  # the rest of the line
    bed.tick(0.25)
    assert bed.s.store.last_valid("hr") == (T0 + 10, values(10)["hr"])
    bed.run(11, 5)
    bed.check()


def test_a_partial_line_for_minutes_keeps_each_reading_at_its_own_time(bed):
    """A bridge that stalls half-way through a line for three minutes, then catches up."""
    bed.run(0, 10)
    cut = line(10)[: len(f"{T0 + 10},") + 1]
    bed.append(cut)
    for _ in range(180 * 4):
        bed.tick(0.25)
    assert "hr.stale" in {a.alarm for a in bed.s.alarms()}  # the silence is alarmed meanwhile
    # The line is finished and the rows it held back arrive in one go.
    bed.append(line(10)[len(cut) :] + "".join(line(i) for i in range(11, 190)), range(10, 190))
    bed.tick()
    bed.run(190, 5)
    bed.check()


def test_a_burst_of_10000_lines_in_one_write(bed):
    bed.run(0, 10)
    burst = "".join(line(i) for i in range(10, 10_010))
    bed.append(burst, range(10, 10_010))
    bed.tick()  # one poll: read, alarm engine, store and recording (its time: benchmarks/bench_backlog.py)
    bed.run(10_010, 5)
    assert not bed.system() & {"feed.order", "feed.data"}
    bed.check()


def test_a_rewrite_that_adds_a_line_for_the_newest_time_stamp_keeps_its_values(bed):
    """The bridge rewrites its file with a second line (a cuff) for the newest second placed
    before that second's HR line: the rewritten file is read again from its start, and the cuff's
    values, new at the newest time, are taken (they used to be skipped as already seen)."""
    bed.run(0, 30)
    bed.tick()
    cuff = f"{T0 + 29},,111,71,84,,,\n"
    with open(bed.path, "w", encoding="utf-8") as f:
        f.write(HEADER + "".join(line(i) for i in range(29)) + cuff + line(29))
    bed.tick(0.25)
    bed.run(30, 3)
    assert bed.s.store.last_valid("sbp") == (T0 + 29, 111.0)
    bed.tick()
    bed.s.stop()
    rs = load_session(bed.rec)
    assert (rs.store.column("sbp")[29], rs.store.column("hr")[29]) == (111.0, values(29)["hr"])


def test_a_line_longer_than_one_polls_read_is_one_rejected_line_as_alarms_reads_it(bed):
    """A live poll reads 128 KB of a backlog; a 300 KB line must still be one line (rejected, as
    the whole-file reader rejects it), not cut into pieces read as rows."""
    from monitor.sources.csv.load import load_csv

    bed.run(0, 5)
    bed.append(f"{T0 + 5},{'7' * 300_000},,,,,,\n")
    bed.tick()
    bed.run(6, 5)
    assert bed.s.store.last_valid("hr") == (T0 + 10, values(10)["hr"])
    whole = load_csv(bed.path)
    assert [r.line for r in whole.rejected] == [7]
    bed.check()
