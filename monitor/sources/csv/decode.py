"""A CSV file's bytes to text: UTF-8 (with or without a byte-order mark), UTF-16, or a legacy
8-bit encoding; line ends made "\\n"; binary files refused.
"""

from __future__ import annotations

import os
import re

from monitor.sources.csv.errors import CsvError

__all__ = ["read_text"]


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
# Every byte but those controls: bytes.translate(None, this) leaves only the controls (fast in C).
_NOT_CONTROL = bytes(c for c in range(256) if not _CONTROL_RE.match(chr(c)))


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" / "utf-16-be" for text that is plainly UTF-16 but has no byte-order mark."""
    head = data[:4096]
    if len(head) < 4 or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    head = head[: len(head) // 2 * 2]
    even, odd = head[0::2], head[1::2]
    half = len(even)
    if odd.count(0) >= 0.9 * half and even.count(0) <= 0.1 * half:
        return "utf-16-le"
    if even.count(0) >= 0.9 * half and odd.count(0) <= 0.1 * half:
        return "utf-16-be"
    return None


def read_text(path: str) -> tuple[str, list[str]]:
    """The file's text with universal newlines; raises CsvError for files that are not text."""
    if os.path.isdir(path):
        raise CsvError(f"Cannot load '{path}': it is a directory, not a CSV file.")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise CsvError(f"Cannot load '{path}': the file does not exist.") from None
    except PermissionError:
        raise CsvError(f"Cannot load '{path}': permission to read it was denied.") from None
    except OSError as exc:
        raise CsvError(f"Cannot load '{path}': it could not be read ({exc.strerror or exc}).") from None
    notes: list[str] = []
    has_controls = bool(data.translate(None, _NOT_CONTROL))  # the same bytes in UTF-8 and cp1252
    utf16 = _utf16_without_bom(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16:
        try:
            text = data.decode(utf16 or "utf-16")
        except UnicodeDecodeError:
            raise CsvError(f"Cannot load '{path}': it starts like UTF-16 text but is not valid UTF-16.") from None
        has_controls = bool(_CONTROL_RE.search(text))
        if utf16:
            notes.append(f"The file is UTF-16 text without a byte-order mark; it was read as {utf16.upper()}.")
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
                enc = "Windows-1252"
            except UnicodeDecodeError:
                text = data.decode("latin-1")
                enc = "Latin-1"
            notes.append(f"The file is not UTF-8; it was read as {enc} text.")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvError(f"Cannot load '{path}': the file is empty.")
    if has_controls:
        # Binary only when most lines hold control bytes: a text file with a damaged stretch (the
        # NUL bytes a crash can leave at the end of a file) keeps its good lines; the damaged ones
        # are rejected line by line.
        lines = [ln for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
        damaged = sum(1 for ln in lines if _CONTROL_RE.search(ln))
        if damaged * 2 > len(lines):
            raise CsvError(f"Cannot load '{path}': it looks like a binary file, not CSV text.")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, notes
