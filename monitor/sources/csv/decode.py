"""A CSV file's bytes to text: UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32 (with a
mark, or told by their NUL bytes), or a legacy 8-bit encoding; line ends made "\\n"; binary files,
files that are not regular files and files beyond `MAX_FILE_BYTES` refused.
"""

from __future__ import annotations

import re

from monitor.core.textfile import NotRegularFile, TooLarge, is_link_loop, read_limited, size_text, sniff_encoding
from monitor.sources.csv.bounds import MAX_FILE_BYTES
from monitor.sources.csv.errors import CsvError

__all__ = ["read_text"]

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
# Every byte but those controls: bytes.translate(None, this) leaves only the controls (fast in C).
_NOT_CONTROL = bytes(c for c in range(256) if not _CONTROL_RE.match(chr(c)))


def _read_bytes(path: str) -> bytes:
    try:
        return read_limited(path, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        if exc.what == "a directory":
            raise CsvError(f"Cannot load '{path}': it is a directory, not a CSV file.") from None
        raise CsvError(f"Cannot load '{path}': it is {exc.what}, not a regular file.") from None
    except TooLarge as exc:
        size = exc.how_large()
        raise CsvError(
            f"Cannot load '{path}': it is {size} than the {size_text(exc.limit)} a CSV of readings may "
            f"be (a 24-hour recording at 10 readings a second is about 60 MB)."
        ) from None
    except FileNotFoundError:
        raise CsvError(f"Cannot load '{path}': the file does not exist.") from None
    except PermissionError:
        raise CsvError(f"Cannot load '{path}': permission to read it was denied.") from None
    except ValueError:  # a NUL byte in the name
        raise CsvError(f"Cannot load {path!r}: it is not a valid file name.") from None
    except OSError as exc:
        if is_link_loop(exc):
            raise CsvError(
                f"Cannot load '{path}': it is a symbolic link loop (its links lead back round to themselves)."
            ) from None
        raise CsvError(f"Cannot load '{path}': it could not be read ({exc.strerror or exc}).") from None


def read_text(path: str) -> tuple[str, list[str]]:
    """The file's text with universal newlines; raises CsvError for files that are not text."""
    data = _read_bytes(path)
    notes: list[str] = []
    has_controls = bool(data.translate(None, _NOT_CONTROL))  # the same bytes in UTF-8 and cp1252
    sniffed = sniff_encoding(data)
    if sniffed and sniffed[0] != "utf-8":
        codec, bom = sniffed
        width = codec[:6].upper()  # "UTF-16" or "UTF-32"
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise CsvError(f"Cannot load '{path}': it starts like {width} text but is not valid {width}.") from None
        has_controls = bool(_CONTROL_RE.search(text))
        if not bom:
            notes.append(f"The file is {width} text without a byte-order mark; it was read as {codec.upper()}.")
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
