"""`vitals-monitor cohort SESSIONS... --out DIR`: a trial's sessions as one dataset (Parquet), the
cohort tables (DuckDB SQL over it) printed and written as an HTML report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from monitor.commands.options import UsageError, add_column_option, column_map, fail, jobs_and_out_folder

NAME = "cohort"
HELP = "read many sessions into Parquet and print the cohort tables (incidence, peaks, alarm burden)"
DESCRIPTION = (
    "Read recorded session folders, simulator CSVs and plain device CSVs (or folders holding them) into "
    "partitioned Parquet under --out, and answer the cohort tables with DuckDB SQL over it. Running it "
    "again adds only sessions not yet in DIR. A session that cannot be read is named and skipped."
)
TABLE_NAMES = ("per-session", "incidence", "time-to-peak", "alarms", "time-in-alarm", "what-if", "quality")


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("sessions", nargs="+", metavar="SESSION", help="a session folder, a CSV, or a folder holding them")
    a.add_argument("--out", required=True, metavar="DIR", help="the cohort's Parquet folder (made if missing)")
    a.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="THRESHOLDS.toml",
        help="also recompute every session's alarms with these limits and compare (may be repeated)",
    )
    a.add_argument("--site", default=None, metavar="NAME", help="site of sessions that do not name one")
    a.add_argument(
        "--tables",
        default="all",
        metavar="LIST",
        help=f"tables to print, comma-separated: {', '.join(TABLE_NAMES)}, all or none (default: all)",
    )
    a.add_argument("--report", default=None, metavar="FILE.html", help="the HTML report (default: DIR/cohort.html)")
    a.add_argument("--no-report", action="store_true", help="do not write the HTML report")
    a.add_argument(
        "--plotlyjs", choices=("inline", "cdn"), default="inline", help="embed plotly.js (default) or link it"
    )
    a.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="sessions read at once, in separate processes (default: 2, or 1 on a one-core machine)",
    )
    a.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_column_option(a)


def _tables(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return list(TABLE_NAMES)
    if names == ["none"]:
        return []
    bad = [n for n in names if n not in TABLE_NAMES]
    if bad:
        raise UsageError(f"--tables: unknown table '{bad[0]}'; choose from {', '.join(TABLE_NAMES)}, all or none")
    return names


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except UsageError as exc:
        return fail(str(exc))


def _need_engines() -> None:
    """pyarrow and duckdb come with the `cohort` extra, not with the bedside: installed, pandas
    imports pyarrow into every process (35 MB more for the bedside, which never reads Parquet)."""
    import importlib.util

    missing = [name for name in ("pyarrow", "duckdb") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"cohort needs {' and '.join(missing)}, which the bedside install leaves out: "
            "install them with pip install 'vitals-monitor[cohort]'"
        )


def _run(args: argparse.Namespace) -> int:
    _need_engines()
    from monitor.cohort import ingest as ing
    from monitor.core.text import printable
    from monitor.core.thresholds_loader import ConfigError

    tables = _tables(args.tables)
    jobs, out = jobs_and_out_folder(args.jobs, args.out)
    try:
        whatifs = tuple(ing.what_if(p) for p in args.what_if)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read the --what-if file '{exc.filename}': {exc.strerror or exc}") from None
    missing = [p for p in args.sessions if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"'{missing[0]}' does not exist")
    paths = ing.find_sessions(args.sessions)
    if not paths:
        raise UsageError("no session folder or CSV was found in " + ", ".join(f"'{p}'" for p in args.sessions))
    columns = column_map(args.column)
    report = _ingest(paths, out, args.site or ing.DEFAULT_SITE, whatifs, jobs, not args.no_progress, columns)
    for o in report.of("skipped"):
        print(f"skipped '{printable(o.path)}': {o.reason}", file=sys.stderr)
    added, already, variant, skipped = (len(report.of(s)) for s in ("added", "already", "variant", "skipped"))
    line = f"{added} session(s) added, {already} already in the cohort, {skipped} skipped"
    if variant:
        line += f", {variant} given the what-if alarms only"
    print(f"{line}; Parquet in {printable(str(out))}", file=sys.stderr)
    from monitor.cohort.queries import Cohort

    cohort = Cohort(out)
    try:
        n = cohort.count_sessions()
        if n == 0:
            return fail("no session could be read, so there is no cohort to describe")
        return _answer(cohort, tables, args, out, n)
    finally:
        cohort.close()


def _ingest(paths, out: Path, site: str, whatifs, jobs: int, show: bool, columns):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from monitor.cohort.ingest import ingest

    console = Console(stderr=True)
    if not show or not console.is_terminal:
        return ingest(paths, out, default_site=site, whatifs=whatifs, jobs=jobs, column_map=columns)
    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=len(paths))
        return ingest(
            paths,
            out,
            default_site=site,
            whatifs=whatifs,
            jobs=jobs,
            progress=lambda o: bar.advance(task),
            column_map=columns,
        )


def _answer(cohort, tables: list[str], args: argparse.Namespace, out: Path, n: int) -> int:
    from monitor.cohort.views import VIEWS, text

    views = {}
    for name in dict.fromkeys([*tables, *([] if args.no_report else TABLE_NAMES)]):
        views[name] = VIEWS[name](cohort)
    simulated = bool(cohort.db.execute("SELECT bool_or(simulated) FROM sessions").fetchone()[0])
    print(f"Cohort: {n} session(s){' (SIMULATED sessions included)' if simulated else ''}\n")
    for name in tables:
        print(text(views[name]))
    if args.no_report:
        return 0
    from monitor.report.cohort_page import write_cohort_report
    from monitor.report.page import ReportError

    target = Path(args.report) if args.report else out / "cohort.html"
    try:
        write_cohort_report(target, views, n, simulated, plotlyjs=args.plotlyjs)
    except ReportError as exc:
        return fail(str(exc))
    print(f"report: {target}")
    return 0
