"""Recorded sessions into the cohort's Parquet (monitor/cohort/dataset.py), one session at a time.

Each session is read by the recording loader (session folders, CSVs with side files, plain device
CSVs through monitor.sources.csv), its alarm log taken from the one alarm engine (as recorded live,
or recomputed: monitor.recording.alarm_source), and written as one file per table. A session
already in the cohort is skipped (incremental), except to add a what-if variant it lacks. A
session that cannot be read is named with the reason and skipped; the others go on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.cohort import dataset, tables
from monitor.core.text import printable
from monitor.recording.files import META, READINGS, is_session_folder

DEFAULT_SITE = "unspecified"
CHUNK = 12  # sessions a worker reads before their facts are computed together


@dataclass(frozen=True)
class WhatIf:
    """Another thresholds file to recompute every session's alarms with."""

    path: str
    variant: str  # its name in the tables: the file's stem and a hash of its content


def what_if(path: str | os.PathLike) -> WhatIf:
    """Raises ConfigError (one sentence) for a file that is not a valid thresholds file."""
    from monitor.core.thresholds_loader import load_thresholds

    p = Path(path)
    load_thresholds(p)  # checked here, once, rather than in every worker
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:8]
    return WhatIf(str(p), dataset.safe_name(f"{p.stem}-{digest}"))


@dataclass
class Outcome:
    path: str
    status: str  # "added" | "already" | "variant" (what-if added to a session already in) | "skipped"
    site: str = ""
    session: str = ""
    reason: str = ""  # for "skipped": one sentence
    readings: int = 0
    peak_mb: float = 0.0  # the peak memory of the process that read it (benchmarks/bench_cohort.py)


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]


