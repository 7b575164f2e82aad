"""A feed's backlog taken a slice at a time, so the screen stays live while it loads.

`live` started on a file that already holds a day at 10 Hz gets hundreds of thousands of rows from
its first polls. Taken at once they would hold the UI thread for seconds: no key answered, no
alarm shown. A batch larger than one slice waits here instead; each poll of the session takes the
next slice (its size set so that a slice takes about SLICE_BUDGET_S, from how long the last one
took), and polls the feed again only once the queue is empty. The rows go through the session's
one path in the order they came, so the alarm log is the one the whole batch would give
(tests/test_differential.py).
"""

from __future__ import annotations

from monitor.core.readings import Reading, ReadingColumns

SLICE_BUDGET_S = 0.02  # the work of one slice, its recording write included: a key waits about this long
MIN_SLICE = 200
MAX_SLICE = 200_000
FIRST_SLICE = 2_000


class Backlog:
    def __init__(self) -> None:
        self._rows: list[Reading] | ReadingColumns = []
        self._next = 0
        self._reopened = False
        self.slice = FIRST_SLICE
        self.taken = 0  # rows taken from backlogs so far (for the progress)

    def waiting(self) -> bool:
        return self._next < len(self._rows)

    def queue(self, rows: list[Reading] | ReadingColumns, reopened: bool) -> bool:
        """Hold a batch larger than a slice; False when it is small enough to take at once."""
        if len(rows) <= self.slice:
            return False
        self._rows, self._next, self._reopened = rows, 0, reopened
        return True

    def next_slice(self) -> tuple[list[Reading] | ReadingColumns, bool]:
        """The next rows, and whether they may repeat rows delivered before (only the first
        slice of a rewritten file's batch says so: the session marks where it was then)."""
        a, b = self._next, min(self._next + self.slice, len(self._rows))
        self._next = b
        reopened, self._reopened = self._reopened, False
        out = self._rows[a:b]
        if b >= len(self._rows):
            self._rows, self._next = [], 0
        return out, reopened

    def took(self, n: int, seconds: float) -> None:
        """A slice of n rows took this long: size the next one to the budget."""
        self.taken += n
        if n and seconds > 0:
            # At most twice as many rows as this slice: one cheap slice says little of the next,
            # and a batch that fits in a slice is taken whole, untimed, so an estimate grown too
            # far would never be measured again.
            fit = int(n * SLICE_BUDGET_S / seconds)
            self.slice = max(MIN_SLICE, min(MAX_SLICE, fit, 2 * max(n, self.slice)))

    def progress(self, unread: tuple[int, int] | None) -> float | None:
        """The share of the backlog taken (0 to 1), None when there is none. `unread`: the feed's
        (bytes read, bytes in all) while it has more than one poll's worth left to read."""
        queued = len(self._rows) - self._next
        if not queued and unread is None:
            return None
        done, total = unread if unread is not None else (1, 1)
        # The rows not read yet, estimated from the bytes a row took so far.
        per_row = done / max(1, self.taken + queued)
        left = queued + (total - done) / per_row if per_row > 0 else queued
        return self.taken / max(1.0, self.taken + left)
