"""The `--hl7` options of `vitals-monitor live`: listen for PCD-01 messages over MLLP."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.commands.options import UsageError


def add_hl7_options(lv: argparse.ArgumentParser) -> None:
    lv.add_argument(
        "--hl7",
        metavar="HOST:PORT",
        help="listen for HL7 v2 ORU^R01 (IHE PCD-01) messages over MLLP from a monitor or gateway "
        "(PORT alone listens on 127.0.0.1; another address only when given)",
    )
    lv.add_argument("--hl7-patient", metavar="ID", help="with --hl7: take only this patient's messages (PID-3)")
    lv.add_argument(
        "--hl7-bed", metavar="LOCATION", help="with --hl7: take only this bed's messages (PV1-3, e.g. ICU^12^1)"
    )
    lv.add_argument(
        "--hl7-hold",
        type=float,
        metavar="SECONDS",
        help="with --hl7: hold readings this long so that one a gateway sends late (a cuff reading "
        "after newer numerics) is put in its place; the screen shows them that much later (default 0)",
    )


def check_hl7_options(args: argparse.Namespace, source: Path | None, resume_dir: Path | None) -> None:
    hl7 = getattr(args, "hl7", None)
    given = getattr(args, "hl7_patient", None) or getattr(args, "hl7_bed", None)
    if (given or getattr(args, "hl7_hold", None) is not None) and not hl7 and resume_dir is None:
        raise UsageError("--hl7-patient, --hl7-bed and --hl7-hold go with --hl7 HOST:PORT")
    hold = getattr(args, "hl7_hold", None)
    if hold is not None and not 0 <= hold <= 600:
        raise UsageError("--hl7-hold must be between 0 and 600 seconds")
    if not hl7:
        return
    if source is not None or args.simulate:
        raise UsageError("give one source: a CSV file to follow, --simulate SCENARIO or --hl7 HOST:PORT")
    if args.hl7_patient and args.hl7_bed:
        raise UsageError("give --hl7-patient or --hl7-bed, not both")
    if getattr(args, "column", None):
        raise UsageError("--column goes with a CSV file, not --hl7")


def hl7_feed(args: argparse.Namespace, meta: dict):
    """The listener, bound before any screen opens (a port in use is one sentence, exit 2)."""
    from monitor.commands.hl7_send import parse_address
    from monitor.core.text import printable
    from monitor.sources.hl7v2.feed import Hl7Feed
    from monitor.sources.hl7v2.listener import Selection

    given = getattr(args, "hl7", None)
    address = given or meta.get("hl7")
    if not isinstance(address, str):
        raise UsageError("the session being resumed does not say where it listened for HL7; give --hl7 HOST:PORT")
    host, port = parse_address(address)
    patient = getattr(args, "hl7_patient", None) or (meta.get("hl7_patient") if not given else None)
    bed = getattr(args, "hl7_bed", None) or (meta.get("hl7_bed") if not given else None)
    hold = getattr(args, "hl7_hold", None)
    if hold is None:
        stored = meta.get("hl7_hold") if not given else None
        hold = float(stored) if isinstance(stored, int | float) and 0 <= stored <= 600 else 0.0
    try:
        return Hl7Feed(host, port, Selection(patient or None, bed or None), hold_s=hold)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise UsageError(f"cannot listen for HL7 on {printable(address)}: {why}") from None
