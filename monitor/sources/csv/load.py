"""A recorded CSV of vital signs (the whole file), tolerant of what real files look like.

`load_csv(path)` reads a file into a `VitalStore` and says, in plain sentences (`LoadResult.notes`),
everything it had to decide on the way: which column became which vital, which columns were
ignored, which time zone was assumed, whether rows were sorted or merged, which lines were rejected
and why, how many values were flagged as artifacts.

What it copes with:

* separators `,` `;` tab `|` (sniffed from the header), a UTF-8 byte-order mark, UTF-16 or UTF-32
  (with a mark or without), CRLF or CR line ends, decimal commas in files not separated by commas,
  quoted fields, blank lines, a trailing separator on every row, a short preamble before the
  header, the NUL bytes a crash leaves before a row;
* `time` as ISO 8601 with an offset, ISO 8601 without one (read in `assume_tz`, UTC by default, and
  said in a note), seconds since the start, Unix epoch seconds / ms / µs / ns, or Excel serial
  dates;
* header spellings of many devices and exports in any case (`HR`, `heart_rate`, `NBP-S`,
  `NIBP_SBP`, `ABPSys`, `SpO2`, `Temp (°C)`, `Solar8000/HR`, ...), plus an explicit mapping;
* rows with only some vitals (empty cell = not measured), rows out of time order (sorted),
  duplicate timestamps (merged, first value wins on conflict), malformed lines (rejected with
  their line number and reason; the rest still loads), impossible values (kept, flagged by the
  store as artifacts, counted).

The steps are modules of their own: `decode` (bytes to text), `headers` (which column is what),
`lines` and `times` (rows), `merge` (sorting and merging), all in `monitor.sources.csv`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from monitor.core.readings import VitalStore
from monitor.sources.csv.decode import read_text
from monitor.sources.csv.errors import RejectedLine
from monitor.sources.csv.headers import DELIMITER_NAMES, find_header
from monitor.sources.csv.lines import parse_body
from monitor.sources.csv.merge import sort_and_merge
from monitor.sources.csv.times import check_zone

__all__ = ["LoadResult", "load_csv"]


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


# How a note names the unit of epoch numbers told by their size ("ms", not "milliseconds": that
# word is the note of a header that says its times are in milliseconds, which are then scaled).
_EPOCH_UNIT_WORDS = {
    "s": "seconds",
    "ms": "ms (thousandths of a second)",
    "µs": "µs (millionths of a second)",
    "ns": "ns (billionths of a second)",
}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def load_csv(
    path, column_map: dict[str, str] | None = None, assume_tz: str = "UTC", *, skip_unterminated_last_line: bool = False
) -> LoadResult:
    """Load a whole CSV of vital signs into a VitalStore; raise CsvError if it cannot be read.

    skip_unterminated_last_line: for a file whose every line is written with its newline (a
    session's readings.csv), a last line without one was cut short by a crash; it may still have
    all its fields ("...,16" cut to "...,1"), so it is skipped rather than read as a reading."""
    p = os.fspath(path)
    text, notes = read_text(p)
    if skip_unterminated_last_line and text and not text.endswith("\n") and "\n" in text:
        cut = text.rfind("\n") + 1
        lineno = text.count("\n", 0, cut) + 1
        text = text[:cut]
        notes.append(f"Line {lineno} was cut short (the monitor stopped while writing it) and was skipped.")
    tz = check_zone(assume_tz, p)
    h, header, body = find_header(text, column_map, p)
    if h:
        skipped = sum(1 for ln in text.split("\n", h)[:h] if ln.strip())
        if skipped:
            notes.append(
                f"{_plural(skipped, 'line')} before the header (line {h + 1}) "
                f"{'was' if skipped == 1 else 'were'} skipped."
            )
    del text  # (body holds the lines after the header: the whole text need not stay while they are read)
    notes.extend(header.notes)
    if header.delimiter != ",":
        notes.append(f"Fields are separated by {DELIMITER_NAMES[header.delimiter]}s.")

    batch = parse_body(body, header, h + 2, tz, None)
    kind = batch.time_kind or "relative"
    if batch.time_kind == "absolute":
        if batch.naive_times:
            utc = tz == "UTC" or header.time_utc
            where = "UTC, as the column's name says" if header.time_utc else "UTC" if utc else f"local time in {tz}"
            n_abs = len(batch.times)
            which = (
                "The times in the file carry"
                if batch.naive_times >= n_abs
                else f"{batch.naive_times} of the {n_abs} times in the file carry"
            )
            notes.append(
                f"{which} no UTC offset; they were read as {where}"
                + ("; give the recording's time zone if that is wrong." if tz == "UTC" and not header.time_utc else ".")
            )
        if batch.dst_guess:
            notes.append(
                f"Some local times fell in the hour repeated when clocks went back in "
                f"{tz}; they were read as summer time."
            )
        excel = batch.epoch_units.get("Excel", 0)
        if excel:
            notes.append(
                "Times are Excel serial dates (days since 1899-12-30, the time of day as a fraction); "
                "they were read as dates and times."
            )
        epoch = {u: c for u, c in batch.epoch_units.items() if u != "Excel"}
        if epoch:
            if len(epoch) == 1:
                counted = _EPOCH_UNIT_WORDS[next(iter(epoch))]
            else:
                counted = ", ".join(f"{_EPOCH_UNIT_WORDS[u]} ({_plural(c, 'row')})" for u, c in epoch.items())
            notes.append(
                f"Times are numbers that look like Unix epoch time, counted in {counted} since "
                f"1970-01-01 UTC; they were read as absolute times (UTC)."
            )
    elif batch.time_kind == "relative":
        notes.append("Times are seconds since the start of the recording (no date).")
    if batch.decimal_commas:
        notes.append("Decimal commas were read as decimal points.")
    if batch.nul_lines:
        lines = ", ".join(str(n) for n in batch.nul_lines[:5]) + (" and more" if len(batch.nul_lines) > 5 else "")
        notes.append(
            f"{_plural(len(batch.nul_lines), 'line')} ({lines}) began with NUL bytes, as a crash leaves "
            f"them in a file; the NUL bytes were skipped and the {'row' if len(batch.nul_lines) == 1 else 'rows'} read."
        )

    rejected = batch.rejected
    if rejected:
        shown = "; ".join(f"line {r.line} ({r.reason})" for r in rejected[:5])
        more = f"; and {len(rejected) - 5} more" if len(rejected) > 5 else ""
        notes.append(
            f"{_plural(len(rejected), 'line')} {'was' if len(rejected) == 1 else 'were'} "
            f"rejected and the rest loaded: {shown}{more}."
        )

    merged = sort_and_merge(batch.times, batch.columns, batch.line_nos)
    if merged.empty_rows:
        notes.append(
            f"{_plural(merged.empty_rows, 'row')} had a time but no vital-sign value "
            f"and {'was' if merged.empty_rows == 1 else 'were'} skipped."
        )
    if merged.out_of_order:
        was = "was" if merged.out_of_order == 1 else "were"
        notes.append(
            f"{_plural(merged.out_of_order, 'row')} {was} out of time order (time "
            f"first goes backwards at line {merged.first_out_of_order_line}); the rows "
            f"were sorted by time."
        )
    if merged.duplicate_times:
        notes.append(
            f"{_plural(merged.duplicate_times, 'timestamp')} appeared on more than one "
            f"row ({merged.duplicate_rows} rows in all); the rows sharing a timestamp "
            f"were merged into one reading."
        )
    if merged.conflicts:
        notes.append(
            f"At {_plural(merged.conflicts, 'merged timestamp')} the rows gave different "
            f"values for the same vital; the first row's value was kept "
            f"(e.g. {merged.conflict_example})."
        )

    store = VitalStore()
    store.extend(merged.times, merged.columns)
    derived = int(store.map_derived().sum())
    if derived:
        if "map" in header.vital_index:
            notes.append(
                f"MAP was empty on {_plural(derived, 'reading')} with SBP and DBP; "
                f"it was computed as (SBP + 2 x DBP) / 3 there."
            )
        else:
            notes.append(
                f"The file has no MAP column; MAP was computed as (SBP + 2 x DBP) / 3 "
                f"for the {_plural(derived, 'reading')} with SBP and DBP."
            )
    artifacts = store.artifact_count()
    flagged = {v: c for v, c in artifacts.items() if c}
    if flagged:
        listed = ", ".join(f"{v} {c}" for v, c in flagged.items())
        notes.append(
            f"Implausible values were kept but flagged as artifacts and are not used for limit alarms: {listed}."
        )
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
