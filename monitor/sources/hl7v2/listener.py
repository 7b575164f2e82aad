"""The MLLP listener: python-hl7's asyncio MLLP server on a thread of its own.

Monitors and gateways are TCP clients (GE, Philips, Mindray and Dräger gateways all connect out to
the receiver). Each frame (`0x0B message 0x1C 0x0D`) is read with `HL7StreamReader.readblock`,
parsed with `hl7.parse`, read by `pcd01.read_message`, and answered at once with its ACK
(monitor.sources.hl7v2.ack). The readings, and what the session should hear (a device connected,
a connection dropped, a message refused, a code or patient seen for the first time), wait in
`inbox` until the feed's next poll takes them: nothing here touches the session, and nothing
the network does runs on the thread that polls.

What a connection can do, and what becomes of it:
- a frame in two reads, or several frames in one read: the stream reader joins and splits them;
- dropped in the middle of a message: the part is let go (it was never acknowledged, so the
  sender sends it again) and the drop is said; with no other device connected, the feed is lost
  until one connects again;
- bytes that are no frame (noise before a start block): python-hl7's reader throws them away with
  the frame they run into, which is not acknowledged, so its sender sends it again;
- the same message again (MSH-10 repeated after a lost ACK): acknowledged, taken once.

With `--hl7-patient` (PID-3) or `--hl7-bed` (PV1-3) only that patient's messages are taken;
without, the first patient seen. Other patients' messages are acknowledged (they are not wrong,
they are not this bed's) and named once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import UTC, tzinfo

import hl7
from hl7.mllp import InvalidBlockError, start_hl7_server

from monitor.core.text import printable
from monitor.sources.csv.errors import RejectedLine
from monitor.sources.feed import FeedStatus
from monitor.sources.hl7v2.ack import ack_for, bare_ack
from monitor.sources.hl7v2.pcd01 import MessageError, Parsed, read_message

MAX_MESSAGE = 1024 * 1024  # bytes: a PCD-01 message is a few KB; past this a frame is refused
MAX_PENDING = 200_000  # messages taken but not yet polled: past this, AR (send it again later)
SEEN_IDS = 200_000  # control ids remembered to take a resent message once
SIMULATED_PROCESSING = {"T", "D"}  # MSH-11 training / debugging: not a real patient's data


@dataclass
class Selection:
    """Which patient's messages are taken: `patient` (PID-3) or `bed` (PV1-3), else the first."""

    patient: str | None = None
    bed: str | None = None

    def describe(self) -> str:
        if self.patient:
            return f"patient {self.patient}"
        if self.bed:
            return f"bed {self.bed}"
        return "the first patient seen"


def bed_matches(given: str, bed: str) -> bool:
    """PV1-3 as sent ("ICU^12^1"), or its bed (third) component alone ("1"), or room^bed."""
    if not bed:
        return False
    parts = bed.split("^")
    return given in (bed, parts[2] if len(parts) > 2 else None, "^".join(parts[1:3]) if len(parts) > 2 else None)


def who(p: Parsed) -> str:
    parts = []
    if p.patient:
        parts.append(f"patient {printable(p.patient)}")
    if p.bed:
        parts.append(f"bed {printable(p.bed)}")
    return " in ".join(parts) if parts else "no patient or bed named (no PID-3, no PV1-3)"


