"""`vitals-monitor` sub-commands: argument parsing only; each command builds objects and hands over.

Imports are made inside the commands so that each one loads only what it needs (start-up time
counts: `alarms` must stay close to a bare `pandas.read_csv`).
"""

from __future__ import annotations

import argparse
import sys

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A bad argument value; str() is one clear sentence."""


def column_map_option(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header:
            raise UsageError(f"--column '{item}' must look like hr=\"Solar8000/HR\" (vital=header)")
        out[name.strip().lower()] = header.strip().strip('"')
    return out


# How many of the reader's per-line rejection reasons a "no readings" failure repeats.
NO_READINGS_REASONS = 5


def no_readings_message(session, source) -> str | None:
    """None when the session holds readings; else what to print: "no readings could be loaded from
    FILE" and the first few reasons the reader gave (rejected lines, else its notes)."""
    if len(session.store):
        return None
    reasons = []
    rejected = list(session.rejected)
    for r in rejected[:NO_READINGS_REASONS]:
        reasons.append(f"line {r.line}: {r.reason}")
    if len(rejected) > NO_READINGS_REASONS:
        more = len(rejected) - NO_READINGS_REASONS
        reasons.append(f"and {more:,} more rejected line{'s' if more != 1 else ''}")
    if not rejected:
        why = [n.rstrip(".") for n in session.notes if "No readings were loaded" not in n and "skipped" in n]
        reasons += why[:NO_READINGS_REASONS]
        if not why:
            from pathlib import Path

            where = "its readings.csv holds" if Path(source).is_dir() else "it holds"
            reasons.append(f"{where} no data lines (a header at most)")
    # One sentence (the house rule for bad input): the place, then the reasons.
    return f"no readings could be loaded from {source}: " + "; ".join(reasons)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The full parser. The simulator's options (which import the simulator) are added only when
    `simulate` is the command asked for, so other commands start faster."""
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(
        prog="vitals-monitor",
        description="Bedside vital-signs monitor for MDMA-assisted therapy dosing sessions.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("alarms", help="run the alarm engine over a CSV or session folder and print the alarm log")
    a.add_argument("input", metavar="INPUT", help="a CSV of readings or a recorded session folder")
    a.add_argument("--thresholds", metavar="FILE", help="limits to use (default: those stored in the "
                   "session, else ./thresholds.toml)")
    a.add_argument("--format", choices=("table", "csv", "jsonl"), default="table")
    a.add_argument("--column", action="append", metavar="VITAL=HEADER",
                   help='map a column the reader does not know, e.g. --column hr="Solar8000/HR"')
    a.add_argument("--all", action="store_true", help="also list pending/cancelled transitions in the table")
    a.add_argument("--diff", action="store_true",
                   help="compare with the alarm log recorded in the session (or computed with the limits "
                        "stored in it, else the default ones): what would these thresholds have changed?")
    a.set_defaults(func=_cmd_alarms)

    c = sub.add_parser("check-config", help="validate a thresholds.toml and print the effective rules")
    c.add_argument("file", nargs="?", metavar="FILE", help="default: ./thresholds.toml")
    c.set_defaults(func=_cmd_check_config)

    s = sub.add_parser("simulate", help="simulate an MDMA dosing session (CSV, stream, or calibration cohort)")
    if "simulate" in argv:
        from simulators.command import add_arguments

        add_arguments(s)
    s.set_defaults(func=_cmd_simulate)

    # The terminal app and the report register their own sub-commands (live, demo, replay, report);
    # their modules import Textual or Plotly only when a command runs.
    from monitor.report.command import register as register_report
    from monitor.ui.command import register as register_ui

    register_ui(sub)
    register_report(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"vitals-monitor: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _fail(message: str) -> int:
    print(f"vitals-monitor: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cmd_check_config(args) -> int:
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.core.thresholds_text import format_rules

    try:
        th = load_thresholds(args.file)
    except ConfigError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{th.source}: valid")
    print(format_rules(th))
    return 0


def _cmd_simulate(args) -> int:
    from simulators.command import run

    return run(args)


def _cmd_alarms(args) -> int:
    from monitor.core.alarm_log import alarm_summary, format_log
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.recording.alarm_source import recompute, session_limits
    from monitor.sources.csvfile import CsvError

    try:
        session = load_session(args.input, column_map=column_map_option(args.column))
        limits = session_limits(session, load_thresholds(args.thresholds) if args.thresholds else None)
    except (CsvError, SessionError, ConfigError) as exc:
        return _fail(str(exc))
    empty = no_readings_message(session, args.input)
    if empty:
        return _fail(empty)
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
    span = session.store.span()
    diffs = diff_logs(reference or [], log, session.end_time())
    absolute = session.time_kind == "absolute"
    start = span[0] if span else None
    print(f"Compared with {what}, {limits_what} would give:")
    for d in diffs:
        print("  " + describe(d, lambda t: clock(t, absolute, start)))
    counts = {k: sum(1 for d in diffs if d.kind == k) for k in ("added", "removed", "changed")}
    print(f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed" if diffs
          else "no difference: the same alarms")
    return 0


def _start(session) -> float | None:
    span = session.store.span()
    return span[0] if span else None


if __name__ == "__main__":
    sys.exit(main())
