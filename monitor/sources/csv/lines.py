"""Data lines to rows: the field count checked per line, then every column parsed at once.

The fast path is pandas' C parser; a clean file needs no per-line Python work (separators are
counted per line with numpy), so a clean 8-hour 1 Hz file loads in a few tens of milliseconds.
Lines that fail that check (and only those) are examined one by one to say what is wrong.

`parse_batch` is what the live follower (`monitor.sources.follow`) calls for each batch of
complete lines; a whole-file load (`monitor.sources.csv.load`) calls `parse_body` on the text
after the header.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from monitor.core.textfile import size_text
from monitor.sources.csv.bounds import FAR_BEYOND, MAX_LINE_BYTES
from monitor.sources.csv.cells import EXTRA_NA, vital_values
from monitor.sources.csv.errors import RejectedLine, clip
from monitor.sources.csv.headers import HeaderMap
from monitor.sources.csv.times import parse_times, unit_counts

__all__ = ["Batch", "parse_batch", "parse_body", "parse_lines"]

_DECIMAL_COMMA_RE = re.compile(r"(?:^|[;\t|])\s*[-+]?\d+,\d+\s*(?=[;\t|]|$)", re.M)
_QUOTED_DECIMAL_RE = re.compile(r"\s*[-+]?\d+,\d+\s*")
# "1,200" quoted in a comma-separated file: 1.2 with a decimal comma, or 1200 with a thousands
# separator. Nothing in the file tells which, so the line is rejected rather than guessed.
# ("0,500" and "36,5" are not thousands: those stay decimal commas.)
_AMBIGUOUS_COMMA_RE = re.compile(r"\s*[-+]?[1-9]\d{0,2},\d{3}\s*")


@dataclass
class Batch:
    """Parsed rows of a batch of lines, in line order (not sorted, not merged)."""

    times: np.ndarray  # float seconds per accepted row
    columns: dict[str, np.ndarray]  # vital -> float values (NaN = not measured), for header vitals
    line_nos: np.ndarray  # physical line number of each accepted row
    rejected: list[RejectedLine]
    time_kind: str | None  # "absolute", "relative", or None when no row had a usable time
    naive_times: int = 0  # absolute times without a UTC offset (read in assume_tz)
    epoch_numbers: int = 0  # numeric times read as Unix epoch seconds/milliseconds
    decimal_commas: bool = False  # some numbers used a decimal comma
    blank_lines: int = 0
    dst_guess: bool = False  # ambiguous local times at a clock change were read as summer time
    epoch_units: dict[str, int] = field(default_factory=dict)  # numeric times by unit ("ms", "Excel")
    nul_lines: list[int] = field(default_factory=list)  # rows read past the NUL bytes before them


def _prepare_body(body: str, header: HeaderMap, first_line_no: int):
    """Split data lines into text pandas can read safely and lines rejected for their shape.

    `body` is the data lines joined by "\\n" (no "\\r"). Returns (good_body, good_line_nos,
    rejected, blank_count, nul_lines); good_body (UTF-8 bytes when every line was fine, else
    text) holds only lines with the header's field count and no quotes (quoted lines are
    re-written unquoted), so row i of it is line good_line_nos[i].

    nul_lines: lines that began with NUL bytes. A crash in a file the writer had preallocated
    leaves a block of them, and the next row written after it starts there: the NULs are not
    part of that row, which is read without them. A line with NULs anywhere else is rejected.
    """
    d, nf = header.delimiter, header.n_fields
    want = nf - 1
    if body.endswith("\n"):
        body = body[:-1]
    if not body:
        return "", np.empty(0, np.int64), [], 0, []
    raw = body.encode("utf-8", "surrogatepass")
    b = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(b == 10)
    ends = np.append(ends, len(b))
    n = len(ends)
    counts = _per_line(b, ord(d), ends)
    sizes = np.diff(ends, prepend=-1) - 1  # bytes of each line, without its "\n"
    too_long = sizes > MAX_LINE_BYTES
    ok = (counts == want) & ~too_long
    special = '"' in body or "\x00" in body
    if ok.all() and not special:
        return raw, first_line_no + np.arange(n, dtype=np.int64), [], 0, []

    check = ~ok
    if special:
        odd = np.flatnonzero((b == 34) | (b == 0))
        check[np.searchsorted(ends, odd)] = True
    lines = body.split("\n")
    rejected: list[RejectedLine] = []
    keep = ~check
    replace: dict[int, str] = {}
    blank = 0
    nul_lines: list[int] = []
    used = {header.time_index, *header.vital_index.values()}
    for i in np.flatnonzero(check).tolist():
        line_no = first_line_no + i
        if too_long[i]:
            why = (
                f"the line is {size_text(int(sizes[i]))} long, more than the {size_text(MAX_LINE_BYTES)} a line may be"
            )
            rejected.append(RejectedLine(line_no, why))
            continue
        ln = lines[i]
        if not ln.replace(d, "").strip():
            blank += 1  # empty, or nothing but separators
            continue
        if "\x00" in ln:
            rest = ln.lstrip("\x00")
            if "\x00" in rest or not rest.replace(d, "").strip():
                rejected.append(RejectedLine(line_no, "the line contains binary data (NUL bytes)"))
                continue
            ln = rest
            nul_lines.append(line_no)
        if '"' in ln:
            try:  # strict: a quote left open is an error, not a field silently closed
                fields = next(csv.reader([ln], delimiter=d, strict=True))
            except (csv.Error, StopIteration) as exc:
                why = (
                    "a quoted field is not closed on this line"
                    if ln.count('"') % 2
                    else f"the line is not valid CSV ({exc})"
                )
                rejected.append(RejectedLine(line_no, why))
                continue
        else:
            fields = ln.split(d)
        if len(fields) > nf and not any(f.strip() for f in fields[nf:]):
            fields = fields[:nf]  # a trailing separator (or several) on the row
        if len(fields) != nf:
            rejected.append(RejectedLine(line_no, f"expected {nf} fields, found {len(fields)}"))
            continue
        clean = []
        ambiguous = None
        for j, f in enumerate(fields):
            if d == "," and _QUOTED_DECIMAL_RE.fullmatch(f):
                if j in used and _AMBIGUOUS_COMMA_RE.fullmatch(f):
                    ambiguous = (j, f.strip())
                    break
                f = f.replace(",", ".")  # a quoted decimal comma in a comma-separated file
            # A quote left inside a value (7" or "7"x) stays, so the value is not a number.
            clean.append(f.replace(d, " "))
        if ambiguous:
            j, f = ambiguous
            decimal, thousands = f"{float(f.replace(',', '.')):g}", f.replace(",", "").lstrip("+")
            why = (
                f"'{f}' in column {clip(header.names[j])} is ambiguous: {decimal} or {thousands} "
                f"(a decimal comma or a thousands separator)"
            )
            rejected.append(RejectedLine(line_no, why))
            continue
        replace[i] = d.join(clean)
        keep[i] = True
    idx = np.flatnonzero(keep)
    good = [replace.get(i, lines[i]) for i in idx.tolist()]
    return "\n".join(good), first_line_no + idx.astype(np.int64), rejected, blank, nul_lines


def _per_line(b: np.ndarray, byte: int, ends: np.ndarray) -> np.ndarray:
    """How many of `byte` each line of `b` holds, the lines ending at `ends` (the last at len(b)).
    (A block of lines at a time: the positions of every separator of a day at 10 Hz would take
    21 MB at once.)"""
    counts = np.empty(len(ends), np.int64)
    lo = 0  # where the block starts: after the newline ending the one before
    for i in range(0, len(ends), _LINES_PER_BLOCK):
        e = ends[i : i + _LINES_PER_BLOCK]
        hi = int(e[-1])
        at = np.flatnonzero(b[lo:hi] == byte)
        counts[i : i + len(e)] = np.diff(np.searchsorted(at, e - lo), prepend=0)
        lo = hi
    return counts


_LINES_PER_BLOCK = 1 << 16


def _c_parse(data: bytes, sep: str, usecols: list[int], decimal: str, low_memory: bool) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            header=None,
            usecols=usecols,
            engine="c",
            quoting=csv.QUOTE_NONE,
            na_values=EXTRA_NA,
            keep_default_na=True,
            decimal=decimal,
            skip_blank_lines=False,
            index_col=False,
            low_memory=low_memory,
            encoding="utf-8",
            encoding_errors="replace",
        )


def _mixed(col: pd.Series) -> bool:
    """Whether the chunks of a `low_memory` parse disagreed on the column's type: some became
    numbers (or booleans) and some text, so the numbers no longer carry their cell's text
    ("1e400" would be told as "inf"). Read whole, such a column is text throughout (the chunked
    parse costs a third less time and memory, and a clean file never has such a column)."""
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) != "string"


def _read_fields(
    body: str | bytes, n_rows: int, header: HeaderMap, usecols: list[int], decimal: str
) -> dict[int, pd.Series]:
    """The used columns of the good lines as Series (numeric where pandas could tell)."""
    data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    try:
        df = _c_parse(data, header.delimiter, usecols, decimal, low_memory=True)
        if any(_mixed(df[c]) for c in usecols if c in df.columns):
            df = _c_parse(data, header.delimiter, usecols, decimal, low_memory=False)
        if len(df) == n_rows and all(c in df.columns for c in usecols):
            return {c: df[c] for c in usecols}
    except Exception:  # any parser surprise falls back to the exact Python split
        pass
    if isinstance(body, bytes):
        body = body.decode("utf-8", "surrogatepass")
    cols: dict[int, list[str]] = {c: [] for c in usecols}
    for ln in body.split("\n"):
        parts = ln.split(header.delimiter)
        for c in usecols:
            cols[c].append(parts[c] if c < len(parts) else "")
    return {c: pd.Series(v, dtype=object) for c, v in cols.items()}


def parse_batch(
    lines: list[str], header: HeaderMap, first_line_no: int, assume_tz: str = "UTC", time_kind: str | None = None
) -> Batch:
    """Parse complete data lines (no header) whose first one is physical line `first_line_no`.

    Line ends ("\\n", "\\r\\n") may be present or not. `time_kind` ("absolute"/"relative")
    forces the kind found in earlier batches of the same file; rows whose time is of the other
    kind are rejected. Rows come back in line order.
    """
    lines = list(lines)
    body = "\n".join(lines)
    if "\r" in body or body.count("\n") != max(len(lines) - 1, 0):
        body = "\n".join(ln.rstrip("\r\n").replace("\r", " ").replace("\n", " ") for ln in lines)
    return parse_body(body, header, first_line_no, assume_tz, time_kind)


def parse_body(body: str, header: HeaderMap, first_line_no: int, assume_tz: str, time_kind: str | None) -> Batch:
    """Parse data lines joined by "\\n" (no "\\r"), the first being line `first_line_no`."""
    body, good_nos, rejected, blank, nul_lines = _prepare_body(body, header, first_line_no)
    vitals = list(header.vital_index)
    n = len(good_nos)
    if not n:
        return Batch(np.empty(0), {v: np.empty(0) for v in vitals}, good_nos, rejected, time_kind, blank_lines=blank)
    usecols = sorted({header.time_index, *header.vital_index.values()})
    head = body[:20000]
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    decimal = "," if header.decimal_comma and _DECIMAL_COMMA_RE.search(head) else "."
    series = _read_fields(body, n, header, usecols, decimal)

    secs, reasons, kind, naive, units, dst = parse_times(series[header.time_index], header, assume_tz, time_kind)
    bad_row = np.isnan(secs)
    no_time = bad_row.copy()
    vital_bad = np.zeros(n, bool)
    columns: dict[str, np.ndarray] = {}
    saw_comma = decimal == ","
    for vital in sorted(vitals, key=lambda v: header.vital_index[v]):
        idx = header.vital_index[vital]
        raw = series[idx]
        vals, bad, comma = vital_values(raw, header.decimal_comma)
        saw_comma = saw_comma or comma
        if bad.any():
            texts = raw.astype(object)
            for i in np.flatnonzero(bad).tolist():
                if i not in reasons:
                    t = clip(str(texts.iloc[i]).strip())
                    if np.isinf(vals[i]):
                        what = "is not a finite number"
                    elif np.isnan(vals[i]):
                        what = "is not a number"
                    else:
                        what = f"is far beyond any measurement (a vital sign is never {FAR_BEYOND:,.0f} or more)"
                    reasons[i] = f"'{t}' in column {clip(header.names[idx])} {what}"
            vital_bad |= bad
        if vital == "temp" and header.temp_fahrenheit:
            vals = np.round((vals - 32.0) * 5.0 / 9.0, 2)
        columns[vital] = vals
    bad_row |= vital_bad
    if no_time.any():
        # A row without a time and without any vital value holds nothing: a blank row, not an error.
        empty = no_time & ~vital_bad
        for c in columns.values():
            empty &= np.isnan(c)
        for i in np.flatnonzero(empty).tolist():
            if reasons.get(i) == "time is empty":
                del reasons[i]
                blank += 1
    for i in np.flatnonzero(bad_row).tolist():
        if i in reasons:
            rejected.append(RejectedLine(int(good_nos[i]), reasons[i]))
    rejected.sort(key=lambda r: r.line)
    keep = ~bad_row
    epoch_units = unit_counts(units[keep])
    if not keep.all():
        secs = secs[keep]
        good_nos = good_nos[keep]
        columns = {v: c[keep] for v, c in columns.items()}
    if not keep.any() and time_kind is None:
        kind = None
    return Batch(
        secs,
        columns,
        good_nos,
        rejected,
        kind,
        naive_times=int(naive[keep].sum()),
        epoch_numbers=sum(epoch_units.values()),
        decimal_commas=saw_comma and n > 0,
        blank_lines=blank,
        dst_guess=dst,
        epoch_units=epoch_units,
        nul_lines=np.intersect1d(np.asarray(nul_lines, np.int64), good_nos).tolist() if nul_lines else [],
    )


def parse_lines(
    lines: list[str], header: HeaderMap, first_line_no: int, assume_tz: str = "UTC"
) -> tuple[np.ndarray, dict[str, np.ndarray], list[RejectedLine], str | None]:
    """(times, columns, rejected, time_kind) for complete data lines; see `parse_batch`."""
    b = parse_batch(lines, header, first_line_no, assume_tz)
    return b.times, b.columns, b.rejected, b.time_kind