class Hl7Listener:
    """Listens on host:port (port 0: any free one, see `port` after `start`)."""

    def __init__(self, host: str, port: int, selection: Selection | None = None, assume_tz: tzinfo = UTC):
        self.host = host
        self.port = port
        self.selection = selection or Selection()
        self.assume_tz = assume_tz
        # Appended by the listener's thread, taken by the poller's: deque appends and pops are atomic.
        self.inbox: deque[tuple[str, object]] = deque()
        self.simulated = False
        self.received = 0  # frames read, in all
        self.taken = 0  # messages whose readings were taken
        self.duplicates = 0
        self.refused = 0
        self._pending = 0  # messages with readings in the inbox, not yet polled
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._chosen: str | None = None  # the patient taken when none was selected
        self._others: set[str] = set()
        self._unknown: set[str] = set()
        self._connections: set[asyncio.StreamWriter] = set()
        self._ever_connected = False
        self._lost = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._closing = False

    # -- starting and stopping -------------------------------------------------------------------

    def start(self) -> None:
        """Bind and listen; an OSError (the port is taken, the address is not this machine's)
        is raised here, before any screen opens."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="hl7-listener", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                start_hl7_server(self._client, self.host, self.port, limit=MAX_MESSAGE, encoding="utf-8")
            )
        except OSError as exc:
            self._error = exc
            loop.close()
            ready.set()
            return
        self.port = self._server.sockets[0].getsockname()[1]
        self._status("waiting", f"listening for HL7 (PCD-01 over MLLP) on {self.address}; no device has connected yet")
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._connections):
            w.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self._closing = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    # -- what the session hears ----------------------------------------------------------------

    def _status(self, kind: str, message: str) -> None:
        self.inbox.append(("status", FeedStatus(kind, message)))

    def _rejected(self, n: int, reason: str) -> None:
        self.inbox.append(("rejected", RejectedLine(n, reason)))

    def take_pending(self, n: int) -> None:
        """The poller took n messages' readings (frees room for more before AR)."""
        self._pending -= n

    # -- a connection ----------------------------------------------------------------------------

    async def _client(self, reader, writer) -> None:
        peer = writer.get_extra_info("peername")
        name = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else printable(peer)
        self._connections.add(writer)
        if self._lost or not self._ever_connected:
            kind = "restored" if self._ever_connected else "opened"
            self._status(kind, f"device {name} connected to {self.address}")
        else:
            self._status("info", f"device {name} connected to {self.address}")
        self._ever_connected, self._lost = True, False
        count, ended = 0, "closed its connection"
        dropped = False
        try:
            while True:
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError as exc:
                    if exc.partial.strip(b"\r\n\x00 "):
                        ended = f"dropped its connection in the middle of a message ({len(exc.partial)} bytes unsent)"
                        dropped = True
                    break
                except InvalidBlockError:
                    self.refused += 1
                    self._status(
                        "info",
                        f"device {name} sent bytes that are no MLLP frame; they were skipped with the frame they "
                        "ran into, which was not acknowledged and will be sent again",
                    )
                    continue
                except ValueError:
                    self.refused += 1
                    self._status("info", f"device {name} sent a frame longer than {MAX_MESSAGE} bytes; it was refused")
                    continue
                count += 1
                writer.writeblock(self._answer_safely(block))
                await writer.drain()
        except (ConnectionError, OSError) as exc:
            ended, dropped = f"dropped its connection ({exc.strerror or type(exc).__name__})", True
        except asyncio.CancelledError:
            ended = "was disconnected as the monitor stopped"
            raise
        finally:
            self._connections.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
            if not self._closing:
                said = f"device {name} {ended} after {count} message(s)"
                if dropped and not self._connections:
                    self._lost = True
                    self._status("lost", f"{said}; no device is connected to {self.address}")
                else:
                    self._status("info", said)

    # -- a message -------------------------------------------------------------------------------

    def _answer_safely(self, block: bytes) -> bytes:
        """`answer`, and an AE naming the error if it fails: one message never ends the listener."""
        try:
            return self.answer(block)
        except Exception as exc:
            reason = f"internal error while reading the message ({type(exc).__name__}: {printable(exc)})"
            self._rejected(self.received, reason)
            return bare_ack("AE", "", [("207", reason)])

    def answer(self, block: bytes) -> bytes:
        """Take one frame's message; its ACK. Also what the benchmark and the unit tests call."""
        self.received += 1
        n = self.received
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = block.decode("latin-1")  # ISO 8859-1, the other character set senders use
        if not hl7.ishl7(text.lstrip()):
            reason = "the frame holds no HL7 message (it does not start with an MSH segment)"
            self._rejected(n, reason)
            return bare_ack("AE", "", [("100", reason)])
        try:
            msg = hl7.parse(text)
        except Exception as exc:  # python-hl7 raises several kinds on malformed text
            reason = f"the message cannot be parsed ({printable(exc)})"
            self._rejected(n, reason)
            return bare_ack("AE", "", [("102", reason)])
        if self._closing or self._pending >= MAX_PENDING:
            return ack_for(msg, "AR", [("207", "the monitor cannot take messages now; send it again later")])
        try:
            parsed = read_message(msg, self.assume_tz)
        except MessageError as exc:
            self._rejected(n, str(exc))
            return ack_for(msg, exc.ack, [(exc.code, str(exc))])
        key = (parsed.sender, parsed.control_id)
        if key in self._seen:
            self.duplicates += 1
            return ack_for(msg, "AA", [("0", "already taken: a message with this control id came before")])
        if not self._ours(parsed):
            return ack_for(msg, "AA")
        self._seen[key] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        if parsed.processing in SIMULATED_PROCESSING and not self.simulated:
            self.simulated = True
            self._status(
                "info",
                f"messages from {printable(parsed.sender) or 'the sender'} are marked MSH-11 "
                f"'{parsed.processing}' (training or debugging): the session is labelled SIMULATED",
            )
        for code in parsed.unknown:
            if code not in self._unknown:
                self._unknown.add(code)
                self._status("info", f"OBX-3 code {code} is no vital this monitor shows; its values are not taken")
        if parsed.readings:
            self._pending += 1
            self.taken += 1
            self.inbox.append(("readings", (n, parsed.sent, parsed.readings)))
        if parsed.problems:
            self._rejected(n, f"control id {printable(parsed.control_id[:20])}: {'; '.join(parsed.problems)}")
            return ack_for(msg, "AE", [("207", p) for p in parsed.problems])
        return ack_for(msg, "AA")

    def _ours(self, p: Parsed) -> bool:
        """Whether this message's patient is the one monitored (others named once)."""
        sel = self.selection
        if sel.patient:
            ok = p.patient == sel.patient
        elif sel.bed:
            ok = bed_matches(sel.bed, p.bed)
        else:
            ident = p.patient or p.bed
            if self._chosen is None:
                self._chosen = ident
                self._status("info", f"monitoring {who(p)}: the first patient seen")
            ok = ident == self._chosen
        if not ok:
            ident = f"{p.patient}|{p.bed}"
            if ident not in self._others:
                self._others.add(ident)
                self._status(
                    "info",
                    f"messages for {who(p)} are acknowledged and not taken: this monitor shows "
                    f"{sel.describe() if sel.patient or sel.bed else 'another patient'}",
                )
        return ok
