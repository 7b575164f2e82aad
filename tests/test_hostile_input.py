"""Input that is wrong in ways that used to mislead, hang or crash the reader (issue 13, "Faults
and hostile input"): a header of 100,000 columns, a FIFO or a device for a file, files and lines
beyond any recording, "1,200" in a comma-separated file, Excel dates and epoch times in µs or ns,
UTC offsets with seconds, UTF-16 without a byte-order mark, a vital mapped to the time column or
given twice, a 309-digit cell, sub-second durations and "-0" in a thresholds file, a row written
after a crash's block of NUL bytes, and German, French and Spanish header names.

Each case is checked where a user meets it: the whole-file loader, the functions the live
follower calls (`resolve_header`, `parse_batch`), the thresholds loader, or the command line.
"""

from __future__ import annotations

import math
import os
import re
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.commands.main import main
from monitor.commands.options import UsageError, column_map
from monitor.core.thresholds_loader import ConfigError, load_thresholds
from monitor.core.thresholds_text import format_rules
from monitor.sources.csv.bounds import MAX_FILE_BYTES, MAX_LINE_BYTES
from monitor.sources.csv.errors import CsvError
from monitor.sources.csv.headers import resolve_header
from monitor.sources.csv.lines import parse_batch
from monitor.sources.csv.load import LoadResult, load_csv

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOML = (ROOT / "thresholds.toml").read_text(encoding="utf-8")
T0 = 1795856400  # 2026-11-28 09:00:00 UTC
MINIMAL_TOML = "[vitals.hr.upper]\nmedium = 110\n[vitals.sbp.upper]\nmedium = 160\n[vitals.dbp.upper]\nmedium = 100\n"


