"""A recording copied into another folder: to go on recording there when the disk of the first one
is full (the quit dialog's "write elsewhere")."""

from __future__ import annotations

import os
from pathlib import Path

from monitor.recording.files import EVENTS, LOG_FILE, META, READINGS, SessionError
from monitor.recording.private import check_private, open_append

COPIED = (META, READINGS, EVENTS, LOG_FILE)
_CHUNK = 1 << 20


def copy_recording(src: Path, dst: Path) -> None:
    """The files of the recording in `src` (those there are) into the folder `dst`, which exists
    and holds none of them; owner-only, never through a link. SessionError / OSError."""
    for name in COPIED:
        source = src / name
        if not source.exists():
            continue
        check_private(source)
        target = dst / name
        if os.path.lexists(target):
            raise SessionError(f"'{target}' exists already: give a folder with no recording in it")
        fd_in = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            fd_out = open_append(target)
            try:
                while chunk := os.read(fd_in, _CHUNK):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd_out, view) :]
                os.fsync(fd_out)
            finally:
                os.close(fd_out)
        finally:
            os.close(fd_in)
