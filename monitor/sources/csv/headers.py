"""Which column is the time and which is each vital: header spellings, units, the header line.

`resolve_header(line)` sniffs the separator and maps columns to "time" and the vitals, by the
`_ALIASES` table below (header names are compared lower-cased with everything but letters and
digits removed) or by an explicit mapping (`--column hr=NAME`). `find_header` looks for the header
line in a whole file, past a short preamble; the live follower (`monitor.sources.follow`) looks
for it line by line, within the same `HEADER_SEARCH_LINES`.

Where the spellings come from: device track names as VitalDB-style exports write them
(`Solar8000/HR`, `Solar8000/NIBP_SBP`: a device prefix, then the parameter), PhysioNet/CinC
Challenge 2012 parameter names (`NISysABP`, `NIDiasABP`, `SysABP`), monitor labels (`NBP-S`,
`ABPSys`, `ART-S`, `awRR`, `Tcore`), and spreadsheet-style names in English and German. The time
spellings `unix_time`, `epoch`, `timestamp_ms`, `Time [s]` and `datetime_utc` are seen in device
exports.

What a time column holds (ISO dates, seconds since the start, epoch seconds or milliseconds) is
told from its values, not its name (`monitor.sources.csv.times`), except that a millisecond name
or unit (`timestamp_ms`, `Time [ms]`) scales the numbers by 1/1000.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from monitor.core.textfile import size_text
from monitor.core.vitals import VITALS
from monitor.sources.csv.bounds import MAX_LINE_BYTES
from monitor.sources.csv.errors import CsvError, clip

__all__ = ["DELIMITER_NAMES", "HEADER_SEARCH_LINES", "HeaderMap", "find_header", "resolve_header"]

# Keys are header names lower-cased, accents dropped, everything but letters and digits removed
# ("NIBP_SBP" -> "nibpsbp", "Heart Rate" -> "heartrate", "Température" -> "temperature"). Within
# a vital, earlier spellings win when a file has several (generic before cuff before arterial;
# ECG HR before pleth pulse). Spellings in German (RR sys, MAD, AF: "RR" alone stays the
# respiratory rate), French and Spanish (FC, PAS, PAD, PAM, FR) come after the English ones.
_ALIASES: dict[str, tuple[str, ...]] = {
    "time": (
        "time",
        "timestamp",
        "datetime",
        "t",
        "timeutc",
        "utctime",
        "timestamputc",
        "datetimeutc",
        "date_time",
        "timeiso",
        "isotime",
        "unixtime",
        "unixtimestamp",
        "epoch",
        "epochtime",
        "times",
        "timesec",
        "timesecs",
        "timeseconds",
        "seconds",
        "secs",
        "sec",
        "elapsed",
        "elapsedtime",
        "elapsedseconds",
        "elapseds",
        "timeelapsed",
        "relativetime",
        "reltime",
        "sampletime",
        "recordtime",
        "clocktime",
        "zeit",
        "uhrzeit",
        "zeitstempel",
        "datumzeit",
        "datumuhrzeit",
        "heure",
        "horodatage",
        "hora",
        "tiempo",
    ),
    "hr": (
        "hr",
        "heartrate",
        "hrate",
        "hf",
        "ecghr",
        "hrecg",
        "heartratebpm",
        "pulserate",
        "pulse",
        "pr",
        "plethhr",
        "hrpleth",
        "spo2hr",
        "hrspo2",
        "prspo2",
        "spo2pr",
        "plethpr",
        "prpleth",
        "bpm",
        "herzfrequenz",
        "puls",
        "pulsfrequenz",
        "fc",
        "frequencecardiaque",
        "frecuenciacardiaca",
        "pouls",
        "pulso",
    ),
    "sbp": (
        "sbp",
        "systolic",
        "sys",
        "systolicbp",
        "sysbp",
        "bpsys",
        "bpsystolic",
        "systolicbloodpressure",
        "systolicpressure",
        "nbps",
        "nibps",
        "nbpsys",
        "nibpsys",
        "nbpsbp",
        "nibpsbp",
        "nbpsystolic",
        "nibpsystolic",
        "cuffsbp",
        "cuffsys",
        "nisysabp",
        "noninvasivebloodpressuresystolic",
        "abpsys",
        "abps",
        "abpsbp",
        "abpsystolic",
        "artsys",
        "arts",
        "artsbp",
        "artsystolic",
        "ibpsys",
        "ibps",
        "ibpsbp",
        "sysabp",
        "arterialbpsystolic",
        "arterialbloodpressuresystolic",
        "rrsys",
        "rrsyst",
        "rrsystolisch",
        "systolisch",
        "nibpsyst",
        "pas",
        "systolique",
        "sistolica",
    ),
    "dbp": (
        "dbp",
        "diastolic",
        "dia",
        "dias",
        "diastolicbp",
        "diabp",
        "diasbp",
        "bpdia",
        "bpdias",
        "bpdiastolic",
        "diastolicbloodpressure",
        "diastolicpressure",
        "nbpd",
        "nibpd",
        "nbpdia",
        "nibpdia",
        "nbpdias",
        "nibpdias",
        "nbpdbp",
        "nibpdbp",
        "nbpdiastolic",
        "nibpdiastolic",
        "cuffdbp",
        "cuffdia",
        "nidiasabp",
        "noninvasivebloodpressurediastolic",
        "abpdias",
        "abpdia",
        "abpd",
        "abpdbp",
        "abpdiastolic",
        "artdias",
        "artdia",
        "artd",
        "artdbp",
        "artdiastolic",
        "ibpdia",
        "ibpdias",
        "ibpd",
        "ibpdbp",
        "diasabp",
        "arterialbpdiastolic",
        "arterialbloodpressurediastolic",
        "rrdia",
        "rrdias",
        "rrdiast",
        "rrdiastolisch",
        "diastolisch",
        "nibpdiast",
        "pad",
        "diastolique",
        "diastolica",
    ),
    "map": (
        "map",
        "mean",
        "meanbp",
        "mbp",
        "meanap",
        "meanpressure",
        "meanarterialpressure",
        "bpmean",
        "nbpm",
        "nibpm",
        "nbpmean",
        "nibpmean",
        "nbpmap",
        "nibpmap",
        "cuffmap",
        "cuffmean",
        "nimap",
        "noninvasivebloodpressuremean",
        "abpmean",
        "abpm",
        "abpmap",
        "artmean",
        "artm",
        "artmap",
        "ibpmean",
        "ibpm",
        "ibpmap",
        "arterialbpmean",
        "arterialbloodpressuremean",
        "rrmittel",
        "rrmitt",
        "rrm",
        "mad",
        "mitteldruck",
        "mittlererarteriellerdruck",
        "pam",
        "pressionarteriellemoyenne",
        "presionarterialmedia",
    ),
    "spo2": (
        "spo2",
        "sp02",
        "spo2pct",
        "spo2percent",
        "o2sat",
        "oxygensaturation",
        "pulseox",
        "pulseoximetry",
        "plethspo2",
        "spo2pleth",
        "spo2sat",
        "sao2",
        "sauerstoffsattigung",
        "o2sattigung",
        "saturation",
        "saturacion",
    ),
    "temp": (
        "temp",
        "temperature",
        "tempc",
        "temperaturec",
        "tempdegc",
        "temperaturedegc",
        "tempcelsius",
        "temperaturecelsius",
        "bodytemp",
        "bodytemperature",
        "bt",
        "tcore",
        "coretemp",
        "tempcore",
        "tbody",
        "skintemp",
        "tskin",
        "tempskin",
        "temperatur",
        "korpertemperatur",
        "korpertemp",
        "temperatura",
    ),
    "rr": (
        "rr",
        "resp",
        "resprate",
        "respiratoryrate",
        "respirationrate",
        "respirations",
        "rrate",
        "br",
        "breathingrate",
        "breathrate",
        "rpm",
        "awrr",
        "rrco2",
        "co2rr",
        "rrimp",
        "imprr",
        "resprr",
        "af",
        "atemfrequenz",
        "atmung",
        "fr",
        "frequencerespiratoire",
        "frecuenciarespiratoria",
    ),
}
_TEMP_F = (
    "tempf",
    "temperaturef",
    "tempdegf",
    "temperaturedegf",
    "tempfahrenheit",
    "temperaturefahrenheit",
    "bodytempf",
    "btf",
)
_TIME_MS = (
    "timems",
    "timestampms",
    "timemillis",
    "millis",
    "milliseconds",
    "ms",
    "elapsedms",
    "epochms",
    "timemsec",
    "unixtimems",
    "unixtimestampms",
    "epochtimems",
)
_UNIT_SUFFIXES = ("bpm", "mmhg", "pct", "percent", "degc", "celsius", "permin", "brpm", "min")
_SUFFIX_ENDS = {s[-3:] for s in _UNIT_SUFFIXES}  # a quick test before trying each suffix
_TEMP_C_UNITS = {"c", "degc", "celsius"}
_TEMP_F_UNITS = {"f", "degf", "fahrenheit"}
_TIME_UNITS_MS = {"ms", "msec", "millis", "milliseconds"}

_NOT_KEY_RE = re.compile(r"[^0-9a-z]")


def _key(text: str) -> str:
    """A header name as the tables spell it: "Température" -> "temperature", "SpO₂" -> "spo2"."""
    if text.isascii():
        return _NOT_KEY_RE.sub("", text.lower())
    return _NOT_KEY_RE.sub("", unicodedata.normalize("NFKD", text).lower())


_LOOKUP: dict[str, tuple[str, int]] = {}
for _vital, _names in _ALIASES.items():
    for _rank, _name in enumerate(_names):
        _k = _key(_name)
        if _k in _LOOKUP and _LOOKUP[_k][0] != _vital:  # pragma: no cover - table bug
            raise RuntimeError(f"alias {_k!r} names both {_LOOKUP[_k][0]} and {_vital}")
        _LOOKUP.setdefault(_k, (_vital, _rank))

_FIELDS = ("time",) + VITALS
_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_UNIT_RE = re.compile(r"^(.*?)\s*[\(\[\{]([^\)\]\}]*)[\)\]\}]\s*$")
# The header must be among the first this many non-blank lines (a device may write a preamble).
HEADER_SEARCH_LINES = 20
# Unknown columns named in the "Ignored" note; a wide export's others are counted.
_LISTED = 30


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
    time_utc: bool = False  # the time column's name says UTC: times without an offset are UTC
    notes: list[str] = field(default_factory=list)  # sentences about the header choices

    @property
    def column_map(self) -> dict[str, str]:
        """ "time" and each vital -> the header name it is read from."""
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
    m = _UNIT_RE.match(text) if text[-1:] in ")]}" else None
    if m and m.group(1).strip():
        text, unit = m.group(1), m.group(2)
    key = _key(text)
    ukey = _key(unit) if unit else ""
    if not key:
        return None
    extras: dict = {}
    if ukey in _TEMP_F_UNITS and (key == "t" or _LOOKUP.get(key, ("",))[0] == "temp"):
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
    if key[-3:] in _SUFFIX_ENDS:
        for suffix in _UNIT_SUFFIXES:
            if key.endswith(suffix) and key[: -len(suffix)] in _LOOKUP:
                vital, rank = _LOOKUP[key[: -len(suffix)]]
                return vital, 3, rank, extras
    for sep in ("/", ".", ":", "|"):
        if sep in text:
            last = _key(text.rsplit(sep, 1)[1])
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
    shown = [f"'{clip(s)}'" for s in items[:limit]]
    if len(items) > limit:
        shown.append(f"and {len(items) - limit} more")
    return ", ".join(shown)


def resolve_header(header_line: str, column_map: dict[str, str] | None = None, source: str = "<file>") -> HeaderMap:
    """Work out the delimiter and which column holds the time and each vital; raise CsvError."""
    line = header_line.replace("\ufeff", "").rstrip("\r\n")
    if len(line) > MAX_LINE_BYTES // 4 and len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
        raise CsvError(
            f"Cannot load '{source}': its header line is {size_text(len(line.encode('utf-8', 'surrogatepass')))} "
            f"long, more than the {size_text(MAX_LINE_BYTES)} a line may be."
        )
    delimiter = _sniff_delimiter(line)
    names = _split_header(line, delimiter)
    n_fields = len(names)

    chosen: dict[str, int] = {}
    extras: dict[str, dict] = {}
    for vital, header in (column_map or {}).items():
        key = str(vital).strip().lower()
        if key not in _FIELDS:
            raise CsvError(
                f"Cannot load '{source}': '{clip(vital)}' in the column mapping is not a vital "
                f"sign; use one of {', '.join(_FIELDS)}."
            )
        idx = _find_column(names, str(header))
        if idx is None:
            raise CsvError(
                f"Cannot load '{source}': column '{clip(header)}' given for {key} is not in its "
                f"header (the columns are {_quote_list(names)})."
            )
        if idx in chosen.values():
            other = next(v for v, i in chosen.items() if i == idx)
            raise CsvError(f"Cannot load '{source}': column '{clip(header)}' is mapped to both {other} and {key}.")
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
        taken = [(v, i) for v, i in chosen.items() if (cls := _classify(names[i])) and cls[0] == "time"]
        if taken:
            vital, i = taken[0]
            raise CsvError(
                f"Cannot load '{source}': column '{clip(names[i])}' given for {vital} is the time "
                f"column; map {vital} to another column, or name another time column with "
                f"--column time=NAME."
            )
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
    dup_names = {n for n, c in Counter(names).items() if c > 1}

    def label(i: int) -> str:
        shown = f"'{clip(names[i])}'"
        return f"{shown} (column {i + 1})" if names[i] in dup_names else shown

    unrecognised = [i for i in range(n_fields) if i not in used and i not in losers and names[i]]
    unnamed = sum(1 for i in range(n_fields) if i not in used and not names[i])
    parts = []
    if unrecognised:
        listed = ", ".join(label(i) for i in unrecognised[:_LISTED])
        more = f" and {len(unrecognised) - _LISTED} more" if len(unrecognised) > _LISTED else ""
        parts.append(f"{listed}{more} (not a vital sign this monitor shows)")
    by_vital: dict[str, list[str]] = {}
    for i in sorted(losers):
        by_vital.setdefault(losers[i], []).append(label(i))
    for vital in _FIELDS:
        if vital in by_vital:
            parts.append(f"{', '.join(by_vital[vital])} ({vital} is read from {label(chosen[vital])})")
    if unnamed:
        parts.append(f"{unnamed} unnamed column{'s' if unnamed > 1 else ''}")
    ignored = [names[i] for i in range(n_fields) if i not in used]
    if parts:
        n_ign = len(ignored)
        notes.append(f"Ignored {n_ign} column{'s' if n_ign != 1 else ''}: {'; '.join(parts)}.")

    renamed = [f"{v} from {label(i)}" for v, i in chosen.items() if names[i].strip().lower() != v]
    if renamed:
        notes.append(f"Columns read as: {', '.join(renamed)}.")
    fahrenheit = bool(extras.get("temp", {}).get("fahrenheit")) and "temp" in vital_index
    if fahrenheit:
        notes.append(f"Temperature column {label(chosen['temp'])} is in °F; it was converted to °C.")
    scale = float(extras.get("time", {}).get("scale", 1.0))
    if scale != 1.0:
        notes.append(f"Time column {label(chosen['time'])} is in milliseconds; it was converted to seconds.")

    # "datetime_utc", "Time (UTC)": the header itself says the zone, whatever --tz says.
    time_utc = "utc" in _key(names[chosen["time"]])

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
        time_utc=time_utc,
        notes=notes,
    )


def find_header(text: str, column_map, path: str) -> tuple[int, HeaderMap, str]:
    """(0-based line index of the header, the resolved header, the text after it).

    The header is the first non-blank line that names a time and a vital column; it must be
    among the first HEADER_SEARCH_LINES non-blank lines (those before it, a device's preamble,
    are skipped).
    """
    first_error: CsvError | None = None
    tried = 0
    pos = 0
    index = 0
    while pos <= len(text) and tried < HEADER_SEARCH_LINES:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.strip():
            tried += 1
            try:
                header = resolve_header(line, column_map, source=path)
                return index, header, ("" if end < 0 else text[end + 1 :])
            except CsvError as exc:
                first_error = first_error or exc
        if end < 0:
            break
        pos = end + 1
        index += 1
    if first_error is None:  # pragma: no cover - read_text rejects blank files
        raise CsvError(f"Cannot load '{path}': the file is empty.")
    first = next(ln for ln in text.split("\n", HEADER_SEARCH_LINES) if ln.strip())
    cells = [c.strip() for c in re.split(r"[,;\t|]", first.replace("\ufeff", "")) if c.strip()]
    looks_like_data = cells and sum(bool(re.fullmatch(r"[-+]?[\d.,:T Z+-]+", c)) for c in cells) > len(cells) / 2
    if looks_like_data and column_map is None:
        raise CsvError(
            f"Cannot load '{path}': its first line '{clip(first.strip(), 50)}' holds "
            f"data, not column names; add a header line such as time,hr,sbp,dbp."
        )
    raise first_error
