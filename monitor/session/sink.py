"""Where a session's records go: the recorder, a backlog while it cannot write, and monitor.log.

Nothing is dropped: every record is queued, and written in order as soon as the recording is open
and the disk takes it. Before the recording can open (a followed file whose clock is not known
yet), and while the disk refuses, records wait in memory; a failed write is retried every
`RETRY_S` seconds. The session raises and clears the technical alarm for it (`record.write`).

monitor.log gets what went wrong, one entry per line: text from files and options made printable
(an ESC sequence in a file name must not act on the terminal of whoever reads the log), and the
lines of a traceback indented under their entry, so nothing written into it can pass for an
entry of its own. It is opened as the recording's own files are (monitor.recording.private): a
link planted in its place is refused and the recording with it, with the alarm saying why.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from monitor.core.text import printable
from monitor.recording import LOG_FILE, SessionError, SessionRecorder
from monitor.recording.private import open_append

RETRY_S = 2.0


class RecordingSink:
    def __init__(
        self,
        folder: Path | None,
        enabled: bool,
        clock_wall: Callable[[], float],
        clock_mono: Callable[[], float],
        recorder_factory: Callable[..., SessionRecorder] = SessionRecorder,
    ):
        self.folder = folder
        self.enabled = enabled and folder is not None
        self._wall = clock_wall
        self._mono = clock_mono
        self._factory = recorder_factory
        self.recorder: SessionRecorder | None = None
        self.backlog: deque = deque()
        self.failed_at: float | None = None  # monotonic time of the last failure to open or write
        self.last_error: str | None = None  # why, while it lasts
        self._last_try = -math.inf
        self._log_fh: TextIO | None = None
        self._pending_log: list[str] = []

    # -- opening -------------------------------------------------------------------------------

    def can_try_open(self) -> bool:
        if self.recorder is not None or not self.enabled:
            return False
        return self.failed_at is None or self._mono() - self.failed_at >= RETRY_S

    def open(self, **meta) -> str | None:
        """Open the recording; None on success, else the sentence saying why not (retried later)."""
        try:
            self.recorder = self._factory(self.folder, **meta)
            self._open_log()
        except SessionError as exc:
            if self.recorder is not None:
                self.recorder.close()
                self.recorder = None
            self.failed_at = self._mono()
            self.last_error = str(exc)
            return self.last_error
        self.failed_at = None
        return None

    # -- records -------------------------------------------------------------------------------

    def put(self, method: str, *args, first: bool = False, **kw) -> None:
        """Queue a record (`first`: ahead of everything held, e.g. the session's start)."""
        if not self.enabled:
            return
        if first:
            self.backlog.appendleft((method, args, kw))
        else:
            self.backlog.append((method, args, kw))

    def due(self) -> bool:
        """Records wait and it is time to write them (now, or a retry after a failure)."""
        if not self.backlog or self.recorder is None:
            return False
        return self.failed_at is None or self._mono() - self._last_try >= RETRY_S

    def flush(self) -> str | None:
        """Write what is held, in order; None when all is written, else why it stopped."""
        self._last_try = self._mono()
        if self.recorder is None:
            return None
        while self.backlog:
            method, args, kw = self.backlog[0]
            try:
                getattr(self.recorder, method)(*args, **kw)
            except SessionError as exc:
                self.failed_at = self._mono()
                self.last_error = str(exc)
                return self.last_error
            self.backlog.popleft()
        self.failed_at = None
        self.last_error = None
        return None

    # -- monitor.log ---------------------------------------------------------------------------

    def log_line(self, text: str) -> None:
        stamp = datetime.fromtimestamp(self._wall()).isoformat(timespec="seconds")
        line = f"{stamp} " + "\n    ".join(printable(part) for part in str(text).rstrip("\n").split("\n"))
        if self._log_fh is None:
            if self.enabled:
                self._pending_log.append(line)
            return
        self._write_log(line)

    def _open_log(self) -> None:
        """Open monitor.log; SessionError when a link or something else than a file is in its
        place. Any other failure leaves the session without a log (the recorder's own writes
        raise the alarm for a failing disk)."""
        if self.folder is None:
            return
        try:
            fd = open_append(Path(self.folder) / LOG_FILE)
        except OSError:
            self._log_fh = None
            return
        self._log_fh = os.fdopen(fd, "a", encoding="utf-8")
        for line in self._pending_log:
            self._write_log(line)
        self._pending_log = []

    def _write_log(self, line: str) -> None:
        if self._log_fh is None:
            return
        try:
            self._log_fh.write(line + "\n")
            self._log_fh.flush()
        except OSError:
            pass  # the recorder's own writes raise the alarm for a failing disk

    def held(self) -> tuple[int, int]:
        """(readings, other records) waiting to be written."""
        readings = 0
        for method, args, _ in self.backlog:
            if method == "readings":
                readings += len(args[0])
            elif method == "reading":
                readings += 1
        others = sum(1 for method, _, _ in self.backlog if method not in ("readings", "reading"))
        return readings, others

    def move_to(self, folder: Path) -> None:
        """Go on recording into another folder, which holds a copy of this one's files
        (monitor.recording.copy): the recorder and monitor.log are closed here, and the next
        `open()` opens them there. What is held is written there."""
        self.close()
        self.recorder = None
        self.folder = folder
        self.failed_at = None

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        if self._log_fh is not None:
            with contextlib.suppress(OSError):
                self._log_fh.close()
            self._log_fh = None
