"""Reading a file a user names (a CSV of readings, a thresholds file): a regular file only, never
more than a bound, and its text encoding told from a byte-order mark or, without one, from where
its NUL bytes fall (UTF-16 and UTF-32 text written by Windows tools).

A FIFO or a device would block the reader, or never end (/dev/zero); a file larger than the bound
would fill the memory. Both are refused before anything is read, each with a reason the caller
puts into its own one-sentence message.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = [
    "NotRegularFile",
    "TooLarge",
    "is_link_loop",
    "read_limited",
    "size_text",
    "sniff_encoding",
]

_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


class NotRegularFile(Exception):
    """The path names something that is not a regular file; `what` is "a FIFO (named pipe)"..."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)


class TooLarge(Exception):
    """The file holds more than `limit` bytes (`size`, or None when it grew while being read)."""

    def __init__(self, size: int | None, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(f"{size} > {limit}")

    def how_large(self) -> str:
        """ "1 GiB, more" or "268,435,457 bytes, more" (exact when rounding would show the limit)
        or "more" (the size is not known), to go before "than the ... a file may be"."""
        if self.size is None:
            return "more"
        shown = size_text(self.size)
        return f"{shown if shown != size_text(self.limit) else f'{self.size:,} bytes'}, more"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_link_loop(exc: OSError) -> bool:
    """True when opening failed because symbolic links lead round in a circle."""
    return exc.errno == errno.ELOOP


def read_limited(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Raises NotRegularFile, TooLarge, or the OSError of opening it (FileNotFoundError,
    PermissionError, ELOOP for a symbolic link loop, ...).
    """
    mode = os.stat(path).st_mode  # follows links; a loop raises ELOOP here
    if not stat.S_ISREG(mode):
        raise NotRegularFile(_kind(mode))
    # O_NONBLOCK: had the path been swapped for a FIFO since the stat, open would not hang.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(_kind(st.st_mode))
        if st.st_size > limit:
            raise TooLarge(st.st_size, limit)
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(None, limit)
    return data


def size_text(n: int) -> str:
    """A file size for a message: 512 KiB, 3.2 MiB, 1.5 GiB."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v >= 10 or v == int(v) else f"{v:.1f} {unit}"
    return f"{n} bytes"


def sniff_encoding(data: bytes) -> tuple[str, bool] | None:
    """(codec, has a byte-order mark) for UTF-8/16/32 text told by its mark, or UTF-16/32 text
    told by the pattern of its NUL bytes (mostly ASCII text: each character's other bytes are
    NUL); None when neither says anything (then the caller tries UTF-8 and its fallbacks)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, True
    head = data[:4096]
    if len(head) < 4 or head.count(0) * 4 < len(head):  # text in UTF-16 is ~half NUL bytes
        return None
    for width, codecs in ((4, ("utf-32-le", "utf-32-be")), (2, ("utf-16-le", "utf-16-be"))):
        part = head[: len(head) // width * width]
        units = len(part) // width
        lanes = [part[i::width] for i in range(width)]
        zero = [lane.count(0) for lane in lanes]
        # The one lane that carries the ASCII byte is rarely NUL; all other lanes nearly always.
        if width == 4:
            little = zero[0] <= 0.1 * units and min(zero[1:]) >= 0.9 * units
            big = zero[3] <= 0.1 * units and min(zero[:3]) >= 0.9 * units
        else:
            little = zero[0] <= 0.1 * units and zero[1] >= 0.9 * units
            big = zero[1] <= 0.1 * units and zero[0] >= 0.9 * units
        if little:
            return codecs[0], False
        if big:
            return codecs[1], False
    return None
