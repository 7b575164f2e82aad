"""`vitals-monitor alarms`: run the alarm engine over a CSV or a session folder and print the log,
or with --diff what given thresholds would change against the recorded alarms."""

from __future__ import annotations

import argparse
import sys

from monitor.commands.no_readings import no_readings_message
from monitor.commands.options import add_column_option, add_thresholds_option, column_map, fail

NAME = "alarms"
HELP = "run the alarm engine over a CSV or session folder and print the alarm log"
DESCRIPTION = None


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("input", metavar="INPUT", help="a CSV of readings or a recorded session folder")
    add_thresholds_option(a, "limits to use (default: those stored in the session, else ./thresholds.toml)")
    a.add_argument("--format", choices=("table", "csv", "jsonl"), default="table")
    add_column_option(a)
    a.add_argument("--all", action="store_true", help="also list pending/cancelled transitions in the table")
    a.add_argument(
        "--diff",
        action="store_true",
        help="compare with the alarm log recorded in the session (or computed with the limits "
        "stored in it, else the default ones): what would these thresholds have changed?",
    )


def run(args: argparse.Namespace) -> int:
    from monitor.core.alarm_log import alarm_summary, format_log
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.recording.alarm_source import recompute, session_limits
    from monitor.sources.csv.errors import CsvError

    try:
        session = load_session(args.input, column_map=column_map(args.column))
        limits = session_limits(session, load_thresholds(args.thresholds) if args.thresholds else None)
    except (CsvError, SessionError, ConfigError) as exc:
        return fail(str(exc))
    empty = no_readings_message(session, args.input)
    if empty:
        return fail(empty)
    session.notes.extend(limits.notes)
    th = limits.thresholds
    log = recompute(session, th)
    if args.diff:
        return _print_diff(session, log, limits.what)
    out = sys.stdout
    absolute = session.time_kind == "absolute"
    out.write(format_log(log, args.format, absolute=absolute, start=_start(session), everything=args.all))
    summary = alarm_summary(log, session, th)
    # Keep machine-readable output clean: the summary goes to stderr for csv and jsonl.
    (out if args.format == "table" else sys.stderr).write(summary)
    return 0


def _print_diff(session, log, limits_what: str) -> int:
    """What the given thresholds would have changed against the recorded (or reference) alarms."""
    from monitor.core.alarm_diff import describe, diff_logs
    from monitor.core.alarm_log import clock
    from monitor.recording.alarm_source import reference_log

    reference, what = reference_log(session, given=True)
    diffs = diff_logs(reference or [], log, session.end_time())
    absolute = session.time_kind == "absolute"
    start = _start(session)
    print(f"Compared with {what}, {limits_what} would give:")
    for d in diffs:
        print("  " + describe(d, lambda t: clock(t, absolute, start)))
    counts = {k: sum(1 for d in diffs if d.kind == k) for k in ("added", "removed", "changed")}
    print(
        f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed"
        if diffs
        else "no difference: the same alarms"
    )
    return 0


def _start(session) -> float | None:
    span = session.store.span()
    return span[0] if span else None
