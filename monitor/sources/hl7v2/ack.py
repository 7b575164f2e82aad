"""The ACK each message gets (HL7 v2 original-mode acknowledgement, as PCD-01 asks for).

AA: taken. AE: in error (what could not be used is said in MSA-3 and in one ERR segment each).
AR: refused, to be sent again later (the monitor cannot take it now, or its type is not ours).
The ACK is python-hl7's `Message.create_ack`; where a message is too broken for that (no MSH we
can read), a minimal ACK is parsed from text with the same library, so what goes back is always an
HL7 message a sender's parser reads.
"""

from __future__ import annotations

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
    "207": "Application internal error",
}


def _clean(text: str) -> str:
    """Reason text safe inside one HL7 field: no separators, no escape character, no controls."""
    text = printable(text)
    for ch in "|^~\\&":
        text = text.replace(ch, " ")
    return text[:MAX_TEXT]


def _err(code: str, text: str) -> str:
    """ERR (v2.5): ERR-3 the error code (table 0357), ERR-4 severity E, ERR-8 the user message."""
    return f"ERR|||{code}^{_ERR_NAMES.get(code, 'Error')}^HL70357|E||||{_clean(text)}\r"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def ack_for(msg, code: str, reasons: list[tuple[str, str]] | None = None) -> bytes:
    """The ACK of parsed message `msg`: `code` AA/AE/AR, `reasons` (error code, sentence) pairs."""
    reasons = reasons or []
    try:
        ack = msg.create_ack(code, application=APP)
        ack["MSH.F7"] = _stamp()
        if reasons:
            ack.segment("MSA").assign_field(_clean("; ".join(r for _c, r in reasons)), 3)
        text = str(ack)
    except Exception:  # an MSH too broken to answer from: the control id, if it can be read
        control = ""
        try:
            control = str(msg.segment("MSH")[10])
        except Exception:
            pass
        return bare_ack(code, control, reasons)
    return (text + "".join(_err(c, r) for c, r in reasons)).encode("utf-8")


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
        try:
            reason = "; ".join(str(e[8]) for e in msg.segments("ERR") if len(e) > 8)
        except KeyError:
            pass
    return code, control, reason
