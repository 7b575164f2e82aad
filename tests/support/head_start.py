"""Tests marked `head_start` run in background processes from the moment the run is collected.

The suite runs one test at a time, so on a machine with two cores one of them is mostly idle (Pilot
tests wait for the screen, subprocess tests for their processes). A few long tests depend on
nothing but themselves: the live-against-batch properties, the differential test's generated
sessions, the report opened in Chromium. Marked `@pytest.mark.head_start`, such a test (no
fixtures, no parameters) is started in a process of its own when collection ends
(tests/conftest.py), at a low priority (`nice` 10) and as many at once as there are cores, so it
takes the time the other tests leave; marked tests are put after all the others, so their work
has the whole run to be done in. When its turn comes the test waits for that process (given back
its normal priority where the system allows it) and passes or fails with what the function did
there: its exception, with the traceback from the background process in its notes. The function
is the one pytest collected, called as pytest would call it, so a property test tries the same
examples.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest

BACKGROUND_NICE = 10
# As many running at once as there are cores: more would only share them (browsers, pools).
AT_ONCE = os.cpu_count() or 1
_CONTEXT = multiprocessing.get_context("fork")  # the processes have the collected modules
OUTPUT_KEPT = 1_000_000  # bytes: the end of what a test printed


def _picklable(obj: Any, fallback: Callable[[Any], Any]) -> Any:
    try:
        pickle.dumps(obj)  # it goes back to the test's process
    except Exception:
        return fallback(obj)
    return obj


def _outcome(test: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        test()
    except Exception as exc:
        return False, (_picklable(exc, lambda e: RuntimeError(repr(e))), traceback.format_exc())
    return True, None


def _run(test: Callable[[], Any], done: Any, slots: Any, nice: int) -> None:
    # A process group of its own: whatever it starts (a process pool, a browser) has its priority
    # raised with it, and is killed with it.
    os.setpgrp()
    if nice:
        os.nice(nice)
    # What the test prints (it and what it starts) and warns goes back to the test, whose captured
    # output and warnings pytest reports, not into whichever test is running meanwhile.
    with tempfile.TemporaryFile() as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (the process's own streams)
        with slots if slots is not None else contextlib.nullcontext(), warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("default")
            ok, value = _outcome(test)
        sys.stdout.flush()
        out.seek(0)
        output = out.read()[-OUTPUT_KEPT:]
    found = [(_picklable(w.message, str), w.category, w.filename, w.lineno) for w in seen]
    done.put((ok, value, output, found))


class HeadStart:
    """One test function run in a background process."""

    started: ClassVar[dict[str, HeadStart]] = {}  # by node id

    def __init__(self, nodeid: str, test: Callable[[], Any], slots: Any = None, nice: int = BACKGROUND_NICE):
        """slots: a semaphore the process holds while the test runs (how many run at once); nice:
        how much lower its priority is (a test that waits on processes it times runs at 0: at a
        low priority, they starved)."""
        self.nodeid, self.test = nodeid, test
        self._done = _CONTEXT.Queue()
        # Not a daemon: a daemon may not start processes of its own (a test's process pool).
        self._proc = _CONTEXT.Process(target=_run, args=(test, self._done, slots, nice), name=f"head start: {nodeid}")
        self._outcome: tuple[bool, Any, bytes, list] | None = None

    def start(self) -> None:
        self._proc.start()
        HeadStart.started[self.nodeid] = self

    def outcome(self) -> None:
        """Wait for the test's process; print what it printed, warn what it warned, raise what it
        raised."""
        first = self._outcome is None
        if first:
            try:
                self._outcome = self._wait()
            finally:
                self.stop()
        assert self._outcome is not None
        ok, value, output, found = self._outcome
        if first:
            sys.stdout.write(output.decode("utf-8", "replace"))
            for message, category, filename, lineno in found:
                warnings.warn_explicit(message, category, filename, lineno)
        if not ok:
            raise value

    def _wait(self) -> tuple[bool, Any, bytes, list]:
        with contextlib.suppress(OSError):  # raising a priority may need privileges
            os.setpriority(os.PRIO_PGRP, self._proc.pid, 0)
        while True:
            alive = self._proc.is_alive()  # before looking: the process may put its outcome, then end
            try:
                ok, value, output, found = self._done.get(timeout=0.1)
            except queue.Empty:
                if not alive:
                    raise AssertionError(
                        f"the background process of {self.nodeid} ended (exit code {self._proc.exitcode}) "
                        "without an outcome"
                    ) from None
                continue
            if not ok:
                exc, tb = value
                exc.add_note(f"raised in the background process of {self.nodeid}:\n{tb}")
                value = exc
            return ok, value, output, found

    def stop(self) -> None:
        """End the process and whatever it started."""
        if self._proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.join()
        HeadStart.started.pop(self.nodeid, None)


def marked(item: pytest.Item) -> bool:
    return item.get_closest_marker("head_start") is not None


def last(items: list[pytest.Item]) -> None:
    """Marked tests after all the others (in their own order)."""
    items.sort(key=marked)  # stable


def start_marked(items: Sequence[pytest.Item]) -> None:
    """Start every collected test marked `head_start`, unless it may be skipped (then it runs as
    any other test does)."""
    slots = _CONTEXT.Semaphore(AT_ONCE)
    for item in items:
        if not marked(item) or item.get_closest_marker("skip") or item.get_closest_marker("skipif"):
            continue
        if not isinstance(item, pytest.Function) or item.fixturenames or hasattr(item, "callspec"):
            raise pytest.UsageError(f"{item.nodeid}: a head_start test takes no fixtures and no parameters")
        if waits(item):
            HeadStart(item.nodeid, item.obj, None, nice=0).start()
        else:
            HeadStart(item.nodeid, item.obj, slots).start()


def waits(item: pytest.Item) -> bool:
    """`head_start(waits=True)`: a test that mostly waits (on real processes, a broker, sleeps)
    runs at once, beside the others, not in one of the AT_ONCE slots (holding a slot, it kept a
    core idle while the tests that compute waited for it), and at the normal priority."""
    mark = item.get_closest_marker("head_start")
    return bool(mark is not None and mark.kwargs.get("waits"))


def outcome_of(item: pytest.Item) -> bool:
    """True if the test ran in the background (its failure, if any, raised here)."""
    h = HeadStart.started.get(item.nodeid)
    if h is None:
        return False
    h.outcome()
    return True


def stop_all() -> None:
    """End whatever is still running (a run stopped early, by -x or a Ctrl-C)."""
    for h in list(HeadStart.started.values()):
        h.stop()
