"""The ACK each message gets (HL7 v2 original-mode acknowledgement, as PCD-01 asks for).

AA: taken. AE: in error (what could not be used is said in MSA-3 and in one ERR segment each).
AR: refused, to be sent again later (the monitor cannot take it now, or its type is not ours).
The ACK is the one python-hl7's `Message.create_ack` makes (HL7 v2.5 chapter 2.9.2: MSH with the
sender and receiver swapped, the trigger event copied, MSA with the code and the control id), with
MSA-3 and ERR added. Its fields are formatted here from the message's MSH rather than built by
`create_ack`, which assigns each field through the container tree and cost as much per message
as parsing it: at 2,000 messages a second that is the difference (tests/test_hl7_messages.py
holds the two equal).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import hl7

from monitor.core.text import printable

APP = "VITALS-MONITOR"
MAX_TEXT = 200  # MSA-3 is 80 characters in v2.3, ERR-8 250 in v2.5: keep it short either way
_ERR_NAMES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "0": "Message accepted",
    "207": "Application internal error",
}


def _clean(text: str) -> str:
    """Reason text safe inside one HL7 field: no separators, no escape character, no controls."""
    text = printable(text)
    for ch in "|^~\\&":
        text = text.replace(ch, " ")
    return text[:MAX_TEXT]


def _err(code: str, text: str, severity: str = "E") -> str:
    """ERR (v2.5): ERR-3 the error code (table 0357), ERR-4 severity (E error, I information: a
    note on an AA), ERR-8 the user message."""
    return f"ERR|||{code}^{_ERR_NAMES.get(code, 'Error')}^HL70357|{severity}||||{_clean(text)}\r"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def _field(msh, n: int) -> str:
    return str(msh[n]) if len(msh) > n else ""


def ack_for(msg, code: str, reasons: list[tuple[str, str]] | None = None) -> bytes:
    """The ACK of parsed message `msg`: `code` AA/AE/AR, `reasons` (error code, sentence) pairs."""
    reasons = reasons or []
    try:
        msh = msg.segment("MSH")
        kind = msh[9][0] if len(msh) > 9 and msh[9] and not isinstance(msh[9][0], str) else None
        trigger = str(kind[1]) if kind is not None and len(kind) > 1 else ""
        head = (
            f"MSH|{_field(msh, 2)}|{APP}|{_field(msh, 6)}|{_field(msh, 3)}|{_field(msh, 4)}|{_stamp()}||"
            f"ACK^{trigger}^ACK|{hl7.generate_message_control_id()}|{_field(msh, 11)}|{_field(msh, 12)}\r"
        )
        text = f"{head}MSA|{code}|{_field(msh, 10)}" + (
            f"|{_clean('; '.join(r for _c, r in reasons))}\r" if reasons else "\r"
        )
    except Exception:  # an MSH too broken to answer from: the control id, if it can be read
        control = ""
        with contextlib.suppress(Exception):
            control = str(msg.segment("MSH")[10])
        return bare_ack(code, control, reasons)
    severity = "I" if code == "AA" else "E"
    return (text + "".join(_err(c, r, severity) for c, r in reasons)).encode("utf-8")


def bare_ack(code: str, control: str, reasons: list[tuple[str, str]]) -> bytes:
    """An ACK for a block that is no message we can parse (MSA-2 empty when no id was read)."""
    head = f"MSH|^~\\&|{APP}||||{_stamp()}||ACK|{hl7.generate_message_control_id()}|P|2.6\r"
    msa = f"MSA|{code}|{_clean(control)[:20]}|{_clean('; '.join(r for _c, r in reasons))}\r"
    text = str(hl7.parse(head + msa))  # the library's own view of it: what a sender's parser reads
    return (text + "".join(_err(c, r) for c, r in reasons)).encode("utf-8")


def read_ack(block: bytes) -> tuple[str, str, str]:
    """(MSA-1 code, MSA-2 control id, the reason: MSA-3, else the ERR-8 texts) of an ACK."""
    msg = hl7.parse(block.decode("utf-8", errors="replace"))
    msa = msg.segment("MSA")
    code = str(msa[1]) if len(msa) > 1 else ""
    control = str(msa[2]) if len(msa) > 2 else ""
    reason = str(msa[3]) if len(msa) > 3 else ""
    if not reason:
        with contextlib.suppress(KeyError):
            reason = "; ".join(str(e[8]) for e in msg.segments("ERR") if len(e) > 8)
    return code, control, reason
