"""What reading a long CSV holds in memory at once: the checking of a clean file keeps no array of
every separator's position, no text or Python object per row, and not the whole text beside the
lines being read."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import monitor.sources.csv.lines as csv_lines
import monitor.sources.csv.load as csv_load
from monitor.sources.csv.load import load_csv

ROWS = 200_000


def _write_day_like(path: Path, rows: int) -> None:
    """Seconds since the start at 10 Hz, HR on every row and a cuff reading now and then."""
    cuff = {k: f"{118 + k % 7},{76 + k % 5}" for k in range(0, rows, 9000)}
    path.write_text(
        "time,hr,sbp,dbp\n" + "".join(f"{k / 10:.1f},{60 + k % 40},{cuff.get(k, ',')}\n" for k in range(rows)),
        encoding="utf-8",
    )


def test_a_clean_long_file_is_read_within_bytes_per_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "day.csv"
    _write_day_like(p, ROWS)
    size = p.stat().st_size

    def read_text(path: str) -> tuple[str, list[str]]:
        out = read_text_of(path)
        # The read asks for the whole limit at once; the pages it never fills are never touched.
        tracemalloc.reset_peak()
        return out

    read_text_of = csv_load.read_text
    monkeypatch.setattr(csv_load, "read_text", read_text)
    tracemalloc.start()
    try:
        r = load_csv(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.rows == ROWS and r.rejected == []
    # What it needs: the file's bytes (held once as text and once as bytes for the parser: about
    # 14 bytes a row each) and pandas' columns and ours (8 bytes a value, a few of each at once).
    # Separator positions, a unit text per row and a list of reasons per row took over 140.
    assert peak < 125 * ROWS, f"{peak / ROWS:.0f} bytes a row for lines of {size / ROWS:.0f} bytes"


@pytest.mark.parametrize("block", [1, 2, 3, 1000])
def test_field_counts_are_checked_per_line_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(csv_lines, "_LINES_PER_BLOCK", block)
    lines = [f"{i},{70 + i},120,80" for i in range(12)]
    lines[2] = "2,72,120"  # one field short, then one over, at the edges of blocks of 2 and 3
    lines[3] = "3,73,120,80,9"
    lines[6] = ",,,"
    lines[11] = "11,81,,,,"  # a trailing separator: not a field more
    p = tmp_path / "blocks.csv"
    p.write_text("time,hr,sbp,dbp\n" + "\n".join(lines), encoding="utf-8")
    r = load_csv(p)
    assert [(x.line, x.reason) for x in r.rejected] == [
        (4, "expected 4 fields, found 3"),
        (5, "expected 4 fields, found 5"),
    ]
    assert r.store.t.tolist() == [0, 1, 4, 5, 7, 8, 9, 10, 11]
