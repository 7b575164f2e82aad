"""A recorded CSV of vital signs (the whole file), tolerant of what real files look like.

`load_csv(path)` reads a file into a `VitalStore` and says, in plain sentences (`LoadResult.notes`),
everything it had to decide on the way: which column became which vital, which columns were
ignored, which time zone was assumed, whether rows were sorted or merged, which lines were rejected
and why, how many values were flagged as artifacts.

What it copes with:

* separators `,` `;` tab `|` (sniffed from the header), a UTF-8 byte-order mark (or UTF-16 with
  one), CRLF or CR line ends, decimal commas in files not separated by commas, quoted fields,
  blank lines, a trailing separator on every row, a short preamble before the header;
* `time` as ISO 8601 with an offset, ISO 8601 without one (read in `assume_tz`, UTC by default, and
  said in a note), seconds since the start, or Unix epoch seconds / milliseconds;
* header spellings of many devices and exports in any case (`HR`, `heart_rate`, `NBP-S`,
  `NIBP_SBP`, `ABPSys`, `SpO2`, `Temp (°C)`, `Solar8000/HR`, ...), plus an explicit mapping;
* rows with only some vitals (empty cell = not measured), rows out of time order (sorted),
  duplicate timestamps (merged, first value wins on conflict), malformed lines (rejected with
  their line number and reason; the rest still loads), impossible values (kept, flagged by the
  store as artifacts, counted).

The fast path is pandas' C parser; a clean file needs no per-line Python work (separators are
counted per line with numpy), so a clean 8-hour 1 Hz file loads in a few tens of milliseconds.
Lines that fail that check (and only those) are examined one by one to say what is wrong.

`resolve_header`, `parse_batch` / `parse_lines` and `sort_and_merge` are the pieces a live file
follower reuses: resolve the header once, then parse complete lines batch by batch.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from monitor.core.text import printable
from monitor.core.readings import VitalStore
from monitor.core.vitals import VITALS

__all__ = [
    "CsvError",
    "RejectedLine",
    "LoadResult",
    "HeaderMap",
    "Batch",
    "Merged",
    "load_csv",
    "resolve_header",
    "parse_lines",
    "parse_batch",
    "sort_and_merge",
]


class CsvError(Exception):
    """A file that cannot be loaded at all.

    str(e) is one sentence naming the file and the reason (the CLI prints it, exit status 2).
    """


@dataclass
class RejectedLine:
    line: int  # 1-based physical line number in the file (the header is line 1)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class LoadResult:
    path: str
    store: VitalStore
    time_kind: str  # "absolute" (epoch seconds UTC) or "relative" (seconds since start)
    column_map: dict[str, str]  # vital (and "time") -> header used
    notes: list[str]
    rejected: list[RejectedLine]
    artifacts: dict[str, int]  # vital -> count of values flagged as artifacts
    rows: int  # rows loaded into the store


# -- header recognition --------------------------------------------------------------------------

# Keys are header names lower-cased with everything but letters and digits removed
# ("NIBP_SBP" -> "nibpsbp", "Heart Rate" -> "heartrate"). Within a vital, earlier spellings win
# when a file has several (generic before cuff before arterial; ECG HR before pleth pulse).
_ALIASES: dict[str, tuple[str, ...]] = {
    "time": (
        "time", "timestamp", "datetime", "t", "timeutc", "utctime", "timestamputc", "datetimeutc",
        "date_time", "timeiso", "isotime", "times", "timesec", "timesecs", "timeseconds",
        "seconds", "secs", "sec", "elapsed", "elapsedtime", "elapsedseconds", "elapseds",
        "timeelapsed", "relativetime", "reltime", "sampletime", "recordtime", "clocktime",
        "zeit", "uhrzeit", "zeitstempel",
    ),
    "hr": (
        "hr", "heartrate", "hrate", "hf", "ecghr", "hrecg", "heartratebpm", "pulserate", "pulse",
        "pr",
        "plethhr", "hrpleth", "spo2hr", "hrspo2", "prspo2", "spo2pr", "plethpr", "prpleth", "bpm",
    ),
    "sbp": (
        "sbp", "systolic", "sys", "systolicbp", "sysbp", "bpsys", "bpsystolic",
        "systolicbloodpressure", "systolicpressure", "nbps", "nibps", "nbpsys", "nibpsys",
        "nbpsbp", "nibpsbp", "nbpsystolic", "nibpsystolic", "cuffsbp", "cuffsys", "nisysabp",
        "noninvasivebloodpressuresystolic", "abpsys", "abps", "abpsbp", "abpsystolic", "artsys",
        "arts", "artsbp", "artsystolic", "ibpsys", "ibps", "ibpsbp", "sysabp",
        "arterialbpsystolic", "arterialbloodpressuresystolic",
    ),
    "dbp": (
        "dbp", "diastolic", "dia", "dias", "diastolicbp", "diabp", "diasbp", "bpdia", "bpdias",
        "bpdiastolic", "diastolicbloodpressure", "diastolicpressure", "nbpd", "nibpd", "nbpdia",
        "nibpdia", "nbpdias", "nibpdias", "nbpdbp", "nibpdbp", "nbpdiastolic", "nibpdiastolic",
        "cuffdbp", "cuffdia", "nidiasabp", "noninvasivebloodpressurediastolic", "abpdias",
        "abpdia", "abpd", "abpdbp", "abpdiastolic", "artdias", "artdia", "artd", "artdbp",
        "artdiastolic", "ibpdia", "ibpdias", "ibpd", "ibpdbp", "diasabp", "arterialbpdiastolic",
        "arterialbloodpressurediastolic",
    ),
    "map": (
        "map", "mean", "meanbp", "mbp", "meanap", "meanpressure", "meanarterialpressure",
        "bpmean", "nbpm", "nibpm", "nbpmean", "nibpmean", "nbpmap", "nibpmap", "cuffmap",
        "cuffmean", "nimap", "noninvasivebloodpressuremean", "abpmean", "abpm", "abpmap",
        "artmean", "artm", "artmap", "ibpmean", "ibpm", "ibpmap", "arterialbpmean",
        "arterialbloodpressuremean",
    ),
    "spo2": (
        "spo2", "sp02", "spo2pct", "spo2percent", "o2sat", "oxygensaturation", "pulseox",
        "pulseoximetry", "plethspo2", "spo2pleth", "spo2sat",
    ),
    "temp": (
        "temp", "temperature", "tempc", "temperaturec", "tempdegc", "temperaturedegc",
        "tempcelsius", "temperaturecelsius", "bodytemp", "bodytemperature", "bt", "tcore",
        "coretemp", "tempcore", "tbody", "skintemp", "tskin", "tempskin",
    ),
    "rr": (
        "rr", "resp", "resprate", "respiratoryrate", "respirationrate", "respirations", "rrate",
        "br", "breathingrate", "breathrate", "rpm", "awrr", "rrco2", "co2rr", "rrimp", "imprr",
        "resprr",
    ),
}
_TEMP_F = ("tempf", "temperaturef", "tempdegf", "temperaturedegf", "tempfahrenheit",
           "temperaturefahrenheit", "bodytempf", "btf")
_TIME_MS = ("timems", "timestampms", "timemillis", "millis", "milliseconds", "ms", "elapsedms",
            "epochms", "timemsec")
_UNIT_SUFFIXES = ("bpm", "mmhg", "pct", "percent", "degc", "celsius", "permin", "brpm", "min")
_TEMP_C_UNITS = {"c", "degc", "celsius"}
_TEMP_F_UNITS = {"f", "degf", "fahrenheit"}
_TIME_UNITS_S = {"s", "sec", "secs", "seconds"}
_TIME_UNITS_MS = {"ms", "msec", "millis", "milliseconds"}

_LOOKUP: dict[str, tuple[str, int]] = {}
for _vital, _names in _ALIASES.items():
    for _rank, _name in enumerate(_names):
        _key = re.sub(r"[^0-9a-z]", "", _name)
        if _key in _LOOKUP and _LOOKUP[_key][0] != _vital:  # pragma: no cover - table bug
            raise RuntimeError(f"alias {_key!r} names both {_LOOKUP[_key][0]} and {_vital}")
        _LOOKUP.setdefault(_key, (_vital, _rank))

_FIELDS = ("time",) + VITALS
_DELIMITERS = (",", ";", "\t", "|")
_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Cell texts that mean "not measured" (besides pandas' defaults: "", NA, N/A, NaN, null, ...).
_EXTRA_NA = ["-", "--", "---", "----", "N.A.", "n.a."]
_NA_TEXT = {"", "na", "n/a", "nan", "-nan", "+nan", "null", "none", "#n/a", "#n/a n/a", "#na",
            "-1.#ind", "-1.#qnan", "1.#ind", "1.#qnan", "<na>", "nat", "-", "--", "---", "----",
            "n.a."}
_UNIT_RE = re.compile(r"^(.*?)\s*[\(\[\{]([^\)\]\}]*)[\)\]\}]\s*$")
_ISO_OFFSET_RE = (r"(?:[Tt]|\s)\d{1,2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*"
                  r"(?:[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$")
_DECIMAL_COMMA_RE = re.compile(r"(?:^|[;\t|])\s*[-+]?\d+,\d+\s*(?=[;\t|]|$)", re.M)
_QUOTED_DECIMAL_RE = re.compile(r"\s*[-+]?\d+,\d+\s*")
_HEADER_SEARCH_LINES = 20  # how many non-blank lines may come before the header (a preamble)
_UTC_NAMES = ("UTC", "Z", "ETC/UTC", "GMT", "ETC/GMT")


@dataclass
class HeaderMap:
    """A resolved header: how to split a line and which field holds what."""

    source: str  # the file name, for messages
    delimiter: str
    decimal_comma: bool  # commas inside numbers are decimal commas (only if not comma-separated)
    time_index: int
    vital_index: dict[str, int]  # vital -> field index
    names: list[str]  # header names as written (trimmed)
    ignored: list[str]  # header names not used
    n_fields: int
    time_scale: float = 1.0  # 0.001 when the time column is in milliseconds
    temp_fahrenheit: bool = False  # convert temperature from °F to °C
    notes: list[str] = field(default_factory=list)  # sentences about the header choices

    @property
    def column_map(self) -> dict[str, str]:
        """"time" and each vital -> the header name it is read from."""
        out = {"time": self.names[self.time_index]}
        out.update({v: self.names[i] for v, i in self.vital_index.items()})
        return out


def _split_header(header_line: str, delimiter: str) -> list[str]:
    try:
        fields = next(csv.reader([header_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        fields = header_line.split(delimiter)
    return [f.replace("\ufeff", "").strip().strip("\"'").strip() for f in fields]


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], -_DELIMITERS.index(d)))
    return best if counts[best] else ","


def _classify(name: str) -> tuple[str, int, int, dict] | None:
    """(field, tier, rank, extras) for a header name, or None. Lower tier/rank wins.

    tier 1: the canonical name itself ("hr", "HR", "HR (bpm)"); tier 2: a known spelling;
    tier 3: a known spelling after dropping a unit suffix or a device prefix ("Solar8000/HR").
    """
    text = name.strip()
    unit = ""
    m = _UNIT_RE.match(text)
    if m and m.group(1).strip():
        text, unit = m.group(1), m.group(2)
    key = re.sub(r"[^0-9a-z]", "", text.lower())
    ukey = re.sub(r"[^0-9a-z]", "", unit.lower())
    if not key:
        return None
    extras: dict = {}
    if ukey in _TEMP_F_UNITS and key in ("t", "temp", "temperature", "bodytemp", "bt"):
        return "temp", 2, 0, {"fahrenheit": True}
    if ukey in _TEMP_C_UNITS and key == "t":
        return "temp", 2, 0, {}
    if key in _TEMP_F:
        return "temp", 2, 0, {"fahrenheit": True}
    if key in _TIME_MS:
        return "time", 2, 50, {"scale": 0.001}
    if ukey in _TIME_UNITS_MS and _LOOKUP.get(key, ("",))[0] == "time":
        extras = {"scale": 0.001}
    if key in _FIELDS:
        return key, 1, 0, extras
    if key in _LOOKUP:
        vital, rank = _LOOKUP[key]
        return vital, 2, rank, extras
    for suffix in _UNIT_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _LOOKUP:
            vital, rank = _LOOKUP[key[: -len(suffix)]]
            return vital, 3, rank, extras
    for sep in ("/", ".", ":", "|"):
        if sep in text:
            last = re.sub(r"[^0-9a-z]", "", text.rsplit(sep, 1)[1].lower())
            if last in _LOOKUP:
                vital, rank = _LOOKUP[last]
                return vital, 3, rank, extras
    return None


def _find_column(names: list[str], wanted: str) -> int | None:
    if wanted in names:
        return names.index(wanted)
    w = wanted.strip().strip("\"'").strip().lower()
    for i, n in enumerate(names):
        if n.lower() == w:
            return i
    return None


def _quote_list(items: list[str], limit: int = 12) -> str:
    shown = [f"'{_clip(s)}'" for s in items[:limit]]
    if len(items) > limit:
        shown.append(f"and {len(items) - limit} more")
    return ", ".join(shown)


def resolve_header(header_line: str, column_map: dict[str, str] | None = None,
                   source: str = "<file>") -> HeaderMap:
    """Work out the delimiter and which column holds the time and each vital; raise CsvError."""
    line = header_line.replace("\ufeff", "").rstrip("\r\n")
    delimiter = _sniff_delimiter(line)
    names = _split_header(line, delimiter)
    n_fields = len(names)

    chosen: dict[str, int] = {}
    extras: dict[str, dict] = {}
    for vital, header in (column_map or {}).items():
        key = str(vital).strip().lower()
        if key not in _FIELDS:
            raise CsvError(
                f"Cannot load '{source}': '{_clip(vital)}' in the column mapping is not a vital "
                f"sign; use one of {', '.join(_FIELDS)}."
            )
        idx = _find_column(names, str(header))
        if idx is None:
            raise CsvError(
                f"Cannot load '{source}': column '{_clip(header)}' given for {key} is not in its "
                f"header (the columns are {_quote_list(names)})."
            )
        if idx in chosen.values():
            other = next(v for v, i in chosen.items() if i == idx)
            raise CsvError(
                f"Cannot load '{source}': column '{_clip(header)}' is mapped to both {other} "
                f"and {key}."
            )
        chosen[key] = idx
        cls = _classify(names[idx])
        extras[key] = cls[3] if cls and cls[0] == key else {}

    # Automatic recognition for whatever the explicit mapping left open.
    candidates: dict[str, list[tuple[int, int, int]]] = {}
    for idx, name in enumerate(names):
        if idx in chosen.values():
            continue
        cls = _classify(name)
        if cls is None:
            continue
        vital, tier, rank, ex = cls
        candidates.setdefault(vital, []).append((tier, rank, idx))
        extras.setdefault(f"{vital}#{idx}", ex)
    losers: dict[int, str] = {}  # column index -> vital it also names
    for vital in _FIELDS:
        options = sorted(candidates.get(vital, []))
        if vital not in chosen and options:
            chosen[vital] = options[0][2]
            extras[vital] = extras.get(f"{vital}#{options[0][2]}", {})
            options = options[1:]
        for _, _, idx in options:
            losers[idx] = vital

    if "time" not in chosen:
        raise CsvError(
            f"Cannot load '{source}': none of its columns ({_quote_list(names)}) is a time column "
            f"such as time, timestamp or datetime; name one explicitly, e.g. --column time=NAME."
        )
    vital_index = {v: chosen[v] for v in VITALS if v in chosen}
    if not vital_index:
        raise CsvError(
            f"Cannot load '{source}': none of its columns ({_quote_list(names)}) is a vital sign "
            f"such as hr, sbp, dbp, map, spo2, temp or rr; name one explicitly, e.g. "
            f"--column hr=NAME."
        )

    notes: list[str] = []
    used = set(chosen.values())
    dup_names = {n for n in names if names.count(n) > 1}

    def label(i: int) -> str:
        shown = f"'{_clip(names[i])}'"
        return f"{shown} (column {i + 1})" if names[i] in dup_names else shown

    unrecognised = [label(i) for i in range(n_fields) if i not in used and i not in losers
                    and names[i]]
    unnamed = sum(1 for i in range(n_fields) if i not in used and not names[i])
    parts = []
    if unrecognised:
        parts.append(f"{', '.join(unrecognised)} (not a vital sign this monitor shows)")
    by_vital: dict[str, list[str]] = {}
    for i in sorted(losers):
        by_vital.setdefault(losers[i], []).append(label(i))
    for vital in _FIELDS:
        if vital in by_vital:
            parts.append(f"{', '.join(by_vital[vital])} "
                         f"({vital} is read from {label(chosen[vital])})")
    if unnamed:
        parts.append(f"{unnamed} unnamed column{'s' if unnamed > 1 else ''}")
    ignored = [names[i] for i in range(n_fields) if i not in used]
    if parts:
        n_ign = len(ignored)
        notes.append(f"Ignored {n_ign} column{'s' if n_ign != 1 else ''}: {'; '.join(parts)}.")

    renamed = [f"{v} from {label(i)}" for v, i in chosen.items()
               if names[i].strip().lower() != v]
    if renamed:
        notes.append(f"Columns read as: {', '.join(renamed)}.")
    fahrenheit = bool(extras.get("temp", {}).get("fahrenheit")) and "temp" in vital_index
    if fahrenheit:
        notes.append(f"Temperature column {label(chosen['temp'])} is in °F; "
                     f"it was converted to °C.")
    scale = float(extras.get("time", {}).get("scale", 1.0))
    if scale != 1.0:
        notes.append(f"Time column {label(chosen['time'])} is in milliseconds; "
                     f"it was converted to seconds.")

    return HeaderMap(
        source=source,
        delimiter=delimiter,
        decimal_comma=delimiter != ",",
        time_index=chosen["time"],
        vital_index=vital_index,
        names=names,
        ignored=ignored,
        n_fields=n_fields,
        time_scale=scale,
        temp_fahrenheit=fahrenheit,
        notes=notes,
    )


# -- parsing lines -------------------------------------------------------------------------------


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


def _show(text: str) -> str:
    """Text from the file made safe to print: unprintable characters written as escapes."""
    return printable(text)


def _clip(text: str, n: int = 40) -> str:
    text = _show(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _prepare_body(body: str, header: HeaderMap, first_line_no: int):
    """Split data lines into text pandas can read safely and lines rejected for their shape.

    `body` is the data lines joined by "\\n" (no "\\r"). Returns (good_body, good_line_nos,
    rejected, blank_count); good_body (UTF-8 bytes when every line was fine, else text) holds
    only lines with the header's field count and no quotes (quoted lines are re-written
    unquoted), so row i of it is line good_line_nos[i].
    """
    d, nf = header.delimiter, header.n_fields
    want = nf - 1
    if body.endswith("\n"):
        body = body[:-1]
    if not body:
        return "", np.empty(0, np.int64), [], 0
    raw = body.encode("utf-8", "surrogatepass")
    b = np.frombuffer(raw, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    ends = np.r_[nl, len(b)]
    n = len(ends)
    counts = np.diff(np.searchsorted(np.flatnonzero(b == ord(d)), ends), prepend=0)
    ok = counts == want
    special = '"' in body or "\x00" in body
    if ok.all() and not special:
        return raw, first_line_no + np.arange(n, dtype=np.int64), [], 0

    check = ~ok
    if special:
        odd = np.flatnonzero((b == 34) | (b == 0))
        check[np.searchsorted(ends, odd)] = True
    lines = body.split("\n")
    rejected: list[RejectedLine] = []
    keep = ~check
    replace: dict[int, str] = {}
    blank = 0
    for i in np.flatnonzero(check).tolist():
        ln = lines[i]
        line_no = first_line_no + i
        if not ln.replace(d, "").strip():
            blank += 1  # empty, or nothing but separators
            continue
        if "\x00" in ln:
            rejected.append(RejectedLine(line_no, "the line contains binary data (NUL bytes)"))
            continue
        if '"' in ln:
            try:  # strict: a quote left open is an error, not a field silently closed
                fields = next(csv.reader([ln], delimiter=d, strict=True))
            except (csv.Error, StopIteration) as exc:
                why = ("a quoted field is not closed on this line" if ln.count('"') % 2 else
                       f"the line is not valid CSV ({exc})")
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
        for f in fields:
            if d == "," and _QUOTED_DECIMAL_RE.fullmatch(f):
                f = f.replace(",", ".")  # a quoted decimal comma in a comma-separated file
            # A quote left inside a value (7" or "7"x) stays, so the value is not a number.
            clean.append(f.replace(d, " "))
        replace[i] = d.join(clean)
        keep[i] = True
    idx = np.flatnonzero(keep)
    good = [replace.get(i, lines[i]) for i in idx.tolist()]
    return "\n".join(good), first_line_no + idx.astype(np.int64), rejected, blank


def _read_fields(body: str | bytes, n_rows: int, header: HeaderMap, usecols: list[int],
                 decimal: str) -> dict[int, pd.Series]:
    """The used columns of the good lines as Series (numeric where pandas could tell)."""
    data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = pd.read_csv(
                io.BytesIO(data), sep=header.delimiter, header=None, usecols=usecols,
                engine="c", quoting=csv.QUOTE_NONE, na_values=_EXTRA_NA, keep_default_na=True,
                decimal=decimal, skip_blank_lines=False, index_col=False, low_memory=False,
                encoding="utf-8", encoding_errors="replace",
            )
        if len(df) == n_rows and all(c in df.columns for c in usecols):
            return {c: df[c] for c in usecols}
    except Exception:  # noqa: BLE001 - any parser surprise falls back to the exact Python split
        pass
    if isinstance(body, bytes):
        body = body.decode("utf-8", "surrogatepass")
    cols: dict[int, list[str]] = {c: [] for c in usecols}
    for ln in body.split("\n"):
        parts = ln.split(header.delimiter)
        for c in usecols:
            cols[c].append(parts[c] if c < len(parts) else "")
    return {c: pd.Series(v, dtype=object) for c, v in cols.items()}


def _text_values(raw: pd.Series, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """(stripped text with decimal commas made points, mask of cells that mean 'not measured')."""
    na = raw.isna().to_numpy()
    st = raw.astype(object).where(~na, "").astype(str).str.strip()
    low = st.str.lower()
    na = na | low.isin(_NA_TEXT).to_numpy()
    if decimal_comma:
        st = st.str.replace(",", ".", regex=False)
    return st, na


def _vital_values(raw: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """(float values, mask of bad cells, saw a decimal comma) for one vital column."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        vals = raw.to_numpy(dtype=float, na_value=np.nan)
        return vals, np.isinf(vals), False
    st, na = _text_values(raw, decimal_comma)
    had_comma = bool(decimal_comma
                     and raw.astype(str).str.contains(",", regex=False, na=False).any())
    vals = np.array(pd.to_numeric(st, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                    dtype=float)
    vals[na] = np.nan
    bad = (np.isnan(vals) & ~na) | np.isinf(vals)
    return vals, bad, had_comma


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
    except Exception:  # noqa: BLE001 - ambiguous times that cannot be inferred
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
        except Exception:  # noqa: BLE001 - mixed offsets or bad values: element-wise below
            pass
        try:
            dt = pd.to_datetime(st, format="ISO8601", utc=True, errors="coerce")
        except Exception:  # noqa: BLE001
            dt = pd.Series(pd.NaT, index=st.index, dtype="datetime64[us, UTC]")
        secs = _epoch_seconds(dt)
        # Values pandas could not read: one more try with the standard library.
        from datetime import datetime, timezone

        for i in np.flatnonzero(np.isnan(secs)):
            try:
                v = datetime.fromisoformat(st.iloc[i])
            except (ValueError, TypeError, OverflowError):
                continue
            if v.tzinfo is None:
                v = v.replace(tzinfo=timezone.utc)
            try:
                secs[i] = v.timestamp()
            except (ValueError, OverflowError, OSError):
                pass
        naive = ~st.str.contains(_ISO_OFFSET_RE, regex=True).to_numpy(dtype=bool, na_value=False)
        naive &= ~np.isnan(secs)
        guessed = False
        if naive.any() and tz.upper() not in _UTC_NAMES:
            wall = pd.Series(pd.to_datetime(secs[naive] * 1e6, unit="us"))
            try:
                secs[naive], guessed = _localize(wall, tz)
            except Exception:  # noqa: BLE001 - out of range after localizing
                secs[naive] = np.nan
        return secs, naive, guessed


def _epoch_from_number(v: np.ndarray) -> np.ndarray:
    """Unix epoch seconds from numbers that are epoch seconds (>= 1e9) or milliseconds (>= 1e11)."""
    out = np.where(v >= 1e11, v / 1000.0, v)
    out[~(v >= 1e9)] = np.nan
    out[v >= 1e14] = np.nan
    return out


_DATE_RE = r"[+-]?\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{8}T\d"


def _times(raw: pd.Series, header: HeaderMap, assume_tz: str, time_kind: str | None):
    """Parse the time column.

    Returns (secs with NaN for rejected rows, reason per row or None, kind, mask of ISO times
    without an offset, count of epoch numbers, guessed summer time).
    """
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
                except Exception:  # noqa: BLE001 - not uniform: the careful path below
                    fast = False
            if fast:
                text, na = st0, np.zeros(n, bool)
            else:
                iso[:] = np.nan
                naive[:] = False
                dst = False
        if not fast:
            st, na = _text_values(raw, header.decimal_comma)
            text = st
            isdate = st.str.match(_DATE_RE).to_numpy(dtype=bool, na_value=False) & ~na
            if isdate.any():
                dates = st[isdate].str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3",
                                               regex=True)
                # "... 09:00:00 UTC": a zone name _ISO_OFFSET_RE accepts but the parsers do not.
                dates = dates.str.replace(r"(?i)(\d)\s*(?:UTC|GMT)$", r"\1+00:00", regex=True)
                iso[isdate], naive[isdate], dst = _parse_iso(dates, assume_tz)
            rest = ~na & ~isdate
            if rest.any():
                num[rest] = pd.to_numeric(st[rest], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan) * scale
    is_iso = ~np.isnan(iso)
    is_num = ~np.isnan(num)
    finite = np.isfinite(num)
    if time_kind is None:
        n_iso, n_num = int(is_iso.sum()), int(is_num.sum())
        if n_iso == 0 and n_num == 0:
            kind = None
        elif n_iso > n_num:
            kind = "absolute"
        else:
            vals = num[is_num & finite]
            kind = "absolute" if len(vals) and np.median(vals) >= 1e9 else "relative"
    else:
        kind = time_kind

    secs = np.full(n, np.nan)
    naive_mask = np.zeros(n, bool)
    epoch_count = 0
    if kind == "relative":
        ok = is_num & finite
        secs[ok] = num[ok]
    elif kind == "absolute":
        secs[is_iso] = iso[is_iso]
        naive_mask = naive & is_iso
        if is_num.any():
            ep = _epoch_from_number(np.where(finite, num, np.nan))
            use = is_num & ~np.isnan(ep)
            secs[use] = ep[use]
            epoch_count = int(use.sum())
    reasons: list[str | None] = [None] * n
    for i in np.flatnonzero(np.isnan(secs)):
        if na[i]:
            reasons[i] = "time is empty"
            continue
        shown = _clip(text.iloc[i]) if text is not None else f"{num[i]:g}"
        if kind == "relative" and is_iso[i]:
            reasons[i] = (f"time '{shown}' is a date and time, but this file gives times as "
                          f"seconds since the start")
        elif kind == "absolute" and is_num[i] and finite[i]:
            reasons[i] = (f"time '{shown}' is a number, but this file gives times as dates "
                          f"and times")
        else:
            reasons[i] = f"time '{shown}' is not a time"
    return secs, reasons, kind, naive_mask, epoch_count, dst


