"""A CSV that a device bridge is still writing: follow it with a saved offset.

`CsvFollower(path).poll()` reads what was appended since the last call and returns it parsed,
with the same rules as a whole-file load (`monitor.sources.csv`: `headers.resolve_header` and
`lines.parse_batch`). It has no thread and no loop of its own: the caller polls it on a timer
(the app does so four times a second). When nothing changed, a poll is one `os.stat`.

What it copes with:

* partial lines: only complete lines (ending in LF, CRLF or a CR alone, as the whole-file reader
  splits them) are parsed; a half-written `...,7` stays unread until its line end arrives, so it
  can never become HR 7; a CRLF whose LF comes with a later poll is one line end;
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

import contextlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from monitor.core.readings import ReadingColumns
from monitor.recording.files import session_paths
from monitor.sources.csv.bounds import MAX_LINE_BYTES
from monitor.sources.csv.errors import CsvError, RejectedLine
from monitor.sources.csv.headers import HEADER_SEARCH_LINES, HeaderMap, resolve_header
from monitor.sources.csv.lines import parse_batch
from monitor.sources.csv.merge import sort_and_merge
from monitor.sources.feed import CLOCK_STEP_S, FeedStatus, FeedUpdate

__all__ = ["CsvFollower", "FileFeed", "FollowBatch", "FollowEvent"]

_MAX_READ = 8 * 1024 * 1024  # bytes per poll: a huge backlog is read over several polls
BACKLOG_READ = 64 * 1024  # a followed file's bytes per poll in `live`: parsed in about 20 ms
FIRST_READ = 16 * 1024  # the first poll's, as the app starts: its first frame waits for it
_TAIL_CHECK = 64  # bytes before the saved offset compared to detect a rewritten file
_LINE_END = re.compile(rb"\r\n|\r|\n")
_TEXT_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class FollowEvent:
    """Something that happened to the followed file.

    kind: "opened" | "waiting" | "lost" | "restored" | "rotated" | "truncated" | "header" |
    "error" | "recovered".
    """

    kind: str
    message: str


@dataclass
class FollowBatch:
    times: np.ndarray  # sorted, unique, float seconds (on each side of a step back of the device clock)
    columns: dict[str, np.ndarray]  # vital -> values (NaN = not measured)
    rejected: list[RejectedLine] = field(default_factory=list)
    events: list[FollowEvent] = field(default_factory=list)
    time_kind: str | None = None  # "absolute" | "relative" | None (no row yet)
    reopened: bool = False  # rows may repeat ones delivered before (a new or rewritten file)

    def __len__(self) -> int:
        return len(self.times)


class CsvFollower:
    """Follows one CSV path; see the module docstring."""

    def __init__(
        self,
        path: str | os.PathLike,
        column_map: dict[str, str] | None = None,
        assume_tz: str = "UTC",
        max_read: int = _MAX_READ,
    ):
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
        self.size = 0  # of the file, at the last poll
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self._offset = 0
        self._tail = b""  # the bytes just before the offset, to spot a rewritten file
        self._after_cr = False  # the last read ended on a CR: an LF next belongs to it
        self._error: str | None = None
        self._preamble = 0  # non-blank lines seen before the header
        self._fresh = False  # reading a file from its top again after a reset
        self._reopened = False  # this batch holds rows of such a file
        self._opened_once = False
        self._events: list[FollowEvent] = []
        self._times: list[np.ndarray] = []
        self._cols: list[dict[str, np.ndarray]] = []
        self._rejected: list[RejectedLine] = []

    # -- public --------------------------------------------------------------------------------

    def poll(self) -> FollowBatch:
        """Read and parse whatever complete lines were appended since the last poll."""
        self._events = []
        self._times = []
        self._cols = []
        self._rejected = []
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._gone()
            return self._finish()
        except OSError as exc:
            self._fail(f"cannot look at '{self.path}': {exc.strerror or exc}")
            return self._finish()
        if not stat.S_ISREG(st.st_mode):
            self._fail(
                f"'{self.path}' is a directory, not a CSV file"
                if stat.S_ISDIR(st.st_mode)
                else f"'{self.path}' is not a regular file"
            )
            return self._finish()
        if self._fd is not None and (st.st_dev, st.st_ino) != self._ino:
            # Rotation: a new file at the same path. Finish the old one first.
            self._drain()
            self._close()
            self._events.append(
                FollowEvent("rotated", f"{self.name} was replaced by a new file; reading the new one from its start")
            )
            self._reset()
        if self._fd is None:
            fd = self._open()
            if fd is None:
                return self._finish()
            try:
                st = os.fstat(fd)
            except OSError:
                return self._finish()
        size = self.size = st.st_size
        if size < self._offset or (size > self._offset and not self._tail_matches()):
            self._events.append(
                FollowEvent("truncated", f"{self.name} was truncated or rewritten; reading it again from its start")
            )
            self._reset()
        if size > self._offset:
            self._read(size)
        return self._finish()

    def close(self) -> None:
        self._close()

    @property
    def offset(self) -> int:
        """Bytes of the current file consumed (complete lines only)."""
        return self._offset

    # -- file handling -------------------------------------------------------------------------

    def _open(self) -> int | None:
        """The file's new descriptor, or None (and the reason said) if it cannot be opened."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._gone()
            return None
        except OSError as exc:
            self._fail(f"cannot read '{self.path}': {exc.strerror or exc}")
            return None
        st = os.fstat(fd)
        self._fd, self._ino = fd, (st.st_dev, st.st_ino)
        before = self.state
        if before == "lost":
            self._events.append(FollowEvent("restored", f"{self.name} is back; reading it from its start"))
        elif before == "waiting":
            self._events.append(FollowEvent("opened", f"{self.name} appeared; following it"))
        elif before == "error":
            self._events.append(FollowEvent("recovered", f"{self.name} can be read again"))
        elif not self._opened_once:
            self._events.append(FollowEvent("opened", f"following {self.path}"))
        self._opened_once = True
        self.state = "ok"
        self._error = None
        return fd

    def _gone(self) -> None:
        if self._fd is not None:
            self._drain()  # lines written before it was removed still count
            self._close()
        if self.state == "ok":
            self._events.append(FollowEvent("lost", f"{self.name} has vanished; waiting for it to come back"))
            self.state = "lost"
            self._reset()
        elif self.state == "starting":
            self._events.append(FollowEvent("waiting", f"{self.path} does not exist yet; waiting for it"))
            self.state = "waiting"
        elif self.state == "error":
            self._events.append(FollowEvent("lost", f"{self.name} has vanished; waiting for it to come back"))
            self.state = "lost"
            self._error = None

    def _fail(self, message: str) -> None:
        if self._fd is not None:
            self._close()
            self._reset()
        if self._error != message:
            self._events.append(FollowEvent("error", message))
        self._error = message
        self.state = "error"

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        self._ino = None

    def _reset(self) -> None:
        """Start over at the top of a (new or rewritten) file: its rows may repeat old ones."""
        self._offset = 0
        self._tail = b""
        self._after_cr = False
        self.lines_read = 0
        self.header = None
        self._preamble = 0
        self._fresh = True

    def _tail_matches(self) -> bool:
        if not self._tail:
            return True
        if self._fd is None:
            return False
        try:
            got = os.pread(self._fd, len(self._tail), self._offset - len(self._tail))
        except OSError:
            return False
        return got == self._tail

    def _read(self, size: int) -> None:
        if self._fd is None:
            return
        want = min(size - self._offset, self.max_read)
        try:
            data = os.pread(self._fd, want, self._offset)
        except OSError as exc:
            self._fail(f"cannot read '{self.path}': {exc.strerror or exc}")
            return
        if self._after_cr and data.startswith(b"\n"):
            # The LF of a CRLF whose CR ended the last read: that line has ended already.
            self._offset += 1
            self._tail = (self._tail + b"\n")[-_TAIL_CHECK:]
            data = data[1:]
        self._after_cr = False
        if not data:
            return
        # The whole-file reader's line ends (monitor.sources.csv.decode): LF, CRLF and CR alone.
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0 and len(data) >= self.max_read and self.max_read < MAX_LINE_BYTES + 2:
            # One line longer than a poll's read: read on to where the whole-file reader's bound
            # on a line ends, so both readers take or reject the same lines.
            try:
                more = os.pread(self._fd, MAX_LINE_BYTES + 2 - len(data), self._offset + len(data))
            except OSError:
                more = b""
            ends = [i for i in (more.find(b"\n"), more.find(b"\r")) if i >= 0]
            cut = min(ends) if ends else -1
            if cut >= 0:
                data += more[: cut + 1]
                end = len(data) - 1
            elif len(data) + len(more) < MAX_LINE_BYTES + 2:
                return  # a long line still being written: wait for its line end
            else:
                data += more
        if end < 0:
            if len(data) < max(self.max_read, MAX_LINE_BYTES + 2):
                return  # only a partial line so far: wait for its line end
            end = len(data) - 1  # a "line" longer than any line may be: let the parser say so
        complete = data[: end + 1]
        self._after_cr = complete.endswith(b"\r")
        first = self.lines_read + 1
        self._offset += len(complete)
        self.lines_read += len(_LINE_END.findall(complete))
        self._tail = (self._tail + complete)[-_TAIL_CHECK:]
        self._consume(complete, first)

    def _drain(self) -> None:
        """Read the complete lines left in the open (old) file."""
        if self._fd is None:
            return
        try:
            size = os.fstat(self._fd).st_size
        except OSError:
            return
        while size > self._offset and self._fd is not None:
            before = self._offset
            self._read(size)
            if self._offset == before:
                break

    # -- parsing -------------------------------------------------------------------------------

    def _consume(self, data: bytes, first: int) -> None:
        """Parse complete lines now, with the header in force for this file."""
        text = data.decode("utf-8", errors="replace")
        if first == 1 and text.startswith("\ufeff"):
            text = text[1:]
        lines = _TEXT_LINE_END.split(text)
        if lines and lines[-1] == "":
            lines.pop()
        i, n = 0, len(lines)
        while i < n and self.header is None:
            line = lines[i]
            if line.strip():
                try:
                    self.header = resolve_header(line, self.column_map, source=self.name)
                    if self._preamble:
                        self._events.append(
                            FollowEvent(
                                "header", f"{self._preamble} line(s) before the header of {self.name} were skipped"
                            )
                        )
                except CsvError as exc:
                    self._preamble += 1
                    if self._preamble == HEADER_SEARCH_LINES:
                        self._fail(
                            f"{self.name} has no header line naming a time and a vital "
                            f"column in its first {HEADER_SEARCH_LINES} lines ({exc})"
                        )
                        return
            i += 1
        if self.header is not None and i < n:
            self._parse_body(lines[i:], first + i)

    def _parse_body(self, lines: list[str], first: int) -> None:
        header = self.header
        assert header is not None
        b = parse_batch(lines, header, first, self.assume_tz, self.time_kind)
        # A header line in the middle (a restarted bridge, a changed column set) is rejected as
        # data: look for one among the rejected lines only, so clean data costs nothing here.
        for rej in b.rejected:
            k = rej.line - first
            try:
                new = resolve_header(lines[k], self.column_map, source=self.name)
            except CsvError:
                continue
            keep = b.line_nos < rej.line
            self._collect(b.times[keep], {v: c[keep] for v, c in b.columns.items()}, b.time_kind)
            self._rejected.extend(r for r in b.rejected if r.line < rej.line)
            if new.names != header.names:
                self._events.append(
                    FollowEvent(
                        "header",
                        f"{self.name} line {rej.line}: new header ({', '.join(new.names)}); reading on with it",
                    )
                )
            self.header = new
            if k + 1 < len(lines):
                self._parse_body(lines[k + 1 :], rej.line + 1)
            return
        self._rejected.extend(b.rejected)
        self._collect(b.times, b.columns, b.time_kind)

    def _collect(self, t: np.ndarray, columns: dict[str, np.ndarray], kind: str | None) -> None:
        if not len(t):
            return
        if self.time_kind is None and kind is not None:
            self.time_kind = kind
        if self._fresh:
            self._reopened = True
        self._times.append(t)
        self._cols.append(columns)

    def _finish(self) -> FollowBatch:
        out = FollowBatch(np.empty(0), {}, self._rejected, self._events, self.time_kind)
        if self._times:
            t = np.concatenate(self._times)
            names = sorted({v for c in self._cols for v in c})
            merged = {
                v: np.concatenate(
                    [c.get(v, np.full(len(tt), np.nan)) for c, tt in zip(self._cols, self._times, strict=True)]
                )
                for v in names
            }
            out.times, out.columns = _sort_each_clock_run(t, merged, names)
            out.time_kind = self.time_kind
            self.rows += len(out.times)
            out.reopened = self._reopened
        if self._reopened:
            self._fresh = self._reopened = False
        self._times, self._cols = [], []
        return out


