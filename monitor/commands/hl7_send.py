"""`vitals-monitor hl7-send`: readings (a CSV, or the simulator) sent as IHE PCD-01 ORU^R01
messages over MLLP, each waiting for its ACK, so that `live --hl7` can be tried without a device."""

from __future__ import annotations

import argparse
import contextlib
import math

from monitor.commands.options import UsageError, add_column_option, column_map, user_error

NAME = "hl7-send"
HELP = "send a CSV or a simulated session as HL7 PCD-01 messages over MLLP (to try `live --hl7`)"
DESCRIPTION = (
    "Send readings as HL7 v2 ORU^R01 messages (IHE PCD-01) over MLLP to HOST:PORT, one message a "
    "reading, each waiting for its ACK, as a monitor or gateway does. A simulated session is marked "
    "as such (MSH-11 T), so the listener labels it SIMULATED."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("address", metavar="HOST:PORT", help="where `vitals-monitor live --hl7` listens")
    p.add_argument("input", nargs="?", metavar="FILE.csv", help="a CSV of readings to send")
    p.add_argument("--simulate", metavar="SCENARIO", help="send a simulated session (see `simulate --list-scenarios`)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="with --simulate: random seed (default 1)")
    p.add_argument("--duration", metavar="TIME", help="with --simulate: session length, e.g. 90m (default 8h)")
    p.add_argument(
        "--start",
        metavar="TIME",
        help="with --simulate: the session's start, ISO 8601 (default: now; with --speed max, so that it ends now)",
    )
    p.add_argument(
        "--speed",
        default="1",
        metavar="N|max",
        help="reading-seconds per real second (60 = a minute a second); max: as fast as the ACKs come (default 1)",
    )
    add_column_option(p)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from monitor.core.text import printable
    from monitor.recording import SessionError
    from monitor.sources.csv.errors import CsvError
    from monitor.sources.hl7v2.sender import SendError, send_readings

    try:
        host, port = parse_address(args.address, default_host=None)
        speed = _speed(args.speed)
        readings, simulated, what = _readings(args, speed)
    except (UsageError, CsvError, SessionError) as exc:
        return user_error(exc)
    print(printable(f"sending {len(readings)} reading(s) of {what} to {host}:{port}"), flush=True)

    def say(line: str) -> None:
        print(printable(line), flush=True)

    try:
        report = asyncio.run(send_readings(readings, host, port, simulated=simulated, speed=speed, say=say))
    except SendError as exc:
        return user_error(exc)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    print(
        f"sent {report.sent} message(s): {report.accepted} accepted (AA), {len(report.errors)} in error (AE)"
        + (f", {report.resent} sent again" if report.resent else ""),
        flush=True,
    )
    return 1 if report.errors else 0


def parse_address(text: str, default_host: str | None = "127.0.0.1") -> tuple[str, int]:
    """HOST:PORT, [v6]:PORT, or PORT alone (on default_host; None: a host is required)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]")
    if not host:
        if default_host is None:
            raise UsageError(f"'{text}' names no host: give HOST:PORT, e.g. 127.0.0.1:2575")
        host = default_host
    try:
        number = int(port)
    except ValueError:
        raise UsageError(f"'{text}' is not HOST:PORT (the port must be a number, e.g. 127.0.0.1:2575)") from None
    if not 0 <= number <= 65535:
        raise UsageError(f"port {number} is not between 0 and 65535")
    return host, number


def _speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        raise UsageError(f"--speed must be a number or max, not '{text}'") from None
    if not speed > 0 or not math.isfinite(speed):
        raise UsageError("--speed must be more than 0")
    return speed


def _readings(args, speed: float | None):
    """(readings, simulated, what they are) from the CSV or the simulator."""
    from pathlib import Path

    from monitor.core.readings import Reading
    from monitor.core.vitals import VITALS

    if bool(args.input) == bool(args.simulate):
        raise UsageError("give either a CSV file or --simulate SCENARIO")
    if args.simulate:
        if args.column:
            raise UsageError("--column goes with a CSV file, not --simulate")
        import time

        from monitor.core.timetext import parse_duration
        from monitor.sources.simulated import SimulatedFeed

        duration = None
        if args.duration is not None:
            try:
                duration = parse_duration(args.duration)
            except ValueError:
                raise UsageError(f"--duration '{args.duration}' is not a time like 90m or 8h") from None
            if not 0 < duration <= 48 * 3600:
                raise UsageError("--duration must be more than 0 and at most 48h")
        if args.start is not None:
            from simulators.writer import parse_start

            try:
                start = parse_start(args.start).timestamp()
            except ValueError:
                raise UsageError(
                    f"--start '{args.start}' is not an ISO 8601 time like 2026-11-28T09:00:00+00:00"
                ) from None
        else:
            start = float(int(time.time()))
            if speed is None:  # all at once: a session that ends now, so no reading is stamped ahead
                start -= duration if duration is not None else 8 * 3600.0
        try:
            sim = SimulatedFeed(args.simulate, seed=args.seed, start=start, duration_s=duration)
        except KeyError as exc:
            raise UsageError(str(exc).strip("'\"")) from None
        return sim.all_readings(), True, f"the simulated '{sim.scenario}' session (seed {args.seed})"
    if args.duration is not None or args.seed != 1 or args.start is not None:
        raise UsageError("--seed, --duration and --start go with --simulate")
    from monitor.recording import SessionError
    from monitor.recording.files import session_paths
    from monitor.recording.loader import read_meta
    from monitor.sources.csv.load import load_csv

    path = Path(args.input)
    res = load_csv(path, column_map(args.column))
    st = res.store
    offset = 0.0
    if res.time_kind == "relative":
        import time

        offset = float(int(time.time()))  # seconds since the start: the session starts now
    derived = st.map_derived()
    cols = {v: st.column(v) for v in VITALS}
    out = []
    for i, t in enumerate(st.t.tolist()):
        vals = [float(cols[v][i]) for v in VITALS]
        if derived[i]:
            vals[VITALS.index("map")] = math.nan  # the reader's own MAP, not the device's
        out.append(Reading(t + offset, *vals))
    simulated = False
    with contextlib.suppress(SessionError):
        simulated = bool(read_meta(session_paths(path)[1]).get("simulated"))
    return out, simulated, path.name
