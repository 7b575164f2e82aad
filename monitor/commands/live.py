"""`vitals-monitor live`: the bedside monitor, on a CSV a device bridge is writing, on the simulator,
or carrying on a session that was not closed; on screen, or headless with --headless.

Textual is imported only when the screen opens, so a headless bedside never loads it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.commands.options import UsageError, add_bedside_options, add_column_option, column_map, user_error
from monitor.commands.protocol_options import (
    add_protocol_options,
    ask_missing,
    participant_label,
    protocol_and_info,
)

NAME = "live"
HELP = "the bedside monitor: follow a CSV a device bridge is writing, or run the simulator"
DESCRIPTION = (
    "The bedside monitor. Follow a CSV that is still being written (FILE.csv), run the simulator "
    "(--simulate SCENARIO), or carry on a session that was not closed (--resume DIR, or a session "
    "folder as INPUT)."
)


def add_arguments(lv: argparse.ArgumentParser) -> None:
    lv.add_argument(
        "input",
        nargs="?",
        metavar="FILE.csv|SESSION_DIR",
        help="a CSV to follow, or a session folder that was never closed (it is resumed)",
    )
    lv.add_argument(
        "--simulate",
        metavar="SCENARIO",
        help="run the simulator instead of following a file "
        "(scenarios: see `vitals-monitor simulate --list-scenarios`)",
    )
    lv.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="N",
        help="with --simulate: simulated seconds per real second (default 1)",
    )
    lv.add_argument("--seed", type=int, default=None, metavar="S", help="with --simulate: random seed (default 1)")
    lv.add_argument(
        "--resume",
        metavar="DIR",
        help="reload a recorded session (readings, doses, notes, alarm state) and carry on recording into it",
    )
    add_column_option(lv)
    from monitor.commands.live_hl7 import add_hl7_options

    add_hl7_options(lv)
    lv.add_argument(
        "--headless",
        action="store_true",
        help="no screen: record and print the alarms as lines "
        "(the same session; ends with the simulated session, Ctrl-C or SIGTERM)",
    )
    add_bedside_options(lv)
    add_protocol_options(lv)
    lv.add_argument(
        "--publish",
        metavar="mqtt://HOST:PORT/SITE/BED",
        help="publish the session to an MQTT broker for the central station (user and password from "
        "VITALS_MQTT_USER and VITALS_MQTT_PASSWORD_FILE, never the command line; mqtts:// for TLS)",
    )
    lv.add_argument(
        "--publish-config",
        metavar="FILE",
        help="a TOML file whose [publish] table gives the broker (url, user, password_file, ca_file, keepalive_s)",
    )


def run(args: argparse.Namespace) -> int:
    from monitor.core.thresholds_loader import ConfigError
    from monitor.recording import SessionError
    from monitor.sources.csv.errors import CsvError

    try:
        publish = _publish_plan(args)
        plan = _plan(args)
        plan["publish"] = publish
    except (UsageError, ConfigError, SessionError, CsvError) as exc:
        return user_error(exc)
    lock = plan["lock"]
    try:
        return _run(args, plan)
    finally:
        if lock is not None:
            lock.release()


def _run(args: argparse.Namespace, plan: dict) -> int:
    if getattr(args, "headless", False):
        from monitor.session import Session
        from monitor.session.headless import run_headless

        session = Session(
            plan["feed"],
            plan["thresholds"],
            folder=plan["folder"],
            label=plan["label"],
            resume=plan["resume"],
            user=_login(),
            record=plan["folder"] is not None,
            fit_stale=plan["fit_stale"],
            protocol=plan["protocol"],
            info=plan["info"],
        )
        _publish(session, plan)
        rc = run_headless(session)
        return _say_what_was_recorded(session, plan["folder"], announce=False) or rc
    from monitor.ui.app import make_app

    app = make_app(
        plan["feed"],
        plan["thresholds"],
        folder=plan["folder"],
        label=plan["label"],
        quiet=args.quiet,
        resume=plan["resume"],
        fit_stale=plan["fit_stale"],
        protocol=plan["protocol"],
        info=ask_missing(plan["info"], plan["protocol"], plan["resume"] is not None),
    )
    _publish(app.session, plan)
    app.run()
    return _say_what_was_recorded(app.session, plan["folder"], announce=True)


def _say_what_was_recorded(session, folder: Path | None, announce: bool) -> int:
    """After the session: where it was recorded, or, when records could not be written (a full
    disk at the end), how many were lost; 1 then, so a script sees it."""
    import sys

    from monitor.core.text import printable

    if folder is None:
        return 0
    held, why = session.unwritten()
    where = printable(session.sink.folder or folder)
    if held:
        written = "nothing was recorded" if session.recorder is None else f"what was written is in {where}"
        print(f"vitals-monitor: {held} of the session could not be written ({why}); {written}", file=sys.stderr)
        return 1
    if announce and session.recorder is not None:
        print(f"session recorded in {where}")
    return 0


def _publish_plan(args):
    """`--publish` / `--publish-config` checked (monitor.publish), or None; paho-mqtt is only
    loaded by a bedside that publishes."""
    if not (getattr(args, "publish", None) or getattr(args, "publish_config", None)):
        return None
    from monitor.publish.address import AddressError
    from monitor.publish.settings import publish_plan

    try:
        return publish_plan(args.publish, args.publish_config)
    except AddressError as exc:
        raise UsageError(str(exc)) from None


def _publish(session, plan: dict) -> None:
    if plan.get("publish") is not None:
        from monitor.publish.publisher import start_publishing

        start_publishing(session, plan["publish"])


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name is not an error
        return ""


def _plan(args) -> dict:
    """Check the arguments and build the feed, thresholds, folder and resume state."""
    from monitor.core.thresholds_loader import load_thresholds
    from monitor.recording import is_session_folder, load_session, stopped_at

    if args.speed is not None and not args.speed > 0:
        raise UsageError("--speed must be more than 0")
    resume_dir = Path(args.resume) if args.resume else None
    source = Path(args.input) if args.input else None
    if source is not None and source.is_dir():
        if not is_session_folder(source):
            raise UsageError(f"'{source}' is a folder but not a recorded session; give a CSV file to follow")
        if resume_dir is not None:
            raise UsageError("give the session folder once: either as INPUT or with --resume")
        stopped = stopped_at(source)
        if stopped:
            raise UsageError(
                f"'{source}' is a session that was ended at {stopped}; to carry it on anyway, use --resume {source}"
            )
        resume_dir, source = source, None
    if source is not None and args.simulate:
        raise UsageError("give either a CSV file to follow or --simulate SCENARIO, not both")
    from monitor.commands.live_hl7 import check_hl7_options

    check_hl7_options(args, source, resume_dir)
    if (args.speed is not None or args.seed is not None) and not args.simulate and not resume_dir:
        raise UsageError("--speed and --seed go with --simulate")
    manual = getattr(args, "manual", False)  # (demo shares this plan and has no --manual)
    hl7 = getattr(args, "hl7", None)
    if manual and (source is not None or args.simulate or resume_dir is not None or hl7):
        raise UsageError(
            "--manual runs a session without a device: give no CSV file, --simulate, --hl7 or --resume with it"
        )
    if source is None and not args.simulate and resume_dir is None and not hl7 and not manual:
        raise UsageError(
            "give a CSV file to follow, --simulate SCENARIO, --hl7 HOST:PORT, --manual or --resume DIR "
            "(or try `vitals-monitor demo`)"
        )
    if source is not None and not source.parent.exists():
        raise UsageError(f"cannot follow '{source}': the folder '{source.parent}' does not exist")
    if source is not None and source.exists() and not source.is_file():
        raise UsageError(f"cannot follow '{source}': it is not a regular file")

    resume = None
    lock = None
    meta: dict = {}
    if resume_dir is not None:
        if not is_session_folder(resume_dir):
            raise UsageError(f"cannot resume '{resume_dir}': it is not a recorded session folder")
        if args.thresholds:
            raise UsageError(
                "--thresholds cannot change the limits of a session being resumed; its "
                "session.json keeps the limits in force"
            )
        if args.record and Path(args.record).resolve() != resume_dir.resolve():
            raise UsageError("--record and --resume name different folders; a resumed session records into its own")
        from monitor.recording.lock import FolderLock

        lock = FolderLock(resume_dir).acquire()  # before anything is read from it
        resume = load_session(resume_dir)
        meta = resume.meta
        thresholds = resume.stored_thresholds() or load_thresholds()
    else:
        thresholds = load_thresholds(args.thresholds)
    # Only the default limits are fitted to a slow feed (as `alarms` fits them); given or stored
    # limits are used as they are.
    fit_stale = resume_dir is None and not args.thresholds and not manual
    protocol, info = protocol_and_info(args, resume)

    feed = _feed(args, source, meta, resume)
    label = args.label or (meta.get("label") if meta else "") or participant_label(info) or feed.label
    if getattr(args, "no_record", False):
        if resume_dir is not None:
            raise UsageError("--no-record cannot be used with --resume")
        folder = None
    elif resume_dir is not None:
        folder = resume_dir
    elif args.record:
        folder = Path(args.record)
        if folder.is_dir() and not folder.is_symlink():
            from monitor.recording.lock import FolderLock

            lock = FolderLock(folder).acquire()  # another monitor recording into it is named first
        if is_session_folder(folder):
            raise UsageError(f"'{folder}' already holds a session; carry it on with --resume {folder}")
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"cannot record in '{folder}': it is a file, not a folder")
    else:
        import time

        from monitor.session.folders import default_folder

        folder = default_folder(label, time.time())
    if folder is not None and lock is None:
        from monitor.recording.lock import FolderLock

        _check_writable(folder)
        lock = FolderLock(folder).acquire()  # before the screen opens: a second monitor is refused
    return {
        "lock": lock,
        "feed": feed,
        "thresholds": thresholds,
        "folder": folder,
        "label": label,
        "resume": resume,
        "fit_stale": fit_stale,
        "protocol": protocol,
        "info": info,
    }


def _check_writable(folder: Path) -> None:
    """Fail before the screen opens if the recording folder cannot be written."""
    import os

    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(
            f"cannot record in '{folder}': '{probe}' is not a folder this user can write to "
            "(choose another with --record DIR, or --no-record)"
        )


def _feed(args, source: Path | None, meta: dict, resume):
    from monitor.recording import parse_time
    from monitor.sources.follow import FileFeed
    from monitor.sources.simulated import SimulatedFeed, SimulatorFeed

    if getattr(args, "manual", False) or meta.get("manual"):
        from monitor.sources.manual import ManualFeed

        return ManualFeed()
    last = resume.store.span()[1] if resume is not None and len(resume.store) else None
    if getattr(args, "hl7", None) or (source is None and not args.simulate and meta.get("hl7")):
        from monitor.commands.live_hl7 import hl7_feed

        return hl7_feed(args, meta)
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
            raise UsageError(str(exc).strip("'\"")) from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return SimulatorFeed(sim, resume_after=last)
    path = source or (Path(meta["follow"]) if meta.get("follow") else None)
    if path is None:
        raise UsageError("the session does not say what it was following; give the CSV file or --simulate again")
    return FileFeed(path, column_map=_columns(args, meta, resume is not None))


def _columns(args, meta: dict, resuming: bool) -> dict[str, str] | None:
    """The --column mapping; a resumed session reads with the one it was recorded with."""
    given = column_map(getattr(args, "column", None))
    if not resuming:
        return given
    stored = meta.get("column_map")
    if stored is not None and (
        not isinstance(stored, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in stored.items())
    ):
        raise UsageError(
            "the session.json of the session being resumed has a column_map that is not vital=header pairs"
        )
    if given is not None and given != (stored or None):
        recorded = ", ".join(f"{k}={v}" for k, v in stored.items()) if stored else "no --column"
        raise UsageError(
            f"--column cannot change how a resumed session reads its file: it was recorded with {recorded}"
        )
    return stored or None
