"""`vitals-monitor simulate`: generate, stream or calibrate simulated dosing sessions.

The simulator is imported inside the functions. Even the options load it (they name its
scenarios), which is why main.py adds a command's options only when it is the command given.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from monitor.commands.options import PROG, UsageError, fail

TYPE_CHECKING = False  # not imported from typing, to keep it out of start-up (commands/main.py)
if TYPE_CHECKING:
    from typing import TextIO

NAME = "simulate"
HELP = "simulate an MDMA dosing session (CSV, stream, or calibration cohort)"
DESCRIPTION = None

MAX_DOSE_MG = 1000.0
MAX_COHORT = 100_000

# The simulator's messages name the command: `vitals-monitor simulate: ...`.
_PROG = f"{PROG} {NAME}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from simulators.scenarios import SCENARIOS
    from simulators.writer import TIME_MODES

    add = parser.add_argument
    add("--scenario", default="typical", metavar="NAME", help=f"one of: {', '.join(SCENARIOS)} (default: typical)")
    add(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="random seed; the same seed gives a byte-identical file (default: 1)",
    )
    add(
        "--duration",
        default=None,
        metavar="TIME",
        help="session length from the start of the 30 min pre-dose baseline: 8h, 90m, 6h30m (default: 8h)",
    )
    add(
        "--out",
        default=None,
        metavar="FILE.csv",
        help="write the canonical CSV here, with FILE.session.json and FILE.events.jsonl beside it "
        "(default: the CSV to standard output)",
    )
    add(
        "--dose",
        type=float,
        default=None,
        metavar="MG",
        help="initial dose in mg instead of the scenario's (its supplement, if any, becomes MG/2; "
        "0 = placebo); with --cohort: only this dose",
    )
    add(
        "--stream",
        action="store_true",
        help="append rows in (accelerated) real time, one whole line at a time, like a device bridge",
    )
    add(
        "--speed",
        type=float,
        default=1.0,
        metavar="N",
        help="with --stream: simulated seconds per real second (60 = a minute per second; default: 1)",
    )
    add(
        "--cohort",
        type=int,
        default=None,
        metavar="N",
        help="print the calibration table for N simulated subjects at 75 and 125 mg instead",
    )
    add(
        "--time",
        choices=TIME_MODES,
        default="absolute",
        help="time column: ISO 8601 with UTC offset (default) or seconds since the start",
    )
    add(
        "--start",
        default=None,
        metavar="ISO|now",
        help="session start (default: 2026-11-28T09:00:00+00:00, so a seed always gives the same file)",
    )
    add("--spo2", action="store_true", help="also simulate SpO2 every second")
    add("--list-scenarios", action="store_true", help="list the scenarios and what each is meant to trip, then exit")


def list_scenarios() -> str:
    from simulators.scenarios import SCENARIOS

    lines = []
    width = max(len(n) for n in SCENARIOS)
    for name, sc in SCENARIOS.items():
        trips = ", ".join(f"{v} {d}" for v, d in sorted(sc.expected_alarms)) or "no alarm"
        lines.append(f"{name:<{width}}  {sc.title}")
        lines.append(f"{'':<{width}}  trips: {trips}")
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> None:
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"the seed must be 0 or more, not {args.seed}")
    if args.dose is not None and not (math.isfinite(args.dose) and 0 <= args.dose <= MAX_DOSE_MG):
        raise UsageError(f"--dose must be between 0 and {MAX_DOSE_MG:.0f} mg, not {args.dose:g}")
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise UsageError(f"--speed must be more than 0, not {args.speed:g}")
    if args.cohort is not None and not (1 <= args.cohort <= MAX_COHORT):
        raise UsageError(f"--cohort needs between 1 and {MAX_COHORT} subjects, not {args.cohort}")


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    try:
        return _run(args, out_stream)
    except UsageError as exc:
        return fail(str(exc), _PROG, err_stream)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): not an error; keep Python from complaining at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out_stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except OSError as exc:
        where = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
        return fail(f"cannot write{where}: {exc.strerror or exc}.", _PROG, err_stream)
    except KeyboardInterrupt:
        print(f"{_PROG}: stopped.", file=err_stream)
        return 130


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from monitor.core.timetext import parse_duration
    from simulators.cohort import DEFAULT_DOSES, format_table, run_cohort
    from simulators.generate import simulate
    from simulators.scenarios import get_scenario
    from simulators.writer import parse_start, stream_session, write_session

    if getattr(args, "list_scenarios", False):
        print(list_scenarios(), file=out)
        return 0
    _check(args)
    seed = 1 if args.seed is None else args.seed
    if args.cohort is not None:
        doses = (args.dose,) if args.dose is not None else DEFAULT_DOSES
        results = [run_cohort(args.cohort, d, seed) for d in doses]
        print(format_table(results), file=out)
        return 0
    try:
        scenario = get_scenario(args.scenario)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    duration = None
    if args.duration is not None:
        try:
            duration = parse_duration(args.duration)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not (0 < duration <= 48 * 3600):
            raise UsageError(f"--duration must be more than 0 and at most 48h, not '{args.duration}'")
    try:
        start = parse_start(args.start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    session = simulate(scenario, seed, duration, args.dose, spo2=True if args.spo2 else None)
    path = Path(args.out) if args.out not in (None, "-") else None
    if path is not None and not path.parent.exists():
        raise UsageError(f"the folder '{path.parent}' for --out does not exist")
    if args.stream:
        stream_session(path, session, start, args.time, args.speed, stdout=out)
    else:
        write_session(path, session, start, args.time, stdout=out)
    return 0
