"""Send readings as PCD-01 messages over MLLP, one at a time, each waiting for its ACK (what a
device or gateway does: the GE B40 resends up to three times without an ACK).

A message without an ACK in ACK_TIMEOUT_S, or whose connection drops, is sent again on a new
connection (at most RETRIES times); AR (not now) is sent again after a pause; AE (in error) is
said and not sent again: the receiver has told what is wrong with it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import hl7
from hl7.mllp import open_hl7_connection

from monitor.core.readings import Reading
from monitor.core.text import printable
from monitor.sources.hl7v2.ack import read_ack
from monitor.sources.hl7v2.compose import oru_r01

ACK_TIMEOUT_S = 5.0
RETRIES = 3
AR_PAUSE_S = 1.0


class SendError(Exception):
    """The receiver cannot be reached, or kept a message unacknowledged past every retry."""


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0  # AA
    errors: list[str] = field(default_factory=list)  # AE: "message ID: reason"
    resent: int = 0


async def _connect(host: str, port: int):
    return await open_hl7_connection(host, port, encoding="utf-8", limit=1024 * 1024)


async def send_readings(
    readings: Iterable[Reading],
    host: str,
    port: int,
    *,
    simulated: bool,
    speed: float | None = None,
    say: Callable[[str], None] = lambda line: None,
    ack_timeout: float = ACK_TIMEOUT_S,
) -> SendReport:
    """Send each reading as one message; `speed` reading-seconds a real second (None: at once)."""
    report = SendReport()
    try:
        reader, writer = await _connect(host, port)
    except OSError as exc:
        raise SendError(f"cannot connect to {host}:{port} ({exc.strerror or exc})") from None
    t0: float | None = None
    began = time.monotonic()
    try:
        for r in readings:
            if speed is not None:
                t0 = r.t if t0 is None else t0
                wait = (r.t - t0) / speed - (time.monotonic() - began)
                if wait > 0:
                    await asyncio.sleep(wait)
            # Unique across runs too: the listener takes a control id it has seen as a resend.
            control = hl7.generate_message_control_id()
            text = oru_r01(r, control, simulated=simulated)
            if text is None:
                continue
            block = text.encode("utf-8")
            for attempt in range(RETRIES + 1):
                try:
                    writer.writeblock(block)
                    await writer.drain()
                    code, _ctl, reason = read_ack(await asyncio.wait_for(reader.readblock(), ack_timeout))
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                    if attempt == RETRIES:
                        raise SendError(
                            f"message {control} got no ACK after {RETRIES + 1} tries ({type(exc).__name__})"
                        ) from None
                    report.resent += 1
                    say(f"message {control}: no ACK ({type(exc).__name__}); sending it again")
                    writer.close()
                    try:
                        reader, writer = await _connect(host, port)
                    except OSError as err:
                        raise SendError(f"cannot connect to {host}:{port} again ({err.strerror or err})") from None
                    continue
                if code == "AR" and attempt < RETRIES:
                    report.resent += 1
                    say(f"message {control}: refused for now ({printable(reason)}); sending it again")
                    await asyncio.sleep(AR_PAUSE_S)
                    continue
                report.sent += 1
                if code == "AA":
                    report.accepted += 1
                else:
                    line = f"message {control}: {code} {printable(reason)}"
                    report.errors.append(line)
                    say(line)
                break
    finally:
        writer.close()
    return report
