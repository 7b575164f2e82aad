"""The time column: ISO 8601 dates and times, seconds since the start, Unix epoch numbers, or
Excel serial dates.

A file's times are of one kind. "absolute" times become epoch seconds (UTC): ISO 8601 with an
offset (hours, minutes and even seconds: +05:30:15), ISO 8601 without one (read in the assumed
zone), numbers that are plainly Unix epoch time, told by their size whatever the column is called
(seconds from 1e9, milliseconds from 1e11, microseconds from 1e14, nanoseconds from 1e17 up to
1e20), or Excel serial dates (days since 1899-12-30 with the time of day as a fraction, read as
wall-clock time in the assumed zone). "relative" times are seconds since the start, kept as
given. The kind is told from the values (most ISO dates, a median number >= 1e9, or numbers in
Excel's range of days that step by fractions of a day make "absolute"); a batch of a live file is
held to the kind the file showed first.
"""

from __future__ import annotations

import contextlib
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from monitor.sources.csv.cells import text_values
from monitor.sources.csv.errors import CsvError, clip
from monitor.sources.csv.headers import HeaderMap

__all__ = ["check_zone", "parse_times"]

_UTC_NAMES = ("UTC", "Z", "ETC/UTC", "GMT", "ETC/GMT")
_ISO_OFFSET_RE = (
    r"(?:[Tt]|\s)\d{1,2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*"
    r"(?:[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?)$"
)
# Unix epoch numbers by size: (from, unit, seconds per unit), up to _EPOCH_END. 1e9 s is 2001;
# the ranges do not overlap for any date from 1973 to 5138.
_EPOCH_UNITS = ((1e9, "s", 1.0), (1e11, "ms", 1e-3), (1e14, "µs", 1e-6), (1e17, "ns", 1e-9))
_EPOCH_END = 1e20
# Excel serial dates: day 25569 is 1970-01-01. Those of 2000-01-01 (36526) to 2100-01-01 (73051)
# are taken for dates when a file's times step by fractions of a day (at most 30 minutes): as
# seconds since the start they would be a recording that began 10 hours in and is sampled at
# 50 Hz or faster.
_EXCEL_1970 = 25569.0
_EXCEL_RANGE = (36526.0, 73051.0)
_EXCEL_MAX_STEP = 1 / 48
# Seconds since the start beyond this (about 31 years) are not a recording's times.
_RELATIVE_END = 1e9


def check_zone(assume_tz: str, path: str) -> str:
    tz = str(assume_tz or "UTC").strip()
    if tz.upper() in _UTC_NAMES:
        return "UTC"
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(tz)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
        raise CsvError(
            f"Cannot load '{path}': '{clip(tz)}' is not a known time zone name (use one like UTC or Europe/Berlin)."
        ) from None
    return tz


def _epoch_seconds(dt: pd.Series) -> np.ndarray:
    """Float epoch seconds (UTC) of a datetime Series (tz-aware: converted; naive: taken as UTC)."""
    if isinstance(dt.dtype, pd.DatetimeTZDtype):
        dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = dt.to_numpy(dtype="datetime64[us]")
    nat = np.isnat(arr)
    out = arr.astype("int64").astype(float) / 1e6
    out[nat] = np.nan
    return out


def _localize(naive: pd.Series, tz: str) -> tuple[np.ndarray, bool]:
    """Epoch seconds of naive wall-clock times read in zone `tz`; (secs, guessed summer time)."""
    if tz.upper() in _UTC_NAMES:
        return _epoch_seconds(naive), False
    idx = pd.DatetimeIndex(naive)
    guessed = False
    try:
        loc = idx.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
    except Exception:  # ambiguous times that cannot be inferred
        loc = idx.tz_localize(tz, ambiguous=np.ones(len(idx), bool), nonexistent="shift_forward")
        guessed = True
    return _epoch_seconds(pd.Series(loc)), guessed