def write(tmp_path: Path, data: str | bytes, name: str = "in.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def col(r: LoadResult, vital: str) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in r.store.column(vital)]


def notes(r: LoadResult, pattern: str) -> list[str]:
    return [n for n in r.notes if re.search(pattern, n, re.I)]


@pytest.fixture
def no_hang():
    """Fails the test (instead of hanging the run) when a read blocks for 20 s."""

    def hung(signum, frame):
        raise TimeoutError("the command blocked: it waited on something that is not a regular file")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- 1. a header of 100,000 columns --------------------------------------------------------------

WIDE = ["time", "hr"] + [f"column_{i}" for i in range(100_000)]


# How long these take is a benchmark's figure (benchmarks/bench_csv.py, target < 2 s), not a test's.
def test_a_header_of_100000_columns_is_resolved_its_unknown_columns_counted():
    h = resolve_header(",".join(WIDE), source="wide.csv")  # what the live follower calls
    assert h.column_map == {"time": "time", "hr": "hr"}
    (note,) = [n for n in h.notes if n.startswith("Ignored")]
    # The unknown columns are counted, not all 100,000 listed.
    assert note.startswith("Ignored 100000 columns: 'column_0', 'column_1'") and "and 99970 more" in note
    assert len(note) < 2000


def test_a_file_with_a_header_of_100000_columns_loads(tmp_path):
    rows = "".join(",".join([str(t), str(70 + t)] + [""] * 100_000) + "\n" for t in range(3))
    p = write(tmp_path, ",".join(WIDE) + "\n" + rows)
    r = load_csv(p)
    assert list(r.store.t) == [0, 1, 2] and col(r, "hr") == [70, 71, 72]


def test_duplicate_column_names_in_a_wide_header_are_still_told_apart():
    h = resolve_header(",".join(["time", "hr", "x", "x"] + [f"c{i}" for i in range(5000)]))
    assert "'x' (column 3), 'x' (column 4)" in h.notes[0]


# -- 2. what is not a regular file, and what is too large ----------------------------------------


@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "pipe.csv"
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("command", ["alarms", "report", "replay"])
def test_a_fifo_given_as_input_is_refused_not_waited_on(command, fifo, capsys, no_hang):
    rc, out, err = run_cli(capsys, command, str(fifo))
    assert rc == 2 and out == ""
    assert one_sentence(err) == f"vitals-monitor: Cannot load '{fifo}': it is a FIFO (named pipe), not a regular file."


def test_a_fifo_as_thresholds_file_is_refused_by_check_config_and_thresholds(fifo, tmp_path, capsys, no_hang):
    rc, out, err = run_cli(capsys, "check-config", str(fifo))
    assert rc == 2 and out == ""
    assert one_sentence(err) == f"{fifo}: is a FIFO (named pipe), not a regular file"
    good = write(tmp_path, f"time,hr\n{T0},70\n")
    rc, out, err = run_cli(capsys, "alarms", str(good), "--thresholds", str(fifo))
    assert rc == 2 and out == ""
    assert one_sentence(err) == f"vitals-monitor: {fifo}: is a FIFO (named pipe), not a regular file"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_before_anything_is_read(capsys, no_hang):
    rc, _, err = run_cli(capsys, "alarms", "/dev/zero")
    assert rc == 2
    assert one_sentence(err) == "vitals-monitor: Cannot load '/dev/zero': it is a character device, not a regular file."
    with pytest.raises(ConfigError) as info:
        load_thresholds("/dev/zero")
    assert info.value.errors == ["/dev/zero: is a character device, not a regular file"]


def test_a_directory_is_still_named_as_a_directory(tmp_path):
    with pytest.raises(CsvError, match="it is a directory, not a CSV file"):
        load_csv(tmp_path)


def test_a_csv_beyond_the_file_bound_is_refused_without_being_read(tmp_path):
    p = write(tmp_path, f"time,hr\n{T0},70\n")
    with open(p, "r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, and a read would take memory
    with pytest.raises(CsvError) as e:
        load_csv(p)
    assert str(e.value) == (
        f"Cannot load '{p}': it is 268,435,457 bytes, more than the 256 MiB a CSV of readings may be "
        f"(a 24-hour recording at 10 readings a second is about 60 MB)."
    )


def test_a_thresholds_file_beyond_its_bound_is_refused(tmp_path):
    p = write(tmp_path, MINIMAL_TOML + "#" * (2 * 1024 * 1024) + "\n", "big.toml")
    with pytest.raises(ConfigError) as info:
        load_thresholds(p)
    assert info.value.errors == [
        f"{p}: is 2.0 MiB, more than the 1 MiB a thresholds file may be "
        "(the default one, with every source commented, is about 10 KiB)"
    ]


def test_the_bounds_leave_a_day_at_10_readings_a_second_far_inside():
    row = "2026-11-28T09:00:00.100+00:00,72,120,80,93,98,36.7,16\n"  # every vital on every row
    day_at_10_hz = len(row) * 24 * 3600 * 10
    assert 40e6 < day_at_10_hz < 60e6
    assert day_at_10_hz * 4 < MAX_FILE_BYTES
    assert len(",".join(WIDE)) < MAX_LINE_BYTES / 2


def test_a_line_beyond_the_line_bound_is_rejected_and_the_rest_loads(tmp_path):
    cell = "7" * (5 * 1024 * 1024)
    p = write(tmp_path, f"time,hr\n0,70\n1,{cell}\n2,72\n")
    r = load_csv(p)
    assert list(r.store.t) == [0, 2] and col(r, "hr") == [70, 72]
    assert [(x.line, x.reason) for x in r.rejected] == [
        (3, "the line is 5.0 MiB long, more than the 4 MiB a line may be")
    ]
    # The live follower's path says the same.
    h = resolve_header("time,hr")
    b = parse_batch(["0,70\n", f"1,{cell}\n"], h, 2)
    assert list(b.times) == [0] and [x.line for x in b.rejected] == [3]


def test_a_header_line_beyond_the_line_bound_is_refused():
    with pytest.raises(CsvError, match=r"its header line is 5\.0 MiB long, more than the 4 MiB a line may be"):
        resolve_header("time,hr," + "x" * (5 * 1024 * 1024), source="f.csv")


def test_a_one_gigabyte_cell_ends_in_a_sentence_not_a_memory_error(tmp_path):
    p = tmp_path / "cell.csv"
    with open(p, "wb") as f:
        f.write(b"time,hr\n0,")
        f.truncate(1 << 30)  # a 1 GiB cell of NUL bytes, sparse on disk
    with pytest.raises(CsvError, match="it is 1 GiB, more than the 256 MiB a CSV of readings may be"):
        load_csv(p)


@pytest.fixture
def loop(tmp_path):
    p = tmp_path / "loop.csv"
    p.symlink_to(p)
    return p


@pytest.mark.parametrize("command", ["alarms", "report", "replay"])
def test_a_symbolic_link_loop_is_named_as_one(command, loop, capsys):
    rc, _, err = run_cli(capsys, command, str(loop))
    assert rc == 2
    msg = one_sentence(err)
    assert msg == (
        f"vitals-monitor: Cannot load '{loop}': it is a symbolic link loop (its links lead back round to themselves)."
    )
    assert "does not exist" not in msg


def test_a_thresholds_symbolic_link_loop_is_named_as_one(loop, tmp_path, monkeypatch, capsys):
    rc, _, err = run_cli(capsys, "check-config", str(loop))
    assert rc == 2
    assert one_sentence(err) == f"{loop}: is a symbolic link loop (its links lead back round to themselves)"
    # ./thresholds.toml as a loop is named too, not skipped for the packaged defaults.
    (tmp_path / "thresholds.toml").symlink_to(tmp_path / "thresholds.toml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="thresholds.toml: is a symbolic link loop"):
        load_thresholds()


# -- 3. "1,200" in a comma-separated file ---------------------------------------------------------


def test_a_quoted_thousands_comma_is_ambiguous_and_its_line_rejected(tmp_path):
    p = write(tmp_path, 'time,hr,sbp\n0,70,120\n1,71,"1,200"\n"2,000",72,121\n3,73,122\n')
    r = load_csv(p)
    assert list(r.store.t) == [0, 3] and col(r, "sbp") == [120, 122]
    assert [(x.line, x.reason) for x in r.rejected] == [
        (3, "'1,200' in column sbp is ambiguous: 1.2 or 1200 (a decimal comma or a thousands separator)"),
        (4, "'2,000' in column time is ambiguous: 2 or 2000 (a decimal comma or a thousands separator)"),
    ]
    assert notes(r, r"2 lines were rejected .*ambiguous: 1\.2 or 1200")
    # The follower's path is the same.
    b = parse_batch(['1,71,"1,200"'], resolve_header("time,hr,sbp"), 5)
    assert len(b.times) == 0 and "ambiguous: 1.2 or 1200" in b.rejected[0].reason


def test_quoted_decimal_commas_that_cannot_be_thousands_are_still_read(tmp_path):
    p = write(tmp_path, 'time,hr,temp,note\n0,70,"36,5","1,200 ml"\n1,71,"0,500","x"\n2,72,"37,25","1,200"\n')
    r = load_csv(p)
    # "36,5", "0,500" and "37,25" are decimal commas; "1,200" in a column not read rejects nothing.
    assert col(r, "temp") == [36.5, 0.5, 37.25]
    assert r.rejected == []


# -- 4. Excel serial dates, epoch times by size, offsets with seconds ------------------------------


def excel_epoch(serial: float, offset_h: float = 0.0) -> float:
    wall = datetime(1899, 12, 30, tzinfo=UTC) + timedelta(days=serial)
    return round(wall.timestamp() - offset_h * 3600, 3)


def test_excel_serial_dates_are_read_as_dates_in_the_assumed_zone(tmp_path):
    serials = [46000.375 + i / 86400 for i in range(3)]
    p = write(tmp_path, "time,hr\n" + "".join(f"{s!r},{70 + i}\n" for i, s in enumerate(serials)))
    r = load_csv(p)
    assert r.time_kind == "absolute"
    assert datetime.fromtimestamp(r.store.t[0], UTC) == datetime(2025, 12, 9, 9, 0, tzinfo=UTC)
    assert list(r.store.t) == pytest.approx([excel_epoch(s) for s in serials], abs=1e-3)
    assert notes(r, r"^Times are Excel serial dates \(days since 1899-12-30")
    assert notes(r, "no UTC offset; they were read as UTC")
    berlin = load_csv(p, assume_tz="Europe/Berlin")  # 09:00 in Berlin in December is 08:00 UTC
    assert list(berlin.store.t) == pytest.approx([excel_epoch(s, 1) for s in serials], abs=1e-3)


def test_seconds_since_the_start_in_excels_range_stay_seconds(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n40000,70\n40001,71\n40002,72\n"))
    assert r.time_kind == "relative" and list(r.store.t) == [40000, 40001, 40002]


@pytest.mark.parametrize(
    "scale,unit",
    [(1, "seconds"), (1000, r"ms \(thousandths"), (10**6, r"µs \(millionths"), (10**9, r"ns \(billionths")],
)
def test_epoch_numbers_are_told_by_their_size_and_the_unit_said(tmp_path, scale, unit):
    r = load_csv(write(tmp_path, f"time,hr\n{T0 * scale},70\n{(T0 + 1) * scale},71\n"))
    assert r.time_kind == "absolute" and r.rejected == []
    assert list(r.store.t) == [T0, T0 + 1]
    assert notes(r, f"Unix epoch time, counted in {unit}.* since 1970-01-01 UTC")


def test_a_utc_offset_with_seconds_is_an_offset(tmp_path):
    r = load_csv(write(tmp_path, "time,hr\n2026-11-28T09:00:00+05:30:15,70\n2026-11-28T09:00:01+05:30:15,71\n"))
    assert list(r.store.t) == [T0 - 19815, T0 - 19814]
    assert not notes(r, "no UTC offset")


# -- 5. UTF-16 and UTF-32, with and without a byte-order mark --------------------------------------

CSV_TEXT = f"time,hr\n{T0},70\n{T0 + 1},71\n"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_csv_in_utf16_or_utf32_without_a_mark_is_read_and_said(tmp_path, codec):
    r = load_csv(write(tmp_path, CSV_TEXT.encode(codec)))
    assert list(r.store.t) == [T0, T0 + 1] and col(r, "hr") == [70, 71]
    width = codec[:6].upper()
    assert notes(r, f"The file is {width} text without a byte-order mark; it was read as {codec.upper()}")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_csv_with_a_byte_order_mark_is_read(tmp_path, codec):
    r = load_csv(write(tmp_path, CSV_TEXT.encode(codec)))
    assert list(r.store.t) == [T0, T0 + 1]
    assert not notes(r, "byte-order mark")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32"])
def test_a_thresholds_file_in_utf16_or_utf32_is_read(tmp_path, codec):
    p = write(tmp_path, DEFAULT_TOML.encode(codec), "t.toml")  # its sources hold "ö" and "—"
    th = load_thresholds(p)
    assert th.vitals["hr"].upper == load_thresholds(ROOT / "thresholds.toml").vitals["hr"].upper


# -- 6. --column to the time column, or one vital twice ---------------------------------------------


def test_a_vital_mapped_to_the_time_column_is_told_so(tmp_path):
    p = write(tmp_path, "time,pulse\n0,70\n")
    with pytest.raises(CsvError) as e:
        load_csv(p, column_map={"hr": "time"})
    assert str(e.value) == (
        f"Cannot load '{p}': column 'time' given for hr is the time column; map hr to another "
        f"column, or name another time column with --column time=NAME."
    )


def test_a_vital_given_twice_on_the_command_line_is_refused(tmp_path, capsys):
    with pytest.raises(UsageError) as e:
        column_map(["hr=A", "hr=B"])
    assert str(e.value) == "--column gives hr twice, as 'A' and as 'B'; give each vital one column"
    assert column_map(["hr=A", "HR=A"]) == {"hr": "A"}  # the same column twice says one thing
    p = write(tmp_path, "time,A,B\n0,70,80\n")
    rc, out, err = run_cli(capsys, "alarms", str(p), "--column", "hr=A", "--column", "hr=B")
    assert rc == 2 and out == ""
    assert one_sentence(err) == "vitals-monitor: --column gives hr twice, as 'A' and as 'B'; give each vital one column"


# -- 7. a number far beyond any measurement ------------------------------------------------------------

LONG_DIGITS = re.compile(r"\d{60}")  # (a rejected cell is quoted to 40 characters)


def test_a_309_digit_cell_never_reaches_the_engine(tmp_path, capsys):
    p = write(tmp_path, f"time,hr,sbp\n0,70,120\n1,1{'0' * 308},121\n2,72,{'9' * 20}\n3,73,11647\n")
    r = load_csv(p)
    assert list(r.store.t) == [0, 3]
    assert col(r, "sbp") == [120, 11647]  # impossible but a measurement: kept, flagged as an artifact
    assert r.artifacts["sbp"] == 1
    assert [x.line for x in r.rejected] == [3, 4]
    assert r.rejected[0].reason == (
        "'100000000000000000000000000000000000000…' in column hr is far beyond any measurement "
        "(a vital sign is never 1,000,000 or more)"
    )
    rc, out, err = run_cli(capsys, "alarms", str(p))
    assert rc == 0
    assert not LONG_DIGITS.search(out + err), out + err


def test_huge_numbers_in_a_thresholds_file_give_short_messages(tmp_path):
    p = write(
        tmp_path,
        f"[vitals.hr]\ncontinuous = {'9' * 300}\ndelay = {'9' * 300}\nclear = -{'9' * 300}\n"
        f"[vitals.hr.upper]\nmedium = 1{'0' * 300}\n",
        "huge.toml",
    )
    with pytest.raises(ConfigError) as info:
        load_thresholds(p)
    text = "\n".join(info.value.errors)
    assert not LONG_DIGITS.search(text), text
    assert f"{p}: vitals.hr.continuous: must be true or false, not the number about 1e+300" in info.value.errors
    assert f"{p}: vitals.hr.delay: is too large a duration (1e+300 s is more than 30 years)" in info.value.errors
    assert f"{p}: vitals.hr.clear: must not be negative (got about -1e+300)" in info.value.errors


# -- 8. thresholds: "-0" and sub-second durations ------------------------------------------------------


def test_a_negative_zero_hysteresis_is_zero(tmp_path):
    p = write(tmp_path, '[vitals.hr]\nhysteresis = -0.0\ndelay = "-0s"\n' + MINIMAL_TOML, "z.toml")
    th = load_thresholds(p)
    assert math.copysign(1, th.vitals["hr"].hysteresis) == 1 and math.copysign(1, th.vitals["hr"].delay_s) == 1
    (row,) = [ln for ln in format_rules(th).splitlines() if ln.startswith("hr ")]
    assert row.split()[-4:] == ["0s", "0", "0s", "continuous"]  # delay, hysteresis, clear, mode


DURATIONS = [
    ("vitals.hr", "delay"),
    ("vitals.hr", "clear"),
    ("baseline", "window"),
    ("stale.hr", "after"),
    ("stale.bp", "interval"),
    ("audio", "pause"),
    ("audio", "reminder"),
    ("supplement", "window_start"),
]


@pytest.mark.parametrize("table,key", DURATIONS)
@pytest.mark.parametrize("value,shown", [('"0.001s"', "'0.001s'"), ("0.5", "0.5"), ('"0.9s"', "'0.9s'")])
def test_a_sub_second_duration_is_refused(tmp_path, table, key, value, shown):
    extra = {"stale.bp": 'vitals = ["sbp", "dbp", "map"]\n', "stale.hr": 'vitals = ["hr"]\n'}.get(table, "")
    p = write(tmp_path, f"{MINIMAL_TOML}[{table}]\n{extra}{key} = {value}\n", "sub.toml")
    with pytest.raises(ConfigError) as info:
        load_thresholds(p)
    assert f'{p}: {table}.{key}: {shown} is less than a second: a duration is 0 or at least 1 s ("1s")' in (
        info.value.errors
    )


def test_zero_and_whole_seconds_are_durations(tmp_path):
    p = write(tmp_path, f'{MINIMAL_TOML}[vitals.hr]\ndelay = 0\nclear = "1s"\n[stale.hr]\nafter = 1.5\n', "ok.toml")
    th = load_thresholds(p)
    assert th.vitals["hr"].delay_s == 0 and th.vitals["hr"].clear_s == 1
    assert th.stale[0].after_s == 1.5


# -- 9. a row written after a crash's block of NUL bytes -------------------------------------------------


def test_a_row_after_a_block_of_nul_bytes_is_read(tmp_path):
    data = f"time,hr\n{T0},70\n".encode() + b"\x00" * 4096 + f"{T0 + 1},71\n{T0 + 2},72\n".encode()
    r = load_csv(write(tmp_path, data))
    assert list(r.store.t) == [T0, T0 + 1, T0 + 2] and col(r, "hr") == [70, 71, 72]
    assert r.rejected == []
    assert notes(r, r"1 line \(3\) began with NUL bytes, as a crash leaves them in a file")
    # The follower gets the same from parse_batch.
    b = parse_batch(["\x00" * 512 + f"{T0 + 1},71\n"], resolve_header("time,hr"), 3)
    assert list(b.times) == [T0 + 1] and b.rejected == [] and b.nul_lines == [3]


def test_nul_bytes_inside_a_row_or_alone_on_a_line_are_still_rejected(tmp_path):
    data = f"time,hr\n{T0},70\n{T0 + 1},7\x001\n".encode() + b"\x00" * 64 + f"\n{T0 + 3},73\n".encode()
    r = load_csv(write(tmp_path, data))
    assert list(r.store.t) == [T0, T0 + 3]
    assert [(x.line, x.reason) for x in r.rejected] == [
        (3, "the line contains binary data (NUL bytes)"),
        (4, "the line contains binary data (NUL bytes)"),
    ]


# -- 10. German, French and Spanish header names ---------------------------------------------------------


@pytest.mark.parametrize(
    "header,vital",
    [
        ("Puls", "hr"),
        ("Herzfrequenz", "hr"),
        ("HF", "hr"),
        ("Puls (1/min)", "hr"),
        ("FC", "hr"),
        ("RR sys", "sbp"),
        ("RR dia", "dbp"),
        ("RR mittel", "map"),
        ("MAD", "map"),
        ("PAS", "sbp"),
        ("PAD", "dbp"),
        ("PAM", "map"),
        ("Temperatur", "temp"),
        ("Temp.", "temp"),
        ("Température", "temp"),
        ("Temperatura", "temp"),
        ("SpO2", "spo2"),
        ("SpO₂", "spo2"),
        ("SaO2", "spo2"),
        ("AF", "rr"),
        ("Atemfrequenz", "rr"),
        ("FR", "rr"),
    ],
)
def test_common_german_french_and_spanish_vital_headers(header, vital):
    h = resolve_header(f"Zeit;{header}")
    assert h.column_map == {"time": "Zeit", vital: header}


@pytest.mark.parametrize("header", ["Zeit", "Uhrzeit", "Zeitstempel", "Datum/Uhrzeit", "Heure", "Horodatage"])
def test_common_time_headers(header):
    assert resolve_header(f"{header};HF").column_map == {"time": header, "hr": "HF"}


def test_a_german_export_is_read_column_by_column(tmp_path):
    p = write(
        tmp_path,
        "Zeitstempel;Herzfrequenz;RR sys;RR dia;RR mittel;SpO2;Temperatur (°F);Atemfrequenz;Kommentar\n"
        "2026-11-28 09:00:00;72;120;80;93;98;98,6;14;gut\n",
    )
    r = load_csv(p)
    assert r.column_map == {
        "time": "Zeitstempel",
        "hr": "Herzfrequenz",
        "sbp": "RR sys",
        "dbp": "RR dia",
        "map": "RR mittel",
        "spo2": "SpO2",
        "temp": "Temperatur (°F)",
        "rr": "Atemfrequenz",
    }
    assert col(r, "temp") == [37.0] and col(r, "rr") == [14]
    assert notes(r, r"Ignored 1 column: 'Kommentar'")


@pytest.mark.parametrize(
    "other", ["HF_filter", "Kommentar", "Pulsdruck", "RR_quelle", "Patient", "Station", "Frame", "Padding"]
)
def test_other_columns_are_not_taken_for_a_vital(other):
    h = resolve_header(f"time,hr,{other}")
    assert h.column_map == {"time": "time", "hr": "hr"}
    assert h.ignored == [other]
