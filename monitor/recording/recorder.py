"""The recorder: appends readings and events to a session folder as they happen.

Files are appended to and flushed as written, owner-read/write only (health data), never through a
symbolic link (monitor.recording.private), and each record is written whole or not at all (see
`SessionRecorder._write`). `session.json` is written whole, atomically, so a full disk leaves it
missing (and the next try writes it), never empty.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import uuid
from pathlib import Path

from monitor import __version__
from monitor.core.alarm_types import AlarmEvent
from monitor.core.readings import Reading, ReadingColumns
from monitor.core.thresholds import Thresholds
from monitor.core.vitals import VITALS
from monitor.recording.files import (
    EVENTS,
    FORMAT_VERSION,
    HEADER,
    META,
    READINGS,
    SessionError,
    format_time,
    format_times,
)
from monitor.recording.loader import read_meta
from monitor.recording.private import check_private, open_append, private_folder, write_whole


def _open_private(path: Path):
    """Open for appending (and reading back), owner-read/write only, never through a link."""
    return os.fdopen(open_append(path), "a", encoding="utf-8", newline="")


class SessionRecorder:
    """Appends readings and events to a session folder as they happen."""

    def __init__(
        self,
        folder: str | Path,
        *,
        label: str = "",
        source: str = "",
        simulated: bool = False,
        thresholds: Thresholds | None = None,
        absolute: bool = True,
        start: float | None = None,
        extra: dict | None = None,
    ):
        self.folder = Path(folder)
        self.absolute = absolute
        self._cut: dict[int, int] = {}  # fd -> size to cut back to before the next write
        opened = []
        try:
            # Folders created on the way (e.g. sessions/, whose entries are named after the
            # labels) are owner-only too; a session folder that is a link is refused.
            private_folder(self.folder)
            meta = self._existing_meta()
            self.resumed = meta is not None
            if meta is None:
                meta = {
                    "format_version": FORMAT_VERSION,
                    "id": uuid.uuid4().hex[:12],
                    "label": label,
                    "start": format_time(start, absolute) if start is not None else None,
                    "time": "absolute" if absolute else "relative",
                    "source": source,
                    "simulated": simulated,
                    "thresholds": thresholds.to_dict() if thresholds else None,
                    "software_version": __version__,
                    **(extra or {}),
                }
                write_whole(self.folder / META, json.dumps(meta, indent=2).encode("utf-8"))
            self.meta = meta
            self._readings = _open_private(self.folder / READINGS)
            opened.append(self._readings)
            if os.fstat(self._readings.fileno()).st_size == 0:
                self._write(self._readings, HEADER)
            else:
                _drop_cut_line(self._readings)
            self._events = _open_private(self.folder / EVENTS)
            opened.append(self._events)
            _ensure_newline(self._events)
        except (OSError, SessionError) as exc:
            for f in opened:  # a retry opens them again
                with contextlib.suppress(OSError):
                    f.close()
            if isinstance(exc, SessionError):
                raise
            raise SessionError(f"cannot record in '{self.folder}': {exc.strerror or exc}") from exc

    def _existing_meta(self) -> dict | None:
        """The session.json found in the folder (resuming), or None when there is none yet.

        An empty or cut-short one (left by a version that wrote it in place when the disk was
        full) in a folder that holds no records yet is as good as none: it is written anew."""
        path = self.folder / META
        if not os.path.lexists(path):
            return None
        check_private(path)
        try:
            return read_meta(path)
        except SessionError as exc:
            if _holds_records(self.folder):
                held = "the folder holds readings already: nothing more is recorded into it"
                raise SessionError(f"{exc}; {held}") from None
            return None

    def reading(self, r: Reading) -> None:
        self._write(self._readings, csv_line(r, self.absolute))

    def readings(self, rs: list[Reading] | ReadingColumns) -> None:
        if isinstance(rs, ReadingColumns):
            if rs:
                self._write(self._readings, csv_lines(rs, self.absolute))
            return
        if rs:
            self._write(self._readings, "".join([csv_line(r, self.absolute) for r in rs]))

    def event(self, t: float, kind: str, **data) -> dict:
        rec = {"t": format_time(t, self.absolute), "kind": kind, **data}
        line = json.dumps(rec, ensure_ascii=False)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # e.g. a lone surrogate from undecodable bytes: escape it
                line = json.dumps(rec)
        self._write(self._events, line + "\n")
        return rec

    def alarm(self, e: AlarmEvent) -> None:
        d = e.to_dict()
        t = d.pop("t")
        self.event(t, "alarm", **d)

    def _write(self, f, text: str) -> None:
        """Append one record whole, or not at all.

        A full or read-only disk can fail a write half-way. A buffered file would keep the unwritten
        rest and write it again with the next record, after the caller had already retried it
        (a record twice), and leave a cut line on disk. So the bytes go straight to the file, and
        a failed write is cut back to where the record began (now, or before the next write if
        the disk refuses even that), so the caller's retry writes it once, whole."""
        data = text.encode("utf-8")
        raw = f.buffer.raw
        fd = raw.fileno()
        cut = self._cut.get(fd)
        try:
            f.flush()  # nothing is left in the text layer's buffers; written with the header only
            if cut is not None:
                os.ftruncate(fd, cut)
                del self._cut[fd]
            start = os.fstat(fd).st_size
        except OSError as exc:
            raise SessionError(f"cannot write to '{self.folder}': {exc.strerror or exc}") from exc
        done = 0
        try:
            while done < len(data):
                n = raw.write(data[done:])
                if not n:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                done += n
        except OSError as exc:
            if done:
                try:
                    os.ftruncate(fd, start)
                except OSError:
                    self._cut[fd] = start
            raise SessionError(f"cannot write to '{self.folder}': {exc.strerror or exc}") from exc

    def close(self) -> None:
        for f in (self._readings, self._events):
            with contextlib.suppress(OSError):
                f.close()


