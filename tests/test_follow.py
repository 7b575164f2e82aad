"""The CSV follower: offset, complete lines only, truncation, rotation, header change, vanish."""

from __future__ import annotations

import os

import numpy as np
import pytest

from monitor.sources.follow import CsvFollower

HEADER = "time,hr,sbp,dbp,map,spo2,temp,rr\n"


def row(t, hr="", sbp="", dbp=""):
    return f"{t},{hr},{sbp},{dbp},,,,\n"


def kinds(batch):
    return [e.kind for e in batch.events]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "feed.csv"


def write(p, text, mode="a"):
    with open(p, mode, encoding="utf-8") as f:
        f.write(text)


def test_waits_for_a_file_that_does_not_exist_yet(path):
    f = CsvFollower(path)
    assert kinds(f.poll()) == ["waiting"] and f.state == "waiting"
    assert kinds(f.poll()) == []  # said once
    write(path, HEADER + row(0, 70))
    b = f.poll()
    assert kinds(b) == ["opened"] and f.state == "ok"
    assert b.times.tolist() == [0.0] and b.columns["hr"].tolist() == [70.0]
    assert b.time_kind == "relative"


def test_a_half_written_line_is_never_read_until_its_newline(path):
    write(path, HEADER + row(0, 70) + "1,7")  # the bridge is in the middle of writing "1,72,..."
    f = CsvFollower(path)
    b = f.poll()
    assert b.times.tolist() == [0.0]
    assert f.poll().times.tolist() == []  # still incomplete: nothing, HR 7 never appears
    write(path, "2,,,,,,\n")
    b = f.poll()
    assert b.times.tolist() == [1.0] and b.columns["hr"].tolist() == [72.0]
    assert not b.rejected


def test_offset_advances_only_over_complete_lines(path):
    write(path, HEADER + row(0, 70) + row(1, 71) + "2,7")
    f = CsvFollower(path)
    f.poll()
    assert f.offset == len((HEADER + row(0, 70) + row(1, 71)).encode())
    assert f.lines_read == 3


def test_truncation_reads_again_from_the_top(path):
    write(path, HEADER + "".join(row(t, 70 + t) for t in range(5)))
    f = CsvFollower(path)
    assert len(f.poll()) == 5
    write(path, HEADER + row(100, 90), mode="w")  # shorter than before
    b = f.poll()
    assert "truncated" in kinds(b) and b.reopened
    assert b.times.tolist() == [100.0] and b.columns["hr"].tolist() == [90.0]


def test_a_rewritten_file_that_grew_past_the_offset_is_noticed(path):
    write(path, HEADER + row(0, 70))
    f = CsvFollower(path)
    f.poll()
    # Truncated and rewritten between two polls, already longer than the old offset.
    write(path, HEADER + "".join(row(t, 80 + t) for t in range(10, 14)), mode="w")
    b = f.poll()
    assert "truncated" in kinds(b)
    assert b.times.tolist() == [10.0, 11.0, 12.0, 13.0]


def test_rotation_finishes_the_old_file_then_reads_the_new_one(path, tmp_path):
    write(path, HEADER + row(0, 70))
    f = CsvFollower(path)
    f.poll()
    write(path, row(1, 71))  # written to the old file after our last poll
    os.rename(path, tmp_path / "feed.csv.1")
    write(path, HEADER + row(2, 72), mode="w")  # logrotate "create": a new inode at the same path
    b = f.poll()
    assert "rotated" in kinds(b) and b.reopened
    assert b.times.tolist() == [1.0, 2.0]
    assert b.columns["hr"].tolist() == [71.0, 72.0]
    write(path, row(3, 73))
    assert f.poll().times.tolist() == [3.0]


def test_a_changed_header_in_the_middle_of_the_file(path):
    write(path, HEADER + row(0, 70))
    f = CsvFollower(path)
    f.poll()
    # The bridge restarted with another device: other columns, other order, semicolons.
    write(path, "timestamp;SpO2;HR\n1;97;71\n2;96;72\n")
    b = f.poll()
    assert "header" in kinds(b)
    assert b.times.tolist() == [1.0, 2.0]
    assert b.columns["hr"].tolist() == [71.0, 72.0]
    assert b.columns["spo2"].tolist() == [97.0, 96.0]
    assert not b.rejected


def test_a_repeated_identical_header_is_skipped_quietly(path):
    write(path, HEADER + row(0, 70) + HEADER + row(1, 71))
    f = CsvFollower(path)
    b = f.poll()
    assert b.times.tolist() == [0.0, 1.0] and not b.rejected
    assert "header" not in kinds(b)