def parse_batch(lines: list[str], header: HeaderMap, first_line_no: int,
                assume_tz: str = "UTC", time_kind: str | None = None) -> Batch:
    """Parse complete data lines (no header) whose first one is physical line `first_line_no`.

    Line ends ("\\n", "\\r\\n") may be present or not. `time_kind` ("absolute"/"relative")
    forces the kind found in earlier batches of the same file; rows whose time is of the other
    kind are rejected. Rows come back in line order.
    """
    lines = list(lines)
    body = "\n".join(lines)
    if "\r" in body or body.count("\n") != max(len(lines) - 1, 0):
        body = "\n".join(ln.rstrip("\r\n").replace("\r", " ").replace("\n", " ") for ln in lines)
    return _parse_body(body, header, first_line_no, assume_tz, time_kind)


def _parse_body(body: str, header: HeaderMap, first_line_no: int, assume_tz: str,
                time_kind: str | None) -> Batch:
    body, good_nos, rejected, blank = _prepare_body(body, header, first_line_no)
    vitals = list(header.vital_index)
    n = len(good_nos)
    if not n:
        return Batch(np.empty(0), {v: np.empty(0) for v in vitals}, good_nos, rejected,
                     time_kind, blank_lines=blank)
    usecols = sorted({header.time_index, *header.vital_index.values()})
    head = body[:20000]
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    decimal = "," if header.decimal_comma and _DECIMAL_COMMA_RE.search(head) else "."
    series = _read_fields(body, n, header, usecols, decimal)

    secs, reasons, kind, naive, epoch, dst = _times(series[header.time_index], header,
                                                    assume_tz, time_kind)
    bad_row = np.isnan(secs)
    no_time = bad_row.copy()
    vital_bad = np.zeros(n, bool)
    columns: dict[str, np.ndarray] = {}
    saw_comma = decimal == ","
    for vital in sorted(vitals, key=lambda v: header.vital_index[v]):
        idx = header.vital_index[vital]
        raw = series[idx]
        vals, bad, comma = _vital_values(raw, header.decimal_comma)
        saw_comma = saw_comma or comma
        if bad.any():
            texts = raw.astype(object)
            for i in np.flatnonzero(bad):
                if reasons[i] is None:
                    t = _clip(str(texts.iloc[i]).strip())
                    what = "a finite number" if np.isinf(vals[i]) else "a number"
                    reasons[i] = f"'{t}' in column {_clip(header.names[idx])} is not {what}"
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
        for i in np.flatnonzero(empty):
            if reasons[i] == "time is empty":
                reasons[i] = None
                blank += 1
    for i in np.flatnonzero(bad_row):
        if reasons[i] is not None:
            rejected.append(RejectedLine(int(good_nos[i]), reasons[i]))
    rejected.sort(key=lambda r: r.line)
    keep = ~bad_row
    if not keep.all():
        secs = secs[keep]
        good_nos = good_nos[keep]
        columns = {v: c[keep] for v, c in columns.items()}
    if not keep.any() and time_kind is None:
        kind = None
    return Batch(secs, columns, good_nos, rejected, kind, naive_times=int(naive[keep].sum()),
                 epoch_numbers=epoch, decimal_commas=saw_comma and n > 0, blank_lines=blank,
                 dst_guess=dst)


