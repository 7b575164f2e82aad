"""A file long enough that pandas parses it in chunks: a column that is numbers in one chunk and
text in another is read as a whole, so every rejected cell is told as it is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from monitor.sources.csv.load import load_csv

ROWS = 300_000  # more than one chunk of pandas' C parser for four columns


def test_a_number_told_as_written_when_text_comes_in_a_later_chunk(tmp_path: Path) -> None:
    lines = [f"{i},{70 + i % 5},,98" for i in range(ROWS)]
    lines[3] = "3,1e400,,98"  # all numbers around it: its chunk alone would make it "inf"
    lines[5] = "5,1e20,,98"
    lines[-1] = f"{ROWS - 1},abc,,98"  # text, in the last chunk
    p = tmp_path / "long.csv"
    p.write_text("time,hr,sbp,spo2\n" + "\n".join(lines) + "\n", encoding="utf-8")
    r = load_csv(p)
    assert [(x.line, x.reason) for x in r.rejected] == [
        (5, "'1e400' in column hr is not a finite number"),
        (7, "'1e20' in column hr is far beyond any measurement (a vital sign is never 1,000,000 or more)"),
        (ROWS + 1, "'abc' in column hr is not a number"),
    ]
    assert r.rows == ROWS - 3
    assert np.nanmax(r.store.column("hr")) == 74


def test_a_clean_long_file_loads_every_row(tmp_path: Path) -> None:
    p = tmp_path / "clean.csv"
    p.write_text("time,hr\n" + "".join(f"{i},{60 + i % 40}\n" for i in range(ROWS)), encoding="utf-8")
    r = load_csv(p)
    assert r.rejected == [] and r.rows == ROWS
    assert r.store.column("hr").tolist() == [60 + i % 40 for i in range(ROWS)]
