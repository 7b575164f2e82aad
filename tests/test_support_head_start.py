"""tests/support/head_start.py: a test run in the background passes or fails as it would in the test."""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from pathlib import Path

import pytest

from tests.support import head_start
from tests.support.head_start import HeadStart

pytestmark = pytest.mark.slow  # head_start serves slow tests only


def _passes():
    assert sum(range(10)) == 45


def _fails():
    assert 3 == 4, "three is not four"


def _dies():
    os._exit(3)  # as a process the system killed would end


def test_a_passing_test_passes():
    h = HeadStart("t::passes", _passes)
    h.start()
    h.outcome()
    assert "t::passes" not in HeadStart.started  # its process is gone


def test_a_failing_test_fails_with_its_message_and_the_background_traceback():
    h = HeadStart("t::fails", _fails)
    h.start()
    with pytest.raises(AssertionError, match="three is not four") as info:
        h.outcome()
    notes = getattr(info.value, "__notes__", [])
    assert any("background process of t::fails" in n and "in _fails" in n for n in notes)
    with pytest.raises(AssertionError, match="three is not four"):
        h.outcome()  # asked again: the same outcome, the test is not run twice


def _prints_and_warns():
    print("from the test")
    subprocess.run(["echo", "from its child"], check=True)
    warnings.warn("careful", UserWarning, stacklevel=1)


def test_what_it_prints_and_warns_comes_back_to_the_test(capsys):
    h = HeadStart("t::prints", _prints_and_warns)
    h.start()
    with pytest.warns(UserWarning, match="careful"):
        h.outcome()
    assert capsys.readouterr().out == "from the test\nfrom its child\n"


def test_a_process_that_dies_is_a_failure_not_a_wait():
    h = HeadStart("t::dies", _dies)
    h.start()
    with pytest.raises(AssertionError, match=r"t::dies ended \(exit code 3\) without an outcome"):
        h.outcome()


def _wait_for_lines(path: Path, n: int) -> list[str]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= n:
            return lines
        time.sleep(0.01)
    raise AssertionError(f"{path}: fewer than {n} lines")


def test_it_runs_at_a_low_priority_until_the_test_waits_for_it(tmp_path):
    log = tmp_path / "nice"

    def records_its_priority():
        child = subprocess.Popen(["sleep", "30"])  # what it starts follows its priority
        log.write_text(f"{os.getpriority(os.PRIO_PROCESS, 0)} {child.pid}\n")
        deadline = time.monotonic() + 10
        while os.getpriority(os.PRIO_PROCESS, 0) == head_start.BACKGROUND_NICE and time.monotonic() < deadline:
            time.sleep(0.01)
        with log.open("a") as f:
            f.write(f"{os.getpriority(os.PRIO_PROCESS, 0)} {os.getpriority(os.PRIO_PROCESS, child.pid)}\n")

    h = HeadStart("t::nice", records_its_priority)
    h.start()
    first = _wait_for_lines(log, 1)[0].split()
    assert int(first[0]) == head_start.BACKGROUND_NICE
    h.outcome()
    second = [int(x) for x in _wait_for_lines(log, 2)[1].split()]
    if os.geteuid() == 0:  # only a privileged process may raise a priority again
        assert second == [0, 0]
    # Whatever it started ended with it.
    stat = Path(f"/proc/{first[1]}/stat")
    assert not stat.exists() or stat.read_text().split(")")[-1].split()[0] in ("Z", "X")


def test_a_slot_is_held_while_a_test_runs(tmp_path):
    slots = head_start._CONTEXT.Semaphore(1)
    log = tmp_path / "spans"

    def span():
        start = time.monotonic()
        time.sleep(0.1)
        with log.open("a") as f:
            f.write(f"{start} {time.monotonic()}\n")

    runs = [HeadStart(f"t::span{k}", span, slots) for k in range(3)]
    for h in runs:
        h.start()
    for h in runs:
        h.outcome()
    spans = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(spans) == 3
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # one at a time


def test_marked_tests_run_after_the_others_in_their_own_order():
    class Item:
        def __init__(self, name, mark):
            self.name, self.mark = name, mark

        def get_closest_marker(self, name):
            return object() if self.mark and name == "head_start" else None

    items = [Item("a", True), Item("b", False), Item("c", True), Item("d", False)]
    head_start.last(items)
    assert [i.name for i in items] == ["b", "d", "a", "c"]
