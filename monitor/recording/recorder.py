"""The recorder: appends readings and events to a session folder as they happen.

Files are appended to and flushed as written, created owner-read/write only (health data), and
each record is written whole or not at all (see `SessionRecorder._write`).
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
from monitor.core.readings import Reading
from monitor.core.thresholds import Thresholds
from monitor.recording.files import EVENTS, FORMAT_VERSION, HEADER, META, READINGS, SessionError, format_time


def _open_private(path: Path, mode: str = "a"):
    """Open for appending, creating the file owner-read/write only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC), 0o600)
    return os.fdopen(fd, mode, encoding="utf-8", newline="")


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
        try:
            # Any folder created on the way (e.g. sessions/, whose entries are named after the
            # labels) is owner-only too; Path.mkdir(parents=True) would give parents the umask's mode.
            for parent in reversed([self.folder, *self.folder.parents]):
                if not parent.exists():
                    parent.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.folder, 0o700)
            meta_path = self.folder / META
            if meta_path.exists():
                self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
                self.resumed = True
            else:
                self.meta = {
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
                with _open_private(meta_path, "w") as f:
                    json.dump(self.meta, f, indent=2)
                self.resumed = False
            readings = self.folder / READINGS
            new = not readings.exists() or readings.stat().st_size == 0
            self._readings = _open_private(readings)
            if new:
                self._readings.write(HEADER)
                self._readings.flush()
            else:
                _drop_cut_line(readings)
            self._events = _open_private(self.folder / EVENTS)
            _ensure_newline(self.folder / EVENTS, self._events)
        except OSError as exc:
            raise SessionError(f"cannot record in '{self.folder}': {exc.strerror or exc}") from exc

    def reading(self, r: Reading) -> None:
        vals = ",".join("" if v != v else f"{v:g}" for v in r.values())
        self._write(self._readings, f"{format_time(r.t, self.absolute)},{vals}\n")

    def readings(self, rs: list[Reading]) -> None:
        if rs:
            lines = [
                f"{format_time(r.t, self.absolute)}," + ",".join("" if v != v else f"{v:g}" for v in r.values()) + "\n"
                for r in rs
            ]
            self._write(self._readings, "".join(lines))

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


def _drop_cut_line(path: Path) -> None:
    """After a crash the last reading may be cut short: remove it (loading skipped it too, so
    the feed delivers it again and it is recorded whole)."""
    try:
        with open(path, "rb+") as r:
            size = r.seek(0, os.SEEK_END)
            back = min(size, 4096)
            while back:
                r.seek(size - back)
                tail = r.read(back)
                if tail.endswith(b"\n"):
                    return
                nl = tail.rfind(b"\n")
                if nl >= 0:
                    r.truncate(size - back + nl + 1)
                    return
                if back == size:
                    return  # not even a whole header: leave it
                back = min(size, back * 2)
    except OSError:
        pass


def _ensure_newline(path: Path, f) -> None:
    """After a crash the last line may be cut short: end it so new lines start clean."""
    try:
        with open(path, "rb") as r:
            r.seek(0, os.SEEK_END)
            if r.tell() == 0:
                return
            r.seek(-1, os.SEEK_END)
            if r.read(1) != b"\n":
                f.write("\n")
                f.flush()
    except OSError:
        pass
