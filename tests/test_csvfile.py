"""The CSV reader: every real-world quirk from the issue, plus the real ICU recordings."""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from monitor.core.vitals import SPECS, VITALS
from monitor.sources.csv.errors import CsvError, RejectedLine
from monitor.sources.csv.headers import HeaderMap, resolve_header
from monitor.sources.csv.lines import parse_batch, parse_lines
from monitor.sources.csv.load import LoadResult, load_csv
from monitor.sources.csv.merge import sort_and_merge

DATA = Path(__file__).resolve().parent / "data"
QUIRKS = DATA / "quirks"
SHARED_REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def write(tmp_path: Path, text: str | bytes, name: str = "session.csv") -> Path:
    """Write exactly these characters/bytes (no newline translation)."""
    p = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    p.write_bytes(text)
    return p


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def col(result: LoadResult, vital: str) -> list[float]:
    return [None if math.isnan(v) else float(v) for v in result.store.column(vital)]


def notes_matching(result: LoadResult, pattern: str) -> list[str]:
    return [n for n in result.notes if re.search(pattern, n, re.I)]


# -- separators, encodings, line ends ------------------------------------------------------------

CLEAN_ROWS = [
    ["time", "hr", "sbp", "dbp", "spo2"],
    ["0", "70", "120", "80", "98"],
    ["1", "71", "", "", "97"],
    ["2", "72", "", "", ""],
]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_separator_gives_the_same_readings(tmp_path, sep):
    text = "\n".join(sep.join(r) for r in CLEAN_ROWS) + "\n"
    r = load_csv(write(tmp_path, text))
    assert r.rows == 3
    assert col(r, "hr") == [70, 71, 72]
    assert col(r, "sbp") == [120, None, None]
    assert col(r, "spo2") == [98, 97, None]
    assert list(r.store.t) == [0, 1, 2]
    assert r.rejected == []


def test_utf8_byte_order_mark_is_ignored(tmp_path):
    r = load_csv(write(tmp_path, "\ufefftime,HR\n0,70\n1,71\n"))
    assert r.column_map["time"] == "time"
    assert r.column_map["hr"] == "HR"
    assert col(r, "hr") == [70, 71]


def test_utf16_with_bom_is_read(tmp_path):
    r = load_csv(write(tmp_path, "time\thr\r\n0\t70\r\n".encode("utf-16")))
    assert col(r, "hr") == [70]


