"""What the sub-commands share: the options defined for several of them, the one exception for a
bad argument value, and how a mistake the user can fix is reported (one sentence on stderr, exit
status 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.core.text import printable

TYPE_CHECKING = False  # not imported from typing, to keep it out of start-up (commands/main.py)
if TYPE_CHECKING:
    from typing import TextIO

PROG = "vitals-monitor"
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A bad argument value; str() is one clear sentence."""


def fail(message: str, prog: str = PROG, stderr: TextIO | None = None) -> int:
    """Print `prog: message` on stderr; the exit status of bad input. The message is made
    printable: it quotes paths and text from files, where a line break or an ESC sequence would
    forge output or act on the terminal."""
    print(printable(f"{prog}: {message}"), file=stderr or sys.stderr)
    return EXIT_BAD_INPUT


def user_error(exc: Exception) -> int:
    """A mistake the user can fix: its sentence (or each config error) on stderr, exit status 2."""
    errors = getattr(exc, "errors", None)
    if not errors:
        return fail(str(exc))
    for line in errors:
        print(printable(line), file=sys.stderr)
    return EXIT_BAD_INPUT


def add_column_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--column",
        action="append",
        metavar="VITAL=HEADER",
        help='map a column the reader does not know, e.g. --column hr="Solar8000/HR"',
    )


def column_map(items: list[str] | None) -> dict[str, str] | None:
    """The --column values as {vital: header}; None when none was given. A vital given twice
    with different columns is refused: the last one must not silently win."""
    if not items:
        return None
    from monitor.core.text import printable

    out: dict[str, str] = {}
    for item in items:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header:
            raise UsageError(f"--column '{printable(item)}' must look like hr=\"Solar8000/HR\" (vital=header)")
        vital, column = name.strip().lower(), header.strip().strip('"')
        if vital in out and out[vital] != column:
            raise UsageError(
                f"--column gives {printable(vital)} twice, as '{printable(out[vital])}' and as "
                f"'{printable(column)}'; give each vital one column"
            )
        out[vital] = column
    return out


def jobs_and_out_folder(jobs: int | None, out: str) -> tuple[int, Path]:
    """--jobs (default: up to two workers) and an --out folder, checked (the cohort commands)."""
    import os

    n = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    if n < 1:
        raise UsageError(f"--jobs must be 1 or more, not {n}")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out '{folder}' is a file, not a folder")
    return n, folder


def add_thresholds_option(p: argparse.ArgumentParser, help_text: str) -> None:
    # The default differs by command (stored limits, recorded log, ./thresholds.toml), so each
    # command says in its own words what it does without the option.
    p.add_argument("--thresholds", metavar="FILE", help=help_text)


def add_bedside_options(p: argparse.ArgumentParser) -> None:
    """The options of a monitored session (`live` and `demo`): limits, recording, label, bell."""
    add_thresholds_option(p, "alarm limits (default: ./thresholds.toml, else the packaged defaults)")
    p.add_argument(
        "--record",
        metavar="DIR",
        help="record the session into DIR (default: a new folder under "
        "./sessions/ named by the start time and the label)",
    )
    p.add_argument("--no-record", action="store_true", help="do not record the session")
    p.add_argument("--label", metavar="TEXT", help="the session's name on screen and in the recording")
    p.add_argument("--quiet", action="store_true", help="no terminal bell (alarms still show)")
