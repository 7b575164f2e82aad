"""The cohort's Parquet layout: one folder per table, partitioned by site and session (Hive style).

    DIR/readings/site=S/session=X/part-0.parquet
    DIR/sessions/site=S/session=X/part-0.parquet      (written last: the session is complete)
    DIR/whatif_episodes/site=S/session=X/part-VARIANT.parquet

Every session gets a file in every table, even an empty one, so a query over a table never meets
a session that is missing from it, and any engine that reads Hive partitions (DuckDB, pandas,
Polars, Spark, Dask) sees the same rows. Files are written whole and renamed into place, so an
interrupted ingest leaves no half file; a session without its `sessions` row is not in the cohort
and is ingested again by the next run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from monitor.recording.private import make_folders

TABLES = (
    "sessions",
    "readings",
    "events",
    "alarms",
    "episodes",
    "limits",
    "rejected",
    "whatif_episodes",
    "whatif_diffs",
    # What the cohort's per-session tables say of each session, computed once at ingest by the same
    # DuckDB SQL (monitor/cohort/queries.py, FACTS).
    "facts_per_session",
    "facts_time_beyond",
    "facts_incidence",
    "facts_quality",
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, fallback: str = "unnamed") -> str:
    """A partition value that is a plain file name: letters, digits, '.', '_' and '-' only."""
    name = _UNSAFE.sub("-", text).strip(".-")[:80]
    return name or fallback


def part_path(root: Path, table: str, site: str, session: str, part: str = "0") -> Path:
    return root / table / f"site={site}" / f"session={session}" / f"part-{part}.parquet"


def write_part(path: Path, table: pa.Table) -> None:
    """Write one Parquet file whole, then rename it into place (owner-only folders: health data)."""
    make_folders(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def ingested(root: Path) -> dict[tuple[str, str], Path]:
    """(site, session) of every complete session in the cohort, with its `sessions` file."""
    out: dict[tuple[str, str], Path] = {}
    base = root / "sessions"
    if not base.is_dir():
        return out
    for f in base.glob("site=*/session=*/part-0.parquet"):
        site = f.parent.parent.name.removeprefix("site=")
        session = f.parent.name.removeprefix("session=")
        out[(site, session)] = f
    return out


def variants_of(root: Path, site: str, session: str) -> set[str]:
    """The what-if variants already computed for a session."""
    folder = part_path(root, "whatif_diffs", site, session).parent
    if not folder.is_dir():
        return set()
    return {f.stem.removeprefix("part-") for f in folder.glob("part-*.parquet")}


def glob(root: Path, table: str) -> str:
    """The file pattern of a table, for DuckDB's read_parquet."""
    return str(root / table / "site=*" / "session=*" / "*.parquet")
