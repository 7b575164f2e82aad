"""Sub-commands of the terminal app: `live`, `demo` and `replay`.

Textual is imported only when a command runs, so `vitals-monitor alarms` never pays for it.
Errors a user can cause end in one sentence on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


class _Usage(Exception):
    """A mistake in the command line; str() is one sentence."""


def register(sub) -> None:
    """Add this module's sub-commands to the CLI's subparsers."""
    lv = sub.add_parser(
        "live",
        help="the bedside monitor: follow a CSV a device bridge is writing, or run the simulator",
        description="The bedside monitor. Follow a CSV that is still being written (FILE.csv), run the "
                    "simulator (--simulate SCENARIO), or carry on a session that was not closed "
                    "(--resume DIR, or a session folder as INPUT).",
    )
    lv.add_argument("input", nargs="?", metavar="FILE.csv|SESSION_DIR",
                    help="a CSV to follow, or a session folder that was never closed (it is resumed)")
    lv.add_argument("--simulate", metavar="SCENARIO", help="run the simulator instead of following a file "
                    "(scenarios: see `vitals-monitor simulate --list-scenarios`)")
    lv.add_argument("--speed", type=float, default=None, metavar="N",
                    help="with --simulate: simulated seconds per real second (default 1)")
    lv.add_argument("--seed", type=int, default=None, metavar="S", help="with --simulate: random seed (default 1)")
    lv.add_argument("--resume", metavar="DIR", help="reload a recorded session (readings, doses, notes, alarm "
                    "state) and carry on recording into it")
    lv.add_argument("--column", action="append", metavar="VITAL=HEADER",
                    help='map a column the reader does not know, e.g. --column hr="Solar8000/HR"')
    lv.add_argument("--headless", action="store_true", help="no screen: record and print the alarms as lines "
                    "(the same session; ends with the simulated session, Ctrl-C or SIGTERM)")
    _common(lv)
    lv.set_defaults(func=_run_live)

    dm = sub.add_parser("demo", help="a simulated session (typical scenario) at 30x speed: start here",
                        description="The simulator's typical MDMA session played at 30x speed, labelled "
                                    "SIMULATED. Press ? for the keys.")
    dm.add_argument("--speed", type=float, default=30.0, metavar="N", help="default 30")
    dm.add_argument("--seed", type=int, default=1, metavar="S", help="default 1")
    dm.add_argument("--scenario", default="typical", metavar="NAME", help=argparse.SUPPRESS)
    _common(dm)
    dm.set_defaults(func=_run_demo)

    rp = sub.add_parser("replay", help="play a recorded session (folder or CSV) at any speed, with its alarms",
                        description="Play a recorded session on a virtual clock: a session folder, a simulator "
                                    "CSV with its side files, or a plain device CSV. Alarms are recomputed with "
                                    "the thresholds stored in the session (or --thresholds, and then compared "
                                    "with the recorded log); recorded doses, acknowledgements, pauses and notes "
                                    "are applied at their times. Nothing is written. Press ? for the keys.")
    rp.add_argument("input", metavar="INPUT", help="a session folder, or a CSV of readings")
    rp.add_argument("--speed", default="1", metavar="X",
                    help="1, 2, 5, 10, 30, 60, 120, 600 (any number > 0) or max (default 1)")
    rp.add_argument("--start", metavar="WHEN", help="begin here: a time into the session (1h30m) or a clock "
                    "time (14:32)")
    rp.add_argument("--paused", action="store_true", help="open paused (space plays)")
    rp.add_argument("--thresholds", metavar="FILE", help="recompute the alarms with these limits and show how "
                    "they differ from the recorded ones (default: the limits stored in the session)")
    rp.add_argument("--column", action="append", metavar="VITAL=HEADER",
                    help='map a column the reader does not know, e.g. --column hr="Solar8000/HR"')
    rp.add_argument("--bell", action="store_true", help="ring the terminal bell for alarms (off by default)")
    rp.set_defaults(func=_run_replay)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--thresholds", metavar="FILE", help="alarm limits (default: ./thresholds.toml, else the "
                   "packaged defaults)")
    p.add_argument("--record", metavar="DIR", help="record the session into DIR (default: a new folder under "
                   "./sessions/ named by the start time and the label)")
    p.add_argument("--no-record", action="store_true", help="do not record the session")
    p.add_argument("--label", metavar="TEXT", help="the session's name on screen and in the recording")
    p.add_argument("--quiet", action="store_true", help="no terminal bell (alarms still show)")


# -- running -----------------------------------------------------------------------------------


def _fail(message: str) -> int:
    print(f"vitals-monitor: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _run_demo(args) -> int:
    args.headless = False
    args.input = None
    args.simulate = args.scenario
    args.resume = None
    args.column = None
    return _run_live(args)


def _run_live(args) -> int:
    from monitor.recording import SessionError
    from monitor.core.thresholds_loader import ConfigError
    from monitor.sources.csvfile import CsvError

    try:
        plan = _plan(args)
    except (_Usage, ConfigError, SessionError, CsvError) as exc:
        return _user_error(exc)
    if getattr(args, "headless", False):
        from monitor.session import Session
        from monitor.session.headless import run_headless

        session = Session(plan["feed"], plan["thresholds"], folder=plan["folder"], label=plan["label"],
                          resume=plan["resume"], user=_login(), record=plan["folder"] is not None,
                          fit_stale=plan["fit_stale"])
        return run_headless(session)
    from monitor.ui.app import make_app

    app = make_app(plan["feed"], plan["thresholds"], folder=plan["folder"], label=plan["label"],
                   quiet=args.quiet, resume=plan["resume"], fit_stale=plan["fit_stale"])
    app.run()
    if plan["folder"] is not None and app.session.recorder is not None:
        print(f"session recorded in {plan['folder']}")
    return 0


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name is not an error
        return ""


def _run_replay(args) -> int:
    from monitor.recording import SessionError, load_session
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.sources.csvfile import CsvError
    from monitor.recording.alarm_source import session_limits
    from monitor.sources.replay import parse_position, parse_speed

    try:
        speed = parse_speed(args.speed)
    except ValueError as exc:
        return _fail(f"--speed: {exc}")
    try:
        path = Path(args.input)
        if not path.exists():
            raise _Usage(f"'{path}' does not exist")
        rs = load_session(path, column_map=_column_map(args.column))
        if not len(rs.store):
            raise _Usage(f"'{path}' holds no readings to replay")
        chosen = session_limits(rs, load_thresholds(args.thresholds) if args.thresholds else None)
        th, limits = chosen.thresholds, (str(args.thresholds) if args.thresholds else chosen.what)
        start = None
        if args.start:
            span = rs.store.span()
            end = max(rs.end_time() or span[1], span[1])
            try:
                start = parse_position(args.start, span[0], end, rs.time_kind == "absolute")
            except ValueError as exc:
                raise _Usage(f"--start: {exc}") from None
            if not span[0] <= start <= end:
                raise _Usage(f"--start {args.start} is outside the session")
    except (_Usage, ConfigError, SessionError, CsvError) as exc:
        return _user_error(exc)
    from monitor.ui.replay_app import make_replay_app

    app = make_replay_app(rs, th, speed=speed, start=start, playing=not args.paused, limits=limits,
                          thresholds_given=bool(args.thresholds), quiet=not args.bell, notes=chosen.notes)
    app.run()
    return 0


def _user_error(exc: Exception) -> int:
    """A mistake the user can fix: its sentence (or each config error) on stderr, exit status 2."""
    errors = getattr(exc, "errors", None)
    if not errors:
        return _fail(str(exc))
    for line in errors:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT


def _column_map(items):
    from monitor.cli import UsageError, column_map_option

    try:
        return column_map_option(items)
    except UsageError as exc:
        raise _Usage(str(exc)) from None


def _plan(args) -> dict:
    """Check the arguments and build the feed, thresholds, folder and resume state."""
    from monitor.core.thresholds_loader import load_thresholds
    from monitor.recording import is_session_folder, load_session, stopped_at

    if args.speed is not None and not args.speed > 0:
        raise _Usage("--speed must be more than 0")
    resume_dir = Path(args.resume) if args.resume else None
    source = Path(args.input) if args.input else None
    if source is not None and source.is_dir():
        if not is_session_folder(source):
            raise _Usage(f"'{source}' is a folder but not a recorded session; give a CSV file to follow")
        if resume_dir is not None:
            raise _Usage("give the session folder once: either as INPUT or with --resume")
        stopped = stopped_at(source)
        if stopped:
            raise _Usage(f"'{source}' is a session that was ended at {stopped}; to carry it on anyway, "
                         f"use --resume {source}")
        resume_dir, source = source, None
    if source is not None and args.simulate:
        raise _Usage("give either a CSV file to follow or --simulate SCENARIO, not both")
    if (args.speed is not None or args.seed is not None) and not args.simulate and not resume_dir:
        raise _Usage("--speed and --seed go with --simulate")
    if source is None and not args.simulate and resume_dir is None:
        raise _Usage("give a CSV file to follow, --simulate SCENARIO, or --resume DIR "
                      "(or try `vitals-monitor demo`)")
    if source is not None and not source.parent.exists():
        raise _Usage(f"cannot follow '{source}': the folder '{source.parent}' does not exist")
    if source is not None and source.exists() and not source.is_file():
        raise _Usage(f"cannot follow '{source}': it is not a regular file")

    resume = None
    meta: dict = {}
    if resume_dir is not None:
        if not is_session_folder(resume_dir):
            raise _Usage(f"cannot resume '{resume_dir}': it is not a recorded session folder")
        if args.thresholds:
            raise _Usage("--thresholds cannot change the limits of a session being resumed; its "
                          "session.json keeps the limits in force")
        if args.record and Path(args.record).resolve() != resume_dir.resolve():
            raise _Usage("--record and --resume name different folders; a resumed session records into its own")
        resume = load_session(resume_dir)
        meta = resume.meta
        thresholds = resume.stored_thresholds() or load_thresholds()
    else:
        thresholds = load_thresholds(args.thresholds)
    # Only the default limits are fitted to a slow feed (as `alarms` fits them); given or stored
    # limits are used as they are.
    fit_stale = resume_dir is None and not args.thresholds

    feed = _feed(args, source, meta, resume)
    label = args.label or (meta.get("label") if meta else "") or feed.label
    if getattr(args, "no_record", False):
        if resume_dir is not None:
            raise _Usage("--no-record cannot be used with --resume")
        folder = None
    elif resume_dir is not None:
        folder = resume_dir
    elif args.record:
        folder = Path(args.record)
        if is_session_folder(folder):
            raise _Usage(f"'{folder}' already holds a session; carry it on with --resume {folder}")
        if folder.exists() and not folder.is_dir():
            raise _Usage(f"cannot record in '{folder}': it is a file, not a folder")
    else:
        import time

        from monitor.session.folders import default_folder

        folder = default_folder(label, time.time())
    if folder is not None:
        _check_writable(folder)
    return {"feed": feed, "thresholds": thresholds, "folder": folder, "label": label, "resume": resume,
            "fit_stale": fit_stale}


def _check_writable(folder: Path) -> None:
    """Fail before the screen opens if the recording folder cannot be written."""
    import os

    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise _Usage(f"cannot record in '{folder}': '{probe}' is not a folder this user can write to "
                     "(choose another with --record DIR, or --no-record)")


def _feed(args, source: Path | None, meta: dict, resume):
    from monitor.recording import parse_time
    from monitor.sources.follow import FileFeed
    from monitor.sources.simulated import SimulatedFeed, SimulatorFeed

    last = resume.store.span()[1] if resume is not None and len(resume.store) else None
    scenario = args.simulate or (meta.get("scenario") if source is None else None)
    if scenario:
        speed = args.speed if args.speed is not None else float(meta.get("speed") or 1.0)
        seed = args.seed if args.seed is not None else int(meta.get("seed") or 1)
        start = meta.get("sim_start")
        if start is not None:
            start = parse_time(start)
        try:
            sim = SimulatedFeed(scenario, seed=seed, speed=speed, start=start)
        except KeyError as exc:
            raise _Usage(str(exc).strip("'\"")) from None
        except ValueError as exc:
            raise _Usage(str(exc)) from None
        return SimulatorFeed(sim, resume_after=last)
    path = source or (Path(meta["follow"]) if meta.get("follow") else None)
    if path is None:
        raise _Usage("the session does not say what it was following; give the CSV file or --simulate again")
    return FileFeed(path, column_map=_column_map(getattr(args, "column", None)))