def parse_lines(lines: list[str], header: HeaderMap, first_line_no: int,
                assume_tz: str = "UTC"
                ) -> tuple[np.ndarray, dict[str, np.ndarray], list[RejectedLine], str | None]:
    """(times, columns, rejected, time_kind) for complete data lines; see `parse_batch`."""
    b = parse_batch(lines, header, first_line_no, assume_tz)
    return b.times, b.columns, b.rejected, b.time_kind


# -- sorting and merging -------------------------------------------------------------------------


def _longest_sorted_run(t: np.ndarray) -> int:
    """Length of the longest non-decreasing subsequence: the rows that need not move."""
    import bisect

    tails: list[float] = []
    for v in t.tolist():
        k = bisect.bisect_right(tails, v)
        if k == len(tails):
            tails.append(v)
        else:
            tails[k] = v
    return len(tails)


@dataclass
class Merged:
    times: np.ndarray  # sorted, unique
    columns: dict[str, np.ndarray]
    line_nos: np.ndarray  # the first line of each merged row
    out_of_order: int = 0  # fewest rows that had to move to put the rest in time order
    first_out_of_order_line: int | None = None  # the first line whose time goes backwards
    duplicate_times: int = 0  # timestamps that appeared on more than one row
    duplicate_rows: int = 0  # rows sharing those timestamps
    conflicts: int = 0  # merged timestamps where rows gave different values for a vital
    conflict_example: str | None = None
    empty_rows: int = 0  # rows with a time but no vital value (dropped)


