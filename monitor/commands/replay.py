"""`vitals-monitor replay`: play a recorded session on a virtual clock, its alarms recomputed and
its recorded doses, acknowledgements, pauses and notes applied at their times."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.commands.options import (
    UsageError,
    add_column_option,
    add_thresholds_option,
    column_map,
    fail,
    user_error,
)

NAME = "replay"
HELP = "play a recorded session (folder or CSV) at any speed, with its alarms"
DESCRIPTION = (
    "Play a recorded session on a virtual clock: a session folder, a simulator CSV with its side files, "
    "or a plain device CSV. Alarms are recomputed with the thresholds stored in the session (or "
    "--thresholds, and then compared with the recorded log); recorded doses, acknowledgements, pauses "
    "and notes are applied at their times. Nothing is written. Press ? for the keys."
)


def add_arguments(rp: argparse.ArgumentParser) -> None:
    rp.add_argument("input", metavar="INPUT", help="a session folder, or a CSV of readings")
    rp.add_argument(
        "--speed", default="1", metavar="X", help="1, 2, 5, 10, 30, 60, 120, 600 (any number > 0) or max (default 1)"
    )
    rp.add_argument(
        "--start", metavar="WHEN", help="begin here: a time into the session (1h30m) or a clock time (14:32)"
    )
    rp.add_argument("--paused", action="store_true", help="open paused (space plays)")
    add_thresholds_option(
        rp,
        "recompute the alarms with these limits and show how they differ from the "
        "recorded ones (default: the limits stored in the session)",
    )
    add_column_option(rp)
    rp.add_argument("--bell", action="store_true", help="ring the terminal bell for alarms (off by default)")


def run(args: argparse.Namespace) -> int:
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.recording import SessionError, load_session
    from monitor.recording.alarm_source import session_limits
    from monitor.sources.csv.errors import CsvError
    from monitor.sources.replay import parse_position, parse_speed

    try:
        speed = parse_speed(args.speed)
    except ValueError as exc:
        return fail(f"--speed: {exc}")
    try:
        path = Path(args.input)
        if not path.exists() and not path.is_symlink():  # a link loop is named by the reader
            raise UsageError(f"'{path}' does not exist")
        rs = load_session(path, column_map=column_map(args.column))
        if not len(rs.store):
            raise UsageError(f"'{path}' holds no readings to replay")
        chosen = session_limits(rs, load_thresholds(args.thresholds) if args.thresholds else None)
        th, limits = chosen.thresholds, (str(args.thresholds) if args.thresholds else chosen.what)
        start = None
        if args.start:
            span = rs.store.span()
            assert span is not None  # the store holds readings (checked above)
            end = max(rs.end_time() or span[1], span[1])
            try:
                start = parse_position(args.start, span[0], end, rs.time_kind == "absolute")
            except ValueError as exc:
                raise UsageError(f"--start: {exc}") from None
            if not span[0] <= start <= end:
                raise UsageError(f"--start {args.start} is outside the session")
    except (UsageError, ConfigError, SessionError, CsvError) as exc:
        return user_error(exc)
    from monitor.ui.replay_app import make_replay_app

    app = make_replay_app(
        rs,
        th,
        speed=speed,
        start=start,
        playing=not args.paused,
        limits=limits,
        thresholds_given=bool(args.thresholds),
        quiet=not args.bell,
        notes=chosen.notes,
    )
    app.run()
    return 0
