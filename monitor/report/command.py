"""Sub-command `report`: one self-contained HTML file for the medical monitor after a session.

Registered by monitor/cli.py; nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import sys

EXIT_BAD_INPUT = 2


def register(sub) -> None:
    """Add this module's sub-commands to the CLI's subparsers."""
    r = sub.add_parser(
        "report",
        help="write the post-session HTML report (charts, summary, alarm and event logs)",
        description="Write one self-contained HTML report of a recorded session, a simulator output or a "
                    "plain CSV of readings. plotly.js is embedded, so the file opens offline.",
    )
    r.add_argument("input", metavar="INPUT", help="a session folder, a simulator CSV (with its side files) "
                   "or a plain CSV of readings")
    r.add_argument("-o", "--output", metavar="FILE.html", help="where to write the report (default: "
                   "INPUT/report.html for a session folder, X.report.html beside X.csv)")
    r.add_argument("--thresholds", metavar="FILE", help="recompute the alarms with these limits (default: the "
                   "alarm log recorded in the session, else its stored limits, else ./thresholds.toml)")
    r.add_argument("--title", metavar="TEXT", help="title of the report (default: the session label)")
    r.add_argument("--plotlyjs", choices=("inline", "cdn"), default="inline",
                   help="inline (default): embed plotly.js, works offline (~5 MB); cdn: link it from "
                        "cdn.plot.ly for a small file to share (needs the network to draw the charts)")
    r.add_argument("--column", action="append", metavar="VITAL=HEADER",
                   help='map a column the reader does not know, e.g. --column hr="Solar8000/HR"')
    r.set_defaults(func=_cmd_report)


def _fail(message: str) -> int:
    print(f"vitals-monitor: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _cmd_report(args) -> int:
    from monitor.cli import column_map_option, no_readings_message
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.report.page import ReportError, default_output, write_report
    from monitor.sources.csvfile import CsvError

    try:
        th = load_thresholds(args.thresholds) if args.thresholds else None
        session = load_session(args.input, column_map=column_map_option(args.column))
        empty = no_readings_message(session, args.input)
        if empty:
            # Nothing to report: say why, rather than write an empty report and succeed.
            return _fail(empty)
        out = args.output or default_output(args.input)
        path = write_report(session, out, thresholds=th, title=args.title, plotlyjs=args.plotlyjs)
    except (ConfigError, CsvError, SessionError, ReportError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot read '{args.input}': {exc.strerror or exc}")
    print(f"report written to {path}")
    return 0