def sort_and_merge(times: np.ndarray, columns: dict[str, np.ndarray],
                   line_nos: np.ndarray | None = None) -> Merged:
    """Drop rows without any vital, sort by time (stable), merge rows sharing a timestamp.

    Merging combines the non-empty values of the rows; when two rows give different values for
    the same vital, the first row's (in file order) is kept.
    """
    t = np.asarray(times, dtype=float)
    n = len(t)
    lines = np.arange(1, n + 1) if line_nos is None else np.asarray(line_nos, dtype=np.int64)
    cols = {v: np.asarray(c, dtype=float) for v, c in columns.items()}
    has = np.zeros(n, bool)
    for c in cols.values():
        has |= ~np.isnan(c)
    m = Merged(t, cols, lines)
    if not has.all():
        m.empty_rows = int(n - has.sum())
        t, lines = t[has], lines[has]
        cols = {v: c[has] for v, c in cols.items()}
        n = len(t)
    if n > 1 and np.any(t[1:] < t[:-1]):
        m.out_of_order = n - _longest_sorted_run(t)
        m.first_out_of_order_line = int(lines[int(np.flatnonzero(t[1:] < t[:-1])[0]) + 1])
        order = np.argsort(t, kind="stable")
        t, lines = t[order], lines[order]
        cols = {v: c[order] for v, c in cols.items()}
    if n > 1:
        same = t[1:] == t[:-1]
        if same.any():
            new = np.r_[True, ~same]
            starts = np.flatnonzero(new)
            gid = np.cumsum(new) - 1
            sizes = np.diff(np.r_[starts, n])
            m.duplicate_times = int((sizes > 1).sum())
            m.duplicate_rows = int(sizes[sizes > 1].sum())
            pos = np.arange(n)
            conflict_groups = np.zeros(len(starts), bool)
            merged_cols = {}
            example = None
            for v in sorted(cols, key=lambda x: VITALS.index(x) if x in VITALS else 99):
                c = cols[v]
                valid = ~np.isnan(c)
                first = np.minimum.reduceat(np.where(valid, pos, n), starts)
                have = first < n
                val = np.full(len(starts), np.nan)
                val[have] = c[first[have]]
                with np.errstate(invalid="ignore"):
                    clash = valid & (c != val[gid])
                if clash.any():
                    conflict_groups[gid[clash]] = True
                    if example is None:
                        i = int(np.flatnonzero(clash)[0])
                        g = gid[i]
                        example = (f"line {int(lines[i])} gives {v} {c[i]:g} where line "
                                   f"{int(lines[first[g]])} gave {val[g]:g}")
                merged_cols[v] = val
            m.conflicts = int(conflict_groups.sum())
            m.conflict_example = example
            t, lines, cols = t[starts], lines[starts], merged_cols
    m.times, m.columns, m.line_nos = t, cols, lines
    return m