def _holds_records(folder: Path) -> bool:
    """The folder holds a reading (more than the header) or an event."""
    sizes = []
    for name in (READINGS, EVENTS):
        try:
            sizes.append(os.lstat(folder / name).st_size)
        except OSError:
            sizes.append(0)
    return sizes[0] > len(HEADER.encode("utf-8")) or sizes[1] > 0


def _drop_cut_line(f) -> None:
    """After a crash the last reading may be cut short: remove it (loading skipped it too, so
    the feed delivers it again and it is recorded whole). Read and cut through the file already
    opened, never by its name again."""
    fd = f.fileno()
    try:
        size = os.fstat(fd).st_size
        back = min(size, 4096)
        while back:
            tail = os.pread(fd, back, size - back)
            if tail.endswith(b"\n"):
                return
            nl = tail.rfind(b"\n")
            if nl >= 0:
                os.ftruncate(fd, size - back + nl + 1)
                return
            if back == size:
                return  # not even a whole header: leave it
            back = min(size, back * 2)
    except OSError:
        pass


def _ensure_newline(f) -> None:
    """After a crash the last line may be cut short: end it so new lines start clean."""
    fd = f.fileno()
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            f.write("\n")
            f.flush()
    except OSError:
        pass


def csv_line(r: Reading, absolute: bool) -> str:
    """One row of readings.csv."""
    return f"{format_time(r.t, absolute)}," + ",".join("" if v != v else f"{v:g}" for v in r.values()) + "\n"


def csv_lines(rs: ReadingColumns, absolute: bool) -> str:
    """Rows of readings.csv for a batch of columns: the lines of `csv_line`, a column at a time."""
    cells = [format_times(rs.t.tolist(), absolute)]
    empty = [""] * len(rs)
    # A vital takes few distinct values (HR 40-200 in whole beats): each is formatted once. Not
    # zero, whose key would also be -0.0's, which %g writes as "-0".
    text: dict[float, str] = {}

    def fmt(x: float) -> str:
        s = text[x] = f"{x:g}"
        return s

    for v in VITALS:
        c = rs.columns.get(v)
        cells.append(empty if c is None else ["" if x != x else (x and text.get(x)) or fmt(x) for x in c.tolist()])
    return "".join([",".join(row) + "\n" for row in zip(*cells, strict=True)])
