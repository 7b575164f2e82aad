"""Health data on disk: folders and files made owner-only, opened never through a link.

Everything the program creates is owner-only (folders 0700, files 0600) whatever the umask, and a
file it finds looser is made so when it opens it. It never writes through a symbolic link or into
anything but a regular file: a link planted in a session folder (or a session folder that is
itself a link) would send health data to a file of the planter's choosing, and a chmod through it
would change the target's mode. `O_NOFOLLOW` refuses a link at the moment of opening (no window
between a check and the open), and `fstat` on what was opened says what it is.

A file written whole (session.json, a report) goes to a temporary file beside it and is renamed
into place once on disk, so a crash or a full disk leaves the old file or the new one, never a cut
one. The temporary file's name carries the writer's process id: the next writer of the same file
removes those of writers that died (killed while writing), and leaves a live writer's alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from monitor.recording.files import SessionError

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_SAFE = os.O_NOFOLLOW | os.O_CLOEXEC
TEMP_SUFFIX = ".tmp"


def _link(path: Path) -> str:
    return f"'{path}' is a symbolic link: health data is never written through a link"


def _not_regular(path: Path) -> str:
    return f"'{path}' is not a regular file: health data is written only to regular files"


def make_folders(folder: Path) -> list[Path]:
    """Create `folder` and every missing folder above it, each 0700; folders that exist are left
    as they are (they are the user's). Returns the folders made, outermost first."""
    missing = []
    p = Path(folder)
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    made = []
    for p in reversed(missing):
        try:
            os.mkdir(p, FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs, like any folder that exists
        made.append(p)
        _fix_folder_mode(p)  # (a umask stricter than 077 would leave it 0500: unusable)
    return made


def _fix_folder_mode(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _SAFE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != FOLDER_MODE:
            os.fchmod(fd, FOLDER_MODE)
    finally:
        os.close(fd)


def private_folder(folder: Path) -> None:
    """The folder a session is recorded into: created if missing, made 0700; a symbolic link is
    refused (SessionError), its target is never touched."""
    folder = Path(folder)
    make_folders(folder)
    if folder.is_symlink():
        raise SessionError(f"'{folder}' is a symbolic link: a session is recorded only into a real folder")
    try:
        _fix_folder_mode(folder)
    except NotADirectoryError:
        # (O_NOFOLLOW | O_DIRECTORY on a link also says "not a directory": it was swapped in meanwhile)
        raise SessionError(f"'{folder}' is not a folder: a session is recorded only into a real folder") from None


def _checked(fd: int, path: Path) -> int:
    """`fd` if it is a regular file (made 0600 if it was looser), else closed and refused."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SessionError(_not_regular(path))
        if stat.S_IMODE(st.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open(path: Path, flags: int) -> int:
    # O_NONBLOCK: opening a FIFO or a device planted under the name must not hang the monitor;
    # `_checked` refuses it, and a regular file is made blocking again.
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | _SAFE, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SessionError(_link(path)) from None
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise SessionError(_not_regular(path)) from None
        raise
    return _checked(fd, path)


def open_append(path: Path) -> int:
    """A file descriptor to append to `path` (and read it back), created 0600 if missing.
    SessionError for a link or anything not a regular file; OSError otherwise."""
    return _open(Path(path), os.O_RDWR | os.O_APPEND | os.O_CREAT)


def check_private(path: Path) -> None:
    """`path`, an existing file of the recording, is a regular file and not a link (SessionError
    otherwise), and is made 0600 if it was looser."""
    os.close(_open(Path(path), os.O_RDONLY))


def write_whole(path: Path, data: bytes) -> None:
    """Put `data` in `path` atomically, 0600: a temporary file beside it (created exclusively, never
    through a link), synced, then renamed over `path`. On any failure or interruption the temporary
    file is removed and `path` is as it was. Raises OSError."""
    path = Path(path)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)  # (a umask stricter than 077 would have made it 0400)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                if not n:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk (best effort: not every file system syncs a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temps(path: Path) -> list[str]:
    """Remove the temporary files that writers of `path` left when they died; the names removed.

    A temporary file is named `.<name>.<pid>.<random>.tmp`: one whose process is still running is
    being written and stays. One without a process id was left by an older version (which named
    them `.<name>.<random>.tmp`): it is removed too."""
    path = Path(path)
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    removed = []
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid, dot, _ = name[len(prefix) : -len(TEMP_SUFFIX)].partition(".")
        if dot and pid.isdigit() and _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)  # (unlink removes a link itself, never its target)
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except (OverflowError, OSError):
        return False
    return True