def _sort_each_clock_run(t: np.ndarray, columns: dict[str, np.ndarray], names: list[str]):
    """Rows sorted and merged by time, except across a step back of the device clock (more than
    CLOCK_STEP_S): the rows after it stay after the rows before it, as written, so the session
    sees the step (a sort would slip them in among readings an hour old)."""
    steps = np.flatnonzero(t[1:] < t[:-1] - CLOCK_STEP_S) + 1 if len(t) > 1 else np.empty(0, int)
    if not len(steps):
        m = sort_and_merge(t, columns)
        return m.times, m.columns
    parts = [
        sort_and_merge(t[a:b], {v: c[a:b] for v, c in columns.items()})
        for a, b in zip(np.r_[0, steps], np.r_[steps, len(t)], strict=True)
    ]
    return np.concatenate([m.times for m in parts]), {v: np.concatenate([m.columns[v] for m in parts]) for v in names}


class FileFeed:
    """A CSV a device bridge is still writing (monitor.sources.follow.CsvFollower) as a feed.

    The mode is LIVE, unless the CSV has a side file `X.session.json` saying it is simulated
    (what `vitals-monitor simulate --stream --out X.csv` writes): then it is SIMULATED.
    """

    # A bridge may write a line a little after its time stamp, or hold lines and write them in
    # bursts: the session learns how late they come (EventClock) starting from this.
    lag_s = 5.0
    records = True
    splits_rows = True

    def __init__(self, path: str | os.PathLike, column_map: dict[str, str] | None = None, assume_tz: str = "UTC"):
        self.path = Path(path)
        self.column_map = dict(column_map) if column_map else None
        # A backlog is read 64 KB a poll and taken in slices by the session
        # (monitor.session.backlog), so the screen stays live while it loads: the first slice of
        # a read is taken in the same poll as the read, and 128 KB alone took 36 ms to parse,
        # up to 70 ms on a busy machine. A read holds more rows than a slice, so that every
        # one is sliced, and so timed; but the first, 16 KB, is taken whole: it comes as the
        # app starts, and with its slice it held up the first frame by 50-70 ms.
        self.follower = CsvFollower(self.path, column_map=column_map, assume_tz=assume_tz, max_read=FIRST_READ)
        self.source = str(self.path.resolve())
        self.label = self.path.stem
        self.simulated = False
        self._check_side_file()

    @property
    def mode(self) -> str:
        return "SIMULATED" if self.simulated else "LIVE"

    def _check_side_file(self) -> None:
        from monitor.recording import SessionError
        from monitor.recording.loader import read_meta

        _, side, _ = session_paths(self.path)
        try:
            meta = read_meta(side)
        except SessionError:
            return  # none, or unreadable: a plain device file
        if meta.get("simulated"):
            self.simulated = True  # once simulated, always labelled so

    def poll(self, now: float) -> FeedUpdate:
        try:
            b = self.follower.poll()
            if self.follower.max_read == FIRST_READ and self.follower.offset:
                self.follower.max_read = BACKLOG_READ
        except Exception as exc:  # a feed reports, never raises (see Feed)
            return FeedUpdate(
                status=[
                    FeedStatus(
                        "error", f"error while reading {self.path.name} ({type(exc).__name__}: {exc}); still trying"
                    )
                ]
            )
        out = FeedUpdate(rejected=b.rejected, reopened=b.reopened)
        for e in b.events:
            if e.kind in ("lost", "waiting"):
                out.status.append(FeedStatus(e.kind, e.message))
            elif e.kind == "error":
                out.status.append(FeedStatus("error", e.message))
            elif e.kind in ("opened", "restored", "recovered"):
                self._check_side_file()
                out.status.append(FeedStatus(e.kind, e.message))
            else:
                out.status.append(FeedStatus("info", e.message))
        if len(b.times):
            out.readings = ReadingColumns(b.times, b.columns)  # columns, not a Reading per row
        return out

    def clock(self, now: float) -> None:
        return None

    def unread(self) -> tuple[int, int] | None:
        """(bytes read, bytes in all) while more than FIRST_READ is left to read: far more than a
        device writes between two polls, and not a whole read, as a last read of a backlog that
        the session takes in slices would show the backlog loaded, then loading again."""
        f = self.follower
        if f.size - f.offset <= FIRST_READ:
            return None
        return f.offset, f.size

    def absolute(self) -> bool | None:
        kind = self.follower.time_kind
        return None if kind is None else kind == "absolute"

    def meta(self) -> dict:
        """What session.json keeps so that a resume reads the file the same way."""
        out: dict = {"follow": self.source}
        if self.column_map:
            out["column_map"] = dict(self.column_map)
        return out

    def close(self) -> None:
        self.follower.close()
