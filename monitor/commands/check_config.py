"""`vitals-monitor check-config`: validate a thresholds file and print the rules in force."""

from __future__ import annotations

import argparse

from monitor.commands.options import user_error

NAME = "check-config"
HELP = "validate a thresholds.toml and print the effective rules"
DESCRIPTION = None


def add_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("file", nargs="?", metavar="FILE", help="default: ./thresholds.toml")


def run(args: argparse.Namespace) -> int:
    from monitor.core.thresholds_loader import ConfigError, load_thresholds
    from monitor.core.thresholds_text import format_rules

    try:
        th = load_thresholds(args.file)
    except ConfigError as exc:
        return user_error(exc)
    print(f"{th.source}: valid")
    print(format_rules(th))
    return 0