# -- whole file ----------------------------------------------------------------------------------


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
# Every byte but those controls: bytes.translate(None, this) leaves only the controls (fast in C).
_NOT_CONTROL = bytes(c for c in range(256) if not _CONTROL_RE.match(chr(c)))


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" for text that is plainly UTF-16 but has no byte-order mark."""
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


def _read_text(path: str) -> tuple[str, list[str]]:
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
        raise CsvError(f"Cannot load '{path}': it could not be read "
                       f"({exc.strerror or exc}).") from None
    notes: list[str] = []
    has_controls = bool(data.translate(None, _NOT_CONTROL))  # the same bytes in UTF-8 and cp1252
    utf16 = _utf16_without_bom(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16:
        try:
            text = data.decode(utf16 or "utf-16")
        except UnicodeDecodeError:
            raise CsvError(f"Cannot load '{path}': it starts like UTF-16 text but is not valid "
                           f"UTF-16.") from None
        has_controls = bool(_CONTROL_RE.search(text))
        if utf16:
            notes.append(f"The file is UTF-16 text without a byte-order mark; it was read as "
                         f"{utf16.upper()}.")
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


def _check_zone(assume_tz: str, path: str) -> str:
    tz = str(assume_tz or "UTC").strip()
    if tz.upper() in _UTC_NAMES:
        return "UTC"
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError for odd names
        raise CsvError(f"Cannot load '{path}': '{_clip(tz)}' is not a known time zone name "
                       f"(use one like UTC or Europe/Berlin).") from None
    return tz


def _find_header(text: str, column_map, path: str) -> tuple[int, HeaderMap, str]:
    """(0-based line index of the header, the resolved header, the text after it).

    The header is the first non-blank line that names a time and a vital column; up to
    _HEADER_SEARCH_LINES non-blank lines before it (a device's preamble) are skipped.
    """
    first_error: CsvError | None = None
    tried = 0
    pos = 0
    index = 0
    while pos <= len(text) and tried < _HEADER_SEARCH_LINES:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.strip():
            tried += 1
            try:
                header = resolve_header(line, column_map, source=path)
                return index, header, ("" if end < 0 else text[end + 1:])
            except CsvError as exc:
                first_error = first_error or exc
        if end < 0:
            break
        pos = end + 1
        index += 1
    if first_error is None:  # pragma: no cover - _read_text rejects blank files
        raise CsvError(f"Cannot load '{path}': the file is empty.")
    first = next(ln for ln in text.split("\n", _HEADER_SEARCH_LINES) if ln.strip())
    cells = [c.strip() for c in re.split(r"[,;\t|]", first.replace("\ufeff", "")) if c.strip()]
    looks_like_data = cells and sum(bool(re.fullmatch(r"[-+]?[\d.,:T Z+-]+", c)) for c in cells) \
        > len(cells) / 2
    if looks_like_data and column_map is None:
        raise CsvError(f"Cannot load '{path}': its first line '{_clip(first.strip(), 50)}' holds "
                       f"data, not column names; add a header line such as time,hr,sbp,dbp.")
    raise first_error


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def load_csv(path, column_map: dict[str, str] | None = None,
             assume_tz: str = "UTC", *, skip_unterminated_last_line: bool = False) -> LoadResult:
    """Load a whole CSV of vital signs into a VitalStore; raise CsvError if it cannot be read.

    skip_unterminated_last_line: for a file whose every line is written with its newline (a
    session's readings.csv), a last line without one was cut short by a crash; it may still have
    all its fields ("...,16" cut to "...,1"), so it is skipped rather than read as a reading."""
    p = os.fspath(path)
    text, notes = _read_text(p)
    if skip_unterminated_last_line and text and not text.endswith("\n") and "\n" in text:
        cut = text.rfind("\n") + 1
        lineno = text.count("\n", 0, cut) + 1
        text = text[:cut]
        notes.append(f"Line {lineno} was cut short (the monitor stopped while writing it) and was skipped.")
    tz = _check_zone(assume_tz, p)
    h, header, body = _find_header(text, column_map, p)
    if h:
        skipped = sum(1 for ln in text.split("\n", h)[:h] if ln.strip())
        if skipped:
            notes.append(f"{_plural(skipped, 'line')} before the header (line {h + 1}) "
                         f"{'was' if skipped == 1 else 'were'} skipped.")
    notes.extend(header.notes)
    if header.delimiter != ",":
        notes.append(f"Fields are separated by {_DELIM_NAMES[header.delimiter]}s.")

    batch = _parse_body(body, header, h + 2, tz, None)
    kind = batch.time_kind or "relative"
    if batch.time_kind == "absolute":
        if batch.naive_times:
            where = "UTC" if tz == "UTC" else f"local time in {tz}"
            n_abs = len(batch.times)
            which = ("The times in the file carry" if batch.naive_times >= n_abs else
                     f"{batch.naive_times} of the {n_abs} times in the file carry")
            notes.append(
                f"{which} no UTC offset; they were read as {where}"
                + ("; give the recording's time zone if that is wrong." if tz == "UTC" else ".")
            )
        if batch.dst_guess:
            notes.append(f"Some local times fell in the hour repeated when clocks went back in "
                         f"{tz}; they were read as summer time.")
        if batch.epoch_numbers:
            notes.append("Times are numbers that look like Unix epoch time; they were read as "
                         "absolute times (UTC).")
    elif batch.time_kind == "relative":
        notes.append("Times are seconds since the start of the recording (no date).")
    if batch.decimal_commas:
        notes.append("Decimal commas were read as decimal points.")

    rejected = batch.rejected
    if rejected:
        shown = "; ".join(f"line {r.line} ({r.reason})" for r in rejected[:5])
        more = f"; and {len(rejected) - 5} more" if len(rejected) > 5 else ""
        notes.append(f"{_plural(len(rejected), 'line')} {'was' if len(rejected) == 1 else 'were'} "
                     f"rejected and the rest loaded: {shown}{more}.")

    merged = sort_and_merge(batch.times, batch.columns, batch.line_nos)
    if merged.empty_rows:
        notes.append(f"{_plural(merged.empty_rows, 'row')} had a time but no vital-sign value "
                     f"and {'was' if merged.empty_rows == 1 else 'were'} skipped.")
    if merged.out_of_order:
        was = "was" if merged.out_of_order == 1 else "were"
        notes.append(f"{_plural(merged.out_of_order, 'row')} {was} out of time order (time "
                     f"first goes backwards at line {merged.first_out_of_order_line}); the rows "
                     f"were sorted by time.")
    if merged.duplicate_times:
        notes.append(f"{_plural(merged.duplicate_times, 'timestamp')} appeared on more than one "
                     f"row ({merged.duplicate_rows} rows in all); the rows sharing a timestamp "
                     f"were merged into one reading.")
    if merged.conflicts:
        notes.append(f"At {_plural(merged.conflicts, 'merged timestamp')} the rows gave different "
                     f"values for the same vital; the first row's value was kept "
                     f"(e.g. {merged.conflict_example}).")

    store = VitalStore()
    store.extend(merged.times, merged.columns)
    derived = int(store.map_derived().sum())
    if derived:
        if "map" in header.vital_index:
            notes.append(f"MAP was empty on {_plural(derived, 'reading')} with SBP and DBP; "
                         f"it was computed as (SBP + 2 x DBP) / 3 there.")
        else:
            notes.append(f"The file has no MAP column; MAP was computed as (SBP + 2 x DBP) / 3 "
                         f"for the {_plural(derived, 'reading')} with SBP and DBP.")
    artifacts = store.artifact_count()
    flagged = {v: c for v, c in artifacts.items() if c}
    if flagged:
        listed = ", ".join(f"{v} {c}" for v, c in flagged.items())
        notes.append(f"Implausible values were kept but flagged as artifacts and are not used for "
                     f"limit alarms: {listed}.")
    if len(store) == 0:
        notes.append("No readings were loaded from the file.")
    return LoadResult(
        path=p,
        store=store,
        time_kind=kind,
        column_map=header.column_map,
        notes=notes,
        rejected=rejected,
        artifacts=artifacts,
        rows=len(store),
    )