def test_header_change_and_rows_in_one_batch_keep_each_rows_header(path):
    write(path, "time,hr\n0,70\ntime,sbp,dbp\n1,120,80\n")
    b = CsvFollower(path).poll()
    assert b.times.tolist() == [0.0, 1.0]
    assert b.columns["hr"][0] == 70 and np.isnan(b.columns["hr"][1])
    assert b.columns["sbp"][1] == 120 and np.isnan(b.columns["sbp"][0])


def test_vanish_and_reappear(path):
    write(path, HEADER + row(0, 70))
    f = CsvFollower(path)
    f.poll()
    write(path, row(1, 71))
    os.remove(path)
    b = f.poll()
    assert kinds(b) == ["lost"] and f.state == "lost"
    assert b.times.tolist() == [1.0]  # what was written before it vanished still counts
    assert kinds(f.poll()) == []  # said once; no busy retry beyond one stat per poll
    write(path, HEADER + row(0, 70) + row(1, 71) + row(2, 72), mode="w")
    b = f.poll()
    assert kinds(b) == ["restored"] and f.state == "ok" and b.reopened
    assert b.times.tolist() == [0.0, 1.0, 2.0]  # the caller skips rows it already has


def test_bad_lines_are_rejected_with_their_line_numbers_and_the_rest_read(path):
    write(path, HEADER + row(0, 70) + "1,abc,,,,,,\n" + "2,72\n" + row(3, 73))
    b = CsvFollower(path).poll()
    assert b.times.tolist() == [0.0, 3.0]
    assert [r.line for r in b.rejected] == [3, 4]
    assert "abc" in b.rejected[0].reason and "fields" in b.rejected[1].reason


def test_absolute_times_and_a_row_of_the_other_kind(path):
    write(path, "time,hr\n2026-11-28T09:00:00+00:00,70\n")
    f = CsvFollower(path)
    b = f.poll()
    assert b.time_kind == "absolute" and b.times[0] == pytest.approx(1795856400.0)
    write(path, "5,71\n")
    b = f.poll()
    assert len(b) == 0 and b.rejected and "number" in b.rejected[0].reason


def test_no_header_and_a_directory_are_errors_said_once(tmp_path, path):
    d = tmp_path / "adir"
    d.mkdir()
    f = CsvFollower(d)
    b = f.poll()
    assert kinds(b) == ["error"] and "directory" in b.events[0].message
    assert kinds(f.poll()) == []
    write(path, "".join(f"{i},{i}\n" for i in range(25)))
    f = CsvFollower(path)
    b = f.poll()
    assert "error" in kinds(b) and "header" in b.events[-1].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_then_readable(path):
    write(path, HEADER + row(0, 70))
    os.chmod(path, 0)
    f = CsvFollower(path)
    b = f.poll()
    assert kinds(b) == ["error"] and "Permission" in b.events[0].message
    os.chmod(path, 0o600)
    b = f.poll()
    assert kinds(b) == ["recovered"] and b.times.tolist() == [0.0]


def test_a_burst_of_10000_lines_is_read_in_one_poll(path):
    f = CsvFollower(path)
    write(path, HEADER)
    f.poll()
    base = 1795856400
    lines = "".join(f"{base + i},{60 + i % 40},,,,,,\n" for i in range(10_000))
    write(path, lines + "1795866400,7")  # plus a partial last line
    b = f.poll()
    assert len(b) == 10_000 and not b.rejected
    assert np.all(np.diff(b.times) > 0)


def test_an_idle_poll_finds_nothing_new(path):
    write(path, HEADER + "".join(row(t, 70) for t in range(1000)))
    f = CsvFollower(path)
    f.poll()
    # An idle poll reads nothing (the live CPU it costs is benchmarks/bench_live.py's figure).
    offset = f.offset
    for _ in range(1000):
        assert len(f.poll()) == 0
    assert f.offset == offset


def test_a_large_backlog_is_read_over_several_polls_without_splitting_lines(path):
    write(path, HEADER + "".join(row(t, 60 + t % 30) for t in range(3000)))
    f = CsvFollower(path, max_read=4096)
    got = []
    for _ in range(100):
        b = f.poll()
        got.extend(b.times.tolist())
        assert not b.rejected
        if len(got) == 3000:
            break
    assert got == [float(t) for t in range(3000)]


def test_a_byte_order_mark_and_crlf_line_ends(path):
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbftime,HR\r\n0,70\r\n1,71\r\n")
    b = CsvFollower(path).poll()
    assert b.times.tolist() == [0.0, 1.0] and b.columns["hr"].tolist() == [70.0, 71.0]