def _parse_iso(st: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """(epoch seconds with NaN where not a time, mask of values without an offset, dst guess)."""
    n = len(st)
    if n == 0:
        return np.empty(0), np.zeros(0, bool), False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dt = pd.to_datetime(st, format="ISO8601")
            if isinstance(dt.dtype, pd.DatetimeTZDtype):
                return _epoch_seconds(dt), np.zeros(n, bool), False
            secs, guessed = _localize(dt, tz)
            return secs, np.ones(n, bool), guessed
        except Exception:  # mixed offsets or bad values: element-wise below
            pass
        try:
            dt = pd.to_datetime(st, format="ISO8601", utc=True, errors="coerce")
        except Exception:
            dt = pd.Series(pd.NaT, index=st.index, dtype="datetime64[us, UTC]")
        secs = _epoch_seconds(dt)
        # Values pandas could not read: one more try with the standard library.
        for i in np.flatnonzero(np.isnan(secs)):
            try:
                v = datetime.fromisoformat(st.iloc[i])
            except (ValueError, TypeError, OverflowError):
                continue
            if v.tzinfo is None:
                v = v.replace(tzinfo=UTC)
            with contextlib.suppress(ValueError, OverflowError, OSError):
                secs[i] = v.timestamp()
        naive = ~st.str.contains(_ISO_OFFSET_RE, regex=True).to_numpy(dtype=bool, na_value=False)
        naive &= ~np.isnan(secs)
        guessed = False
        if naive.any() and tz.upper() not in _UTC_NAMES:
            wall = pd.Series(pd.to_datetime(secs[naive] * 1e6, unit="us"))
            try:
                secs[naive], guessed = _localize(wall, tz)
            except Exception:  # out of range after localizing
                secs[naive] = np.nan
        return secs, naive, guessed


# The unit of each numeric absolute time, as its index in UNITS: one byte a row (as text, "Excel"
# the longest, it took 20).
UNITS = ("", *(u[1] for u in _EPOCH_UNITS), "Excel")
_EXCEL_UNIT = UNITS.index("Excel")


def _epoch_from_number(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Unix epoch seconds, unit of each as its index in UNITS: "s", "ms", "µs", "ns" or "")
    from numbers told by their size; NaN where a number is no epoch time."""
    out = np.full(len(v), np.nan)
    units = np.zeros(len(v), np.uint8)
    ends = [u[0] for u in _EPOCH_UNITS[1:]] + [_EPOCH_END]
    with np.errstate(invalid="ignore"):
        for (low, unit, scale), high in zip(_EPOCH_UNITS, ends, strict=True):
            m = (v >= low) & (v < high)
            out[m] = v[m] * scale
            units[m] = UNITS.index(unit)
    return out, units


def unit_counts(units: np.ndarray) -> dict[str, int]:
    """{unit: how many times} of the units (indices in UNITS) of numeric absolute times, by name."""
    counts = np.bincount(units, minlength=len(UNITS)).tolist()
    return {u: counts[k] for k, u in sorted(enumerate(UNITS), key=lambda x: x[1]) if u and counts[k]}


def _is_excel(v: np.ndarray) -> bool:
    """Numbers that are Excel serial dates: days in Excel's range stepping by fractions of a day."""
    low, high = _EXCEL_RANGE
    days = v[(v >= low) & (v < high)]
    if len(days) < 2 or len(days) * 2 <= len(v):
        return False
    steps = np.diff(np.unique(days))
    return len(steps) > 0 and float(np.median(steps)) <= _EXCEL_MAX_STEP


def _excel_to_epoch(v: np.ndarray, tz: str) -> tuple[np.ndarray, bool]:
    """(epoch seconds, guessed summer time) of Excel serial days read as wall-clock time in tz."""
    wall = np.round((v - _EXCEL_1970) * 86400.0, 3)  # Excel keeps the time to about 1 ms
    return _localize(pd.Series(pd.to_datetime(wall * 1e6, unit="us")), tz)


_DATE_RE = r"[+-]?\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{8}T\d"


def parse_times(raw: pd.Series, header: HeaderMap, assume_tz: str, time_kind: str | None):
    """Parse the time column.

    Returns (secs with NaN for rejected rows, {row: reason} for rows whose time is rejected,
    kind, mask of times without an offset, unit of each numeric absolute time as its index in
    UNITS ("s", "ms", "µs", "ns", "Excel", or "" for the others), guessed summer time).
    """
    if header.time_utc:
        assume_tz = "UTC"
    n = len(raw)
    scale = header.time_scale
    num = np.full(n, np.nan)
    iso = np.full(n, np.nan)
    naive = np.zeros(n, bool)
    dst = False
    text: pd.Series | None = None
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        num = raw.to_numpy(dtype=float, na_value=np.nan) * scale
        na = np.isnan(num)
    else:
        fast = False
        if time_kind != "relative" and n and not raw.isna().any():
            # Fast path: every cell is an ISO 8601 date and time, written the same way.
            st0 = raw.astype(str)
            if st0.str.len().min() >= 10:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        dt = pd.to_datetime(st0, format="ISO8601")
                    if isinstance(dt.dtype, pd.DatetimeTZDtype):
                        iso = _epoch_seconds(dt)
                    else:
                        iso, dst = _localize(dt, assume_tz)
                        naive[:] = True
                    fast = not np.isnan(iso).any()
                except Exception:  # not uniform: the careful path below
                    fast = False
            if fast:
                text, na = st0, np.zeros(n, bool)
            else:
                iso[:] = np.nan
                naive[:] = False
                dst = False
        if not fast:
            st, na = text_values(raw, header.decimal_comma)
            text = st
            isdate = st.str.match(_DATE_RE).to_numpy(dtype=bool, na_value=False) & ~na
            if isdate.any():
                dates = st[isdate].str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3", regex=True)
                # "... 09:00:00 UTC": a zone name _ISO_OFFSET_RE accepts but the parsers do not.
                dates = dates.str.replace(r"(?i)(\d)\s*(?:UTC|GMT)$", r"\1+00:00", regex=True)
                iso[isdate], naive[isdate], dst = _parse_iso(dates, assume_tz)
            rest = ~na & ~isdate
            if rest.any():
                num[rest] = pd.to_numeric(st[rest], errors="coerce").to_numpy(dtype=float, na_value=np.nan) * scale
    is_iso = ~np.isnan(iso)
    is_num = ~np.isnan(num)
    finite = np.isfinite(num)
    vals = num[is_num & finite]
    if time_kind is None:
        n_iso, n_num = int(is_iso.sum()), int(is_num.sum())
        if n_iso == 0 and n_num == 0:
            kind = None
        elif n_iso > n_num:
            kind = "absolute"
        else:
            big = len(vals) and np.median(vals) >= _EPOCH_UNITS[0][0]
            kind = "absolute" if big or _is_excel(vals) else "relative"
    else:
        kind = time_kind

    secs = np.full(n, np.nan)
    naive_mask = np.zeros(n, bool)
    units = np.zeros(n, np.uint8)
    if kind == "relative":
        ok = is_num & finite & (np.abs(num, where=finite, out=np.full(n, np.inf)) < _RELATIVE_END)
        secs[ok] = num[ok]
    elif kind == "absolute":
        secs[is_iso] = iso[is_iso]
        naive_mask = naive & is_iso
        if is_num.any():
            ep, units = _epoch_from_number(np.where(finite, num, np.nan))
            use = is_num & ~np.isnan(ep)
            secs[use] = ep[use]
            # Excel serial days, when they are all this batch's times (a stray small number in a
            # file of ISO or epoch times is an error, not a date of its own kind).
            low, high = _EXCEL_RANGE
            with np.errstate(invalid="ignore"):
                excel = is_num & finite & (num >= low) & (num < high)
            if excel.any() and not (is_iso | use).any():
                secs[excel], guessed = _excel_to_epoch(num[excel], assume_tz)
                units[excel] = _EXCEL_UNIT
                naive_mask |= excel & ~np.isnan(secs)
                dst = dst or guessed
    reasons: dict[int, str] = {}  # (not a list of every row: a clean file has none)
    for i in np.flatnonzero(np.isnan(secs)).tolist():
        if na[i]:
            reasons[i] = "time is empty"
            continue
        shown = clip(text.iloc[i]) if text is not None else f"{num[i]:g}"
        if kind == "relative" and is_iso[i]:
            reasons[i] = f"time '{shown}' is a date and time, but this file gives times as seconds since the start"
        elif kind == "relative" and finite[i]:
            reasons[i] = f"time '{shown}' is too large for seconds since the start (over 30 years)"
        elif kind == "absolute" and is_num[i] and finite[i]:
            reasons[i] = (
                f"time '{shown}' is a number, but this file gives times as dates and times, and it is not "
                f"a Unix epoch time (s, ms, µs or ns since 1970) or an Excel date"
            )
        else:
            reasons[i] = f"time '{shown}' is not a time"
    return secs, reasons, kind, naive_mask, units, dst
