"""Writes the malformed-input corpus in tests/data/bad/ (csv/ and toml/).

The files are committed; this script documents exactly how each one was made (several hold bytes an
editor would mangle: NUL, lone CR, UTF-16, invalid UTF-8) and re-creates them:

    python tests/data/bad/make_corpus.py

What each file must do is in tests/data/bad/expected.toml, checked by tests/faults/test_bad_input.py.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

H = "time,hr,sbp,dbp\n"
ISO = "2026-11-28T09:00:{:02d}+00:00"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"{i},{70 + i % 50},,\n" for i in range(start, start + n))


def garbage(seed: int, n: int) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


CSV: dict[str, bytes | str | None] = {
    # --- the file as a whole cannot be used (exit 2) ---------------------------------------------
    "empty.csv": b"",
    "bom_only.csv": b"\xef\xbb\xbf",
    "whitespace_only.csv": " \n\t\n   \r\n\n",
    "no_header.csv": "0,70,120,80\n1,71,,\n2,72,,\n",
    "header_junk.csv": "asdf qwer zxcv\nlorem ipsum\n!!!\n",
    "no_time_column.csv": "hr,sbp,dbp\n70,120,80\n71,,\n",
    "no_vital_column.csv": "time,colour,mood\n0,red,calm\n1,blue,happy\n",
    "only_separators.csv": ",,,,\n,,,,\n;;;;\n",
    "binary_garbage.csv": b"\x89PNG\r\n\x1a\n" + garbage(7, 3000),
    "utf16le_no_bom.csv": (H + rows(5)).encode("utf-16-le"),
    "nul_filled.csv": b"\x00" * 4096,
    "html_page.csv": "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    "<body><h1>Not Found</h1></body></html>\n",
    "json_not_csv.csv": '[{"time": 0, "hr": 70}, {"time": 1, "hr": 71}]\n',
    "preamble_too_long.csv": "".join(f"device note {i}: calibrated\n" for i in range(25)) + H + rows(3),
    "dir.csv": None,  # a directory named like a CSV
    "wide_header_no_time.csv": ",".join(f"col{i}" for i in range(2000)) + "\n" + ",".join("1" * 2000) + "\n",
    "utf16_bom_invalid.csv": b"\xff\xfe" + "time,hr\n0,70\n".encode("utf-16-le") + b"\x00\xd8",
    # --- loads; bad lines rejected with their line numbers, the rest kept (exit 0) ---------------
    "header_then_junk.csv": H + "#####\n!!!\n" + rows(2),
    "wrong_field_counts.csv": H + "0,70,120,80\n1,71\n2,72,,,,,9\n3,73,,\n",
    "text_in_numbers.csv": H + "0,70,,\n1,seventy,,\n2,72,1two0,80\n3,80 bpm,,\n4,0x50,,\n5,75,,\n",
    "unparsable_times.csv": H + "0,70,,\n1O,71,,\n12:61:99,72,,\nyesterday,73,,\n4,74,,\n",
    "bad_calendar_dates.csv": "time,hr\n" + ISO.format(0) + ",70\n2026-13-45T09:00:01+00:00,71\n"
    "2026-02-30T09:00:02+00:00,72\n2026-11-28T25:61:00+00:00,73\n" + ISO.format(4) + ",74\n",
    "mixed_iso_relative.csv": "time,hr\n"
    + "".join(ISO.format(i) + f",{70 + i}\n" for i in range(4))
    + "5,75\n"
    + ISO.format(6)
    + ",76\n",
    "mixed_relative_iso.csv": "time,hr\n"
    + "".join(f"{i},{70 + i}\n" for i in range(4))
    + ISO.format(5)
    + ",75\n6,76\n",
    "inf_values.csv": H + "0,70,,\n1,inf,,\n2,-inf,,\n3,Infinity,,\n4,74,1e309,80\n5,75,,\n",
    "extremely_long_line.csv": H
    + "0,70,,\n1,"
    + "9" * 1_000_000
    + ",,\n2,72,,\n"
    + "3,"
    + "x" * 200_000
    + ",,\n4,74,,\n",
    "quoted_embedded_newline.csv": H + '0,70,,\n1,"7\n1",,\n2,72,,\n',
    "unterminated_quote.csv": H + '0,70,,\n1,"71,,\n2,72,,\n',
    "mixed_separators.csv": H + "0,70,,\n1;71;;\n2\t72\t\t\n3,73,,\n",
    "decimal_commas_comma_file.csv": 'time,temp,hr\n0,36,7,70\n1,36.8,71\n2,"36,9",72\n',
    "nul_bytes_in_line.csv": (H + rows(300)).encode() + b"300,7\x000,,\n" + rows(2, 301).encode(),
    "crash_tail_nuls.csv": (H + rows(20)).encode() + b"\x00" * 64 + b"\n" + rows(2, 20).encode(),
    "time_missing_with_values.csv": H + "0,70,,\n,71,120,80\n2,72,,\n",
    "repeated_header.csv": H + rows(3) + H + rows(3, 3),
    "control_chars.csv": H + "0,70,,\n1,7\x071,,\n2,\x1b[31m72,,\n3,73,,\n",
    "truncated_last_line.csv": H + rows(4) + "4,7",
    "tz_abbreviations.csv": "time,hr\n2026-11-28 09:00:00 UTC,70\n2026-11-28 09:00:01 CET,71\n"
    "2026-11-28 09:00:02 PST,72\n2026-11-28T09:00:03Z,73\n",
    "time_inf_nan.csv": H + "0,70,,\ninf,71,,\nnan,72,,\n-inf,73,,\n4,74,,\n",
    "all_rows_bad.csv": H + "a,b,c,d\ne,f,g,h\n",
    "invalid_utf8_cells.csv": b"time,hr,sbp,dbp\n0,70,,\n1,7\xff1,,\n2,72,,\n",
    "mixed_separators_header_semicolon.csv": "time;hr;sbp\n0;70;120\n1,71,\n2;72;\n",
    # --- loads; everything kept, what the reader did is said (exit 0) ----------------------------
    "times_backwards.csv": H + "0,70,,\n1,71,,\n5,75,,\n3,73,,\n2,72,,\n6,76,,\n",
    "duplicate_conflicts.csv": H + "0,70,120,80\n1,71,,\n1,90,,\n1,,125,85\n2,72,,\n",
    "impossible_values.csv": H + "0,70,120,80\n1,0,,\n2,71,11647,80\n3,72,90,95\n4,-60,,\n5,400,,\n",
    "huge_numbers.csv": H + "0,70,,\n1,1e308,,\n2,72,1.7976931348623157e308,80\n3,73,,\n",
    "nan_strings.csv": H + "0,70,,\n1,nan,,\n2,NaN,NaN,NaN\n3,73,N/A,-\n4,NULL,,\n",
    "negative_times.csv": H + "-10,70,,\n-5,71,,\n0,72,,\n5,73,,\n",
    "crlf_and_lone_cr.csv": b"time,hr,sbp,dbp\r\n0,70,,\r1,71,,\r\n2,72,,\n3,73,,\r",
    "excel_sep_line.csv": "sep=;\ntime;hr;sbp;dbp\n0;70;;\n1;71,5;;\n2;72;;\n",
    "duplicate_header_names.csv": "time,hr,hr,sbp\n0,70,99,120\n1,71,98,\n",
    "far_future_and_past.csv": "time,hr\n0001-01-01T00:00:00+00:00,70\n" + ISO.format(1) + ",71\n"
    "9999-12-31T23:59:59+00:00,72\n",
    "only_times_no_values.csv": H + "0,,,\n1,,,\n2,,,\n",
    # --- data that tries to act on whoever reads the messages --------------------------------------
    "huge_header_cell.csv": "time," + "h" * 1_000_000 + "\n0,1\n",
    "escape_codes_in_header.csv": "time,hr,\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\n0,70,1\n1,71,2\n",
    "formula_injection.csv": H + "0,70,,\n1,=cmd|' /C calc'!A0,,\n2,@SUM(1+1),,\n3,73,,\n",
}


TOML: dict[str, str | bytes | None] = {
    "empty.toml": b"",
    "bom_only.toml": b"\xef\xbb\xbf",
    "comments_only.toml": "# nothing but a comment\n# and another\n",
    "syntax_unclosed_table.toml": '[vitals.hr\ndelay = "10s"\n',
    "syntax_missing_value.toml": "[vitals.hr]\ndelay =\n",
    "syntax_bad_string.toml": '[vitals.hr]\ndelay = "10s\n[vitals.hr.upper]\nmedium = 110\n',
    "duplicate_table.toml": "[vitals.hr.upper]\nmedium = 110\n[vitals.hr.upper]\nhigh = 130\n",
    "dotted_key_conflict.toml": "[vitals]\nhr.upper.medium = 110\nhr = 5\n",
    "unknown_top_key.toml": 'colour = "red"\n[vitals.hr.upper]\nmedium = 110\n',
    "unknown_audio_key.toml": "[vitals.hr.upper]\nmedium = 110\n[audio]\nvolume = 11\n",
    "unknown_vital_bp.toml": "[vitals.bp.upper]\nmedium = 160\n",
    "unknown_priority_urgent.toml": "[vitals.hr.upper]\nmedium = 110\nurgent = 150\n",
    "wrong_type_delay_array.toml": "[vitals.hr]\ndelay = [10]\n[vitals.hr.upper]\nmedium = 110\n",
    "wrong_type_limit_bool.toml": "[vitals.hr.upper]\nmedium = true\n",
    "wrong_type_datetime.toml": "[vitals.hr]\ndelay = 1979-05-27T07:32:00Z\n[vitals.hr.upper]\nmedium = 110\n",
    "continuous_string.toml": '[vitals.hr]\ncontinuous = "true"\n[vitals.hr.upper]\nmedium = 110\n',
    "medium_beyond_high_hr.toml": "[vitals.hr.upper]\nmedium = 140\nhigh = 130\n",
    "negative_delay_string.toml": '[vitals.hr]\ndelay = "-5s"\n[vitals.hr.upper]\nmedium = 110\n',
    "hysteresis_beyond_gap.toml": "[vitals.hr]\nhysteresis = 10\n[vitals.hr.upper]\nmedium = 60\n"
    "[vitals.hr.lower]\nmedium = 55\n",
    "bad_duration_units.toml": '[vitals.hr.upper]\nmedium = 110\n[audio]\nreminder = "3 fortnights"\n',
    "bad_duration_mixed.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.hr]\nafter = "1h61x"\n',
    "stale_unknown_vital_etco2.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.gas]\nvitals = ["etco2"]\n'
    'after = "10s"\n',
    "stale_derived_vital.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.si]\nvitals = ["si"]\nafter = "10s"\n',
    "stale_vital_twice.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.a]\nvitals = ["hr"]\nafter = "10s"\n'
    '[stale.b]\nvitals = ["hr"]\nafter = "20s"\n',
    "stale_empty_vitals.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.hr]\nvitals = []\nafter = "10s"\n',
    "stale_zero_after.toml": '[vitals.hr.upper]\nmedium = 110\n[stale.hr]\nvitals = ["hr"]\nafter = "0s"\n',
    "array_of_tables_vitals.toml": "[[vitals]]\nhr = 1\n",
    "array_of_tables_limits.toml": "[[vitals.hr.upper]]\nmedium = 110\n",
    "array_instead_of_table.toml": "[vitals.hr]\nupper = [110, 130]\n",
    "vital_is_number.toml": "[vitals]\nhr = 5\n",
    "inf_limit.toml": "[vitals.hr.upper]\nmedium = inf\n",
    "nan_delay.toml": "[vitals.hr]\ndelay = nan\n[vitals.hr.upper]\nmedium = 110\n",
    "huge_integer.toml": "[vitals.hr.upper]\nmedium = 100000000000000000000000000000\n",
    "int64_overflow.toml": "[vitals.hr.upper]\nmedium = 99999999999999999999\n",
    "not_utf8_latin1.toml": "[vitals.temp.upper]\nmedium = 38 # \u00b0C\n".encode("latin-1"),
    "utf16_with_bom.toml": "[vitals.hr.upper]\nmedium = 110\n".encode("utf-16"),
    "binary_garbage.toml": b"\x7fELF\x02\x01\x01\x00" + garbage(11, 600),
    "nul_byte.toml": b"[vitals.hr.upper]\nmedium = 1\x0010\n",
    "deep_nesting.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "baseline_negative_delta.toml": "[vitals.sbp.upper]\nmedium = 160\n[baseline.sbp.upper]\nmedium = -40\n",
    "baseline_zero_window.toml": '[vitals.sbp.upper]\nmedium = 160\n[baseline]\nwindow = "0s"\n'
    "[baseline.sbp.upper]\nmedium = 40\n",
    "supplement_implausible.toml": "[vitals.sbp.upper]\nmedium = 160\n[supplement.below]\nsbp = 5000\n",
    "audio_zero_pause.toml": "[vitals.hr.upper]\nmedium = 110\n[audio]\npause = 0\n",
    "unicode_lookalike_key.toml": "[vitals.hr]\nh\u0443steresis = 5\n[vitals.hr.upper]\nmedium = 110\n",
    "grace_without_interval.toml": '[vitals.sbp.upper]\nmedium = 160\n[stale.bp]\nvitals = ["sbp"]\ngrace = "5m"\n',
    "duplicate_key_same_table.toml": "[vitals.hr.upper]\nmedium = 110\nhigh = 130\nmedium = 115\n",
    "control_chars_in_key.toml": '[vitals.hr.upper]\nmedium = 110\n"\u009b2J\u202ez" = 5\n',
    "directory.toml": None,
}


def main(root: Path = HERE) -> None:
    for sub, files in (("csv", CSV), ("toml", TOML)):
        folder = Path(root) / sub
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            p = folder / name
            if content is None:
                p.mkdir(exist_ok=True)
                (p / "README").write_text(
                    "This folder is named like a data file on purpose: reading it must fail with a clear message.\n"
                )
                continue
            p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


if __name__ == "__main__":
    main()
