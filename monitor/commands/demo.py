"""`vitals-monitor demo`: the simulator's typical session on the bedside screen at 30x speed; `live`
with the simulator and demo defaults."""

from __future__ import annotations

import argparse

from monitor.commands import live
from monitor.commands.options import add_bedside_options

NAME = "demo"
HELP = "a simulated session (typical scenario) at 30x speed: start here"
DESCRIPTION = "The simulator's typical MDMA session played at 30x speed, labelled SIMULATED. Press ? for the keys."


def add_arguments(dm: argparse.ArgumentParser) -> None:
    dm.add_argument("--speed", type=float, default=30.0, metavar="N", help="default 30")
    dm.add_argument("--seed", type=int, default=1, metavar="S", help="default 1")
    dm.add_argument("--scenario", default="typical", metavar="NAME", help=argparse.SUPPRESS)
    add_bedside_options(dm)


def run(args: argparse.Namespace) -> int:
    args.headless = False
    args.input = None
    args.simulate = args.scenario
    args.resume = None
    args.column = None
    return live.run(args)
