"""A CSV that a device bridge is still writing: follow it with a saved offset.

`CsvFollower(path).poll()` reads what was appended since the last call and returns it parsed,
with the same rules as a whole-file load (`monitor.sources.csvfile`: `resolve_header` and
`parse_batch`). It has no thread and no loop of its own: the caller polls it on a timer (the app
does so four times a second). When nothing changed, a poll is one `os.stat`.

What it copes with:

* partial lines: only complete lines (ending in a newline) are parsed; a half-written `...,7`
  stays unread until its newline arrives, so it can never become HR 7;
* truncation (the file got shorter, or was rewritten so the bytes before the saved offset are no
  longer the line we read there): read again from the top, header included;
* rotation (a new file at the same path, i.e. a new inode): the rest of the old file is read from
  the handle still open on it, then the new file from its top;
* a changed header, in a new file or in the middle of the same one (a bridge that restarts and
  writes a new header line): later lines are read with the new header;
* a vanished file: reported once (`FollowEvent("lost")`), polled for until it is back
  (`"restored"`); the caller raises a technical alarm meanwhile;
* a file that does not exist yet: `"waiting"` until it appears;
* unreadable files (permission, a directory, binary data, no header): `"error"` with one
  sentence, and the follower keeps trying.

Times are what the file says (epoch seconds UTC for absolute times, seconds since the start for
relative ones); once a file has shown its kind, rows of the other kind are rejected. Rows come
back sorted and merged per batch (`sort_and_merge`); keeping batches in order across polls is the
caller's job (a rotated file may repeat old rows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from monitor.sources.csvfile import (
    CsvError,
    HeaderMap,
    RejectedLine,
    parse_batch,
    resolve_header,
    sort_and_merge,
)

__all__ = ["CsvFollower", "FollowBatch", "FollowEvent"]

_MAX_READ = 8 * 1024 * 1024  # bytes per poll: a huge backlog is read over several polls
_HEADER_SEARCH_LINES = 20  # non-blank lines that may come before the header (a device preamble)
_TAIL_CHECK = 64  # bytes before the saved offset compared to detect a rewritten file


@dataclass(frozen=True)
class FollowEvent:
    """Something that happened to the followed file.

    kind: "opened" | "waiting" | "lost" | "restored" | "rotated" | "truncated" | "header" |
    "error" | "recovered" | "partial".
    """

    kind: str
    message: str


@dataclass
class FollowBatch:
    times: np.ndarray  # sorted, unique, float seconds
    columns: dict[str, np.ndarray]  # vital -> values (NaN = not measured)
    rejected: list[RejectedLine] = field(default_factory=list)
    events: list[FollowEvent] = field(default_factory=list)
    time_kind: str | None = None  # "absolute" | "relative" | None (no row yet)
    reopened: bool = False  # rows may repeat ones delivered before (a new or rewritten file)

    def __len__(self) -> int:
        return len(self.times)


def _empty_batch() -> FollowBatch:
    return FollowBatch(np.empty(0), {})


class CsvFollower:
    """Follows one CSV path; see the module docstring."""

    def __init__(self, path: str | os.PathLike, column_map: dict[str, str] | None = None,
                 assume_tz: str = "UTC", max_read: int = _MAX_READ):
        self.path = os.fspath(path)
        self.name = os.path.basename(self.path) or self.path
        self.column_map = column_map
        self.assume_tz = assume_tz
        self.max_read = max_read
        self.header: HeaderMap | None = None
        self.time_kind: str | None = None
        self.state = "starting"  # starting | waiting | ok | lost | error
        self.lines_read = 0  # physical lines consumed in the current file (header included)
        self.rows = 0  # rows delivered in all
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self._offset = 0
        self._tail = b""  # the bytes just before the offset, to spot a rewritten file
        self._error: str | None = None
        self._preamble = 0  # non-blank lines seen before the header
        self._reopened = False
        self._partial_since_size: int | None = None

    # -- public --------------------------------------------------------------------------------

    def poll(self) -> FollowBatch:
        """Read and parse whatever complete lines were appended since the last poll."""
        events: list[FollowEvent] = []
        chunks: list[tuple[bytes, int]] = []  # (complete lines, physical number of the first)
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._gone(events, chunks)
            return self._finish(chunks, events)
        except OSError as exc:
            self._fail(events, f"cannot look at '{self.path}': {exc.strerror or exc}")
            return self._finish(chunks, events)
        if not _is_regular(st):
            self._fail(events, f"'{self.path}' is a directory, not a CSV file" if _is_dir(st)
                       else f"'{self.path}' is not a regular file")
            return self._finish(chunks, events)
        ino = (st.st_dev, st.st_ino)
        if self._fd is not None and ino != self._ino:
            # Rotation: a new file at the same path. Finish the old one first.
            self._drain(chunks)
            self._close()
            events.append(FollowEvent("rotated", f"{self.name} was replaced by a new file; "
                                                 "reading the new one from its start"))
            self._reset(reopened=True)
        if self._fd is None:
            if not self._open(events, ino):
                return self._finish(chunks, events)
            st = os.fstat(self._fd)
        size = st.st_size
        if size < self._offset or (size > self._offset and not self._tail_matches()):
            events.append(FollowEvent("truncated", f"{self.name} was truncated or rewritten; "
                                                   "reading it again from its start"))
            self._reset(reopened=True)
        if size > self._offset:
            self._read(size, chunks)
        return self._finish(chunks, events)

    def close(self) -> None:
        self._close()

    @property
    def offset(self) -> int:
        return self._offset

    # -- file handling -------------------------------------------------------------------------

    def _open(self, events: list[FollowEvent], ino: tuple[int, int]) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._gone(events, [])
            return False
        except OSError as exc:
            self._fail(events, f"cannot read '{self.path}': {exc.strerror or exc}")
            return False
        st = os.fstat(fd)
        self._fd, self._ino = fd, (st.st_dev, st.st_ino)
        if self.state in ("lost", "waiting", "error") and self.state != "starting":
            if self.state == "lost":
                events.append(FollowEvent("restored", f"{self.name} is back; reading it from its start"))
                self._reopened = True
            elif self.state == "waiting":
                events.append(FollowEvent("opened", f"{self.name} appeared; following it"))
            else:
                events.append(FollowEvent("recovered", f"{self.name} can be read again"))
                self._reopened = True
        else:
            events.append(FollowEvent("opened", f"following {self.path}"))
        self.state = "ok"
        self._error = None
        return True

    def _gone(self, events: list[FollowEvent], chunks: list[tuple[bytes, int]]) -> None:
        if self._fd is not None:
            self._drain(chunks)  # lines written before it was removed still count
            self._close()
        if self.state == "ok":
            events.append(FollowEvent("lost", f"{self.name} has vanished; waiting for it to come back"))
            self.state = "lost"
            self._reset(reopened=True)
        elif self.state == "starting":
            events.append(FollowEvent("waiting", f"{self.path} does not exist yet; waiting for it"))
            self.state = "waiting"
        elif self.state == "error":
            self.state = "lost"
            self._error = None

    def _fail(self, events: list[FollowEvent], message: str) -> None:
        if self._fd is not None:
            self._close()
            self._reset(reopened=True)
        if self._error != message:
            events.append(FollowEvent("error", message))
        self._error = message
        self.state = "error"

    def _close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None
        self._ino = None

    def _reset(self, reopened: bool) -> None:
        self._offset = 0
        self._tail = b""
        self.lines_read = 0
        self.header = None
        self._preamble = 0
        self._partial_since_size = None
        self._reopened = self._reopened or reopened

    def _tail_matches(self) -> bool:
        if not self._tail:
            return True
        try:
            got = os.pread(self._fd, len(self._tail), self._offset - len(self._tail))
        except OSError:
            return False
        return got == self._tail

    def _read(self, size: int, chunks: list[tuple[bytes, int]]) -> None:
        want = min(size - self._offset, self.max_read)
        try:
            data = os.pread(self._fd, want, self._offset)
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) >= self.max_read:  # one line longer than max_read: not a CSV we can read
                end = len(data) - 1
            else:
                return  # only a partial line so far
        complete = data[: end + 1]
        chunks.append((complete, self.lines_read + 1))
        self._offset += len(complete)
        self.lines_read += complete.count(b"\n")
        self._tail = complete[-_TAIL_CHECK:] if len(complete) >= _TAIL_CHECK else \
            (self._tail + complete)[-_TAIL_CHECK:]

    def _drain(self, chunks: list[tuple[bytes, int]]) -> None:
        """Read the complete lines left in the open (old) file."""
        try:
            size = os.fstat(self._fd).st_size
        except OSError:
            return
        while size > self._offset:
            before = self._offset
            self._read(size, chunks)
            if self._offset == before:
                break

    # -- parsing -------------------------------------------------------------------------------

    def _finish(self, chunks: list[tuple[bytes, int]], events: list[FollowEvent]) -> FollowBatch:
        out = _empty_batch()
        out.events = events
        times: list[np.ndarray] = []
        cols: list[dict[str, np.ndarray]] = []
        for data, first in chunks:
            text = data.decode("utf-8", errors="replace")
            if first == 1 and text.startswith("\ufeff"):
                text = text[1:]
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            self._parse_lines(lines, first, times, cols, out)
        if times:
            t = np.concatenate(times)
            names = sorted({v for c in cols for v in c})
            merged_cols = {v: np.concatenate([c.get(v, np.full(len(tt), np.nan)) for c, tt in zip(cols, times)])
                           for v in names}
            m = sort_and_merge(t, merged_cols)
            out.times, out.columns = m.times, m.columns
            self.rows += len(m.times)
        out.time_kind = self.time_kind
        out.reopened = self._reopened and len(out.times) > 0
        if out.reopened:
            self._reopened = False
        return out

    def _parse_lines(self, lines: list[str], first: int, times: list, cols: list, out: FollowBatch) -> None:
        i = 0
        n = len(lines)
        while i < n and self.header is None:
            line = lines[i].rstrip("\r")
            if line.strip():
                try:
                    self.header = resolve_header(line, self.column_map, source=self.name)
                    if self._preamble:
                        out.events.append(FollowEvent("header", f"{self._preamble} line(s) before the "
                                                                f"header of {self.name} were skipped"))
                except CsvError as exc:
                    self._preamble += 1
                    if self._preamble >= _HEADER_SEARCH_LINES:
                        out.events.append(FollowEvent("error", f"{self.name} has no header line "
                                                               f"naming a time and a vital column ({exc})"))
                        self._preamble = 0
            i += 1
        if self.header is None or i >= n:
            return
        self._parse_body(lines[i:], first + i, times, cols, out)

    def _parse_body(self, lines: list[str], first: int, times: list, cols: list, out: FollowBatch) -> None:
        header = self.header
        assert header is not None
        b = parse_batch(lines, header, first, self.assume_tz, self.time_kind)
        # A line that is a header (a restarted bridge, a changed column set) is rejected as data:
        # look among the rejected lines only, so clean data costs nothing here.
        for rej in b.rejected:
            k = rej.line - first
            candidate = lines[k].rstrip("\r")
            try:
                new = resolve_header(candidate, self.column_map, source=self.name)
            except CsvError:
                continue
            keep = b.line_nos < rej.line
            self._collect(b.times[keep], {v: c[keep] for v, c in b.columns.items()}, b.time_kind,
                          times, cols)
            out.rejected.extend(r for r in b.rejected if r.line < rej.line)
            if new.names != header.names:
                out.events.append(FollowEvent("header", f"{self.name} line {rej.line}: new header "
                                                        f"({', '.join(new.names)}); reading on with it"))
            self.header = new
            self._parse_body(lines[k + 1:], rej.line + 1, times, cols, out)
            return
        out.rejected.extend(b.rejected)
        self._collect(b.times, b.columns, b.time_kind, times, cols)

    def _collect(self, t: np.ndarray, columns: dict[str, np.ndarray], kind: str | None,
                 times: list, cols: list) -> None:
        if self.time_kind is None and kind is not None and len(t):
            self.time_kind = kind
        if len(t):
            times.append(t)
            cols.append(columns)


def _is_regular(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISREG(st.st_mode)


def _is_dir(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISDIR(st.st_mode)
