"""`vitals-monitor simulate`: generate, stream or calibrate simulated dosing sessions."""

from __future__ import annotations

import argparse

NAME = "simulate"
HELP = "simulate an MDMA dosing session (CSV, stream, or calibration cohort)"
DESCRIPTION = None


def add_arguments(s: argparse.ArgumentParser) -> None:
    # The options name the simulator's scenarios, so defining them imports the simulator (numpy);
    # main.py adds a command's options only when that command is the one given.
    from simulators.command import add_arguments as add

    add(s)


def run(args: argparse.Namespace) -> int:
    from simulators.command import run as simulate

    return simulate(args)
