"""One monitor records into a session folder at a time.

Two monitors recording into one folder (`live --resume REC` while another records into REC, or two
`live F --record REC` at once) would both record every reading. The first takes an exclusive lock
on `REC/.lock` (flock: the kernel releases it when the process ends, even by SIGKILL, so a crash
never leaves a stale lock) and writes its process id into it; the second is refused, naming it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from monitor.core.text import printable
from monitor.recording.files import SessionError
from monitor.recording.private import make_folders, private_folder

LOCK_FILE = ".lock"


class FolderLock:
    """Held from `acquire()` until `release()` or the end of the process."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._fd: int | None = None
        self._made: list[Path] = []  # folders made for the lock, removed again if left empty

    def acquire(self) -> FolderLock:
        """Take the lock, making the folder (owner-only) if needed; SessionError if another
        monitor holds it."""
        try:
            self._made = make_folders(self.folder)
            private_folder(self.folder)  # a link is refused, its target never touched
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise SessionError(f"cannot record in '{printable(self.folder)}': {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _holder(fd)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise SessionError(f"cannot lock '{printable(self.folder)}': {exc.strerror or exc}") from exc
            raise SessionError(
                f"'{printable(self.folder)}' is being recorded by another monitor ({holder}); "
                "stop that one first, or record into another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Let go, and remove what was made for the lock if nothing was recorded in it."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if [p.name for p in self.folder.iterdir()] == [LOCK_FILE]:
                (self.folder / LOCK_FILE).unlink()
                for made in reversed(self._made):
                    made.rmdir()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        # A lock no one holds a reference to is let go (flock would keep it until the process ends).
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> str:
    """The other monitor, as its lock file names it."""
    try:
        pid = int(os.pread(fd, 32, 0).split()[0])
    except (OSError, ValueError, IndexError):
        return "its process id is not known"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    return f"process {pid}" + (f": {printable(cmd[:120])}" if cmd else "")