def find_sessions(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Every session named: a session folder, a CSV, or a folder holding either (searched below)."""
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(_walk(p) if p.is_dir() and not is_session_folder(p) else [p])
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.resolve() if p.exists() else p
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _walk(folder: Path) -> Iterator[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        yield folder  # named as unreadable by the ingest
        return
    for c in children:
        if c.name.startswith("."):
            continue
        if c.is_dir():
            yield from ([c] if is_session_folder(c) else _walk(c))
        elif c.suffix.lower() == ".csv" and c.name not in (READINGS,) and not c.name.endswith(META):
            yield c


def session_key(session, path: Path, default_site: str) -> tuple[str, str]:
    """(site, session) partition values: the recording's own site and id when it has them; a
    plain CSV is named after its file and where it lies, so two `hr.csv` never collide."""
    meta = session.meta
    site = dataset.safe_name(str(meta.get("site") or default_site), DEFAULT_SITE)
    ident = meta.get("id")
    if ident:
        name = dataset.safe_name(str(ident))
    else:
        where = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        name = dataset.safe_name(f"{path.stem}-{where}")
    return site, name


@dataclass
class _Ready:
    """A session read and turned into its tables, not yet written."""

    outcome: Outcome
    parts: dict  # table -> Arrow table
    row: Any  # its `sessions` row, an Arrow table (written last)


def ingest_chunk(
    paths: list[str],
    root: str,
    default_site: str,
    whatifs: tuple[WhatIf, ...],
    done: frozenset,
    column_map: dict[str, str] | None = None,
):
    """Read a few sessions and write their files (a worker process runs this; nothing is shared).
    Their per-session facts are computed together, by one DuckDB run over the chunk: a query's
    fixed cost is then paid once for several sessions."""
    results: list[Outcome | _Ready] = [_prepare(p, root, default_site, whatifs, done, column_map) for p in paths]
    ready = [r for r in results if isinstance(r, _Ready)]
    if ready:
        try:
            facts = _facts(ready)
        except Exception as exc:  # a query that fails on some recording: name them all, write none
            reason = f"its per-session tables could not be computed: {printable(str(exc))}"
            results = [
                Outcome(r.outcome.path, "skipped", reason=reason) if isinstance(r, _Ready) else r for r in results
            ]
            ready, facts = [], {}
    out: list[Outcome] = []
    for r in results:
        if isinstance(r, _Ready):
            o = r.outcome
            try:
                for table, data in {**r.parts, **facts.get((o.site, o.session), {})}.items():
                    dataset.write_part(dataset.part_path(Path(root), table, o.site, o.session), data)
                # Last: only now is the session part of the cohort (an interrupted one is done again).
                dataset.write_part(dataset.part_path(Path(root), "sessions", o.site, o.session), r.row)
            except OSError as exc:
                o = _write_failed(o, exc)
            r = o
        out.append(r)
    peak = _peak_mb()
    for o in out:
        o.peak_mb = peak
    return out


def ingest_one(path: str, root: str, default_site: str, whatifs: tuple[WhatIf, ...], done: frozenset) -> Outcome:
    return ingest_chunk([path], root, default_site, whatifs, done)[0]


def _write_failed(o: Outcome, exc: OSError) -> Outcome:
    where = f" '{printable(exc.filename)}'" if getattr(exc, "filename", None) else ""
    return Outcome(o.path, "skipped", o.site, o.session, reason=f"cannot write{where}: {exc.strerror or exc}")


def _peak_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return 0.0


def _prepare(
    path: str,
    root: str,
    default_site: str,
    whatifs: tuple[WhatIf, ...],
    done: frozenset,
    column_map: dict[str, str] | None = None,
) -> Outcome | _Ready:
    """One session read through the loader, its alarm log from the engine, as tables; what-if
    variants are written at once (a session already in the cohort gets only those)."""
    from monitor.core.alarm_diff import diff_logs
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.recording.alarm_source import alarm_source, recompute, session_limits
    from monitor.sources.csv.errors import CsvError

    p, out = Path(path), Path(root)
    try:
        session = load_session(p, column_map=column_map)
    except (CsvError, SessionError, OSError, ValueError) as exc:
        return Outcome(path, "skipped", reason=printable(str(exc)))
    if len(session.store) == 0:
        return Outcome(path, "skipped", reason=f"'{printable(path)}' holds no readings")
    site, name = session_key(session, p, default_site)
    d = tables.dosing(session)
    end = session.end_time()
    status = "added"
    if (site, name) in done:
        missing = [w for w in whatifs if w.variant not in dataset.variants_of(out, site, name)]
        if not missing:
            return Outcome(path, "already", site, name, readings=len(session.store))
        whatifs, status = tuple(missing), "variant"
    outcome = Outcome(path, status, site, name, readings=len(session.store))
    try:
        src = alarm_source(session)
        for w in whatifs:
            th = session_limits(session, load_thresholds(w.path)).thresholds
            log = recompute(session, th)
            diffs = diff_logs(src.log, log, end)
            dataset.write_part(
                dataset.part_path(out, "whatif_episodes", site, name, w.variant),
                tables.episodes_table(log, end, d.dose_t, w.variant),
            )
            dataset.write_part(
                dataset.part_path(out, "whatif_diffs", site, name, w.variant), tables.diffs_table(diffs, w.variant)
            )
    except ConfigError as exc:
        return Outcome(path, "skipped", site, name, reason=printable(str(exc)))
    except OSError as exc:
        return _write_failed(outcome, exc)
    if status == "variant":
        return outcome
    parts = {
        "readings": tables.readings_table(session, d.dose_t),
        "events": tables.events_table(session, d.dose_t),
        "alarms": tables.alarms_table(src.log, d.dose_t),
        "episodes": tables.episodes_table(src.log, end, d.dose_t),
        "limits": tables.limits_table(src.thresholds, session),
        "rejected": tables.rejected_table(session),
    }
    what = src.thresholds.source or "the thresholds stored in the session"
    return _Ready(outcome, parts, tables.session_table(session, d, what, src.origin, str(p.resolve())))


def _facts(ready: list[_Ready]) -> dict[tuple[str, str], dict]:
    """Each session's per-session facts: the cohort's own SQL, run by DuckDB over these sessions'
    Arrow tables (with their site and session, as the Parquet gives them), split by session."""
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

    from monitor.cohort.queries import session_facts

    db = duckdb.connect(":memory:")
    try:
        db.execute("SET threads = 1")  # (the worker processes are the parallelism)
        for table in ("readings", "limits", "sessions"):
            pieces = []
            for r in ready:
                t = r.row if table == "sessions" else r.parts[table]
                n = t.num_rows
                t = t.append_column("site", pa.array([r.outcome.site] * n, pa.string()))
                pieces.append(t.append_column("session", pa.array([r.outcome.session] * n, pa.string())))
            db.register(table, pa.concat_tables(pieces))
        facts = session_facts(db, keep_keys=True)
    finally:
        db.close()
    out: dict[tuple[str, str], dict] = {}
    for r in ready:
        key = (r.outcome.site, r.outcome.session)
        mine = {}
        for table, t in facts.items():
            sel = pc.and_(pc.equal(t["site"], key[0]), pc.equal(t["session"], key[1]))
            mine[table] = t.filter(sel).drop_columns(["site", "session"])
        out[key] = mine
    return out


Progress = Callable[[Outcome], None]


def _known_paths(have: dict[tuple[str, str], Path]) -> dict[str, tuple[str, str]]:
    """The source path of every session in the cohort (as its `sessions` row gives it)."""
    import pyarrow.parquet as pq

    out = {}
    for key, f in have.items():
        try:
            col = pq.read_table(f, columns=["source_path"]).column("source_path").to_pylist()
        except (OSError, ValueError, KeyError):
            continue  # an unreadable row: the session is read again and its files rewritten
        if col and col[0]:
            out[str(col[0])] = key
    return out


def ingest(
    paths: list[Path],
    root: Path,
    *,
    default_site: str = DEFAULT_SITE,
    whatifs: tuple[WhatIf, ...] = (),
    jobs: int = 1,
    progress: Progress | None = None,
    column_map: dict[str, str] | None = None,
) -> IngestReport:
    """Ingest every path into `root`; `progress` is told of each session as it is done."""
    have = dataset.ingested(root)
    done = frozenset(have)
    known = _known_paths(have)
    report = IngestReport()

    def record(o: Outcome) -> None:
        report.outcomes.append(o)
        if progress is not None:
            progress(o)

    todo = []
    for p in paths:
        key = known.get(str(p.resolve()))
        if key is not None and all(w.variant in dataset.variants_of(root, *key) for w in whatifs):
            record(Outcome(str(p), "already", *key))  # (not read again: its files say where it came from)
        else:
            todo.append(str(p))
    # A few sessions a task: the facts' queries cost little per session when run over several,
    # and the progress bar still moves often.
    size = max(1, min(CHUNK, len(todo) // (4 * max(jobs, 1)) or 1))
    chunks = [todo[k : k + size] for k in range(0, len(todo), size)]
    rest = (str(root), default_site, whatifs, done, column_map)
    if jobs <= 1 or len(chunks) < 2:
        for chunk in chunks:
            for o in ingest_chunk(chunk, *rest):
                record(o)
        return report
    import multiprocessing as mp

    # forkserver: workers start from a clean interpreter, not from a copy of a parent whose
    # progress bar runs a thread.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("forkserver")) as pool:
        futures: list[Future] = [pool.submit(ingest_chunk, chunk, *rest) for chunk in chunks]
        for f, chunk in zip(futures, chunks, strict=True):
            try:
                outcomes = f.result()
            except Exception as exc:  # a worker that died (e.g. out of memory): name its sessions
                why = f"its ingest failed: {printable(str(exc)) or type(exc).__name__}"
                outcomes = [Outcome(p, "skipped", reason=why) for p in chunk]
            for o in outcomes:
                record(o)
    return report
