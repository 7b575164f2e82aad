"""tests/support/head_start.py: background work gives the test what running it in the test gives."""

from __future__ import annotations

import os
import time

import pytest

from tests.support import head_start
from tests.support.head_start import HeadStart

MAIN = os.getpid()


def _square_all(chunk):
    return [x * x for x in chunk]


def _fails_on_three(chunk):
    assert 3 not in chunk, f"chunk {chunk}: three is not allowed"
    return chunk


def _dies_in_a_worker(chunk):
    if os.getpid() != MAIN:
        os._exit(1)  # as a worker killed by the system would end
    return chunk


def _pid(chunk):
    time.sleep(0.05)
    return os.getpid()


def _priority(chunk):
    now = os.getpriority(os.PRIO_PROCESS, 0)
    time.sleep(0.2)
    return now


def test_results_come_in_chunk_order_whoever_ran_them():
    h = HeadStart(_square_all, [[0, 1], [2], [3, 4], [5]], workers=2)
    h.start()
    assert h.results() == [[0, 1], [4], [9, 16], [25]]
    assert HeadStart.started == []  # its workers are gone


def test_workers_left_at_a_low_priority_get_help_from_the_test_process(monkeypatch):
    monkeypatch.setattr(head_start, "_normal_priority", lambda pid: False)  # no privilege to raise it
    h = HeadStart(_pid, [[k] for k in range(40)], workers=1)
    pids = h.results()
    assert MAIN in pids and len(pids) == 40


def test_workers_get_their_normal_priority_back_when_the_test_waits():
    h = HeadStart(_priority, [[k] for k in range(6)], workers=2)
    h.start()
    deadline = time.monotonic() + 10
    while h._next.value < 2 and time.monotonic() < deadline:  # both workers are on a chunk
        time.sleep(0.01)
    got = h.results()
    assert got[:2] == [head_start.BACKGROUND_NICE] * 2
    if os.geteuid() == 0:  # only a privileged process may raise a priority again
        assert got[-1] == 0


def test_a_failing_chunk_raises_in_the_test_with_the_worker_traceback():
    h = HeadStart(_fails_on_three, [[1, 2], [3], [4]], workers=2)
    h.start()
    with pytest.raises(AssertionError, match="three is not allowed") as info:
        h.results()
    assert any("Traceback" in note and "_fails_on_three" in note for note in getattr(info.value, "__notes__", []))


def test_a_worker_that_dies_is_reported_not_waited_for():
    h = HeadStart(_dies_in_a_worker, [["lost"]], workers=1)
    h.start()
    deadline = time.monotonic() + 10
    while h._next.value == 0 and time.monotonic() < deadline:  # the worker has taken the chunk
        time.sleep(0.01)
    with pytest.raises(AssertionError, match=r"died: chunks \[0\] gave no result"):
        h.results()
