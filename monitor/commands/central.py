"""`vitals-monitor central mqtt://HOST:PORT/SITE`: the central station, every bed of a site on one
screen (monitor/ui/central_app.py), or in a browser with --serve (textual-serve, on loopback).

The central station only reads: its broker user (VITALS_MQTT_USER, normally `central`) may only
read by the ACL of deploy/mosquitto/. Credentials come from the environment, never the command line.
"""

from __future__ import annotations

import argparse
import sys

from monitor.commands.options import UsageError, fail, user_error

NAME = "central"
HELP = "the central station: every bed of a site that publishes to an MQTT broker"
DESCRIPTION = (
    "The central station: one tile per bed of SITE, most urgent first, from the bedsides that run "
    "`live ... --publish mqtt://HOST:PORT/SITE/BED`. Enter opens a bed's detail. User and password "
    "from VITALS_MQTT_USER and VITALS_MQTT_PASSWORD_FILE (or VITALS_MQTT_PASSWORD); VITALS_MQTT_CA "
    "for mqtts://. --serve shows it in a browser instead."
)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("address", metavar="mqtt://HOST:PORT/SITE", help="the broker and the site to watch")
    p.add_argument(
        "--serve",
        action="store_true",
        help="serve the central station to a browser (textual-serve) instead of this terminal",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="with --serve: the address to listen on (default 127.0.0.1; it has no login of its own: "
        "anything else belongs behind an authenticating reverse proxy)",
    )
    p.add_argument("--port", type=int, default=8000, help="with --serve: the port (default 8000)")


def run(args: argparse.Namespace) -> int:
    from monitor.publish.address import AddressError, parse_address
    from monitor.publish.credentials import credentials

    try:
        address = parse_address(args.address, bed=False, option="central")
        creds = credentials()
        if not 0 < args.port < 65536:
            raise UsageError("--port must be from 1 to 65535")
    except (AddressError, UsageError) as exc:
        return user_error(exc)
    if args.serve:
        return _serve(args)
    from monitor.publish.watch import Watcher
    from monitor.ui.central_app import make_app

    try:
        watcher = Watcher(address, creds)
    except AddressError as exc:
        return user_error(exc)
    watcher.start()
    make_app(watcher, address.site).run()
    return 0


def _serve(args: argparse.Namespace) -> int:
    """The same command without --serve, run by textual-serve for each browser that connects."""
    import shlex

    from textual_serve.server import Server

    if args.host not in LOOPBACK:
        print(
            f"vitals-monitor: warning: serving on {args.host}: textual-serve has no login; put it behind "
            "an authenticating reverse proxy (docs/central.md)",
            file=sys.stderr,
        )
    command = shlex.join([sys.executable, "-m", "monitor", "central", args.address])
    try:
        Server(command, host=args.host, port=args.port, title="vitals-monitor central station").serve()
    except OSError as exc:
        return fail(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}")
    return 0
