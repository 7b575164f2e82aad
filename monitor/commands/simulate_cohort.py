"""`vitals-monitor simulate-cohort N --out DIR`: N SIMULATED recorded sessions, one subject each from
the simulator's population, seeded, to try `cohort` and benchmark it without patient data."""

from __future__ import annotations

import argparse
import math
import sys

from monitor.commands.options import UsageError, fail, jobs_and_out_folder

NAME = "simulate-cohort"
HELP = "write N SIMULATED session folders (subjects drawn from the simulator's population) for `cohort`"
DESCRIPTION = (
    "Write N SIMULATED recorded sessions under DIR/site-X/sim-SEED-NNNN: each a subject drawn from the "
    "simulator's population, one oral dose 30 min in, the alarm log of the default limits and a team "
    "acknowledging the alarms. The same seed gives the same sessions; sessions already in DIR are kept, "
    "so a larger N adds the rest."
)
MAX_SESSIONS = 100_000


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("n", type=int, metavar="N", help="how many sessions")
    a.add_argument("--out", required=True, metavar="DIR", help="where to write the session folders")
    a.add_argument("--seed", type=int, default=1, metavar="S", help="cohort seed (default: 1)")
    a.add_argument("--duration", default="8h", metavar="TIME", help="length of each session (default: 8h)")
    a.add_argument("--dose", type=float, default=125.0, metavar="MG", help="initial dose (default: 125 mg)")
    a.add_argument("--supplement", action="store_true", help="also a half-dose 2 h after the initial one")
    a.add_argument("--sites", type=int, default=3, metavar="K", help="sessions spread over K sites (default: 3)")
    a.add_argument("--no-artifacts", action="store_true", help="perfect sensors: no artifacts, no failed cuffs")
    a.add_argument("--jobs", type=int, default=None, metavar="J", help="sessions written at once (default: 2)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except UsageError as exc:
        return fail(str(exc), f"vitals-monitor {NAME}")


def _run(args: argparse.Namespace) -> int:
    from monitor.cohort.simulated import CohortPlan, write_cohort
    from monitor.core.timetext import parse_duration
    from monitor.recording.files import SessionError

    if not 1 <= args.n <= MAX_SESSIONS:
        raise UsageError(f"N must be between 1 and {MAX_SESSIONS}, not {args.n}")
    if args.seed < 0:
        raise UsageError(f"the seed must be 0 or more, not {args.seed}")
    try:
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not 3600 <= duration <= 48 * 3600:
        raise UsageError(
            f"--duration must be between 1h (30 min before the dose and after it) and 48h, not '{args.duration}'"
        )
    if not (math.isfinite(args.dose) and 0 <= args.dose <= 1000):
        raise UsageError(f"--dose must be between 0 and 1000 mg, not {args.dose:g}")
    if not 1 <= args.sites <= 99:
        raise UsageError(f"--sites must be between 1 and 99, not {args.sites}")
    jobs, out = jobs_and_out_folder(args.jobs, args.out)
    plan = CohortPlan(args.n, args.seed, duration, args.dose, args.supplement, args.sites, not args.no_artifacts)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    try:
        if args.no_progress or not console.is_terminal:
            folders = write_cohort(out, plan, jobs=jobs)
        else:
            cols = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*cols, console=console, transient=True) as bar:
                task = bar.add_task("simulate", total=plan.n)
                folders = write_cohort(out, plan, progress=lambda k: bar.update(task, completed=k), jobs=jobs)
    except (SessionError, OSError) as exc:
        raise UsageError(f"cannot write the sessions: {exc}") from None
    print(f"{len(folders)} SIMULATED session(s) in {out} (seed {args.seed}); "
          f"next: vitals-monitor cohort {out} --out DIR",
          file=sys.stdout)  # fmt: skip
    return 0
