"""`vitals-monitor report`: one self-contained HTML file for the medical monitor after a session."""

from __future__ import annotations

import argparse

from monitor.commands.no_readings import no_readings_message
from monitor.commands.options import add_column_option, add_thresholds_option, column_map, fail

NAME = "report"
HELP = "write the post-session HTML report (charts, summary, alarm and event logs)"
DESCRIPTION = (
    "Write one self-contained HTML report of a recorded session, a simulator output or a plain CSV of "
    "readings. plotly.js is embedded, so the file opens offline."
)


def add_arguments(r: argparse.ArgumentParser) -> None:
    r.add_argument(
        "input",
        metavar="INPUT",
        help="a session folder, a simulator CSV (with its side files) or a plain CSV of readings",
    )
    r.add_argument(
        "-o",
        "--output",
        metavar="FILE.html",
        help="where to write the report (default: INPUT/report.html for a session folder, X.report.html beside X.csv)",
    )
    add_thresholds_option(
        r,
        "recompute the alarms with these limits (default: the alarm log recorded in the "
        "session, else its stored limits, else ./thresholds.toml)",
    )
    r.add_argument("--title", metavar="TEXT", help="title of the report (default: the session label)")
    r.add_argument(
        "--plotlyjs",
        choices=("inline", "cdn"),
        default="inline",
        help="inline (default): embed plotly.js, works offline (~5 MB); cdn: link it from "
        "cdn.plot.ly for a small file to share (needs the network to draw the charts)",
    )
    add_column_option(r)


def run(args: argparse.Namespace) -> int:
    # plotly is imported here, when the report is written, never when the parser is built.
    from monitor.core.text import printable
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.report.page import ReportError
    from monitor.report.writer import default_output, write_report
    from monitor.sources.csv.errors import CsvError

    try:
        th = load_thresholds(args.thresholds) if args.thresholds else None
        session = load_session(args.input, column_map=column_map(args.column))
        empty = no_readings_message(session, args.input)
        if empty:
            # Nothing to report: say why, rather than write an empty report and succeed.
            return fail(empty)
        out = args.output or default_output(args.input)
        path = write_report(session, out, thresholds=th, title=args.title, plotlyjs=args.plotlyjs)
    except (ConfigError, CsvError, SessionError, ReportError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot read '{args.input}': {exc.strerror or exc}")
    print(printable(f"report written to {path}"))
    return 0
