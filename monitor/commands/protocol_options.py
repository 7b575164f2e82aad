"""The options of a session's protocol and metadata (`live`): --manual, --protocol, --participant,
--session-number, --site, --staff; and asking for the metadata at the start when it was not given.
"""

from __future__ import annotations

import argparse
import sys

from monitor.commands.options import UsageError

INFO_KEYS = ("participant", "session_number", "site", "staff")


def add_protocol_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("protocol and session details")
    g.add_argument(
        "--manual",
        action="store_true",
        help="no device: every reading is typed at the bedside (key v); the schedule of protocol.toml applies",
    )
    g.add_argument(
        "--protocol",
        metavar="FILE",
        help="the measurement schedule, discharge check and staff-initials rule (default with --manual: "
        "./protocol.toml or the packaged one; without --manual and without this option a device session has none)",
    )
    g.add_argument("--participant", metavar="ID", help="participant id (session.json, the report, the exports)")
    g.add_argument("--session-number", metavar="N", help="which dosing session of the participant this is (1, 2, 3)")
    g.add_argument("--site", metavar="NAME", help="the trial site")
    g.add_argument("--staff", metavar="INITIALS", help='staff on duty, e.g. "AB, CD"')


def _text(value: str, what: str) -> str:
    from monitor.core.text import printable

    s = value.strip()
    if not s or len(s) > 64 or printable(s) != s:
        raise UsageError(f"{what} '{printable(value)}' must be 1-64 printable characters")
    return s


def check_info(raw: dict[str, str | None]) -> dict:
    """The metadata options, checked; ValueError-free: UsageError names the option."""
    from monitor.core.manual_entry import parse_initials

    info: dict = {}
    if raw.get("participant"):
        info["participant"] = _text(str(raw["participant"]), "--participant")
    if raw.get("session_number"):
        s = str(raw["session_number"]).strip()
        if not s.isdigit() or not 0 < int(s) < 1000:
            raise UsageError(f"--session-number '{s}' must be a whole number from 1 to 999")
        info["session_number"] = int(s)
    if raw.get("site"):
        info["site"] = _text(str(raw["site"]), "--site")
    if raw.get("staff"):
        names = [x for x in str(raw["staff"]).replace(";", ",").split(",") if x.strip()]
        try:
            info["staff"] = ", ".join(parse_initials(x, "required") for x in names)
        except ValueError as exc:
            raise UsageError(f"--staff: {exc}") from None
    return info


def protocol_and_info(args, resume) -> tuple[object | None, dict]:
    """The protocol in force and the session's metadata (a resumed session keeps its own)."""
    from monitor.core.protocol import protocol_from_stored
    from monitor.core.protocol_loader import load_protocol

    given = getattr(args, "protocol", None)
    manual = getattr(args, "manual", False)
    if resume is not None:
        if given or any(getattr(args, k, None) for k in INFO_KEYS):
            raise UsageError("a resumed session keeps the protocol and details it was started with")
        return protocol_from_stored(resume.meta.get("protocol")), {}
    protocol = load_protocol(given) if (given or manual) else None
    info = check_info({k: getattr(args, k, None) for k in INFO_KEYS})
    return protocol, info


def participant_label(info: dict) -> str:
    """ "P-001 session 2": the default label of a session whose participant was given."""
    if not info.get("participant"):
        return ""
    n = info.get("session_number")
    return f"{info['participant']} session {n}" if n else str(info["participant"])


def ask_missing(info: dict, protocol, resumed: bool) -> dict:
    """Ask on the terminal for the details not given as options (the protocol's ask_at_start);
    Enter alone leaves one out. Never for a resumed session (it keeps its own), never headless
    (the caller does not ask), never without a terminal."""
    if protocol is None or not getattr(protocol, "ask_at_start", False) or resumed or not sys.stdin.isatty():
        return info
    questions = (
        ("participant", "Participant id"),
        ("session_number", "Session number (1, 2, 3)"),
        ("site", "Site"),
        ("staff", "Staff on duty (initials, e.g. AB, CD)"),
    )
    out = dict(info)
    for key, prompt in questions:
        while key not in out:
            try:
                answer = input(f"{prompt} (Enter to leave out): ").strip()
            except EOFError:
                return out
            if not answer:
                break
            try:
                out.update(check_info({key: answer}))
            except UsageError as exc:
                print(str(exc).replace(f"--{key.replace('_', '-')} ", "", 1))
    return out
