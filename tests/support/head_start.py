"""Long, self-contained work of a test started in the background as soon as the run is collected.

The suite runs one test at a time, so on a machine with two cores one of them is mostly idle (Pilot
tests wait for the screen, subprocess tests for their processes). The 2,000 generated sessions of
the differential test need over a minute of CPU and depend on nothing else: a `HeadStart` starts
them in worker processes at a low priority (`nice` 10) when collection ends (tests/conftest.py), so
they take the time the other tests leave. When the test's turn comes it takes the results: the
workers get back their normal priority (where the system allows it; where not, the test's own
process takes on the chunks nobody has started). A chunk that raised raises there, with the
worker's traceback in its notes, as if it had run in the test.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import traceback
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest

BACKGROUND_NICE = 10


def _claim(next_chunk: Any, n: int) -> int | None:
    """The index of the next chunk nobody has started, or None when all are taken."""
    with next_chunk.get_lock():
        i = next_chunk.value
        if i >= n:
            return None
        next_chunk.value = i + 1
        return i


def _outcome(fn: Callable[[Any], Any], chunk: Any) -> tuple[bool, Any]:
    try:
        return True, fn(chunk)
    except Exception as exc:
        try:
            pickle.dumps(exc)  # it goes back to the test's process
        except Exception:
            exc = RuntimeError(repr(exc))
        return False, (exc, traceback.format_exc())


def _normal_priority(pid: int) -> bool:
    """Give a worker back the normal priority; False where that needs privileges we lack."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 0)
    except OSError:
        return False
    return True


def _worker(fn: Callable[[Any], Any], chunks: Sequence[Any], next_chunk: Any, done: Any) -> None:
    os.nice(BACKGROUND_NICE)
    while (i := _claim(next_chunk, len(chunks))) is not None:
        done.put((i, *_outcome(fn, chunks[i])))


class HeadStart:
    """fn over each of chunks, in `workers` background processes, started at most once."""

    started: ClassVar[list[HeadStart]] = []

    def __init__(self, fn: Callable[[Any], Any], chunks: Sequence[Any], workers: int):
        self.fn, self.chunks, self.workers = fn, list(chunks), workers
        self._procs: list[Any] = []

    def start(self) -> None:
        if self._procs:
            return
        # fork, as the differential test's pool always did: the workers have the collected modules.
        ctx = multiprocessing.get_context("fork")
        self._next = ctx.Value("i", 0)
        self._done = ctx.Queue()
        self._procs = [
            ctx.Process(target=_worker, args=(self.fn, self.chunks, self._next, self._done), daemon=True)
            for _ in range(self.workers)
        ]
        for p in self._procs:
            p.start()
        HeadStart.started.append(self)

    def results(self) -> list[Any]:
        """Every chunk's result, in chunk order; the first chunk that raised raises here."""
        self.start()
        try:
            outcomes: dict[int, tuple[bool, Any]] = {}
            if not all([_normal_priority(p.pid) for p in self._procs]):
                # Left at a low priority, the workers could wait behind anything else the machine
                # runs: this process (at the normal one) takes chunks too.
                while (i := _claim(self._next, len(self.chunks))) is not None:
                    outcomes[i] = _outcome(self.fn, self.chunks[i])
            while len(outcomes) < len(self.chunks):
                alive = any(p.is_alive() for p in self._procs)  # before looking: a worker may put, then end
                try:
                    i, ok, value = self._done.get(timeout=0.5)
                except queue.Empty:
                    if not alive:
                        missing = sorted(set(range(len(self.chunks))) - set(outcomes))
                        raise AssertionError(f"a head-start worker died: chunks {missing} gave no result") from None
                    continue
                outcomes[i] = (ok, value)
        finally:
            self.stop()
        values = []
        for i in range(len(self.chunks)):
            ok, value = outcomes[i]
            if not ok:
                exc, tb = value
                exc.add_note(f"raised in a head-start worker:\n{tb}")
                raise exc
            values.append(value)
        return values

    def stop(self) -> None:
        for p in self._procs:
            if p.is_alive():
                p.kill()
            p.join()
        self._procs = []
        if self in HeadStart.started:
            HeadStart.started.remove(self)


def start_marked(items: Sequence[pytest.Item]) -> None:
    """Start the head start of every collected test marked `head_start(obj)`."""
    for item in items:
        marker = item.get_closest_marker("head_start")
        if marker is not None:
            marker.args[0].start()


def stop_all() -> None:
    """End whatever is still running (a run stopped early, by -x or a Ctrl-C)."""
    for h in list(HeadStart.started):
        h.stop()