def test_crlf_line_ends_and_line_numbers(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\r\n0,70\r\n1,x\r\n2,72\r\n"))
    assert col(r, "hr") == [70, 72]
    assert r.rejected == [RejectedLine(3, "'x' in column hr is not a number")]


def test_old_mac_cr_line_ends(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\r0,70\r1,71\r"))
    assert col(r, "hr") == [70, 71]


def test_decimal_commas_in_a_semicolon_file(tmp_path):
    r = load_csv(write(tmp_path, "time;temp;spo2\n0;36,6;97,5\n1;37,1;98\n2;37.2;\n"))
    assert col(r, "temp") == [36.6, 37.1, 37.2]
    assert col(r, "spo2") == [97.5, 98, None]
    assert notes_matching(r, "decimal comma")


def test_no_decimal_comma_note_for_plain_semicolon_files(tmp_path):
    r = load_csv(write(tmp_path, "time;temp\n0;36.6\n"))
    assert col(r, "temp") == [36.6]
    assert not notes_matching(r, "decimal comma")
    assert notes_matching(r, "semicolon")


def test_quoted_fields_and_quoted_decimal_commas(tmp_path):
    r = load_csv(write(tmp_path, '"time","hr","temp","note"\n"0","70","36,6","cuff, left arm"\n"1","71","","ok"\n'))
    assert col(r, "hr") == [70, 71]
    assert col(r, "temp") == [36.6, None]
    assert r.rejected == []


def test_german_export_fixture():
    r = load_csv(QUIRKS / "semicolon_decimal_comma_bom_crlf.csv")
    assert r.column_map == {
        "time": "Zeit",
        "hr": "HF",
        "sbp": "NIBP_SBP",
        "dbp": "NIBP_DBP",
        "map": "NIBP_MAP",
        "spo2": "SpO2",
        "temp": "Temp",
        "rr": "AF",  # Atemfrequenz, the German monitors' label for the respiratory rate
    }
    assert r.time_kind == "absolute"
    assert r.store.t[0] == epoch("2024-05-01T09:00:00+00:00")
    assert col(r, "temp")[0] == 36.6
    assert col(r, "spo2")[3] == 97.5
    assert col(r, "map") == [None, None, 90, None]
    assert len(notes_matching(r, r"'AF'")) == 1


# -- times ---------------------------------------------------------------------------------------


def test_iso_with_offset_is_absolute_utc(tmp_path):
    r = load_csv(
        write(
            tmp_path, "time,hr\n2024-05-01T10:00:00+02:00,70\n2024-05-01T08:00:01Z,71\n2024-05-01T10:00:02.5+02:00,72\n"
        )
    )
    assert r.time_kind == "absolute"
    base = epoch("2024-05-01T08:00:00+00:00")
    assert list(r.store.t) == [base, base + 1, base + 2.5]
    assert not notes_matching(r, "offset")


def test_offsets_changing_at_a_dst_boundary_fixture():
    r = load_csv(QUIRKS / "tab_iso_offsets.csv")
    base = epoch("2024-10-27T00:59:58+00:00")
    assert list(r.store.t) == [base, base + 1, base + 2, base + 3]
    assert col(r, "sbp") == [None, 125, None, None]
    assert r.column_map["sbp"] == "NBP-S"


def test_iso_without_offset_assumes_utc_and_says_so(tmp_path):
    r = load_csv(write(tmp_path, "timestamp,hr\n2024-05-01 10:00:00,70\n2024-05-01T10:00:01,71\n"))
    assert r.time_kind == "absolute"
    assert r.store.t[0] == epoch("2024-05-01T10:00:00+00:00")
    (note,) = notes_matching(r, "no UTC offset")
    assert "UTC" in note


def test_iso_without_offset_in_a_named_zone(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n2024-05-01 10:00:00,70\n"), assume_tz="Europe/Berlin")
    assert r.store.t[0] == epoch("2024-05-01T08:00:00+00:00")
    (note,) = notes_matching(r, "no UTC offset")
    assert "Europe/Berlin" in note


def test_mixed_naive_and_offset_times_count_the_naive_ones(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n2024-05-01T10:00:00+02:00,70\n2024-05-01T08:00:01,71\n"))
    assert list(r.store.t) == [epoch("2024-05-01T08:00:00+00:00"), epoch("2024-05-01T08:00:01+00:00")]
    (note,) = notes_matching(r, "no UTC offset")
    assert note.startswith("1 of the 2 times")


def test_unknown_time_zone_is_a_csv_error(tmp_path):
    p = write(tmp_path, "time,hr\n2024-05-01 10:00:00,70\n")
    with pytest.raises(CsvError, match=r"'Mars/Olympus' is not a known time zone"):
        load_csv(p, assume_tz="Mars/Olympus")


def test_relative_seconds_are_kept_as_given(tmp_path):
    r = load_csv(write(tmp_path, "t,hr\n12.5,70\n13,71\n100,72\n"))
    assert r.time_kind == "relative"
    assert list(r.store.t) == [12.5, 13, 100]
    assert notes_matching(r, "seconds since the start")


def test_unix_epoch_numbers_are_absolute(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n1714550400,70\n1714550401,71\n"))
    assert r.time_kind == "absolute"
    assert list(r.store.t) == [1714550400, 1714550401]
    assert notes_matching(r, "epoch")


def test_time_in_milliseconds_column(tmp_path):
    r = load_csv(write(tmp_path, "time_ms,hr\n0,70\n1500,71\n"))
    assert list(r.store.t) == [0, 1.5]
    assert notes_matching(r, "milliseconds")


def test_time_of_the_other_kind_is_rejected(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n0,70\n1,71\n2024-05-01T10:00:00Z,72\n3,73\n"))
    assert r.time_kind == "relative"
    assert [x.line for x in r.rejected] == [4]
    assert "seconds since the start" in r.rejected[0].reason


# Time headers of real exports, recognised without --column. 1795856400 is 2026-11-28 09:00 UTC.
T0 = 1795856400


def test_the_reference_time_is_what_the_export_tests_assume():
    assert epoch("2026-11-28T09:00:00+00:00") == T0


@pytest.mark.parametrize(
    "header,cells,expected",
    [
        ("unix_time", ["1795856400", "1795856401"], [T0, T0 + 1]),
        ("epoch", ["1795856400", "1795856401"], [T0, T0 + 1]),
        ("timestamp_ms", ["1795856400000", "1795856401500"], [T0, T0 + 1.5]),
        ("Time [s]", ["1795856400", "1795856402"], [T0, T0 + 2]),
        ("datetime_utc", ["2026-11-28 09:00:00", "2026-11-28 09:00:01"], [T0, T0 + 1]),
    ],
)
def test_time_headers_of_real_exports_give_absolute_utc_seconds(tmp_path, header, cells, expected):
    r = load_csv(write(tmp_path, f"{header},hr\n{cells[0]},70\n{cells[1]},71\n"))
    assert r.column_map["time"] == header
    assert r.time_kind == "absolute"
    assert list(r.store.t) == expected
    assert col(r, "hr") == [70, 71]


@pytest.mark.parametrize("header", ["datetime_utc", "Time (UTC)", "timestamp_utc"])
def test_a_time_column_named_utc_is_utc_whatever_zone_is_assumed(tmp_path, header):
    r = load_csv(write(tmp_path, f"{header},hr\n2026-11-28 09:00:00,70\n"), assume_tz="Europe/Berlin")
    assert list(r.store.t) == [T0]
    assert notes_matching(r, "read as UTC, as the column's name says")
    plain = load_csv(write(tmp_path, "datetime,hr\n2026-11-28 10:00:00,70\n"), assume_tz="Europe/Berlin")
    assert list(plain.store.t) == [T0]  # a name without a zone is read in the zone given


def test_time_in_seconds_header_keeps_seconds_since_the_start(tmp_path):
    r = load_csv(write(tmp_path, "Time [s],hr\n0,70\n1.5,71\n"))
    assert r.column_map["time"] == "Time [s]"
    assert r.time_kind == "relative"
    assert list(r.store.t) == [0, 1.5]
    assert notes_matching(r, "seconds since the start")


def test_millisecond_epoch_numbers_are_recognised_by_magnitude(tmp_path):
    # The header says nothing of milliseconds: the size of the numbers does.
    r = load_csv(write(tmp_path, "time,hr\n1795856400000,70\n1795856400500,71\n"))
    assert r.time_kind == "absolute"
    assert list(r.store.t) == [T0, T0 + 0.5]
    assert not notes_matching(r, "milliseconds")
    assert notes_matching(r, "epoch")


@pytest.mark.parametrize("header", ["epoch_count", "time_zone", "unix_user", "epoch_length"])
def test_a_header_that_is_not_a_time_is_not_taken_for_one(tmp_path, header):
    with pytest.raises(CsvError, match=r"none of its columns .* is a time column"):
        load_csv(write(tmp_path, f"{header},hr\n1795856400,70\n"))
    r = load_csv(write(tmp_path, f"time,{header},hr\n5,1795856400,70\n"))
    assert r.column_map == {"time": "time", "hr": "hr"}
    assert list(r.store.t) == [5]


def test_a_time_column_wins_over_an_epoch_counter(tmp_path):
    # Sleep-study exports number 30 s "epochs": with a real time column present, that one is used.
    r = load_csv(write(tmp_path, "Epoch,Time,HR\n1,0,70\n2,30,71\n"))
    assert r.column_map["time"] == "Time"
    assert list(r.store.t) == [0, 30]


# -- header spellings ----------------------------------------------------------------------------

SPELLINGS = {
    "time": [
        "time",
        "timestamp",
        "datetime",
        "date_time",
        "t",
        "Time",
        "TIMESTAMP",
        "DateTime",
        "Time (s)",
        "elapsed_seconds",
    ],
    "hr": ["HR", "hr", "heart_rate", "Heart Rate", "pulse", "PR", "Pulse Rate", "HR (bpm)", "ECG_HR"],
    "sbp": ["systolic", "sys", "SBP", "NBP-S", "NIBP_SBP", "NBPSys", "ABPSys", "ART-S", "Systolic (mmHg)", "nbp_sys"],
    "dbp": ["diastolic", "dia", "DBP", "NBP-D", "NIBP_DBP", "NBPDias", "ABPDias", "ART-D"],
    "map": ["mean", "MAP", "NBP-M", "NIBP_MAP", "NBPMean", "ABPMean", "ART-M"],
    "spo2": ["SpO2", "spo2", "SPO2", "SpO2 (%)", "O2Sat"],
    "temp": ["Temp", "temperature", "TEMP", "Temp (°C)", "body_temp"],
    "rr": ["RR", "resp", "resp_rate", "respiratory_rate", "Resp Rate", "RESP"],
}


@pytest.mark.parametrize("vital,header", [(v, h) for v, hs in SPELLINGS.items() for h in hs if v != "time"])
def test_vital_header_spellings(tmp_path, vital, header):
    r = load_csv(write(tmp_path, f"time,{header}\n0,80\n"))
    assert r.column_map[vital] == header
    assert col(r, vital) == [80]


@pytest.mark.parametrize("header", SPELLINGS["time"])
def test_time_header_spellings(tmp_path, header):
    r = load_csv(write(tmp_path, f"{header},HR\n5,80\n"))
    assert r.column_map["time"] == header
    assert list(r.store.t) == [5]


def test_device_track_names_are_recognised_fixture():
    r = load_csv(QUIRKS / "vitaldb_style.csv")
    assert r.column_map["hr"] == "Solar8000/HR"
    assert r.column_map["spo2"] == "Solar8000/PLETH_SPO2"
    assert len(notes_matching(r, "'BIS/BIS'")) == 1


def test_fahrenheit_temperature_is_converted(tmp_path):
    r = load_csv(write(tmp_path, "time,Temp (°F)\n0,98.6\n"))
    assert col(r, "temp") == [37.0]
    assert notes_matching(r, "°F")


def test_explicit_mapping_for_unrecognised_headers(tmp_path):
    p = write(tmp_path, "Zeitpunkt,Herzschlag,Blutdruck oben\n0,80,120\n1,81,\n")
    r = load_csv(p, column_map={"time": "Zeitpunkt", "hr": "Herzschlag", "sbp": "Blutdruck oben"})
    assert r.column_map == {"time": "Zeitpunkt", "hr": "Herzschlag", "sbp": "Blutdruck oben"}
    assert col(r, "hr") == [80, 81]


def test_explicit_mapping_overrides_recognition(tmp_path):
    p = write(tmp_path, "time,hr,pulse\n0,80,82\n")
    r = load_csv(p, column_map={"hr": "pulse"})
    assert r.column_map["hr"] == "pulse"
    assert col(r, "hr") == [82]
    (note,) = notes_matching(r, "Ignored")
    assert "'hr' (hr is read from 'pulse')" in note


def test_explicit_mapping_matches_case_insensitively(tmp_path):
    r = load_csv(write(tmp_path, "time,Solar8000/HR\n0,80\n"), column_map={"hr": "solar8000/hr"})
    assert r.column_map["hr"] == "Solar8000/HR"


def test_explicit_mapping_to_a_missing_column_is_a_csv_error(tmp_path):
    p = write(tmp_path, "time,hr\n0,80\n")
    with pytest.raises(CsvError, match=r"column 'Solar8000/HR' given for hr is not in its header"):
        load_csv(p, column_map={"hr": "Solar8000/HR"})


def test_explicit_mapping_to_an_unknown_vital_is_a_csv_error(tmp_path):
    p = write(tmp_path, "time,hr\n0,80\n")
    with pytest.raises(CsvError, match=r"'hx' in the column mapping is not a vital sign"):
        load_csv(p, column_map={"hx": "hr"})


def test_extra_columns_are_ignored_and_named_once(tmp_path):
    p = write(tmp_path, "time,hr,bed,patient_note,sbp,device\n0,80,3,calm,120,X\n")
    r = load_csv(p)
    assert set(r.column_map) == {"time", "hr", "sbp"}
    ignored_notes = notes_matching(r, "Ignored")
    assert len(ignored_notes) == 1
    for name in ("bed", "patient_note", "device"):
        assert sum(n.count(f"'{name}'") for n in r.notes) == 1


def test_canonical_names_beat_aliases_in_the_real_layout():
    r = load_csv(DATA / "mimic2wdb_s00001_numerics.csv")
    assert r.column_map == {v: v for v in ("time", "hr", "sbp", "dbp", "map", "spo2", "temp", "rr")}
    (note,) = notes_matching(r, "Ignored")
    assert note == (
        "Ignored 8 columns: 'bp_source' (not a vital sign this monitor shows); 'pulse' "
        "(hr is read from 'hr'); 'art_sbp', 'nibp_sbp' (sbp is read from 'sbp'); "
        "'art_dbp', 'nibp_dbp' (dbp is read from 'dbp'); 'art_map', 'nibp_map' "
        "(map is read from 'map')."
    )


@pytest.mark.parametrize("order", [["pulse", "NBP-S", "ABPSys"], ["ABPSys", "NBP-S", "pulse"]])
def test_aliases_pick_deterministically_and_name_the_unused_one(tmp_path, order):
    p = write(tmp_path, "time," + ",".join(order) + "\n0,80,120,130\n")
    r = load_csv(p)
    assert r.column_map["hr"] == "pulse"
    assert r.column_map["sbp"] == "NBP-S"  # the cuff before the arterial line, whatever the order
    assert col(r, "sbp") == [120]
    (note,) = notes_matching(r, "Ignored")
    assert "'ABPSys' (sbp is read from 'NBP-S')" in note


def test_duplicate_header_names_use_the_first(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,hr\n0,80,90\n"))
    assert col(r, "hr") == [80]
    assert notes_matching(r, r"'hr' \(column 3\)")


# -- rows ----------------------------------------------------------------------------------------


def test_sparse_rows_leave_unmeasured_vitals_nan(tmp_path):
    lines = ["time,hr,sbp,dbp,map"] + [f"{i},{70 + i % 3},,," for i in range(300)]
    lines[121] = "120,71,118,77,90"
    r = load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert r.rows == 300
    assert np.count_nonzero(~np.isnan(r.store.column("sbp"))) == 1
    assert r.store.column("sbp")[120] == 118
    assert not r.store.map_derived().any()


def test_map_is_derived_when_the_file_has_none(tmp_path):
    r = load_csv(write(tmp_path, "time,sbp,dbp\n0,120,90\n"))
    assert col(r, "map") == [100]
    assert notes_matching(r, "no MAP column")


def test_rows_out_of_order_are_sorted_and_counted(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n0,70\n3,73\n1,71\n2,72\n4,74\n"))
    assert list(r.store.t) == [0, 1, 2, 3, 4]
    assert col(r, "hr") == [70, 71, 72, 73, 74]
    (note,) = notes_matching(r, "out of time order")
    assert note.startswith("1 row was out of time order")
    assert "line 4" in note


def test_duplicate_timestamps_are_merged(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,sbp,dbp\n0,70,,\n0,,120,80\n1,71,,\n1,72,118,79\n"))
    assert r.rows == 2
    assert col(r, "hr") == [70, 71]  # the first value wins
    assert col(r, "sbp") == [120, 118]
    (note,) = notes_matching(r, "more than one row")
    assert note.startswith("2 timestamps appeared on more than one row (4 rows in all)")
    (conflict,) = notes_matching(r, "first row's value was kept")
    assert conflict.startswith("At 1 merged timestamp")
    assert "line 5 gives hr 72 where line 4 gave 71" in conflict


def test_out_of_order_duplicates_keep_the_first_in_file_order(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n5,90\n1,70\n5,91\n"))
    assert list(r.store.t) == [1, 5]
    assert col(r, "hr") == [70, 90]


# -- malformed lines -----------------------------------------------------------------------------


def test_malformed_lines_fixture_rejects_with_line_numbers_and_keeps_the_rest():
    r = load_csv(QUIRKS / "malformed_lines.csv")
    assert r.rejected == [
        RejectedLine(4, "expected 5 fields, found 3"),
        RejectedLine(5, "'abc' in column hr is not a number"),
        RejectedLine(7, "time '2024-13-45' is not a time"),
        RejectedLine(8, "expected 5 fields, found 6"),
    ]
    assert list(r.store.t) == [0, 1, 6, 7]
    assert r.rows == 4
    (note,) = notes_matching(r, "rejected")
    assert note.startswith("4 lines were rejected and the rest loaded: line 4 (expected 5 fields")


@pytest.mark.parametrize(
    "line,reason",
    [
        ("7,70,80", "expected 4 fields, found 3"),
        ("7,70,80,90,100", "expected 4 fields, found 5"),
        ("7,seventy,80,90", "'seventy' in column HR is not a number"),
        ("7,72 bpm,80,90", "'72 bpm' in column HR is not a number"),
        ("7,inf,80,90", "'inf' in column HR is not a finite number"),
        ("yesterday,70,80,90", "time 'yesterday' is not a time"),
        (",70,80,90", "time is empty"),
    ],
)
def test_each_malformed_kind_has_its_reason_and_line(tmp_path, line, reason):
    text = "time,HR,sbp,dbp\n0,70,120,80\n\n" + line + "\n9,71,,\n"
    r = load_csv(write(tmp_path, text))
    assert r.rejected == [RejectedLine(4, reason)]
    assert list(r.store.t) == [0, 9]


def test_malformed_lines_in_a_file_with_many_rows(tmp_path):
    lines = ["time,hr,spo2"] + [f"{i},{60 + i % 40},{95 + i % 5}" for i in range(5000)]
    lines[1001] = "1000,71"
    lines[4001] = "4000,abc,97"
    r = load_csv(write(tmp_path, "\r\n".join(lines) + "\r\n"))
    assert [x.line for x in r.rejected] == [1002, 4002]
    assert r.rows == 4998


def test_trailing_separators_on_data_rows_are_tolerated(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n0,70,\n1,71,,\n"))
    assert col(r, "hr") == [70, 71]
    assert r.rejected == []


def test_not_measured_markers(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,spo2\n0,NaN,--\n1,N/A,97\n2, ,null\n"))
    assert col(r, "spo2") == [97]
    assert r.rejected == []


def test_rows_of_nothing_but_separators_are_blank(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,spo2\n0,70,98\n,,\n , ,\n1,71,97\n"))
    assert r.rows == 2 and r.rejected == []


def test_a_row_without_time_but_with_values_is_rejected(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,spo2\n0,70,98\n,abc,\n,72,\n"))
    assert r.rejected == [RejectedLine(3, "time is empty"), RejectedLine(4, "time is empty")]


def test_rows_with_a_time_but_only_ignored_values_are_skipped_and_said(tmp_path):
    r = load_csv(write(tmp_path, "time,hr,pulse\n0,70,71\n1,,72\n"))
    assert r.rows == 1
    assert notes_matching(r, "1 row had a time but no vital-sign value")


def test_preamble_before_the_header_is_skipped(tmp_path):
    r = load_csv(write(tmp_path, "Monitor export v2\nPatient: anonymous\n\ntime,hr\n0,70\nx,1\n"))
    assert col(r, "hr") == [70]
    assert r.rejected == [RejectedLine(6, "time 'x' is not a time")]
    assert notes_matching(r, "2 lines before the header")


# -- impossible values ---------------------------------------------------------------------------


def test_impossible_values_are_kept_flagged_and_counted(tmp_path):
    r = load_csv(
        write(tmp_path, "time,hr,sbp,dbp,map\n0,0,120,80,93\n1,70,11647,80,90\n2,71,70,90,83\n3,72,120,80,93\n")
    )
    assert r.rows == 4
    assert col(r, "hr") == [0, 70, 71, 72]
    assert col(r, "sbp") == [120, 11647, 70, 120]
    assert list(r.store.artifacts("hr")) == [True, False, False, False]
    assert list(r.store.artifacts("sbp")) == [False, True, True, False]
    # One implausible value condemns the whole cuff reading (SBP, DBP and MAP of that row)
    assert list(r.store.artifacts("dbp")) == [False, True, True, False]
    assert r.artifacts == {"hr": 1, "sbp": 2, "dbp": 2, "map": 2, "spo2": 0, "temp": 0, "rr": 0}
    (note,) = notes_matching(r, "artifacts")
    assert "hr 1, sbp 2, dbp 2, map 2" in note


# -- files that cannot be loaded -----------------------------------------------------------------


def assert_one_sentence(exc: CsvError, path: Path, reason: str):
    msg = str(exc)
    assert str(path) in msg
    assert reason in msg
    assert msg.endswith(".") and "\n" not in msg


def test_missing_file(tmp_path):
    p = tmp_path / "nope.csv"
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "does not exist")


def test_directory(tmp_path):
    with pytest.raises(CsvError) as e:
        load_csv(tmp_path)
    assert_one_sentence(e.value, tmp_path, "is a directory")


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    p = write(tmp_path, content)
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "the file is empty")


def test_binary_file(tmp_path):
    p = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "binary file")


def test_no_time_column(tmp_path):
    p = write(tmp_path, "hr,sbp\n70,120\n")
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "is a time column")
    assert "'hr', 'sbp'" in str(e.value)


def test_no_vital_column(tmp_path):
    p = write(tmp_path, "time,weight,height\n0,70,180\n")
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "is a vital sign")


def test_file_without_a_header_line(tmp_path):
    p = write(tmp_path, "0,70,120\n1,71,\n")
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert_one_sentence(e.value, p, "holds data, not column names")


def test_header_only_loads_nothing_and_says_so(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n"))
    assert r.rows == 0 and len(r.store) == 0
    assert notes_matching(r, "No readings")


def test_latin1_file_is_read_with_a_note(tmp_path):
    r = load_csv(write(tmp_path, "time;Temp (°C)\n0;36,6\n".encode("latin-1")))
    assert col(r, "temp") == [36.6]
    assert notes_matching(r, "not UTF-8")


# -- the pieces a file follower reuses -----------------------------------------------------------


def test_resolve_header_and_parse_lines_in_batches():
    header = resolve_header("time;HR;NBP-S;NBP-D\r\n")
    assert isinstance(header, HeaderMap)
    assert header.delimiter == ";" and header.decimal_comma
    assert header.time_index == 0 and header.vital_index == {"hr": 1, "sbp": 2, "dbp": 3}
    assert header.n_fields == 4
    t, cols, rejected, kind = parse_lines(["0;70;;\r\n", "1;71;120;80\r\n"], header, 2)
    assert kind == "relative" and list(t) == [0, 1]
    assert list(cols["sbp"][1:]) == [120]
    t, cols, rejected, kind = parse_lines(["2;72;;\n", "3;x;;\n", "4;74\n"], header, 4)
    assert list(t) == [2]
    assert rejected == [
        RejectedLine(5, "'x' in column HR is not a number"),
        RejectedLine(6, "expected 4 fields, found 2"),
    ]


def test_parse_batch_enforces_an_earlier_time_kind():
    header = resolve_header("time,hr")
    b = parse_batch(["2024-05-01T10:00:00Z,70", "5,71"], header, 10, time_kind="absolute")
    assert b.time_kind == "absolute"
    assert list(b.line_nos) == [10]
    assert b.rejected[0].line == 11 and "is a number" in b.rejected[0].reason


def test_the_python_fallback_reads_the_same_as_pandas(tmp_path, monkeypatch):
    """If pandas' C parser ever balks, the exact per-line split gives the same result."""
    p = write(tmp_path, "time;HR;Temp;SpO2\n0;70;36,6;98\n1;x;;97\n3;72;;\n2;71;37,0;\n")
    fast = load_csv(p)

    def broken(*args, **kwargs):
        raise ValueError("simulated parser failure")

    monkeypatch.setattr("monitor.sources.csv.lines.pd.read_csv", broken)
    slow = load_csv(p)
    assert slow.rejected == fast.rejected == [RejectedLine(3, "'x' in column HR is not a number")]
    assert slow.notes == fast.notes
    for name in VITALS:
        np.testing.assert_array_equal(slow.store.column(name), fast.store.column(name))
    np.testing.assert_array_equal(slow.store.t, fast.store.t)


def test_resolve_header_errors_name_the_source():
    with pytest.raises(CsvError, match=r"Cannot load 'live.csv': none of its columns"):
        resolve_header("a,b,c", source="live.csv")


def test_sort_and_merge_on_its_own():
    m = sort_and_merge(
        np.array([2.0, 1.0, 1.0]), {"hr": np.array([72.0, 70.0, np.nan]), "spo2": np.array([np.nan, np.nan, 97.0])}
    )
    assert list(m.times) == [1, 2]
    assert list(m.columns["hr"]) == [70, 72]
    assert m.duplicate_times == 1 and m.out_of_order == 1 and m.conflicts == 0


# -- real recordings -----------------------------------------------------------------------------

REAL_TEST_FILES = sorted(DATA.glob("*.csv"))


def test_the_real_test_files_are_there():
    assert len(REAL_TEST_FILES) >= 8


@pytest.mark.parametrize("path", REAL_TEST_FILES, ids=lambda p: p.name)
def test_every_real_test_file_loads_cleanly(path):
    r = load_csv(path)
    assert r.rows > 0
    assert r.rejected == []
    assert r.time_kind == "relative"
    assert r.column_map["hr"] == "hr" and r.column_map["sbp"] == "sbp"
    assert np.all(np.diff(r.store.t) > 0)
    assert r.artifacts == r.store.artifact_count()


def _narrow_cuff_rows(path: Path) -> int:
    """Rows whose cuff reading is condemned as a whole (pulse pressure below 10 mmHg, or one of its
    values implausible), beyond what the README counts per column."""
    from monitor.core.vitals import cuff_problem

    def num(row, k):
        return float(row[k]) if row.get(k) else float("nan")

    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return sum(
        1
        for row in rows
        if any(row.get(k) for k in ("sbp", "dbp", "map"))
        and cuff_problem(num(row, "sbp"), num(row, "dbp"), num(row, "map")) is not None
    )


def _rows_with_a_vital(path: Path) -> int:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return sum(1 for row in rows if any(row[v] for v in VITALS))


# Artifact counts per vital, read off the README's quirks column: "hr=0 x3" and "hr outside
# 20-250 x1" count for hr; "dbp>=sbp xN" flags sbp, dbp and map on the same rows, and so does
# a cuff reading whose pulse pressure is below 10 mmHg (challenge2012_137018: 2 rows, 286020: 1) or
# one of whose values is implausible (the whole reading is one measurement).
REAL_EXPECTED = {
    "mimic3demo_icustay_298685.csv": {"hr": 3, "sbp": 1, "dbp": 1, "map": 4, "spo2": 1, "rr": 1},
    "mimic3demo_icustay_224063.csv": {"hr": 1, "spo2": 1, "rr": 1},
    "challenge2012_137018.csv": {"sbp": 6, "dbp": 6, "map": 6},
    "mimic2wdb_s00001_numerics.csv": {"hr": 1},
    "mimic3demo_icustay_286020.csv": {"sbp": 2, "dbp": 2, "map": 2, "rr": 1},
    "mimic3demo_icustay_283181.csv": {"map": 7},
    "mimic3demo_icustay_204132.csv": {"spo2": 1},
    "challenge2012_134002.csv": {},  # its zeros are in nibp_* columns, which are not used
    "mimic3demo_icustay_210164.csv": {},
}


@pytest.mark.parametrize("name,expected", sorted(REAL_EXPECTED.items()))
def test_real_artifact_counts_match_the_readme(name, expected):
    r = load_csv(DATA / name)
    assert {v: c for v, c in r.artifacts.items() if c} == expected
    assert r.rows == _rows_with_a_vital(DATA / name)


def test_real_298685_keeps_the_zeros_in_the_store():
    r = load_csv(DATA / "mimic3demo_icustay_298685.csv")
    hr = r.store.column("hr")
    zero = hr == 0
    assert zero.sum() == 3
    assert r.store.artifacts("hr")[zero].all()
    i = int(np.flatnonzero(r.store.t == 267180)[0])  # the row with sbp 0, dbp 0, map 39
    assert (r.store.column("sbp")[i], r.store.column("dbp")[i]) == (0, 0)
    assert r.store.artifacts("sbp")[i] and r.store.artifacts("map")[i]


def test_real_137018_art_zeros_win_over_the_cuff():
    """The canonical sbp column (0, arterial line) is used, not nibp_sbp (122) on the same row."""
    r = load_csv(DATA / "challenge2012_137018.csv")
    i = int(np.flatnonzero(r.store.t == 121320)[0])
    assert r.store.column("sbp")[i] == 0 and r.store.column("map")[i] == 253
    assert r.store.artifacts("sbp")[i]


def _quirk_count(quirks: str, pattern: str) -> int:
    return sum(int(n) for n in re.findall(pattern + r" x(\d+)", quirks))


def _flagged_in_readme(quirks: str, vital: str) -> int:
    """Count of "hr=0 xN" plus "hr outside 20-250 xN" (not art_hr..., not nibp_...)."""
    return _quirk_count(quirks, rf"(?<![_a-z]){vital}=0") + _quirk_count(quirks, rf"(?<![_a-z]){vital} outside \S+")


@pytest.mark.skipif(not SHARED_REAL.is_dir(), reason="the shared development set is not here")
def test_every_shared_real_file_loads_and_matches_its_quirks():
    with open(SHARED_REAL / "index.csv", newline="") as f:
        index = {row["file"]: row for row in csv.DictReader(f)}
    files = sorted(p for p in SHARED_REAL.glob("*.csv") if p.name != "index.csv")
    assert len(files) == len(index)
    for path in files:
        r = load_csv(path)
        assert r.rejected == [], path.name
        assert r.rows == _rows_with_a_vital(path), path.name
        q = index[path.name]["quirks"]
        inverted = _quirk_count(q, r"dbp>=sbp") + _narrow_cuff_rows(path)
        with open(path, newline="") as f:
            raw = list(csv.DictReader(f))
        for v in ("hr", "spo2", "rr", "temp"):
            # The README counts against its own ranges; ours are the monitors' measuring ranges
            # (monitor.core.vitals), as wide or wider: SpO2 45 % is a real reading, not an artifact.
            outside = sum(1 for row in raw if row.get(v) and not (SPECS[v].low <= float(row[v]) <= SPECS[v].high))
            assert r.artifacts[v] == outside <= _flagged_in_readme(q, v), (path.name, v)
        for v in ("sbp", "dbp", "map"):
            base = _flagged_in_readme(q, v)
            assert base <= r.artifacts[v] <= base + inverted, (path.name, v)


@pytest.mark.skipif(not SHARED_REAL.is_dir(), reason="the shared development set is not here")
def test_the_shared_index_is_not_a_recording():
    with pytest.raises(CsvError, match="is a time column"):
        load_csv(SHARED_REAL / "index.csv")
